"""Shared test fixtures: loopback HTTP servers, temporary databases, the real CLI."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.commands.demo.server import SiteServer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

# Fast start for loopback crawls; everything else is the shipped settings.
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0.05"]


@pytest.fixture
def server() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        yield srv


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def newsmon(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (``python -m crawler``) in a subprocess."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("NEWSMON_DB", None) if env is None or "NEWSMON_DB" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def crawl(db: Path, feeds: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return newsmon("--db", str(db), "--feeds", str(feeds), "crawl", *FAST, *extra)


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(db: Path) -> Iterator[str]:
    """``newsmon serve`` on ``db`` as a real subprocess, until the block ends: its base URL once
    Datasette answers (the server's stderr if it never does)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), "serve", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode()) from None
                time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have died on its own
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
