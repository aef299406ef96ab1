"""``newsmon feeds add``: fetch a URL and find the feed behind it.

The URL may be the feed itself or a page of the site. A page is searched for the feeds it
announces (``<link rel="alternate">``), then the usual feed paths are tried in turn; the first
document feedparser accepts wins. Plain Scrapy does the fetching (robots.txt, redirects,
retries, size limits), so adding a feed behaves like crawling it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.fetch.discover import Discovered, feed_links, guessed_urls, site_name
from crawler.fetch.feeds import FeedError, parse_feed
from crawler.spiders.base import describe_failure


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.result: Discovered | None = None
        self.error: str | None = None
        self.tried: list[str] = []
        self.site: str | None = None

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.url, callback=self.parse_start, errback=self.start_failed, dont_filter=True
        )

    def _as_feed(self, response: Response) -> bool:
        self.tried.append(response.url)
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            feed = parse_feed(response.body, response.url, content_type)
        except FeedError:
            return False
        dates = [e.published_at for e in feed.entries if e.published_at]
        self.result = Discovered(
            url=response.url,
            title=feed.title,
            version=feed.version,
            entries=len(feed.entries),
            newest=max(dates) if dates else None,
            language=feed.language,
            site_name=self.site,
            site_url=feed.site_url,
            tried=self.tried,
        )
        return True

    def parse_start(self, response: Response) -> Iterator[scrapy.Request]:
        if self._as_feed(response):
            return
        if not hasattr(response, "text"):
            self.error = f"{self.url}: neither a feed nor a web page"
            return
        self.site = site_name(response.body)
        paths = self.settings.getlist("NEWSMON_FEED_PATHS")
        candidates = feed_links(response.body, response.url) + guessed_urls(response.url, paths)
        yield from self._next(candidates)

    def _next(self, candidates: list[str]) -> Iterator[scrapy.Request]:
        candidates = [c for c in candidates if c not in self.tried]
        if not candidates:
            self.error = (
                f"{self.url}: no RSS or Atom feed found (tried {len(self.tried)} URLs; "
                "pass the feed's own URL)"
            )
            return
        yield scrapy.Request(
            candidates[0],
            callback=self.parse_candidate,
            errback=self.candidate_failed,
            dont_filter=True,
            meta={"rest": candidates[1:]},
        )

    def parse_candidate(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._as_feed(response):
            yield from self._next(response.meta["rest"])

    def candidate_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.tried.append(failure.request.url)
        yield from self._next(failure.request.meta["rest"])

    def start_failed(self, failure: Failure) -> None:
        _, reason, _ = describe_failure(failure)
        self.error = f"{self.url}: {reason}"
