"""Run one crawl in this process: lock, Scrapy, and the summary line cron mails to the user.

Scrapy is imported inside the functions, after the configuration is checked and the lock taken:
a crawl that cannot run says so at once, and one that can has its extraction workers starting
(:mod:`crawler.extraction.pool`) while this process imports Scrapy.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler import settings as defaults
from crawler.analysis.relevance import compile_topics
from crawler.config import Config, ConfigError, load_config, topic_location
from crawler.extraction import pool
from crawler.fetch.feeds import FeedError
from crawler.fetch.lock import CrawlLock

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.fetch.discover import Discovered


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
    # why a distributed run stopped short (a one-process crawl logs its reason as it stops)
    stopped_because: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    @property
    def error(self) -> str | None:
        """The error line of a run that did not say why while it ran: a distributed run that
        stopped short, or one in which every polled source failed (a one-process crawl that
        stopped early logged its reason when it stopped)."""
        if self.stopped_because:
            return self.stopped_because
        if self.status != "failed":
            return None
        return "every feed polled failed; newsmon feeds list shows why"

    def summary(self) -> str:
        c = self.counts
        return (
            f"crawl {self.status}: {c['feeds_polled']} feeds polled "
            f"({c['feeds_not_modified']} not modified, {c['feeds_failed']} failed), "
            f"{c['articles_new']} articles new, {c['articles_updated']} updated, "
            f"{c['articles_failed']} failed, {c['stories_new']} stories new, {self.seconds:.1f} s"
        )


class CrawlError(Exception):
    """Scrapy failed the crawl outright (a setting it refused, say), not a feed or a page."""


def check_topics(config: Config, path: Path) -> None:
    """Compile the topic queries now: a query FTS5 rejects is a mistake in feeds.yaml (exit 2,
    before anything is written), said with the file, line and topic, as every other one is."""
    try:
        compile_topics(config.topics)
    except ConfigError as exc:
        for topic in config.topics:  # which one (the first that fails, as compile_topics says)
            try:
                compile_topics([topic])
            except ConfigError:
                raise ConfigError(f"{topic_location(path, topic.name)}: {exc}") from None
        raise ConfigError(f"{path}: {exc}") from None


def check_overrides(overrides: dict[str, Any]) -> None:
    """``-s NAME=VALUE`` values that cannot be what the setting is (a number, a flag) are bad
    usage: said now, in one line, rather than deep inside Scrapy once the crawl starts."""
    from scrapy.settings import Settings, default_settings

    known = Settings()
    known.setmodule(default_settings)
    known.setmodule("crawler.settings")
    values = Settings(overrides)
    for name in overrides:
        kind = type(known.get(name))
        try:
            if kind is bool:
                values.getbool(name)
            elif kind in (int, float):  # an int default may still be read as a float (delays)
                values.getfloat(name)
        except ValueError:
            wanted = "true or false" if kind is bool else "a number"
            raise ConfigError(f"-s {name}={overrides[name]!r}: expected {wanted}") from None


# Scrapy's own extensions that crawler/settings.py disables. Scrapy imports every class named in
# EXTENSIONS_BASE (and EXTENSIONS, even one set to None) before it reads any *_ENABLED setting;
# the remote control's imports aiohttp, about 0.1 s of every start, so they are left out.
UNUSED_EXTENSIONS = (".RemoteControl", ".TelnetConsole")


# The signals Scrapy takes over while it runs (its graceful shutdown on Ctrl-C / kill).
SHUTDOWN_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


@contextmanager
def own_signal_handlers() -> Iterator[None]:
    """Give this process its signal handlers back once Scrapy's reactor has stopped.

    Scrapy installs shutdown handlers for SIGINT and SIGTERM that ask its reactor to stop, and
    leaves them installed: after the crawl they ask a stopped reactor, and nothing happens. A
    process that goes on after its crawl (``newsmon demo --keep-serving``) could then be
    stopped by nothing but SIGKILL.
    """
    saved = {signum: signal.getsignal(signum) for signum in SHUTDOWN_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            if handler is not None:  # None: set from outside Python, cannot be put back
                signal.signal(signum, handler)


# The loggers of newsmon's own code, whose errors say why a crawl stopped early.
OWN_LOGGERS = ("crawler", "storage")


class _OneLine(logging.Formatter):
    """``newsmon: error: message`` (the contract's error line; ``warning:``, ``info:`` ... for the
    other levels): the first line of the message, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().splitlines()
        return f"newsmon: {record.levelname.lower()}: {lines[0] if lines else ''}".rstrip()


@contextmanager
def crawl_logging(verbosity: int) -> Iterator[None]:
    """Below ``-v``, newsmon's own errors as one line each on stderr, and nothing of Scrapy's.

    Scrapy's log is off then (``scrapy_settings`` sets ``LOG_ENABLED`` false): what its error
    records report (a host refusing connections, a page timing out, each with a traceback) is
    already recorded where the user looks for it: the feed's failure in ``feeds`` (``feeds
    list``), a page's in the summary's counts (and fetched again next run). What only newsmon
    knows, why a crawl stopped early, still reaches stderr.
    """
    if verbosity >= 1:  # Scrapy's root handler shows everything, newsmon's records included
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(_OneLine())
    loggers = [logging.getLogger(name) for name in OWN_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def project_settings() -> Settings:
    """crawler/settings.py over Scrapy's defaults, minus the extensions it never uses."""
    from scrapy.settings import Settings, default_settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    base = default_settings.EXTENSIONS_BASE
    kept = {path: order for path, order in base.items() if not path.endswith(UNUSED_EXTENSIONS)}
    settings.set("EXTENSIONS_BASE", kept, priority="project")
    return settings


def scrapy_settings(options: CrawlOptions) -> Settings:
    settings = project_settings()
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
            # below -v, Scrapy's log is off (see crawl_logging); -s LOG_FILE=... keeps it in a file
            "LOG_ENABLED": options.verbosity >= 1,
            "LOG_FORMAT": "%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        },
        priority="cmdline",
    )
    settings.setdict(options.overrides or {}, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl every due feed once. Raises ConfigError (bad feeds.yaml) or LockHeld first, before
    anything is written."""
    config = load_config(options.feeds)
    check_topics(config, options.feeds)  # a bad topic query is a configuration error: exit 2 now
    unknown = [name for name in options.only if name not in {f.name for _, f in config.sources()}]
    if unknown:
        raise ConfigError(
            f"--only: no feed named {', '.join(map(repr, unknown))} in {options.feeds}"
        )
    started = time.monotonic()
    with CrawlLock(options.db):
        overrides = options.overrides or {}
        setting = overrides.get("NEWSMON_EXTRACT_PROCESSES", defaults.NEWSMON_EXTRACT_PROCESSES)
        try:
            workers = pool.worker_count(int(setting))
        except ValueError:
            raise ConfigError(
                f"-s NEWSMON_EXTRACT_PROCESSES={setting!r}: expected a whole number"
            ) from None
        pool.start(workers)  # first: its workers load while this process checks and imports
        try:
            from storage import Store

            check_overrides(overrides)
            Store(options.db).close()  # an unusable database fails here, in one line
            from scrapy.crawler import CrawlerProcess

            from crawler.extensions import run_counts
            from crawler.spiders.newsmon import NewsmonSpider

            process = CrawlerProcess(scrapy_settings(options))
            logging.getLogger("scrapy").propagate = True
            crawler = process.create_crawler(NewsmonSpider)
            failures: list[Any] = []
            # a failure inside Scrapy (setting the crawl up, say): one line below, not a traceback
            # the feeds.yaml read and checked above: a thousand feeds take 0.5 s to parse
            process.crawl(crawler, config=config).addErrback(failures.append)
            with own_signal_handlers(), crawl_logging(options.verbosity):
                process.start()
            if failures:
                error = failures[0].value
                raise CrawlError(f"the crawl failed: {type(error).__name__}: {error}")
            stats = crawler.stats.get_stats() if crawler.stats else {}
        finally:
            pool.discard()  # a pool the crawl never took (it failed before opening)
    status = str(stats.get("newsmon/status") or "failed")
    return CrawlResult(status=status, counts=run_counts(stats), seconds=time.monotonic() - started)


def discover_feed(url: str, overrides: dict[str, Any] | None = None) -> Discovered:
    """Fetch ``url`` with Scrapy and return the feed it is or announces; raises FeedError with
    one line saying what went wrong."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.discover import DiscoverSpider

    settings = project_settings()
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


@dataclass
class RedisOptions:
    url: str
    prefix: str = "newsmon"


def _redis(options: RedisOptions) -> Any:
    import redis

    server = redis.Redis.from_url(options.url)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"--redis {options.url}: cannot reach Redis: {exc}") from None
    return server


def run_distributed(options: CrawlOptions, redis_options: RedisOptions) -> CrawlResult:
    """The writer of a distributed crawl: due sources out to the workers, results into SQLite."""
    from crawler.distributed.writer import run_writer
    from crawler.extensions import COUNTS
    from storage import Store

    config = load_config(options.feeds)
    check_topics(config, options.feeds)
    check_overrides(options.overrides or {})
    settings = scrapy_settings(options)
    server = _redis(redis_options)
    started = time.monotonic()
    with CrawlLock(options.db), Store(options.db) as store:
        run_id = store.start_run()
        status, counts, error = "interrupted", dict.fromkeys(COUNTS, 0), "interrupted"
        try:
            status, got, error = run_writer(
                store, config, server, prefix=redis_options.prefix, only=set(options.only),
                poll_all=options.poll_all, due_slack=settings.getfloat("NEWSMON_DUE_SLACK"),
                idle_timeout=settings.getfloat("NEWSMON_REDIS_IDLE_TIMEOUT"),
                settle=settings.getfloat("NEWSMON_REDIS_SETTLE"),
            )  # fmt: skip
            counts.update({k: got.get(k, 0) for k in COUNTS})
        finally:
            store.finish_run(run_id, status, counts, error)
    return CrawlResult(
        status=status,
        counts=counts,
        seconds=time.monotonic() - started,
        stopped_because=error if status == "interrupted" else None,
    )


def run_worker(
    options: CrawlOptions, redis_options: RedisOptions, idle_exit: float
) -> dict[str, Any]:
    """One distributed crawl worker, until ``idle_exit`` quiet seconds (0: until stopped)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.distributed import redisqueue as rq
    from crawler.spiders.worker import WorkerSpider

    check_overrides(options.overrides or {})
    _redis(redis_options)  # a clear error now rather than a traceback from inside Scrapy
    settings = scrapy_settings(options)
    prefix = redis_options.prefix
    settings.setdict(
        {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": rq.key(prefix, "requests"),
            "SCHEDULER_DUPEFILTER_KEY": rq.key(prefix, "dupefilter"),  # the writer clears it
            "REDIS_URL": redis_options.url,
            "NEWSMON_REDIS_PREFIX": prefix,
            "NEWSMON_WORKER_IDLE_EXIT": idle_exit,
            "ITEM_PIPELINES": {
                "crawler.pipelines.ExtractPipeline": 100,
                "crawler.pipelines.RedisOutPipeline": 800,
            },
            "EXTENSIONS": {  # no crawl_runs row (the writer keeps it); the same throttle
                "scrapy.extensions.throttle.AutoThrottle": None,
                "crawler.extensions.FeedAwareThrottle": 0,
            },
        },
        priority="cmdline",
    )
    settings.setdict(options.overrides or {}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler)
    with crawl_logging(options.verbosity):
        process.start()
    return {"pages": crawler.spider.pages if crawler.spider else 0}
