"""The Scrapy adapters of crawler/pipelines.py, where they have behaviour of their own."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.extraction import pool
from crawler.extraction.pages import PageItem
from crawler.fetch.feeds import FeedEntry
from crawler.pipelines import ExtractPipeline
from crawler.spiders.newsmon import NewsmonSpider


def test_a_crawl_that_ends_as_its_pool_comes_up_shuts_it_down_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pool comes up in a thread, which then runs the pipeline's warm-up. A no-change crawl
    can end at that moment: close_spider saw the pool up and shut it down before the warm-up
    submitted to it, and every such cron run printed "cannot schedule new futures after
    shutdown" with a traceback (CI caught it once in 240 tests). The thread is held here between
    the pool coming up and the warm-up, so the crawl's end always falls in between."""
    crawler = get_crawler(settings_dict={"NEWSMON_EXTRACT_PROCESSES": 2})
    crawler.spider = Spider(name="newsmon")
    crawler.spider.config = None  # type: ignore[attr-defined]
    closed = threading.Event()
    starting: Future[ProcessPoolExecutor] = Future()
    starting.add_done_callback(lambda _: closed.wait(10))  # runs before the pipeline's warm-up
    pool._started[2] = starting  # what `newsmon crawl` started before the crawl opened
    pipeline = ExtractPipeline(crawler)
    pipeline.open_spider()
    # processes start on the first submit: shutting down an unused pool is quick
    workers = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    coming_up = threading.Thread(target=starting.set_result, args=(workers,))
    with caplog.at_level(logging.ERROR):
        coming_up.start()
        pipeline.close_spider()  # waits for the pool, then shuts it down
        closed.set()
        coming_up.join(10)
    assert not coming_up.is_alive()
    assert workers._shutdown_thread  # the pipeline did shut it down
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_only_failures_in_a_row_stop_the_crawl(tmp_path: Path) -> None:
    """One page whose processing raises is counted and left to the next run; the crawl goes on.
    NEWSMON_STOP_AFTER_FAILURES of them in a row mean the machine, and stop it (tested end to
    end in test_crash.py, where a file-size limit fails every page). (A page at no
    http(s) URL cannot come from the spider: it stands in for any page that makes processing
    raise.)"""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: f, url: 'http://127.0.0.1:9/feed.xml', outlet: O}\n")
    settings = {
        "NEWSMON_DB": str(tmp_path / "news.db"),
        "NEWSMON_FEEDS": str(feeds),
        "NEWSMON_EXTRACT_PROCESSES": 1,  # inline: the real extraction, in this process
        "NEWSMON_STOP_AFTER_FAILURES": 3,
    }
    crawler = get_crawler(NewsmonSpider, settings_dict=settings)
    crawler.spider = NewsmonSpider.from_crawler(crawler)
    pipeline = ExtractPipeline(crawler)
    pipeline.open_spider()
    body = b"<html><body><article><p>" + b"Officials discussed the strikes. " * 30
    body += b"</p></article></body></html>"

    def page(n: int, good: bool = True) -> PageItem:
        url = f"http://127.0.0.1:9/a/{n}.html" if good else f"not-a-url-{n}"
        entry = FeedEntry(link=url, guid=None)
        return PageItem(url, body, "text/html", 200, entry, "f", "O", "en", [])

    async def outcome(item: PageItem) -> str:
        try:
            await pipeline.process_item(item)
        except DropItem:
            return "failed"
        return "stored"

    async def run(pages: list[PageItem]) -> list[str]:
        return [await outcome(p) for p in pages]

    mixed = [page(0, False), page(1, False), page(2), page(3, False), page(4, False), page(5)]
    assert asyncio.run(run(mixed)) == ["failed", "failed", "stored"] * 2
    assert crawler.stats.get_value("newsmon/articles_failed") == 4
    assert not pipeline.gave_up  # never three in a row: a failure's count ends with a page stored
