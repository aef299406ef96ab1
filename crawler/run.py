"""Run one crawl in this process: lock, Scrapy, and the summary line cron mails to the user."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.config import ConfigError, load_config
from crawler.discover import Discovered
from crawler.extensions import run_counts
from crawler.feeds import FeedError
from crawler.lock import CrawlLock
from crawler.relevance import compile_topics
from crawler.spiders.discover import DiscoverSpider
from crawler.spiders.newsmon import NewsmonSpider


@dataclass
class CrawlOptions:
    db: Path
    feeds: Path
    only: list[str]
    max_articles: int = 0
    poll_all: bool = False
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose, 2 debug
    progress: bool = False
    overrides: dict[str, Any] | None = None


@dataclass
class CrawlResult:
    status: str  # ok | failed | interrupted
    counts: dict[str, int]
    seconds: float

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    def summary(self) -> str:
        c = self.counts
        return (
            f"crawl {self.status}: {c['feeds_polled']} feeds polled "
            f"({c['feeds_not_modified']} not modified, {c['feeds_failed']} failed), "
            f"{c['articles_new']} articles new, {c['articles_updated']} updated, "
            f"{c['articles_failed']} failed, {c['stories_new']} stories new, {self.seconds:.1f} s"
        )


def scrapy_settings(options: CrawlOptions) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    level = {-1: "ERROR", 0: "ERROR", 1: "INFO"}.get(options.verbosity, "DEBUG")
    settings.setdict(
        {
            "NEWSMON_DB": str(options.db),
            "NEWSMON_FEEDS": str(options.feeds),
            "NEWSMON_ONLY": list(options.only),
            "NEWSMON_ALL": options.poll_all,
            "NEWSMON_MAX_ARTICLES": options.max_articles,
            "NEWSMON_LOCK_HELD": True,
            "NEWSMON_PROGRESS": options.progress,
            "LOG_LEVEL": level,
            "LOG_FORMAT": "newsmon: %(levelname)s: %(message)s"
            if options.verbosity < 1
            else "%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        },
        priority="cmdline",
    )
    settings.setdict(options.overrides or {}, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl every due feed once. Raises ConfigError (bad feeds.yaml) or LockHeld first, before
    anything is written."""
    config = load_config(options.feeds)
    compile_topics(config.topics)  # a bad topic query is a configuration error: exit 2 now
    unknown = [name for name in options.only if name not in {f.name for _, f in config.sources()}]
    if unknown:
        raise ConfigError(
            f"--only: no feed named {', '.join(map(repr, unknown))} in {options.feeds}"
        )
    started = time.monotonic()
    with CrawlLock(options.db):
        process = CrawlerProcess(scrapy_settings(options))
        logging.getLogger("scrapy").propagate = True
        crawler = process.create_crawler(NewsmonSpider)
        process.crawl(crawler)
        process.start()
        stats = crawler.stats.get_stats() if crawler.stats else {}
    status = str(stats.get("newsmon/status") or "failed")
    return CrawlResult(status=status, counts=run_counts(stats), seconds=time.monotonic() - started)


def discover_feed(url: str, overrides: dict[str, Any] | None = None) -> Discovered:
    """Fetch ``url`` with Scrapy and return the feed it is or announces; raises FeedError with
    one line saying what went wrong."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "LOG_LEVEL": "CRITICAL",
            "RETRY_TIMES": 1,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_TIMEOUT": 20,
        },
        priority="cmdline",
    )
    settings.setdict(overrides or {}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, url=url)
    process.start()
    spider = crawler.spider
    if spider.result is None:
        raise FeedError(spider.error or f"{url}: no RSS or Atom feed found")
    return spider.result
