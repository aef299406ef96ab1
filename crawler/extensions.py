"""Scrapy extension that makes any crawl of ours a recorded run.

Whether started by ``newsmon crawl`` or plain ``scrapy crawl feeds``, a crawl holds the lock, has a
``crawl_runs`` row from start to finish, and (on a terminal) shows a progress line.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from twisted.internet import task

from crawler.lock import CrawlLock
from storage import Store

log = logging.getLogger(__name__)

COUNTS = {
    "feeds_polled": "newsmon/feeds_polled",
    "feeds_not_modified": "newsmon/feeds_not_modified",
    "feeds_failed": "newsmon/feeds_failed",
    "articles_new": "newsmon/articles_new",
    "articles_updated": "newsmon/articles_updated",
    "articles_failed": "newsmon/articles_failed",
    "stories_new": "newsmon/stories_new",
}


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    return {column: int(stats.get(key, 0) or 0) for column, key in COUNTS.items()}


class CrawlRun:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("NEWSMON_DB")
        self.lock: CrawlLock | None = None
        self.store: Store | None = None
        self.run_id: int | None = None
        self.progress = crawler.settings.getbool("NEWSMON_PROGRESS")
        self.ticker: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        if not crawler.settings.get("NEWSMON_DB"):
            raise NotConfigured("NEWSMON_DB is not set")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        if not self.crawler.settings.getbool("NEWSMON_LOCK_HELD"):
            self.lock = CrawlLock(self.db_path)
            self.lock.acquire()  # LockHeld aborts the crawl before anything is written
        self.store = Store(self.db_path)
        self.run_id = self.store.start_run()
        self.crawler.stats.set_value("newsmon/run_id", self.run_id)
        if self.progress:
            self.ticker = task.LoopingCall(self.show_progress)
            self.ticker.start(0.5, now=False)

    def show_progress(self) -> None:
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        pending = int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0))
        sys.stderr.write(
            f"\r{counts['feeds_polled']} feeds polled, {counts['articles_new']} new articles, "
            f"{pending} queued, {time.monotonic() - self.started:.0f}s \x1b[K"
        )
        sys.stderr.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        if self.store is not None and self.run_id is not None:
            counts = run_counts(self.crawler.stats.get_stats())
            failed = counts["feeds_polled"] > 0 and counts["feeds_failed"] == counts["feeds_polled"]
            if reason != "finished":
                status = "interrupted"
            else:
                status = "failed" if failed else "ok"
            self.crawler.stats.set_value("newsmon/status", status)
            try:
                self.store.finish_run(
                    self.run_id, status, counts, None if reason == "finished" else reason
                )
            except sqlite3.Error as exc:  # the next run's start marks this one interrupted
                log.error("the run's record was not finished (database: %s)", exc)
                self.crawler.stats.set_value("newsmon/status", "interrupted")
            finally:
                self.store.close()
        if self.lock is not None:
            self.lock.release()


class FeedAwareThrottle(AutoThrottle):
    """AutoThrottle that takes a ``304 Not Modified`` for the healthy answer it is.

    Scrapy's AutoThrottle only lets a 200 lower a host's delay (error pages are small and fast,
    and would otherwise speed up a crawl of a failing site). A conditional feed poll answered 304
    is no error, and a no-change recrawl is almost all 304s: without this, a host's delay never
    comes down from AUTOTHROTTLE_START_DELAY and a thousand unchanged feeds take minutes.
    """

    def _adjust_delay(self, slot: Any, latency: float, response: Any) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
