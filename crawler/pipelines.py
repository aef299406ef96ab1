"""Thin Scrapy adapters around the pure pipeline stages: extract -> ... -> store.

Each stage is a function elsewhere (``crawler.extraction.extract``, ``crawler.extraction.article``,
``storage``); these
classes only move items between them, count what happened in the crawl stats, and keep the CPU-bound
extraction off the reactor thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.analysis import copies
from crawler.analysis.clusterer import Clusterer
from crawler.analysis.features import Precomputed, precompute_args
from crawler.analysis.rescore import score_pending
from crawler.distributed import redisqueue
from crawler.extraction import article as articles
from crawler.extraction import pool
from crawler.extraction.pages import PageItem, process_page, warm_up

log = logging.getLogger(__name__)

# the crawl_runs error of a run stopped because its extraction workers kept dying
GAVE_UP = "extraction workers kept dying"


class ExtractPipeline:
    """PageItem -> Article, in a process pool when one is configured, so both cores extract
    while the reactor thread keeps fetching and storing."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = pool.worker_count(crawler.settings.getint("NEWSMON_EXTRACT_PROCESSES"))
        self.restarts = crawler.settings.getint("NEWSMON_EXTRACT_RESTARTS")
        self.gave_up = False  # the crawl is stopping: the run's remaining pages fail for now
        self.stop_after = crawler.settings.getint("NEWSMON_STOP_AFTER_FAILURES")
        self.failing = 0  # pages in a row whose processing raised
        self.closing: asyncio.Future[None] | None = None  # the crawl's stop, once it gave up
        self.starting: Future[ProcessPoolExecutor] | None = None
        self.pool: ProcessPoolExecutor | None = None
        # the pool comes up in another thread, which then runs _warm_up: the pool must not be
        # shut down between _warm_up's check that it is still this crawl's and its submits
        self.lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        config = self.crawler.spider.config
        self.cluster_args = precompute_args(config) if config is not None else None
        # started early by ``newsmon crawl``, or now; not waited for: the feeds are polled
        # while its workers come up, and the first page waits for them if it must
        self.starting = pool.take(self.workers)
        if self.starting is not None:
            self.starting.add_done_callback(self._warm_up)

    def _warm_up(self, starting: Future[ProcessPoolExecutor]) -> None:
        if starting.exception() is not None:
            return
        with self.lock:
            if starting is not self.starting:
                return  # the crawl ended (a no-change run) or replaced it before it came up
            try:
                self._submit_warm_up(starting.result())
            except BrokenProcessPool:
                pass  # a worker died already: the first page to use the pool replaces it

    def _submit_warm_up(self, workers: ProcessPoolExecutor) -> None:
        for _ in range(self.workers):  # the gazetteer of this crawl's outlets
            workers.submit(warm_up, self.cluster_args)
        config = self.crawler.spider.config
        if config is not None:
            # a worker has datasketch loaded: it works out the copy index's banding, which
            # this process would have to import scipy for (a new database's first crawl)
            threshold, num_perm = config.clustering.copy_threshold, config.clustering.num_perm
            params = workers.submit(copies.band_params, threshold, num_perm)

            def remember(done: Future[tuple[int, int]]) -> None:
                # else this process works them out when needed; cancelled when the crawl ended
                # first (a no-change run), where exception() would raise
                if not done.cancelled() and done.exception() is None:
                    copies.remember_band_params(threshold, num_perm, done.result())

            params.add_done_callback(remember)

    def close_spider(self, spider: Any = None) -> None:
        with self.lock:  # once out of self.starting, _warm_up leaves the pool alone
            starting, self.starting = self.starting, None
        if starting is not None and starting.exception() is None:
            starting.result().shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageItem):
            return item  # feed-only articles need no extraction
        try:
            article = await self._extract(item)
        except Exception as exc:
            # process_page already survives any page that breaks the extractor: this is a bug
            # or this machine (no memory, no temp space for the language model), and it
            # usually fails every page after it too
            self.failing += 1
            reason = f"{type(exc).__name__}: {exc}"
            log.debug("article %s not extracted", item.url, exc_info=True)
            self.crawler.spider.page_failed(
                item.feed_name, f"article {item.url} not extracted ({reason})"
            )
            if self.failing >= self.stop_after and not self.gave_up:
                stop = f"{self.failing} articles in a row not extracted ({reason})"
                log.error("%s: stopping the crawl", stop)
                self._stop(stop)
            raise DropItem(reason, log_level="DEBUG") from None  # said in page_failed()
        if article is None:  # twice in a broken pool, or no pool left to try
            why = "the crawl is stopping" if self.gave_up else "an extraction worker died"
            self.crawler.spider.page_failed(
                item.feed_name, f"article {item.url} not extracted ({why})"
            )
            raise DropItem(why, log_level="DEBUG")
        self.failing = 0
        return article

    async def _extract(self, item: PageItem) -> articles.Article | None:
        """The page's article, from the pool when there is one; None when the pool broke under
        it twice, or no pool is left to try (the crawl is stopping)."""
        for _ in range(2):
            if self.gave_up:
                break
            if self.pool is None and self.starting is not None:
                try:
                    self.pool = await asyncio.wrap_future(self.starting)
                except Exception as exc:  # no pool: the crawl goes on, extracting here
                    if self.starting is not None:
                        log.warning("extraction pool did not start (%s): extracting inline", exc)
                        self.starting = None
            if self.pool is None:
                return process_page(item, self.cluster_args)
            used = self.pool
            try:
                return await asyncio.wrap_future(used.submit(process_page, item, self.cluster_args))
            except BrokenProcessPool as exc:
                if not self._replace(used, exc):
                    break
        return None

    def _stop(self, reason: str) -> None:
        self.gave_up = True
        self.closing = stop_crawl(self.crawler, reason)

    def _replace(self, broken: ProcessPoolExecutor, exc: BaseException) -> bool:
        """A worker died and took the pool with it (every page in it fails too): start another,
        once per broken pool, at most NEWSMON_EXTRACT_RESTARTS times a run. True when there is a
        pool to try again in."""
        if self.pool is not broken:  # another page already replaced it (or gave up)
            return not self.gave_up
        with self.lock:
            self.pool = self.starting = None
        broken.shutdown(wait=False, cancel_futures=True)
        if self.restarts <= 0:
            # something is wrong with this machine (memory, say)
            log.error("extraction worker died (%s); no restarts left: stopping the crawl", exc)
            self._stop(GAVE_UP)
            return False
        self.restarts -= 1
        log.warning("extraction worker died (%s); starting another pool", exc)
        self.starting = pool.take(self.workers)
        if self.starting is not None:
            self.starting.add_done_callback(self._warm_up)
        return True


def stop_crawl(crawler: Crawler, reason: str) -> asyncio.Future[None]:
    """Stop fetching pages that could only be thrown away: the run ends interrupted, with
    ``reason`` as its error, and the next run fetches what is left. The caller holds the task
    returned: the event loop keeps only a weak reference to it."""
    return asyncio.ensure_future(crawler.engine.close_spider_async(reason=reason))


class StorePipeline:
    """Article -> one ``articles`` row (plus its URL forms); when the spider closes, the run's
    articles are scored and clustered together.

    Scoring and clustering run once per crawl over what it stored (and what a crashed run left
    unscored or unclustered): scoring a batch costs one FTS5 query per topic term for all of it
    instead of hundreds per article, and clustering a batch in publication order lets the run's
    articles weigh each other's words before any is assigned, so a story's first report is the
    earliest published, not the first fetched.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.clusterer: Clusterer | None = None
        self.precomputed: dict[int, Precomputed] = {}  # new articles' clustering inputs
        self.refused: str | None = None  # why the database took no write, once it did not
        self.closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        self.clusterer = Clusterer(spider.store, spider.config)
        self.finish_pending()  # what a run that died left behind

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, articles.Article):
            raise DropItem(f"unexpected item {type(item).__name__}")
        store = self.crawler.spider.store
        try:
            status, article_id = store.save_article(item.row(), item.url_forms)
            self.crawler.spider.page_settled(item.feed, stored=True)
        except sqlite3.Error as exc:
            # the disk is full, or another writer held the database past the busy timeout:
            # every page after this one would fail the same way (each write is a transaction:
            # nothing half-stored)
            self.crawler.spider.page_failed(
                item.feed, f"article {item.url} not stored (database: {exc})"
            )
            if self.refused is None:
                self.refused = f"database write failed: {exc}"
                log.error("%s: stopping the crawl", self.refused)
                self.closing = stop_crawl(self.crawler, self.refused)
            raise DropItem(str(exc), log_level="DEBUG") from None  # said in page_failed()
        item.id = article_id
        if status == "new" and item.precomputed is not None:
            self.precomputed[article_id] = item.precomputed
        self.crawler.stats.inc_value(f"newsmon/articles_{status}")
        log.debug("%s article %s: %s", status, article_id, item.url)
        return item

    def close_spider(self, spider: Any = None) -> None:
        if self.clusterer is None or self.refused is not None:
            return  # scoring and clustering what was stored falls to the next run
        before = self.clusterer.stories_new
        self.finish_pending()
        self.crawler.stats.inc_value("newsmon/stories_new", self.clusterer.stories_new - before)

    def finish_pending(self) -> None:
        spider = self.crawler.spider
        score_pending(spider.store, spider.config)
        assert self.clusterer is not None
        self.clusterer.process_pending(known=self.precomputed)
        self.precomputed = {}


class RedisOutPipeline:
    """Distributed workers: each Article goes to the writer through Redis
    (crawler/distributed/redisqueue.py);
    scoring, storing and clustering happen there, in one process."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisOutPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, articles.Article):
            self.crawler.spider.push(redisqueue.article_message(item))
        return item
