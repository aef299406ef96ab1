"""The Scrapy adapters of crawler/pipelines.py, where they have behaviour of their own."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler import pool
from crawler.pipelines import ExtractPipeline


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
