"""Relevance through the real crawl and `newsmon rescore`, on a real database."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import crawl, newsmon, rows

from crawler.commands.demo.server import Resource, SiteServer
from crawler.fetch.lock import CrawlLock

ARTICLES = {
    "/a/strike.html": (
        "Ukraine fires ATACMS into Russia",
        "Ukrainian forces fired US-supplied ATACMS missiles at an airfield inside Russia, "
        "days after Washington lifted restrictions on their use.",
    ),
    "/a/weather.html": (
        "Heatwave grips southern Europe",
        "Temperatures above 40C were recorded in Spain, Italy and Greece as "
        "authorities warned of wildfires across the region.",
    ),
    "/a/grain.html": (
        "Grain exports rise",
        "Ukraine exported more grain through the Black Sea corridor than in any "
        "month since the invasion, port data show.",
    ),
}


def _page(title: str, body: str) -> bytes:
    para = f"<p>{body}</p>" * 3
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{para}</article></body></html>"
    ).encode()


def _site(server: SiteServer, tmp: Path, query: str) -> tuple[Path, Path]:
    items = ""
    for path, (title, body) in ARTICLES.items():
        server.resources[path] = Resource(_page(title, body))
        items += f"<item><title>{title}</title><link>{server.url(path)}</link></item>"
    server.resources["/feed.xml"] = Resource(
        f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode(),
        "application/rss+xml",
    )
    feeds = tmp / "feeds.yaml"
    feeds.write_text(_feeds(server, query))
    return feeds, tmp / "news.db"


def _feeds(server: SiteServer, query: str) -> str:
    return (
        f"feeds:\n  - name: f\n    url: {server.url('/feed.xml')}\n    outlet: F\n"
        f"topics:\n  - name: t\n    query: '{query}'\n"
    )


def _relevance(db: Path) -> dict[str, tuple]:
    return {
        r[0]: (r[1], r[2], json.loads(r[3]))
        for r in rows(db, "SELECT title, relevant, relevance_score, matched_terms FROM articles")
    }


def test_crawl_scores_and_rescore_reapplies_changed_topics(server: SiteServer, tmp_path: Path):
    feeds, db = _site(server, tmp_path, "ATACMS AND Russia*")
    assert crawl(db, feeds).returncode == 0
    crawled = _relevance(db)
    assert crawled["Ukraine fires ATACMS into Russia"][:2] == (1, 4.0)
    assert crawled["Ukraine fires ATACMS into Russia"][2] == ["ATACMS", "Russia*"]
    assert crawled["Heatwave grips southern Europe"][:2] == (0, 0.0)
    assert rows(db, "SELECT topic, score FROM article_topics") == [("t", 4.0)]

    # Rescoring with unchanged topics reproduces exactly what the crawl stored.
    same = newsmon("--db", str(db), "--feeds", str(feeds), "rescore")
    assert same.returncode == 0 and "3 articles, 1 relevant" in same.stdout
    assert _relevance(db) == crawled

    feeds.write_text(_feeds(server, "grain OR wildfire*"))
    changed = newsmon("--db", str(db), "--feeds", str(feeds), "rescore")
    assert changed.returncode == 0 and "2 relevant" in changed.stdout
    after = _relevance(db)
    assert after["Ukraine fires ATACMS into Russia"] == (0, 0.0, [])
    assert after["Grain exports rise"][0] == 1 and after["Heatwave grips southern Europe"][0] == 1
    topical = rows(
        db, "SELECT a.title FROM article_topics t JOIN articles a ON a.id = t.article_id"
    )
    assert sorted(r[0] for r in topical) == ["Grain exports rise", "Heatwave grips southern Europe"]


def test_bad_topic_query_is_a_configuration_error(server: SiteServer, tmp_path: Path):
    feeds, db = _site(server, tmp_path, "(ATACMS OR")
    result = crawl(db, feeds)
    assert result.returncode == 2 and "topic 't': bad query" in result.stderr
    assert not db.exists()
    result = newsmon("--db", str(db), "--feeds", str(feeds), "rescore")
    assert result.returncode == 2 and "topic 't'" in result.stderr


def test_a_bad_topic_query_names_the_file_line_and_topic(server: SiteServer, tmp_path: Path):
    """It used to say only `topic 'broken': bad query: ...`, and rescore created the missing
    database (and its tables) before it found the query bad."""
    feeds, db = _site(server, tmp_path, "ATACMS")
    feeds.write_text(feeds.read_text() + "  - name: broken\n    query: '(grain OR'\n")
    archive = tmp_path / "archive.jsonl"  # never read: the configuration is checked first
    for command in (["crawl"], ["rescore"], ["import", str(archive)]):
        result = newsmon("--db", str(db), "--feeds", str(feeds), *command)
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"newsmon: error: {feeds}:8: topic 'broken': bad query: "), line
    assert not db.exists() and not Path(f"{db}.lock").exists()
    assert server.log == []


def test_rescore_refuses_a_missing_database(tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\ntopics:\n  - name: t\n    query: grain\n")
    db = tmp_path / "news.db"
    result = newsmon("--db", str(db), "--feeds", str(feeds), "rescore")
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr
        == f"newsmon: error: {db}: no such database (run newsmon crawl or newsmon demo first)\n"
    )
    assert not db.exists()


def test_rescore_waits_for_no_crawl_it_exits_75(server: SiteServer, tmp_path: Path):
    """Rescore rewrites every article's relevance: beside a crawl scoring its new articles,
    the two would interleave. It takes the crawl lock, as import and recluster do."""
    feeds, db = _site(server, tmp_path, "ATACMS AND Russia*")
    assert crawl(db, feeds).returncode == 0
    crawled = _relevance(db)
    feeds.write_text(_feeds(server, "grain OR wildfire*"))
    with CrawlLock(db):
        result = newsmon("--db", str(db), "--feeds", str(feeds), "rescore")
    assert result.returncode == 75 and result.stdout == ""
    assert result.stderr.startswith("newsmon: error: another crawl (pid ")
    assert len(result.stderr.splitlines()) == 1
    assert _relevance(db) == crawled  # nothing rescored
    assert newsmon("--db", str(db), "--feeds", str(feeds), "rescore").returncode == 0
    assert _relevance(db) != crawled
