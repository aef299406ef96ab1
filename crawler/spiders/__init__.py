"""Scrapy spiders: ``newsmon`` (every source), ``feeds`` (RSS/Atom only), ``sitemaps`` (news
sitemaps only). All three share :class:`crawler.spiders.base.SourceSpider`."""
