"""``scrapy crawl feeds``: poll the RSS/Atom feeds of feeds.yaml (not the sitemaps)."""

from crawler.spiders.base import SourceSpider


class FeedsSpider(SourceSpider):
    name = "feeds"
    kinds = ("feed",)
