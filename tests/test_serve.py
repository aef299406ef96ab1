"""newsmon serve: Datasette over the demo's database, read over HTTP and in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import newsmon, rows, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("serve") / "news.db"
    assert newsmon("--db", str(db), "demo", "--port", "0").returncode == 0
    with serving(db) as base:
        yield base, db


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.load(response)


def test_canned_queries_and_metadata(served):
    base, db = served
    stories = get_json(base + "/news/latest_stories.json?_shape=objects")["rows"]
    assert {s["id"] for s in stories} == {r[0] for r in rows(db, "SELECT id FROM stories")}
    multi = max(stories, key=lambda s: s["outlets"])
    timeline = get_json(f"{base}/news/story_timeline.json?story_id={multi['id']}&_shape=objects")
    assert len(timeline["rows"]) == multi["articles"]
    assert (
        timeline["rows"][0]["lag_hours"] == 0 and timeline["rows"][0]["outlet"] == multi["first_by"]
    )
    health = get_json(base + "/news/feed_health.json?_shape=objects")["rows"]
    assert health and all(h["last_status"] == 200 for h in health)
    first = get_json(base + "/news/outlets_first.json?_shape=objects")["rows"]
    assert sum(r["first_reports"] for r in first) == len(stories)
    found = get_json(base + "/news/search.json?q=Kharkiv&_shape=objects")["rows"]
    assert found and all("<b>" in r["snippet"] for r in found)
    meta = get_json(base + "/-/metadata.json")
    assert meta["title"] == "newsmon"
    assert set(meta["databases"]["news"]["queries"]) >= {
        "latest_stories",
        "story_timeline",
        "outlets_first",
        "feed_health",
        "search",
    }
    # full-text search on the articles table itself
    table = get_json(base + "/news/articles.json?_search=Charkiw&_shape=objects")["rows"]
    assert table and all("Charkiw" in (r["text"] or "") + (r["title"] or "") for r in table)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")
def test_stories_page_renders_in_headless_chromium(served, tmp_path):
    base, db = served
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000", "--dump-dom", base + "/news/latest_stories",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    dom = result.stdout
    assert result.returncode == 0 and "<table" in dom, result.stderr[-2000:]
    assert "Latest stories" in dom
    for (title,) in rows(db, "SELECT title FROM stories"):
        assert title.replace("'", "&#39;").replace("&", "&amp;")[:40] in dom or title[:40] in dom
    origin = rows(db, "SELECT origin_outlet FROM stories ORDER BY outlet_count DESC LIMIT 1")[0][0]
    assert origin in dom
