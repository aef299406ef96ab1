"""The database schema, as sqlite-utils migrations applied on every open.

Each migration is append-only: never edit one that has shipped, add the next. sqlite-utils records
what ran in ``_sqlite_migrations`` and wraps each step in a transaction, so a crash mid-migration
leaves the previous schema intact.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("newsmon")

FTS_COLUMNS = ["title", "summary", "text"]
# remove_diacritics lets "Kyiv" find "Kyïv"; unicode61 folds case for Cyrillic too.
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


@migrations()
def m001_initial(db: Database) -> None:
    db["feeds"].create(
        {
            "id": int,
            "url": str,
            "kind": str,  # feed | sitemap
            "name": str,
            "outlet": str,
            "lang": str,
            "title": str,  # the feed's own title, as last parsed
            "etag": str,
            "last_modified": str,
            "last_fetched_at": str,
            "last_status": int,
            "last_error": str,
            "consecutive_failures": int,
            "next_due_at": str,
            "entries_seen": int,  # entries in the feed at the last successful parse
            "last_new_entries": int,  # entries that were new to us at the last parse
            "poll_every": float,  # seconds, from feeds.yaml
            "added_at": str,
        },
        pk="id",
        not_null={"url"},
        defaults={"consecutive_failures": 0, "entries_seen": 0, "kind": "feed"},
    )
    db["feeds"].create_index(["url"], unique=True)

    db["stories"].create(
        {
            "id": int,
            "title": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "origin_outlet": str,
            "credited_source": str,
            "article_count": int,
            "outlet_count": int,
        },
        pk="id",
    )
    db["stories"].create_index(["last_seen_at"])

    db["articles"].create(
        {
            "id": int,
            "url": str,
            "outlet": str,
            "title": str,
            "author": str,
            "published_at": str,
            "first_seen_at": str,
            "updated_at": str,
            "lang": str,
            "summary": str,
            "text": str,
            "word_count": int,
            "relevant": int,
            "relevance_score": float,
            "matched_terms": str,  # JSON list
            "duplicate_of": int,
            "story_id": int,
            "credited_source": str,
            "feed": str,
            "guid": str,
            "sitename": str,
            "content_hash": str,
            "fetch_status": int,  # HTTP status of the page; null when it came from an import
            "source": str,  # page | feed (page unavailable: feed data only) | import
        },
        pk="id",
        not_null={"url"},
        defaults={"relevant": 0, "word_count": 0},
        foreign_keys=[("duplicate_of", "articles", "id"), ("story_id", "stories", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["story_id"])
    db["articles"].create_index(["first_seen_at"])

    db["article_urls"].create(
        {"url": str, "article_id": int, "kind": str, "first_seen_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])

    db["revisions"].create(
        {
            "id": int,
            "article_id": int,
            "changed_at": str,
            "old_title": str,
            "old_content_hash": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["revisions"].create_index(["article_id"])

    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | failed | interrupted
            "pid": int,
            "feeds_polled": int,
            "feeds_not_modified": int,
            "feeds_failed": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_failed": int,
            "stories_new": int,
            "error": str,
        },
        pk="id",
        defaults={
            "feeds_polled": 0,
            "feeds_not_modified": 0,
            "feeds_failed": 0,
            "articles_new": 0,
            "articles_updated": 0,
            "articles_failed": 0,
            "stories_new": 0,
        },
    )

    db["article_topics"].create(
        {"article_id": int, "topic": str, "score": float},
        pk=("article_id", "topic"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_topics"].create_index(["topic"])

    db["articles"].enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZE)
    # sqlite-utils' update trigger re-indexes a row on any UPDATE; rescoring or clustering 100k
    # articles would then rewrite the whole index. Re-index only when indexed text changes.
    cols = ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    old = ", ".join(f'old."{c}"' for c in FTS_COLUMNS)
    new = ", ".join(f'new."{c}"' for c in FTS_COLUMNS)
    db.execute('DROP TRIGGER "articles_au"')
    db.execute(
        f'CREATE TRIGGER "articles_au" AFTER UPDATE OF {cols} ON "articles" BEGIN\n'
        f'  INSERT INTO "articles_fts" ("articles_fts", rowid, {cols})'
        f" VALUES('delete', old.rowid, {old});\n"
        f'  INSERT INTO "articles_fts" (rowid, {cols}) VALUES (new.rowid, {new});\n'
        "END"
    )


@migrations()
def m002_clustering(db: Database) -> None:
    """State for copy detection and story clustering, kept per article so a run only reloads the
    articles inside its time window."""
    db["article_signatures"].create(
        {"article_id": int, "signature": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_features"].create(
        {"article_id": int, "features": str},  # JSON {feature: count}
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["feature_df"].create({"feature": str, "df": int}, pk="feature")
    db["clustering_meta"].create({"key": str, "value": str}, pk="key")
    db["articles"].add_column("clustered_at", str)
    db["articles"].add_column("event_time", str)  # published_at, else first_seen_at: cluster order
    db["articles"].create_index(["clustered_at"])
    db["articles"].create_index(["event_time"])
    db["articles"].create_index(["duplicate_of"])
    db["stories"].add_column("origin_article_id", int)
    db["stories"].add_column("lang_count", int)
    db["stories"].add_column("updated_at", str)


@migrations()
def m003_cluster_order(db: Database) -> None:
    """The order and batches in which articles were clustered, so ``recluster`` can replay it."""
    db["articles"].add_column("cluster_seq", int)
    db["articles"].add_column("cluster_batch", int)
    db["articles"].create_index(["cluster_seq"])


@migrations()
def m004_feed_title(db: Database) -> None:
    """The headline as the feed last announced it: a change means the page changed."""
    db["articles"].add_column("feed_title", str)


@migrations()
def m005_story_state(db: Database) -> None:
    """Each active story's centroid, so a run resumes the clustering state instead of rebuilding
    it from the articles of the window."""
    db["story_state"].create(
        {"story_id": int, "centroid": str, "last_time": str, "size": int},
        pk="story_id",
        foreign_keys=[("story_id", "stories", "id")],
    )
    db["story_state"].create_index(["last_time"])


@migrations()
def m006_feed_health(db: Database) -> None:
    """When a feed last brought something new (quiet feeds are polled less often), and whether it
    is disabled (it answered 410 Gone: polling it again is pointless until the user acts)."""
    db["feeds"].add_column("last_new_at", str)
    db["feeds"].add_column("disabled", int, not_null_default=0)
    db["articles"].create_index(["relevant", "published_at"])
    # articles a crawl stored and has not scored yet (scored in one batch when it ends)
    db.execute("CREATE INDEX idx_articles_unscored ON articles (id) WHERE relevance_score IS NULL")


@migrations()
def m007_copy_bands(db: Database) -> None:
    """LSH band keys of the copy window's signatures, so a run queries them instead of building
    an in-memory index from the window (filled for the window by the first run that needs it)."""
    db["copy_bands"].create(
        {"band": int, "key": int, "article_id": int, "event_time": str},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["copy_bands"].create_index(["key"])
    db["copy_bands"].create_index(["article_id"])
    db["copy_bands"].create_index(["event_time"])


@migrations()
def m008_story_timeline_index(db: Database) -> None:
    """A story's summary (first report, outlets, languages, credits) is read from this index alone,
    never from the article rows with their texts; it also serves every lookup by story_id."""
    db.execute(
        "CREATE INDEX idx_articles_story_timeline ON articles"
        " (story_id, event_time, id, outlet, lang, credited_source)"
    )
    db.execute("DROP INDEX IF EXISTS idx_articles_story_id")


@migrations()
def m010_drop_copy_bands(db: Database) -> None:
    """The copy window's LSH index lives in memory, built from the signatures when a run starts:
    maintaining band keys in SQLite (an insert and a delete per band and article) cost more than
    rebuilding the index once per run. (m009, which rebuilt copy_bands WITHOUT ROWID, is gone:
    a new database would only have built the table to drop it here.)"""
    db.execute("DROP TABLE IF EXISTS copy_bands")


@migrations()
def m011_story_norms(db: Database) -> None:
    """A story centroid's norms over all features and over the language-independent ones, as the
    run that saved it had them: the next run resumes them instead of summing every centroid
    again, and so computes exactly what one long run would (NULL: computed on restore)."""
    db["story_state"].add_column("norm", float)
    db["story_state"].add_column("norm_independent", float)


@migrations()
def m012_url_forms_of_one_normaliser(db: Database) -> None:
    """Keys under the one URL normaliser (crawler/urls.py), added beside the old ones.

    Until this migration, canonical URLs dropped ``from``, ``feed`` and ``rss`` as tracking, and
    courlan's own pattern dropped more (``cid``, ``uid``, ``gallery``, ``refresh``, any name
    beginning ``ref`` or ``ga``...). Now those are kept, so a link stored before would get another
    canonical URL and variant key: the next crawl would fetch it again and store a second row.
    Every recorded raw link and redirect (kind ``link`` / ``redirect``) is normalised again and
    its new canonical URL and key recorded for the same article, so old articles keep matching
    (the old forms stay too). An import stored only the old canonical URL, not the raw one: such
    an article is matched again only by its old form or by the page's declared canonical URL.
    """
    from crawler.urls import canonical_url, url_key  # the normaliser whose forms are recorded

    rows = db.execute(
        "SELECT url, article_id, kind, first_seen_at FROM article_urls"
        " WHERE kind IN ('link', 'redirect') AND url LIKE '%?%'"
    ).fetchall()
    added = []
    for url, article_id, kind, first_seen_at in rows:
        try:
            forms = [(canonical_url(url), kind), (url_key(url), "key")]
        except ValueError:
            continue  # not an http(s) URL: nothing to normalise
        added += [(form, article_id, form_kind, first_seen_at) for form, form_kind in forms]
    db.conn.executemany(
        "INSERT OR IGNORE INTO article_urls (url, article_id, kind, first_seen_at)"
        " VALUES (?, ?, ?, ?)",
        added,
    )
