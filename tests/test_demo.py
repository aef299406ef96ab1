"""The README's first command: `newsmon demo` on a fresh database."""

from __future__ import annotations

import socket

from conftest import newsmon, rows

from crawler.demo.site import load_demo_data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_stores_sample_articles_with_clean_text(tmp_path):
    """Run twice on one port: the second run finds the same URLs and stores nothing. (The demo's
    usual port, 8642, may be taken by anything else on the machine, another checkout's tests
    among them; the demo then takes any free port, and its URLs would differ between runs.)"""
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

    again = newsmon("--db", str(db), "demo", "--port", port)
    assert again.returncode == 0
    assert "0 articles new" in again.stdout


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
