"""Scrapy extension that makes any crawl of ours a recorded run.

Whether started by ``newsmon crawl`` or plain ``scrapy crawl feeds``, a crawl holds the lock, has a
``crawl_runs`` row from start to finish, and (on a terminal) shows a progress line.

A plain ``scrapy crawl`` takes the lock while Scrapy builds the crawl (:func:`take_crawl_lock`,
called by the spider before it opens the database), not in a signal handler: Scrapy only logs an
exception raised by a signal handler and crawls on, whereas one raised while building the crawl
fails it before any request, and ``scrapy crawl`` exits 1.
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

from crawler.fetch.lock import CrawlLock, LockHeld
from storage import Store

log = logging.getLogger(__name__)

# The attribute of the spider that holds the crawl lock a plain ``scrapy crawl`` took.
LOCK_ATTRIBUTE = "crawl_lock"

COUNTS = {
    "feeds_polled": "newsmon/feeds_polled",
    "feeds_not_modified": "newsmon/feeds_not_modified",
    "feeds_failed": "newsmon/feeds_failed",
    "articles_new": "newsmon/articles_new",
    "articles_updated": "newsmon/articles_updated",
    "articles_failed": "newsmon/articles_failed",
    "stories_new": "newsmon/stories_new",
}


class _AlreadyReported(logging.Filter):
    """Drops the log record that would repeat, with a traceback, an error already said in one line.

    A crawl that fails while Scrapy builds it is an exception in an asyncio task that nobody
    awaits; asyncio logs it ("Task exception was never retrieved") with its traceback.
    """

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.exc_info[1] is self.exc)


def take_crawl_lock(crawler: Crawler, spider: Any) -> None:
    """Hold the crawl lock for this crawl, unless ``newsmon crawl`` took it before Scrapy started.

    Must run while Scrapy builds the crawl and before the spider touches the database: the
    LockHeld it raises then fails the crawl before anything is opened, fetched or written (and
    ``scrapy crawl`` exits 1), after one error line saying which process holds the lock.
    """
    if crawler.settings.getbool("NEWSMON_LOCK_HELD") or getattr(spider, LOCK_ATTRIBUTE, None):
        return
    lock = CrawlLock(crawler.settings.get("NEWSMON_DB"))
    try:
        lock.acquire()
    except LockHeld as exc:
        log.error("%s; not crawling", exc)
        logging.getLogger("asyncio").addFilter(_AlreadyReported(exc))
        raise
    setattr(spider, LOCK_ATTRIBUTE, lock)


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    return {column: int(stats.get(key, 0) or 0) for column, key in COUNTS.items()}


class CrawlRun:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("NEWSMON_DB")
        self.store: Store | None = None
        self.run_id: int | None = None
        self.progress = crawler.settings.getbool("NEWSMON_PROGRESS")
        self.ticker: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        if not crawler.settings.get("NEWSMON_DB"):
            raise NotConfigured("NEWSMON_DB is not set")
        if crawler.spider is not None:  # a spider that did not take the lock itself
            take_crawl_lock(crawler, crawler.spider)
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
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
        lock: CrawlLock | None = getattr(spider, LOCK_ATTRIBUTE, None)
        if lock is not None:  # last: the run's record and clustering were done under it
            lock.release()


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
