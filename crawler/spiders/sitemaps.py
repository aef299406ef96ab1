"""``scrapy crawl sitemaps``: poll the news sitemaps of feeds.yaml (not the feeds)."""

from crawler.spiders.base import SourceSpider


class SitemapsSpider(SourceSpider):
    name = "sitemaps"
    kinds = ("sitemap",)
