"""``scrapy crawl newsmon`` and ``newsmon crawl``: every source in feeds.yaml."""

from crawler.spiders.base import SourceSpider


class NewsmonSpider(SourceSpider):
    name = "newsmon"
    kinds = ("feed", "sitemap")
