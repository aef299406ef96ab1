"""``newsmon worker``: one of many crawl processes sharing a Redis scheduler (scrapy-redis).

It polls the sources the writer hands out, fetches and extracts article pages like the
``newsmon`` spider, and sends every result to the writer through Redis instead of writing
SQLite itself (see crawler/distributed/redisqueue.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.distributed import redisqueue as rq
from crawler.fetch.feeds import FeedEntry
from crawler.fetch.sources import Source
from crawler.spiders.base import SourceSpider
from crawler.urls import url_key


class WorkerSpider(SourceSpider):
    name = "newsmon-worker"
    kinds = ("feed", "sitemap")
    uses_store = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        from scrapy_redis import connection  # here: every crawl loads this module (spider list)

        spider.server = connection.from_settings(settings)
        prefix = settings.get("NEWSMON_REDIS_PREFIX")
        names = ("sources", "items", "pending", "seen", "claimed")
        spider.keys = {n: rq.key(prefix, n) for n in names}
        spider.idle_exit = settings.getfloat("NEWSMON_WORKER_IDLE_EXIT")
        spider.last_work = time.monotonic()
        spider.pages = 0
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_response, signal=signals.response_received)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for request in self.next_sources():
            yield request

    # -- work in --------------------------------------------------------------------------

    def next_sources(self) -> Iterator[scrapy.Request]:
        batch = max(1, self.settings.getint("NEWSMON_REDIS_SOURCE_BATCH"))
        with self.server.pipeline() as pipe:
            pipe.lrange(self.keys["sources"], 0, batch - 1)
            pipe.ltrim(self.keys["sources"], batch, -1)
            raw, _ = pipe.execute()
        for data in raw:
            source = rq.decode_source(data)
            yield self.source_request(source)

    def on_idle(self) -> None:
        """No request left here: take more sources; leave after ``idle_exit`` quiet seconds."""
        found = False
        for request in self.next_sources():
            self.crawler.engine.crawl(request)
            found = True
        if found:
            self.last_work = time.monotonic()
        if not found and self.idle_exit and time.monotonic() - self.last_work >= self.idle_exit:
            return  # let the spider close
        raise DontCloseSpider

    def on_response(self, response: Response, request: scrapy.Request, spider: Any) -> None:
        self.last_work = time.monotonic()
        if "entry" in request.meta:
            self.pages += 1

    # -- state and results out --------------------------------------------------------------

    def push(self, message: str) -> None:
        self.server.lpush(self.keys["items"], message)

    def save_feed_state(self, url: str, **fields: Any) -> None:
        if fields.get("consecutive_failures") == "+1":
            outcome = "failed"
        elif fields.get("last_status") == 304:
            outcome = "not_modified"
        else:
            outcome = "polled"
        self.push(rq.feed_state_message(url, fields, outcome))

    def await_pages(self, source: Source, pages: int, fields: dict[str, str | None]) -> None:
        # Any worker may fetch the pages (the scheduler is shared): the writer, which sees every
        # article, counts them down and stores the fields.
        self.push(rq.awaits_message(source.config.url, source.config.name, pages, fields))

    def page_settled(self, source_name: str | None, stored: bool, more: int = 0) -> None:
        # a stored article counts itself down at the writer; this says the rest
        self.push(rq.settled_message(source_name, stored, more))

    def stored_titles(self, keys: list[str]) -> dict[str, str | None]:
        return {}  # the writer's database is not here; new_entries asks Redis instead

    def new_entries(self, entries: list[FeedEntry]) -> Iterator[FeedEntry]:
        """Entries the writer has not stored and no worker has taken in this run: SADD of the
        entry's URL key to the run's claims is atomic in Redis. Two round trips a feed (stored?
        then claim), not two an entry."""
        keyed = []
        for entry in super().new_entries(entries):
            try:
                keyed.append((entry, url_key(entry.link or "")))
            except ValueError:
                continue
        if not keyed:
            return
        with self.server.pipeline(transaction=False) as pipe:
            for _, entry_key in keyed:
                pipe.sismember(self.keys["seen"], entry_key)
            fresh = [pair for pair, stored in zip(keyed, pipe.execute(), strict=True) if not stored]
        with self.server.pipeline(transaction=False) as pipe:
            for _, entry_key in fresh:
                pipe.sadd(self.keys["claimed"], entry_key)
            claims = pipe.execute()
        yield from (entry for (entry, _), won in zip(fresh, claims, strict=True) if won)

    def follow(self, entries: list[FeedEntry], source: Source) -> Iterator[scrapy.Request]:
        requests = list(super().follow(entries, source))
        if requests:
            self.server.incrby(self.keys["pending"], len(requests))
        return iter(requests)

    def child_request(self, loc: str, source: Source) -> scrapy.Request:
        self.server.incr(self.keys["pending"])
        return super().child_request(loc, source)

    def parse_sitemap_child(self, response: Response) -> Iterator[scrapy.Request]:
        yield from super().parse_sitemap_child(response)
        self.push(rq.done_message("task_done"))

    def child_failed(self, failure: Failure) -> None:
        super().child_failed(failure)
        self.push(rq.done_message("task_done"))

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        items = list(super().article_failed(failure))
        if not items:
            # transient: give the entry up so a later run fetches it again
            entry: FeedEntry = failure.request.meta["entry"]
            try:
                self.server.srem(self.keys["claimed"], url_key(entry.link or ""))
            except ValueError:
                pass
            self.push(rq.done_message("article_failed"))
        yield from items

    def closed(self, reason: str) -> None:
        self.logger.info("worker closed (%s): %d pages fetched", reason, self.pages)
