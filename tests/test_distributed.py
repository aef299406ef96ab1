"""Distributed crawl: a real redis-server on 127.0.0.1, two scrapy-redis workers, one writer."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, REPO, newsmon, rows
from faultserver import FaultServer, conditional
from test_crash import count, slow_page

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server of the test's own (the tests without this fixture need no Redis)."""
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis-server did not start"
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def site(srv: FaultServer, tmp: Path, feeds: int, per_feed: int, shared: int) -> Path:
    """``feeds`` feeds of ``per_feed`` articles each; the first ``shared`` articles of every
    feed are the same pages (section feeds listing the same story)."""
    lines = ["feeds:"]
    for f in range(feeds):
        items = ""
        for i in range(per_feed):
            path = f"/a/shared{i}.html" if i < shared else f"/a/{f}-{i}.html"
            srv.faults.setdefault(path, slow_page(f"Story {path}", 0.25))
            items += f"<item><title>Story {path}</title><link>{srv.url(path)}?utm_source=f{f}</link></item>"
        srv.faults[f"/feed{f}.xml"] = conditional(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{f}</title>{items}'
            "</channel></rss>".encode()
        )
        lines.append(
            f"  - {{name: feed{f}, url: '{srv.url(f'/feed{f}.xml')}', outlet: Outlet {f}}}"
        )
    path = tmp / "feeds.yaml"
    path.write_text("\n".join(lines) + "\ntopics:\n  - {name: t, query: 'kharkiv'}\n")
    return path


def worker(redis_url: str, idle_exit: int = 8) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--redis", redis_url,
         "--idle-exit", str(idle_exit),
         *FAST, "-s", "NEWSMON_EXTRACT_PROCESSES=1", "-s", "CONCURRENT_REQUESTS=2",
         "-s", "NEWSMON_REDIS_SOURCE_BATCH=1"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def distributed_crawl(
    db: Path, feeds: Path, redis_url: str, *extra: str, workers: int, idle_exit: int = 8
) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, str, int]]]:
    """A writer run with ``workers`` fresh workers; the writer's result and the workers'
    (stdout, stderr, exit code) once they left."""
    started = [worker(redis_url, idle_exit) for _ in range(workers)]
    try:
        writer = newsmon(
            "--db", str(db), "--feeds", str(feeds), "crawl", *extra, "--redis", redis_url,
            "-s", "NEWSMON_REDIS_SETTLE=3",
        )  # fmt: skip
    finally:
        outputs = [(*w.communicate(timeout=120), w.returncode) for w in started]
    return writer, outputs


def test_two_workers_one_writer_store_every_article_once(redis_url: str, tmp_path: Path):
    with FaultServer() as srv:
        feeds = site(srv, tmp_path, feeds=6, per_feed=11, shared=3)
        db = tmp_path / "news.db"
        expected = {p for p in srv.faults if p.startswith("/a/")}
        writer, outputs = distributed_crawl(db, feeds, redis_url, workers=2)
        assert writer.returncode == 0, writer.stderr
        assert f"6 feeds polled (0 not modified, 0 failed), {len(expected)} articles new" in (
            writer.stdout
        )
        for _, err, code in outputs:
            assert code == 0, err
        pages = [int(out.split("worker done: ")[1].split()[0]) for out, _, _ in outputs]
        assert sum(pages) == len(expected)
        # both took part: an idle worker polls the shared queue at Scrapy's 5 s heartbeat
        assert all(n > 0 for n in pages), pages

        # every article once, every page fetched once, although six feeds share three of them
        assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [
            (len(expected), len(expected))
        ]
        assert all(srv.hits[p] == 1 for p in expected)
        assert rows(db, "SELECT count(*) FROM feeds WHERE last_status = 200") == [(6,)]
        assert rows(db, "SELECT count(*) FROM articles WHERE clustered_at IS NULL") == [(0,)]
        assert rows(db, "SELECT status, articles_new FROM crawl_runs") == [("ok", len(expected))]

        # A second distributed run: conditional requests, nothing fetched, nothing stored.
        again, _ = distributed_crawl(db, feeds, redis_url, "--all", workers=2)
        assert again.returncode == 0, again.stderr
        assert "6 not modified" in again.stdout and "0 articles new" in again.stdout
        assert all(srv.hits[p] == 1 for p in expected)


def test_unreachable_redis_is_one_line(tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    url = f"redis://127.0.0.1:{_free_port()}/0"
    result = newsmon("--db", str(tmp_path / "n.db"), "--feeds", str(feeds), "crawl", "--redis", url)
    assert result.returncode == 2
    assert (
        result.stderr.startswith("newsmon: error: --redis")
        and "cannot reach Redis" in result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_worker_killed_mid_fetch_loses_nothing_at_the_next_run(redis_url: str, tmp_path: Path):
    """The pages a killed worker was fetching are gone from the shared queue. The next run must
    fetch them: the writer, not the taking, decides what counts as done across runs."""
    with FaultServer() as srv:
        feeds = site(srv, tmp_path, feeds=1, per_feed=8, shared=0)
        for path in [p for p in srv.faults if p.startswith("/a/")]:
            srv.faults[path] = slow_page(f"Story {path}", 1.0)
        db = tmp_path / "news.db"
        expected = {p for p in srv.faults if p.startswith("/a/")}
        doomed = worker(redis_url)
        writer = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(feeds), "crawl",
             "--redis", redis_url, "-s", "NEWSMON_REDIS_IDLE_TIMEOUT=12",
             "-s", "NEWSMON_REDIS_SETTLE=3"],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while count(db, "SELECT count(*) FROM articles") < 2:
                assert time.monotonic() < deadline, "no article stored"
                time.sleep(0.1)
            doomed.kill()  # mid-fetch: CONCURRENT_REQUESTS=2 pages of 1 s each are in flight
            doomed.communicate(timeout=30)
        finally:
            out, err = writer.communicate(timeout=120)
        stored = rows(db, "SELECT count(*) FROM articles")[0][0]
        assert stored < len(expected), (out, err)  # the killed worker's pages are missing

        again, _ = distributed_crawl(db, feeds, redis_url, workers=1)
        assert again.returncode == 0, again.stderr
        assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [
            (len(expected), len(expected))
        ]


def _writer(db: Path, feeds: Path, redis_url: str, *settings: str) -> subprocess.CompletedProcess:
    return newsmon(
        "--db", str(db), "--feeds", str(feeds), "crawl", "--redis", redis_url,
        "-s", "NEWSMON_REDIS_SETTLE=3", *settings,
    )  # fmt: skip


def test_no_worker_answering_ends_the_run_interrupted_and_the_next_run_takes_over(
    redis_url: str, tmp_path: Path
):
    """README: 'if no worker answers for NEWSMON_REDIS_IDLE_TIMEOUT the run ends interrupted
    and the rest is picked up next time'."""
    import redis

    with FaultServer() as srv:
        feeds = site(srv, tmp_path, feeds=2, per_feed=3, shared=0)
        db = tmp_path / "news.db"
        expected = {p for p in srv.faults if p.startswith("/a/")}
        alone = _writer(db, feeds, redis_url, "-s", f"NEWSMON_REDIS_IDLE_TIMEOUT={IDLE}")
        assert alone.returncode == 1
        assert alone.stdout.startswith("crawl interrupted: 0 feeds polled")
        assert alone.stderr == (
            f"newsmon: error: no worker answered for {IDLE} s (2 sources and 0 pages "
            "outstanding); they stay queued for the next run\n"
        )
        assert rows(db, "SELECT status FROM crawl_runs") == [("interrupted",)]
        assert rows(db, "SELECT count(*) FROM articles") == [(0,)]
        assert not srv.hits, "nothing was fetched: no worker ran"
        assert redis.Redis.from_url(redis_url).llen("newsmon:sources") == 2  # still queued

        again = crawl_with_a_daemon_worker(db, feeds, redis_url)
        assert again.returncode == 0, again.stderr
        assert f"2 feeds polled (0 not modified, 0 failed), {len(expected)} articles new" in (
            again.stdout
        )
        assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [
            (len(expected), len(expected))
        ]
        assert all(srv.hits[p] == 1 for p in expected)
        assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [
            ("interrupted",),
            ("ok",),
        ]


IDLE = 2  # seconds the writer waits for a silent worker pool in the test above
# Quiet seconds after which a worker started with its sources already queued leaves: it only
# ever waits for more work that is not coming.
QUICK_EXIT = 2


def crawl_with_a_daemon_worker(
    db: Path, feeds: Path, redis_url: str
) -> subprocess.CompletedProcess:
    """A writer run served by a worker that never leaves on its own (``--idle-exit 0``), so no
    start-up race decides whether it is there when the sources arrive; stopped (SIGTERM) once
    the writer has ended."""
    daemon = worker(redis_url, idle_exit=0)
    try:
        return _writer(db, feeds, redis_url)
    finally:
        daemon.terminate()
        daemon.communicate(timeout=120)


def test_results_no_writer_applied_are_applied_by_the_next_writer(redis_url: str, tmp_path: Path):
    """A worker's results that no writer applied (the writer died, or none was running) sit in
    ``newsmon:items``; the next writer applies them first: stored, scored, clustered, and their
    entries marked seen so no worker fetches them again."""
    import redis

    from crawler.config import FeedConfig
    from crawler.distributed import redisqueue as rq
    from crawler.fetch.sources import Source

    server = redis.Redis.from_url(redis_url)
    with FaultServer() as srv:
        feeds = site(srv, tmp_path, feeds=1, per_feed=3, shared=0)
        expected = {p for p in srv.faults if p.startswith("/a/")}
        source = Source(
            kind="feed",
            config=FeedConfig(name="feed0", url=srv.url("/feed0.xml"), outlet="Outlet 0"),
            lang=None,
            poll_every=None,
            state={},
        )
        server.rpush("newsmon:sources", rq.encode_source(source))
        lone = worker(redis_url, QUICK_EXIT)  # no writer runs: its results wait in Redis
        out, err = lone.communicate(timeout=120)
        assert lone.returncode == 0, err
        left = [rq.decode_message(m) for m in server.lrange("newsmon:items", 0, -1)]
        articles = [m for m in left if m["type"] == "article"]
        assert len(articles) == len(expected)

        db = tmp_path / "news.db"
        empty = tmp_path / "empty.yaml"  # nothing due: the run is the leftovers alone
        empty.write_text(feeds.read_text().split("feeds:")[0] + "feeds: []\n" + TOPIC)
        writer_run = _writer(db, empty, redis_url)
        assert writer_run.returncode == 0, writer_run.stderr
        assert f"{len(expected)} articles new" in writer_run.stdout
        assert server.llen("newsmon:items") == 0
        stored = rows(
            db, "SELECT url, relevance_score IS NOT NULL, clustered_at IS NOT NULL FROM articles"
        )
        assert {u for u, _, _ in stored} == {srv.url(p) for p in expected}
        assert all(scored and clustered for _, scored, clustered in stored)
        seen = {k.decode() for k in server.smembers("newsmon:seen")}
        assert seen >= {k for m in articles for k in rq.entry_keys(m["article"])}


TOPIC = "topics:\n  - {name: t, query: 'kharkiv'}\n"
