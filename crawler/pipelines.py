"""Thin Scrapy adapters around the pure pipeline stages: extract -> ... -> store.

Each stage is a function elsewhere (``crawler.extract``, ``crawler.article``, ``storage``); these
classes only move items between them, count what happened in the crawl stats, and keep the CPU-bound
extraction off the reactor thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import article as articles
from crawler import redisqueue
from crawler.article import apply_relevance
from crawler.clusterer import Clusterer
from crawler.extract import Extracted, extract
from crawler.relevance import Scorer, scorer_for
from crawler.spiders.base import PageItem

log = logging.getLogger(__name__)


class ExtractPipeline:
    """PageItem -> Article, with trafilatura running in a process pool when one is configured."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        workers = crawler.settings.getint("NEWSMON_EXTRACT_PROCESSES")
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        if self.workers > 1:
            # spawn: never fork a process that runs a reactor and threads.
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )

    def close_spider(self, spider: Any = None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageItem):
            return item  # feed-only articles need no extraction
        try:
            if self.pool is not None:
                future = self.pool.submit(extract, item.html, item.url)
                extracted: Extracted = await asyncio.wrap_future(future)
            else:
                extracted = extract(item.html, item.url)
        except Exception as exc:  # a page that breaks the extractor must not stop the crawl
            log.warning("extraction failed for %s: %s", item.url, exc)
            extracted = Extracted()
        return articles.from_page(
            page_url=item.url,
            extracted=extracted,
            entry=item.entry,
            feed_name=item.feed_name,
            outlet=item.outlet,
            feed_lang=item.feed_lang,
            status=item.status,
            url_forms=item.url_forms,
        )


class ScorePipeline:
    """Article -> Article with relevant / relevance_score / matched_terms from the topics."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.scorer: Scorer | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.scorer = scorer_for(self.crawler.spider.config)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, articles.Article) and self.scorer is not None:
            apply_relevance(item, self.scorer)
        return item


class StorePipeline:
    """Article -> one ``articles`` row (plus its URL forms), then its copy links and story.

    Storing and clustering are separate transactions: articles are stored as they arrive and
    clustered together when the spider closes; an article stored by a run that died before
    clustering it is picked up (``clustered_at`` is null) when the next run opens.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.clusterer: Clusterer | None = None

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        self.clusterer = Clusterer(spider.store, spider.config)
        self.clusterer.process_pending()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, articles.Article):
            raise DropItem(f"unexpected item {type(item).__name__}")
        store = self.crawler.spider.store
        status, article_id = store.save_article(item.row(), item.url_forms)
        item.id = article_id
        self.crawler.stats.inc_value(f"newsmon/articles_{status}")
        log.debug("%s article %s: %s", status, article_id, item.url)
        return item

    def close_spider(self, spider: Any = None) -> None:
        """Cluster what this run stored as one batch, in publication order: the run's articles
        weigh each other's words (document frequencies) before any is assigned, and a story's
        first report is the earliest published, not the first fetched."""
        if self.clusterer is None:
            return
        before = self.clusterer.stories_new
        self.clusterer.process_pending()
        self.crawler.stats.inc_value("newsmon/stories_new", self.clusterer.stories_new - before)


class RedisOutPipeline:
    """Distributed workers: each Article goes to the writer through Redis (crawler/redisqueue.py);
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
