from __future__ import annotations

import re
import sqlite3

import pytest

from storage import Store, content_hash


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "news.db") as s:
        yield s


def _article(url="https://x.test/a", title="Title", text="Body text here", **kw):
    return {"url": url, "title": title, "text": text, "outlet": "X", "source": "page", **kw}


def test_schema_is_migrated_once_in_wal(tmp_path):
    path = tmp_path / "news.db"
    Store(path).close()
    with Store(path) as store:  # reopening applies nothing twice
        names = set(store.db.table_names())
        assert {
            "feeds",
            "articles",
            "article_urls",
            "stories",
            "crawl_runs",
            "revisions",
            "articles_fts",
        } <= names
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        from storage import schema

        declared = [name for name in vars(schema) if re.match(r"m\d{3}_", name)]
        recorded = [
            name for (name,) in store.db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")
        ]
        assert recorded == declared  # every declared migration ran once, in order
        assert not schema.migrations.pending(store.db)
        cols = {c.name for c in store.db["articles"].columns}
        for name in [
            "id",
            "url",
            "outlet",
            "title",
            "author",
            "published_at",
            "first_seen_at",
            "lang",
            "summary",
            "text",
            "word_count",
            "relevant",
            "relevance_score",
            "matched_terms",
            "duplicate_of",
            "story_id",
            "credited_source",
            "feed",
        ]:
            assert name in cols


def test_save_article_by_any_url_form(store: Store):
    status, first = store.save_article(
        _article(), [("https://x.test/a?utm_source=rss", "link"), ("guid-1", "guid")]
    )
    assert status == "new"
    assert store.known_urls(["guid-1", "https://x.test/a?utm_source=rss", "other"]) == {
        "guid-1",
        "https://x.test/a?utm_source=rss",
    }
    assert store.save_article(_article(), []) == ("unchanged", first)
    # Reached through its GUID under another URL: still the same article.
    assert (
        store.save_article(_article(url="https://x.test/a-renamed"), [("guid-1", "guid")])[1]
        == first
    )
    assert store.count("articles") == 1


def test_changed_text_updates_row_and_keeps_revision(store: Store):
    _, aid = store.save_article(_article(title="Old headline"), [])
    first_seen = store.article(aid)["first_seen_at"]
    status, same = store.save_article(
        _article(title="New headline", text="Body text, corrected"), []
    )
    assert (status, same) == ("updated", aid)
    row = store.article(aid)
    assert row["title"] == "New headline" and row["first_seen_at"] == first_seen
    rev = list(
        store.db.query(
            "SELECT old_title, old_content_hash FROM revisions WHERE article_id = ?", [aid]
        )
    )
    assert rev == [
        {
            "old_title": "Old headline",
            "old_content_hash": content_hash("Old headline", "Body text here"),
        }
    ]


def test_feed_only_data_never_replaces_a_page(store: Store):
    _, aid = store.save_article(_article(text="Full body of the article"), [])
    status, _ = store.save_article(_article(text="teaser", source="feed"), [])
    assert status == "unchanged" and store.article(aid)["text"] == "Full body of the article"


def test_fts_follows_inserts_and_updates(store: Store):
    _, aid = store.save_article(_article(text="Storm Shadow missiles hit a depot"), [])
    match = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert [r[0] for r in store.db.execute(match, ["storm"])] == [aid]
    store.save_article(_article(text="ATACMS struck an airfield"), [])
    assert list(store.db.execute(match, ["storm"])) == []
    assert [r[0] for r in store.db.execute(match, ["atacms"])] == [aid]


def test_matched_terms_stored_as_json(store: Store):
    _, aid = store.save_article(_article(matched_terms=["ATACMS", "Харків"], relevant=True), [])
    row = store.article(aid)
    assert row["matched_terms"] == '["ATACMS", "Харків"]' and row["relevant"] == 1


def test_runs_and_interrupted_runs(store: Store):
    dead = store.start_run()  # a crawl that was killed never finishes its row
    live = store.start_run()
    store.finish_run(live, "ok", {"feeds_polled": 3, "articles_new": 2}, None)
    runs = {r["id"]: r for r in store.db.query("SELECT * FROM crawl_runs")}
    assert runs[dead]["status"] == "interrupted"
    assert (
        runs[live]["status"] == "ok"
        and runs[live]["feeds_polled"] == 3
        and runs[live]["finished_at"]
    )


def test_feed_state(store: Store):
    store.sync_feeds([{"url": "https://f.test/rss", "kind": "feed", "name": "f", "outlet": "F"}])
    store.update_feed("https://f.test/rss", last_status=500, consecutive_failures="+1")
    store.update_feed("https://f.test/rss", consecutive_failures="+1")
    store.sync_feeds([{"url": "https://f.test/rss", "kind": "feed", "name": "f2", "outlet": "F"}])
    feed = store.feed("https://f.test/rss")
    assert feed["consecutive_failures"] == 2 and feed["name"] == "f2" and feed["last_status"] == 500


def test_readonly_store_cannot_write(tmp_path):
    Store(tmp_path / "n.db").close()
    with Store(tmp_path / "n.db", readonly=True) as ro:
        with pytest.raises(sqlite3.OperationalError):
            ro.db.execute("INSERT INTO stories (title) VALUES ('x')")


def test_upgrade_drops_the_copy_bands_table(tmp_path):
    """A database from before the in-memory copy index loses its band-key table on opening."""
    path = tmp_path / "news.db"
    with Store(path) as store:
        store.db.execute("CREATE TABLE copy_bands (key INTEGER, band INTEGER, article_id INTEGER)")
        store.db.execute("INSERT INTO copy_bands VALUES (1, 0, 1)")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_drop_copy_bands'")
    with Store(path) as store:
        assert "copy_bands" not in store.db.table_names()
        from storage.schema import migrations

        assert not migrations.pending(store.db)
