"""Scrapy stays usable directly from the repo root, writing the same database."""

from __future__ import annotations

import os
import subprocess
import sys

import sitegen
from conftest import FAST, REPO, rows


def _scrapy(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        timeout=180,
    )


def _one_feed_site(server, tmp_path) -> tuple:
    """One outlet with an Atom feed of two articles on the test server: (database, the
    environment that points plain Scrapy at it and at its feeds.yaml)."""
    site, resources = sitegen.build(server.base_url, {"solo": "atom"}, per_outlet=2)
    server.resources.update(resources)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(sitegen.feeds_yaml(server.base_url, site))
    db = tmp_path / "news.db"
    return db, {"NEWSMON_DB": str(db), "NEWSMON_FEEDS": str(feeds)}


def test_scrapy_list_and_crawl(server, tmp_path):
    listed = _scrapy("list", env={})
    assert listed.returncode == 0 and {"feeds", "newsmon", "sitemaps"} <= set(listed.stdout.split())

    db, env = _one_feed_site(server, tmp_path)
    result = _scrapy(
        "crawl", "feeds", "-s", "AUTOTHROTTLE_START_DELAY=0.05", "-s", "LOG_LEVEL=WARNING", env=env
    )
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(db, "SELECT status, articles_new FROM crawl_runs") == [("ok", 2)]


def test_a_304_lowers_a_hosts_delay_as_a_200_does():
    from scrapy.core.downloader import Slot
    from scrapy.extensions.throttle import AutoThrottle
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from crawler.extensions import FeedAwareThrottle

    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True})
    not_modified = Response("http://127.0.0.1/feed.xml", status=304)
    delays = {}
    for cls in (AutoThrottle, FeedAwareThrottle):
        throttle = cls(crawler)
        throttle.mindelay, throttle.maxdelay = throttle._min_delay(), throttle._max_delay()
        slot = Slot(4, 1.0, 0)  # 0: no random spread of the delay
        throttle._adjust_delay(slot, 0.01, not_modified)
        delays[cls] = slot.delay
    assert delays[AutoThrottle] == 1.0  # Scrapy's rule: only a 200 may speed a host up
    assert delays[FeedAwareThrottle] < 0.6
    server_error = Response("http://127.0.0.1/feed.xml", status=500)
    slot = Slot(4, 1.0, 0)  # 0: no random spread of the delay
    throttle._adjust_delay(slot, 0.01, server_error)
    assert slot.delay == 1.0  # errors still never do


def test_the_crawls_main_process_imports_only_what_it_uses():
    """Every import is paid at every cron run. Scrapy imports every extension class it is told
    of before reading *_ENABLED: the remote control's import of aiohttp cost about 0.1 s; the
    distributed worker's spider module (loaded with every spider) imported redis; and the
    pipelines imported trafilatura, which only the extraction workers run."""
    code = (
        "import sys\n"
        "from scrapy.spiderloader import SpiderLoader\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from crawler.commands.crawl import project_settings\n"
        "import crawler.pipelines, crawler.spiders.newsmon, storage\n"
        "settings = project_settings()\n"
        "SpiderLoader.from_settings(settings.frozencopy())  # imports every spider module\n"
        "used = build_component_list(settings.getwithbase('EXTENSIONS'))  # what Scrapy loads\n"
        "print(' '.join(sorted(path.rsplit('.', 1)[-1] for path in used)))\n"
        "print(*(m in sys.modules for m in ('aiohttp', 'redis', 'twisted.conch', 'trafilatura')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    used, imported = result.stdout.splitlines()
    assert {"CoreStats", "LogStats", "CrawlRun", "FeedAwareThrottle"} <= set(used.split())
    assert "RemoteControl" not in used and "TelnetConsole" not in used
    assert imported == "False False False False"


def test_scrapy_crawl_refuses_to_run_while_another_crawl_holds_the_lock(server, tmp_path):
    """The lock used to be taken in a signal handler, whose exception Scrapy only logs: the crawl
    ran anyway beside the other one, polling feeds and storing articles with no crawl_runs row."""
    from crawler.fetch.lock import CrawlLock

    db, env = _one_feed_site(server, tmp_path)
    with CrawlLock(db):
        result = _scrapy("crawl", "feeds", "-s", "LOG_LEVEL=WARNING", env=env)
    assert result.returncode == 1, result.stderr
    assert server.log == []  # not even robots.txt
    assert not db.exists()  # the spider did not open (create, migrate) the database
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr  # one line, no traceback repeating it
    assert f"ERROR: another crawl (pid {os.getpid()}) holds {db}.lock; not crawling" in errors[0]

    again = _scrapy("crawl", "feeds", "-s", "LOG_LEVEL=WARNING", *FAST, env=env)
    assert again.returncode == 0, again.stderr  # the lock released, the crawl runs and records
    assert rows(db, "SELECT status, articles_new FROM crawl_runs") == [("ok", 2)]
