"""Crashes and concurrency: kill -9 mid-crawl, overlapping crawls, readers during a crawl."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import FAST, REPO, crawl, newsmon, rows
from faultserver import FaultServer, conditional, respond

from storage import Store

N_ARTICLES = 60
MB = 1024 * 1024
RSS = "application/rss+xml"


def slow_page(title: str, delay: float):
    body = (
        f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + "".join(
            f"<p>{title} reports on ATACMS strikes near Kharkiv inside Russia, paragraph {i}, "
            "with officials in Washington and Kyiv describing the permission to use Western "
            "weapons against targets on Russian territory.</p>"
            for i in range(5)
        )
        + "</article></body></html>"
    ).encode()
    fast = respond(200, body, "text/html")

    def fault(h):
        time.sleep(delay)
        fast(h)

    return fault


def slow_site(srv: FaultServer, tmp: Path, delay: float, etag: bool = False) -> Path:
    """A feed of N_ARTICLES slow pages; with ``etag``, a feed that answers 304 to a client
    that has seen it, as most real feeds do."""
    items = ""
    for i in range(N_ARTICLES):
        srv.faults[f"/a/{i}.html"] = slow_page(f"Story number {i}", delay)
        items += (
            f"<item><title>Story number {i}</title><link>{srv.url(f'/a/{i}.html')}</link>"
            f"<pubDate>Thu, 30 May 2024 {i // 60 + 10:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}'
    feed += "</channel></rss>"
    srv.faults["/feed.xml"] = (
        conditional(feed.encode(), RSS) if etag else respond(200, feed.encode(), RSS)
    )
    feeds = tmp / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - {{name: slow, url: '{srv.url('/feed.xml')}', outlet: Slow Times}}\n"
        "topics:\n  - {name: t, query: 'kharkiv OR atacms'}\n"
    )
    return feeds


def start_crawl(db: Path, feeds: Path, *extra: str, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(feeds), "crawl",
         *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "NEWSMON_EXTRACT_PROCESSES=1",
         *extra],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )  # fmt: skip


def count(db: Path, sql: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # not created yet


def wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_kill_9_mid_crawl_loses_nothing_and_rerun_completes(tmp_path: Path):
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.25)
        db = tmp_path / "news.db"
        proc = start_crawl(db, feeds)
        wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
        stored_before = rows(db, "SELECT id, url, title, text FROM articles ORDER BY id")
        assert 8 <= len(stored_before) < N_ARTICLES
        assert all(text and "paragraph 4" in text for *_, text in stored_before)  # none partial
        assert rows(db, "SELECT status FROM crawl_runs") == [("running",)]
        assert (tmp_path / "news.db.lock").exists()  # left behind by the killed process

        rerun = crawl(db, feeds, "--all")
        assert rerun.returncode == 0, rerun.stderr  # the stale lock file does not block it
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
        after = rows(db, "SELECT id, url, title, text FROM articles ORDER BY id")
        assert len(after) == N_ARTICLES
        assert rows(db, "SELECT count(DISTINCT url) FROM articles") == [(N_ARTICLES,)]
        assert after[: len(stored_before)] == stored_before  # what was committed is untouched
        # what the killed run stored but never clustered is clustered now, with the rest
        assert rows(db, "SELECT count(*) FROM articles WHERE clustered_at IS NULL") == [(0,)]
        assert rows(
            db, "SELECT count(*) FROM articles WHERE relevant = 1 AND story_id IS NULL"
        ) == [(0,)]
        assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("ok",)]
        # the killed run's pages are not fetched again
        assert all(n == 1 for p, n in srv.hits.items() if p.startswith("/a/") and p in {
            f"/a/{t.split()[-1]}.html" for _, _, t, _ in stored_before
        })  # fmt: skip


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process under ``pid``."""
    found, stack = [], [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    continue
                found.append((child, cmdline.decode(errors="replace")))
                stack.append(child)
    return found


def kill_a_worker_mid_crawl(db: Path, feeds: Path, *extra: str) -> subprocess.Popen:
    proc = start_crawl(db, feeds, "-s", "NEWSMON_EXTRACT_PROCESSES=2", "-v", *extra)
    wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 8)

    def workers() -> list[int]:  # the forkserver's children
        servers = [pid for pid, cmd in descendants(proc.pid) if "forkserver" in cmd]
        return [pid for server in servers for pid, _ in descendants(server)]

    wait_for(lambda: len(workers()) == 2)
    os.kill(workers()[0], signal.SIGKILL)
    return proc


def test_an_extraction_worker_killed_mid_crawl_costs_no_page(tmp_path: Path):
    """The kernel's OOM killer (or a crash in a C parser) can take an extraction worker at any
    time. That breaks the whole process pool and fails every page in it; the crawl replaces
    the pool and tries those pages again, and the rest of the crawl goes on as before."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.2)
        db = tmp_path / "news.db"
        proc = kill_a_worker_mid_crawl(db, feeds)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [
            (N_ARTICLES, N_ARTICLES)
        ]
        assert rows(db, "SELECT count(*) FROM articles WHERE text LIKE '%paragraph 4%'") == [
            (N_ARTICLES,)
        ]
        assert f"{N_ARTICLES} articles new" in out and "0 failed" in out
        assert "extraction worker died" in err


def test_with_no_pool_restarts_left_the_crawl_stops_and_the_rerun_fetches_the_rest(
    tmp_path: Path,
):
    """Workers that keep dying mean something is wrong with the machine: the crawl stops
    rather than fetch pages it can only throw away, says so (exit 1), and loses nothing."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.2, etag=True)
        db = tmp_path / "news.db"
        proc = kill_a_worker_mid_crawl(db, feeds, "-s", "NEWSMON_EXTRACT_RESTARTS=0")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        assert out.startswith("crawl interrupted:")
        assert "no restarts left" in err
        assert "paragraph 4" not in err  # pages are named, not logged whole
        stored = count(db, "SELECT count(*) FROM articles")
        assert 8 <= stored < N_ARTICLES
        assert rows(db, "SELECT status, error FROM crawl_runs") == [
            ("interrupted", "extraction workers kept dying")
        ]
        assert rows(db, "SELECT etag FROM feeds") == [(None,)]  # the poll is not settled
        fetched = {p for p in srv.hits if p.startswith("/a/")}
        assert len(fetched) < N_ARTICLES  # it stopped fetching

        rerun = crawl(db, feeds)  # what cron runs next
        assert rerun.returncode == 0, rerun.stderr
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [
            (N_ARTICLES, N_ARTICLES)
        ]
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def stopped_storing_nothing(proc: subprocess.Popen, error: str) -> str:
    """The crawl's summary, once it has checked that the crawl stopped (exit 1, interrupted),
    stored nothing, and said why in exactly the line ``error``: no traceback, no line a page."""
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert out.startswith("crawl interrupted:") and "0 articles new" in out
    assert err.splitlines() == [error]
    return out


def test_a_machine_that_fails_every_page_stops_the_crawl_in_one_line(tmp_path: Path):
    """No space to write a file (a full temp directory; here a file-size limit, which fails
    the same writes): the language model, which py3langid unpacks to a temporary file, cannot
    load, in the pool's workers or inline, and every page raises. The crawl used to log a
    traceback per page and end `ok`, exit 0. Now each page counts as failed, and after
    NEWSMON_STOP_AFTER_FAILURES in a row the crawl stops, interrupted, with one error line."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.02, etag=True)
        db = tmp_path / "news.db"

        def no_big_files() -> None:  # the database stays far below it; the model is 68 MB
            resource.setrlimit(resource.RLIMIT_FSIZE, (8 * MB, 8 * MB))

        proc = start_crawl(
            db, feeds, "-s", "NEWSMON_EXTRACT_PROCESSES=2", "-s", "NEWSMON_STOP_AFTER_FAILURES=5",
            preexec_fn=no_big_files,
        )  # fmt: skip
        out = stopped_storing_nothing(
            proc,
            "newsmon: error: 5 articles in a row not extracted (OSError: [Errno 27] File too "
            "large): stopping the crawl",
        )
        ((status, error, failed),) = rows(
            db, "SELECT status, error, articles_failed FROM crawl_runs"
        )
        assert status == "interrupted" and error.startswith("5 articles in a row not extracted")
        assert failed >= 5 and f"{failed} failed" in out
        assert rows(db, "SELECT count(*) FROM articles") == [(0,)]
        assert rows(db, "SELECT etag FROM feeds") == [(None,)]  # the poll is not settled

        rerun = crawl(db, feeds)  # what cron runs next, on a machine with space again
        assert rerun.returncode == 0, rerun.stderr
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [
            (N_ARTICLES, N_ARTICLES)
        ]


@contextmanager
def refusing(db: Path, when: str, message: str) -> Iterator[None]:
    """A database (with the schema any earlier run left) whose writes ``when`` (a trigger's
    timing and event) fail with ``message``, as a full disk would fail them; as before after."""
    Store(db).close()
    conn = sqlite3.connect(db)
    try:
        conn.execute(f"CREATE TRIGGER refuse {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")
        conn.commit()
        yield
        conn.execute("DROP TRIGGER refuse")
        conn.commit()
    finally:
        conn.close()


def test_a_database_that_refuses_writes_stops_the_crawl_at_once(tmp_path: Path):
    """Every page after a refused write would be refused too (a full disk, another writer
    holding the database past the busy timeout). Here a trigger refuses new articles; the
    crawl stops at the first refusal, says why in one line, and the rerun stores everything."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.05, etag=True)
        db = tmp_path / "news.db"
        with refusing(db, "BEFORE INSERT ON articles", "no room for this article"):
            proc = start_crawl(db, feeds)
            stopped_storing_nothing(
                proc,
                "newsmon: error: database write failed: no room for this article: "
                "stopping the crawl",
            )
            assert rows(db, "SELECT status, error FROM crawl_runs ORDER BY id DESC LIMIT 1") == [
                ("interrupted", "database write failed: no room for this article")
            ]
            fetched = {p for p in srv.hits if p.startswith("/a/")}
            assert len(fetched) < N_ARTICLES  # it stopped fetching
            assert rows(db, "SELECT etag FROM feeds") == [(None,)]

        rerun = crawl(db, feeds)
        assert rerun.returncode == 0, rerun.stderr
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [
            (N_ARTICLES, N_ARTICLES)
        ]
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_a_run_whose_record_cannot_be_finished_says_so_in_one_line(tmp_path: Path):
    """The articles are stored but the run's own record is refused at the end (the disk filled
    up just then): one error line, exit 1, and the next run marks the record interrupted."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.02)
        db = tmp_path / "news.db"
        with refusing(db, "BEFORE UPDATE OF finished_at ON crawl_runs", "no room for the record"):
            proc = start_crawl(db, feeds)
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 1, err
            assert out.startswith("crawl interrupted:") and f"{N_ARTICLES} articles new" in out
            assert err.splitlines() == [
                "newsmon: error: the run's record was not finished "
                "(database: no room for the record)"
            ]
            assert rows(db, "SELECT count(*) FROM articles") == [(N_ARTICLES,)]
            assert rows(db, "SELECT status FROM crawl_runs") == [("running",)]

        rerun = crawl(db, feeds)
        assert rerun.returncode == 0, rerun.stderr
        assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [
            ("interrupted",),
            ("ok",),
        ]


def test_kill_9_after_an_etag_feed_was_polled_the_plain_rerun_fetches_the_rest(tmp_path: Path):
    """The feed's ETag is the promise 'nothing new since': it must not be stored while pages of
    that poll are still unfetched, or the rerun gets 304 and never fetches them."""
    with FaultServer() as srv:
        feeds = slow_site(srv, tmp_path, delay=0.25, etag=True)
        db = tmp_path / "news.db"
        proc = start_crawl(db, feeds)
        wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert count(db, "SELECT count(*) FROM articles") < N_ARTICLES
        assert rows(db, "SELECT etag FROM feeds") == [(None,)]  # not while pages are pending

        rerun = crawl(db, feeds)  # what cron runs next: no --all
        assert rerun.returncode == 0, rerun.stderr
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [
            (N_ARTICLES, N_ARTICLES)
        ]
        # once every page of a poll is stored, the ETag is kept and the next poll costs a 304
        assert rows(db, "SELECT etag IS NOT NULL FROM feeds") == [(1,)]
        srv.hits.clear()
        third = crawl(db, feeds)
        assert third.returncode == 0, third.stderr
        assert "1 not modified" in third.stdout
        assert not [p for p in srv.hits if p.startswith("/a/")]


def gated_site(srv: FaultServer, tmp: Path, gate: threading.Semaphore) -> Path:
    """The slow site, each page served only once the test releases one more permit of ``gate``:
    the crawl cannot end, nor store a page, before the test lets it (no timing)."""
    feeds = slow_site(srv, tmp, delay=0)
    for path, page in [(p, f) for p, f in srv.faults.items() if p.startswith("/a/")]:

        def gated(h, page=page) -> None:
            gate.acquire(timeout=GATE_LIMIT)  # a bound for a broken test, never reached
            page(h)

        srv.faults[path] = gated
    return feeds


GATE_LIMIT = 120  # seconds a held page waits at most (a broken test fails on its timeout)


def test_second_crawl_exits_75_at_once_and_readers_never_fail(tmp_path: Path):
    """A second crawl exits 75 without waiting for the first (which cannot end: its pages are
    held) and without polling anything; search and stories answer while the first crawl is
    running and storing pages between the reads."""
    gate = threading.Semaphore(0)
    with FaultServer() as srv:
        feeds = gated_site(srv, tmp_path, gate)
        db = tmp_path / "news.db"
        first = start_crawl(db, feeds)
        try:
            gate.release(3)
            wait_for(lambda: count(db, "SELECT count(*) FROM articles") >= 3)
            runs_before = rows(db, "SELECT id, status FROM crawl_runs")
            second = crawl(db, feeds, "--all")
            assert second.returncode == 75, second.stderr
            assert first.poll() is None  # so the second did not wait for the lock to be free
            assert "holds" in second.stderr and second.stdout == ""
            assert srv.hits["/feed.xml"] == 1  # the second polled nothing
            assert rows(db, "SELECT id, status FROM crawl_runs") == runs_before  # wrote nothing

            # search and stories while the crawl stores pages: WAL readers never see an error
            for _ in range(READ_ROUNDS):
                gate.release(PAGES_PER_ROUND)  # these are stored while the reads run
                for args in (("search", "Kharkiv", "--all", "--json"), ("stories", "--json")):
                    result = newsmon("--db", str(db), *args)
                    assert result.returncode == 0, result.stderr
                assert first.poll() is None  # the reads did happen during the crawl
        finally:
            gate.release(N_ARTICLES)  # the rest (and more: nothing waits on a failed test)
            out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert rows(db, "SELECT count(*) FROM articles") == [(N_ARTICLES,)]


READ_ROUNDS = 3
PAGES_PER_ROUND = 5
