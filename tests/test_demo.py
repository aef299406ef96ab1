"""The README's first command: `newsmon demo` on a fresh database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from conftest import REPO, newsmon, rows

from crawler.commands.demo.site import load_demo_data


def test_demo_stores_sample_articles_with_clean_text(tmp_path):
    """Run twice, each time on a free port (the usual 8642 may be taken by anything else on the
    machine): the second run recognises every article by its GUID and stores nothing."""
    db = tmp_path / "demo.db"
    port = str(_free_port())
    result = newsmon("--db", str(db), "demo", "--port", port)
    assert result.returncode == 0, result.stderr
    data = load_demo_data()
    assert f"{len(data['articles'])} articles new" in result.stdout
    stored = {
        r[0]: r[1:] for r in rows(db, "SELECT title, text, lang, outlet, author FROM articles")
    }
    assert len(stored) == len(data["articles"])
    outlets = {o["key"]: o for o in data["outlets"]}
    for art in data["articles"]:
        text, lang, outlet, author = stored[art["title"]]
        assert text.split("\n") == art["paragraphs"]
        assert lang == outlets[art["outlet"]]["lang"] and outlet == outlets[art["outlet"]]["name"]
        assert author == art["author"]
        for noise in ("Most read", "cookies", "newsletter", "Comments", "All rights reserved"):
            assert noise not in text

    # a rerun stores nothing twice, on whatever port it serves (8642 may be busy by then): the
    # feeds' GUIDs do not contain the port (they did; another port stored everything again)
    again = newsmon("--db", str(db), "demo", "--port", str(_free_port()))
    assert again.returncode == 0, again.stderr
    assert "0 articles new" in again.stdout
    assert f"{len(data['articles'])} demo articles in" in again.stdout
    assert rows(db, "SELECT count(*) FROM articles") == [(len(data["articles"]),)]


def _free_port() -> int:
    """A port nothing listens on now (not 8642, which the first run may hold)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_recluster_reproduces_what_the_crawl_built(tmp_path):
    """The crawl clusters with features its extraction workers made; recluster recomputes them
    from the stored rows. Same data, same configuration: the same copies and stories."""
    db = tmp_path / "demo.db"
    assert newsmon("--db", str(db), "demo", "--port", "0").returncode == 0

    def partition():
        groups: dict = {}
        for article_id, story_id in rows(db, "SELECT id, story_id FROM articles ORDER BY id"):
            groups.setdefault(story_id, []).append(article_id)
        links = rows(db, "SELECT id, duplicate_of, credited_source FROM articles ORDER BY id")
        return sorted(sorted(g) for k, g in groups.items() if k is not None), links

    before = partition()
    assert before[0], "the demo builds stories"
    result = newsmon("--db", str(db), "recluster")
    assert result.returncode == 0, result.stderr
    assert partition() == before


def test_keep_serving_stops_on_sigterm(tmp_path):
    """Scrapy's shutdown handlers used to stay installed after the crawl, asking a stopped
    reactor to stop: neither SIGTERM nor Ctrl-C ended the serving demo, only SIGKILL did."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(tmp_path / "demo.db"), "demo", "-q",
         "--port", "0", "--keep-serving"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:  # event-driven: the crawl is done once it says so
            if line.startswith("still serving "):
                break
        else:
            pytest.fail(f"the demo ended before serving: {process.communicate()}")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None and process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_demo_help_says_which_port_it_tries_first(tmp_path):
    """It said "default: any free" while the demo takes 8642 whenever it is free."""
    helped = newsmon("demo", "--help", cwd=tmp_path)
    assert helped.returncode == 0
    assert "8642 if it is free, else any free port" in " ".join(helped.stdout.split())
