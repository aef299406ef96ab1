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
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
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


def worker(redis_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--idle-exit", "8",
         *FAST, "-s", "NEWSMON_EXTRACT_PROCESSES=1", "-s", "CONCURRENT_REQUESTS=2"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def distributed_crawl(
    db: Path, feeds: Path, redis_url: str, *extra: str, workers: int
) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, str, int]]]:
    """A writer run with ``workers`` fresh workers; the writer's result and the workers'
    (stdout, stderr, exit code) once they left."""
    started = [worker(redis_url) for _ in range(workers)]
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
