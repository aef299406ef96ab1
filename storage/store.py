"""Every read and write newsmon makes to its SQLite file.

One :class:`Store` per process, wrapping one sqlite-utils ``Database``. The file is in WAL mode so
readers (search, Datasette) never block the crawl and a killed crawl never corrupts it; every
logical change (one article with all its URL forms, one feed's state) is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.schema import migrations

BUSY_TIMEOUT_MS = 30_000
# `search` ranks the newest this-many matches of a query (see Store.search); 0 ranks them all.
SEARCH_DEPTH = 10_000
# One article's clustering result, as Store.save_cluster_states writes it: (article_id,
# event_time, duplicate_of, story_id, credited_source, batch, seq).
ClusterState = tuple[int, str, int | None, int | None, str | None, int, int]
# (story_id, packed centroid, last_time, size, norm, norm_independent)
StoryState = tuple[int, bytes | str, str, int, float | None, float | None]

# Columns written from an article dict; anything else in the dict is ignored.
ARTICLE_COLUMNS = (
    "url", "outlet", "title", "author", "published_at", "lang", "summary", "text", "word_count",
    "relevant", "relevance_score", "matched_terms", "duplicate_of", "story_id", "credited_source",
    "feed", "guid", "sitename", "fetch_status", "source", "feed_title",
)  # fmt: skip


def now_iso() -> str:
    """Current time, UTC, ISO 8601 to the second (the contract's time format)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def content_hash(title: str | None, text: str | None) -> str:
    """What counts as 'the page changed': title and body, whitespace-insensitive."""
    norm = " ".join((title or "").split()) + "\n" + " ".join((text or "").split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


class Store:
    """The newsmon database: schema on open, then feed state, articles and runs."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30)
        self.db = Database(conn)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)

    @classmethod
    def over(cls, conn: sqlite3.Connection) -> Store:
        """A Store on a connection someone else opened and owns (the web pages run on
        Datasette's read-only connections): no pragmas, no migrations, and never closed here, so
        the web reads through the same queries as the CLI instead of copies of them."""
        store = cls.__new__(cls)
        row = conn.execute("PRAGMA database_list").fetchone()
        store.path = Path(row[2] if row and row[2] else ":memory:")
        store.db = Database(conn)
        return store

    def data_version(self) -> int:
        """A number that changes on this connection whenever another connection (in any
        process) commits to the file: what a reader caching a result compares."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- feeds -------------------------------------------------------------------------------

    def sync_feeds(self, sources: Iterable[dict[str, Any]]) -> None:
        """Make the ``feeds`` table list what feeds.yaml lists (state of known feeds is kept)."""
        now = now_iso()
        names = ("kind", "name", "outlet", "lang", "poll_every")
        with self.db.atomic():  # plain SQL: a thousand feeds, at the start of every crawl
            known = dict(self.db.execute("SELECT url, id FROM feeds").fetchall())
            updates, inserts = [], []
            for src in sources:
                values = [src.get(k) for k in names]
                if src["url"] in known:
                    updates.append([*values, known[src["url"]]])
                else:
                    inserts.append([src["url"], now, *values])
                    known[src["url"]] = -1  # a URL listed twice is inserted once; no row has id -1
            sets = ", ".join(f"[{k}] = ?" for k in names)
            self.db.conn.executemany(f"UPDATE feeds SET {sets} WHERE id = ?", updates)
            columns = ", ".join(f"[{k}]" for k in ("url", "added_at", *names))
            self.db.conn.executemany(
                f"INSERT INTO feeds ({columns}) VALUES ({', '.join('?' * (len(names) + 2))})",
                inserts,
            )

    def feed(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM feeds WHERE url = ?", [url]))
        return rows[0] if rows else None

    def feeds(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM feeds ORDER BY kind, name"))

    def update_feed(self, url: str, **fields: Any) -> None:
        """Write part of a feed's state; ``consecutive_failures='+1'`` increments."""
        sets, params = [], []
        for key, value in fields.items():
            if value == "+1":
                sets.append(f"[{key}] = coalesce([{key}], 0) + 1")
            else:
                sets.append(f"[{key}] = ?")
                params.append(value)
        with self.db.atomic():
            self.db.execute(f"UPDATE feeds SET {', '.join(sets)} WHERE url = ?", [*params, url])

    # -- articles ----------------------------------------------------------------------------

    def known_urls(self, keys: Iterable[str]) -> set[str]:
        """Which of these URL forms (or GUIDs) already lead to a stored article."""
        keys = list(dict.fromkeys(k for k in keys if k))
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT url FROM article_urls WHERE url IN ({marks})", chunk
                ).fetchall()
            )
        return found

    def feed_titles(self, keys: Iterable[str]) -> dict[str, str | None]:
        """For URL forms that lead to stored articles: the headline their feed last gave."""
        keys = list(dict.fromkeys(k for k in keys if k))
        out: dict[str, str | None] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                self.db.execute(
                    f"SELECT u.url, a.feed_title FROM article_urls u JOIN articles a"
                    f" ON a.id = u.article_id WHERE u.url IN ({marks})",
                    chunk,
                ).fetchall()
            )
        return out

    def article_id_for(self, keys: Sequence[str]) -> int | None:
        """The stored article any of these URL forms leads to, the first key winning."""
        keys = list(dict.fromkeys(k for k in keys if k))
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        found: dict[str, int] = {}
        for url, article_id in self.db.execute(
            f"SELECT url, id FROM articles WHERE url IN ({marks})", keys
        ):
            found.setdefault(url, int(article_id))
        for url, article_id in self.db.execute(
            f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", keys
        ):
            found[url] = int(article_id)  # a recorded form wins over a canonical URL match
        for key in keys:
            if key in found:
                return found[key]
        return None

    def save_article(
        self, article: dict[str, Any], url_forms: Sequence[tuple[str, str]]
    ) -> tuple[str, int]:
        """Insert or update one article with every URL form that led to it, atomically.

        Returns ``("new" | "updated" | "unchanged", article_id)``. An article is found by its
        canonical URL or any recorded form; when its title or text changed, the row is updated
        and the old headline kept in ``revisions``. ``first_seen_at`` never moves.
        """
        now = now_iso()
        record = {k: article.get(k) for k in ARTICLE_COLUMNS if k in article}
        if isinstance(record.get("matched_terms"), (list, tuple)):
            record["matched_terms"] = json.dumps(list(record["matched_terms"]), ensure_ascii=False)
        if "relevant" in record and record["relevant"] is not None:
            record["relevant"] = int(bool(record["relevant"]))
        record["content_hash"] = content_hash(record.get("title"), record.get("text"))
        keys = [record["url"], *(u for u, _ in url_forms)]
        with self.db.atomic():
            article_id = self.article_id_for(keys)
            if article_id is None:
                record["first_seen_at"] = article.get("first_seen_at") or now
                record["updated_at"] = now
                columns = list(record)  # plain SQL: sqlite-utils' insert re-reads the table
                article_id = int(
                    self.db.execute(
                        f"INSERT INTO articles ({', '.join(columns)})"
                        f" VALUES ({', '.join('?' * len(columns))})",
                        [record[c] for c in columns],
                    ).lastrowid
                )
                status = "new"
            else:
                old = self.db.execute(
                    "SELECT title, content_hash, url, source FROM articles WHERE id = ?",
                    [article_id],
                ).fetchone()
                old_title, old_hash, old_url, old_source = old
                if old_source == "page" and record.get("source") == "feed":
                    status = "unchanged"  # never replace a full page with feed-only data
                elif old_hash == record["content_hash"]:
                    status = "unchanged"
                    if record.get("feed_title"):
                        self.db.execute(
                            "UPDATE articles SET feed_title = ? WHERE id = ?",
                            [record["feed_title"], article_id],
                        )
                else:
                    self.db["revisions"].insert(
                        {
                            "article_id": article_id,
                            "changed_at": now,
                            "old_title": old_title,
                            "old_content_hash": old_hash,
                        }
                    )
                    update = {k: v for k, v in record.items() if v is not None}
                    update["updated_at"] = now
                    if "relevance_score" in record and record["relevance_score"] is None:
                        update["relevance_score"] = None  # changed text: score it again
                    if update.get("url") != old_url and self.article_id_for([update["url"]]):
                        update.pop("url")  # another row already owns that canonical URL
                    self.db["articles"].update(article_id, update)
                    status = "updated"
            topics = article.get("topics")
            if topics is not None and status != "unchanged":
                self.db.execute("DELETE FROM article_topics WHERE article_id = ?", [article_id])
                for name, score in topics.items():
                    self.db.execute(
                        "INSERT INTO article_topics (article_id, topic, score) VALUES (?, ?, ?)",
                        [article_id, name, score],
                    )
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO article_urls (url, article_id, kind, first_seen_at)"
                " VALUES (?, ?, ?, ?)",
                [(url, article_id, kind, now) for url, kind in
                 [(record["url"], "canonical"), *url_forms] if url],
            )  # fmt: skip
        return status, article_id

    def article(self, article_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        return rows[0] if rows else None

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])

    # -- relevance ---------------------------------------------------------------------------

    def iter_article_texts(
        self, batch: int
    ) -> Iterator[list[tuple[int, str | None, str | None, str | None]]]:
        """(id, title, summary, text) of every article, ``batch`` rows at a time, by id."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT id, title, summary, text FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                [last, batch],
            ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def unscored_articles(self, limit: int) -> list[tuple[int, str | None, str | None, str | None]]:
        """(id, title, summary, text) of up to ``limit`` articles never scored, oldest first."""
        return self.db.execute(
            "SELECT id, title, summary, text FROM articles WHERE relevance_score IS NULL"
            " ORDER BY id LIMIT ?",
            [limit],
        ).fetchall()

    def write_relevance(
        self,
        results: Iterable[tuple[int, bool, float, list[str], dict[str, float]]],
        *,
        reset_all: bool,
    ) -> int:
        """Store (id, relevant, score, matched_terms, per-topic scores) rows in one transaction.

        With ``reset_all`` every article not listed becomes irrelevant first (a full rescore);
        otherwise only the listed articles change.
        """
        count = 0
        with self.db.atomic():
            if reset_all:
                self.db.execute("DELETE FROM article_topics")
                self.db.execute(
                    "UPDATE articles SET relevant = 0, relevance_score = 0, matched_terms = '[]'"
                    " WHERE relevant != 0 OR relevance_score != 0 OR matched_terms != '[]'"
                    " OR matched_terms IS NULL OR relevance_score IS NULL"
                )
            updates, topic_rows, listed = [], [], []
            for article_id, relevant, score, terms, topics in results:
                updates.append(
                    (int(relevant), score, json.dumps(terms, ensure_ascii=False), article_id)
                )
                topic_rows += [(article_id, name, value) for name, value in topics.items()]
                listed.append((article_id,))
                count += 1
            if not reset_all:
                self.db.conn.executemany("DELETE FROM article_topics WHERE article_id = ?", listed)
            self.db.conn.executemany(
                "UPDATE articles SET relevant = ?, relevance_score = ?, matched_terms = ?"
                " WHERE id = ?",
                updates,
            )
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO article_topics (article_id, topic, score) VALUES (?, ?, ?)",
                topic_rows,
            )
        return count

    # -- clustering ----------------------------------------------------------------------------

    def pending_cluster_ids(self) -> list[int]:
        """Articles not yet through copy detection and story assignment, in event order."""
        return [
            int(r[0])
            for r in self.db.execute(
                "SELECT id FROM articles WHERE clustered_at IS NULL"
                " ORDER BY coalesce(published_at, first_seen_at), id"
            )
        ]

    def cluster_input(self, article_id: int, *, with_text: bool = True) -> dict[str, Any]:
        """What clustering reads of one article (see :meth:`cluster_inputs`)."""
        return self.cluster_inputs([article_id], with_text=with_text)[article_id]

    def cluster_inputs(
        self, ids: Sequence[int], *, with_text: bool = True
    ) -> dict[int, dict[str, Any]]:
        """What clustering reads of these articles, in one statement per 500; without the text
        (and summary) when their features are already made, so the rows' overflow pages are not
        read."""
        texts = "summary, text" if with_text else "NULL, NULL"
        keys = ("id", "url", "outlet", "title", "summary", "text", "lang", "relevant",
                "matched_terms", "time")  # fmt: skip
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            for row in self.db.execute(
                f"SELECT id, url, outlet, title, {texts}, lang, relevant, matched_terms,"
                " coalesce(published_at, first_seen_at) FROM articles"
                f" WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[int(row[0])] = dict(zip(keys, row, strict=True))
        return out

    def window_rows(self, since: str) -> list[tuple[Any, ...]]:
        """(id, event_time, duplicate_of, story_id, signature) of clustered articles from
        ``since`` on: the copy-detection state a run rebuilds."""
        return self.db.execute(
            "SELECT a.id, a.event_time, a.duplicate_of, a.story_id, s.signature"
            " FROM articles a LEFT JOIN article_signatures s ON s.article_id = a.id"
            " WHERE a.clustered_at IS NOT NULL AND a.event_time >= ? ORDER BY a.event_time, a.id",
            [since],
        ).fetchall()

    def save_story_states(self, states: Iterable[StoryState]) -> None:
        """(story_id, packed centroid, last_time, size, norm, norm_independent) of stories whose
        centroid changed."""
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO story_state"
            " (story_id, centroid, last_time, size, norm, norm_independent)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            list(states),
        )

    def story_states(self, since: str) -> list[StoryState]:
        return self.db.execute(
            "SELECT story_id, centroid, last_time, size, norm, norm_independent"
            " FROM story_state WHERE last_time >= ?",
            [since],
        ).fetchall()

    def latest_event_time(self) -> str | None:
        row = self.db.execute(
            "SELECT max(event_time) FROM articles WHERE clustered_at IS NOT NULL"
        ).fetchone()
        return row[0] if row else None

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM clustering_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO clustering_meta (key, value) VALUES (?, ?)", [key, value]
        )

    def document_frequencies(self, features: Iterable[str]) -> dict[str, int]:
        features = list(features)
        out: dict[str, int] = {}
        for start in range(0, len(features), 500):
            chunk = features[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                self.db.execute(
                    f"SELECT feature, df FROM feature_df WHERE feature IN ({marks})", chunk
                ).fetchall()
            )
        return out

    def add_document_frequencies(self, counts: dict[str, int]) -> None:
        """Add ``counts[feature]`` documents to each feature's document frequency."""
        self.db.conn.executemany(
            "INSERT INTO feature_df (feature, df) VALUES (?, ?)"
            " ON CONFLICT(feature) DO UPDATE SET df = df + excluded.df",
            list(counts.items()),
        )

    def save_cluster_states(self, states: Sequence[ClusterState]) -> None:
        """Write clustering results, (article_id, event_time, duplicate_of, story_id,
        credited_source, batch, seq) per article, in one statement for the whole list."""
        now = now_iso()
        self.db.conn.executemany(
            "UPDATE articles SET event_time = ?, duplicate_of = ?, story_id = ?,"
            " credited_source = ?, cluster_batch = ?, cluster_seq = ?, clustered_at = ?"
            " WHERE id = ?",
            [(*state[1:], now, state[0]) for state in states],
        )

    def save_signatures(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """(article_id, MinHash signature) rows."""
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO article_signatures (article_id, signature) VALUES (?, ?)",
            rows,
        )

    def next_batch(self) -> int:
        batch = int(self.meta("batch", "0") or 0) + 1
        self.set_meta("batch", str(batch))
        return batch

    def replay_order(self) -> list[tuple[int, int | None]]:
        """(id, batch) of every article in the order it was clustered; never-clustered ones
        last, in event order."""
        return [
            (int(r[0]), r[1])
            for r in self.db.execute(
                "SELECT id, cluster_batch FROM articles ORDER BY cluster_seq IS NULL, cluster_seq,"
                " coalesce(published_at, first_seen_at), id"
            )
        ]

    def reroot_copies(self, old_root: int, new_root: int) -> None:
        """An earlier copy turned up: the copies of ``old_root`` (and it) now point at it."""
        self.db.execute(
            "UPDATE articles SET duplicate_of = ? WHERE (duplicate_of = ? OR id = ?) AND id != ?",
            [new_root, old_root, old_root, new_root],
        )

    def create_story(self, title: str | None, when: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO stories (title, first_seen_at, last_seen_at, article_count, outlet_count,"
            " updated_at) VALUES (?, ?, ?, 0, 0, ?)",
            [title, when, when, now_iso()],
        )
        return int(cursor.lastrowid)

    def refresh_stories(self, story_ids: Iterable[int]) -> None:
        """Recompute the summary columns of these stories from their articles: one query over
        the story timeline index, which holds every column needed but the first headline."""
        ids = sorted(set(story_ids))
        for start in range(0, len(ids), 500):
            self._refresh_stories(ids[start : start + 500])

    def _refresh_stories(self, ids: list[int]) -> None:
        """The aggregates are computed by SQLite over the covering timeline index, and the
        first article is one index seek per story, rather than every article of every touched
        story being read into Python."""
        marks = ",".join("?" * len(ids))
        timeline = (
            f"FROM articles INDEXED BY idx_articles_story_timeline WHERE story_id IN ({marks})"
        )
        sizes = {
            row[0]: row[1:]
            for row in self.db.execute(
                "SELECT story_id, count(*), count(DISTINCT nullif(outlet, '')),"
                f" count(DISTINCT nullif(lang, '')), max(event_time) {timeline} GROUP BY story_id",
                ids,
            )
        }
        gone = [sid for sid in ids if sid not in sizes]
        self.db.conn.executemany("DELETE FROM stories WHERE id = ?", [(sid,) for sid in gone])
        credits: dict[int, dict[str, int]] = {}
        for story_id, source, n in self.db.execute(
            f"SELECT story_id, credited_source, count(*) {timeline} AND credited_source != ''"
            " GROUP BY story_id, credited_source",
            ids,
        ):
            credits.setdefault(story_id, {})[source] = n
        updates = []
        now = now_iso()
        for story_id, (count, outlets, langs, last_seen) in sizes.items():
            first_id, title, outlet, first_seen = self.db.execute(
                "SELECT id, title, outlet, event_time FROM articles"
                " WHERE id = (SELECT id FROM articles INDEXED BY idx_articles_story_timeline"
                " WHERE story_id = ? ORDER BY event_time, id LIMIT 1)",
                [story_id],
            ).fetchone()
            counts = credits.get(story_id, {})
            # the most credited source; a tie goes to the first in alphabetical order
            credited = max(sorted(counts), key=lambda k: counts[k]) if counts else None
            updates.append(
                (title, first_seen, last_seen, outlet, first_id, credited, count, outlets, langs,
                 now, story_id)
            )  # fmt: skip
        self.db.conn.executemany(
            "UPDATE stories SET title = ?, first_seen_at = ?, last_seen_at = ?, origin_outlet = ?,"
            " origin_article_id = ?, credited_source = ?, article_count = ?, outlet_count = ?,"
            " lang_count = ?, updated_at = ? WHERE id = ?",
            updates,
        )

    def reset_clustering(self) -> None:
        """Forget every copy link, story and clustering statistic (for ``recluster``)."""
        self.db.execute(
            "UPDATE articles SET duplicate_of = NULL, story_id = NULL, credited_source = NULL,"
            " clustered_at = NULL"
        )
        for table in ("story_state", "stories", "article_signatures",
                      "article_features", "feature_df", "clustering_meta"):  # fmt: skip
            self.db.execute(f"DELETE FROM [{table}]")

    # -- reading stories and articles --------------------------------------------------------

    STORY_FIELDS = (
        "id, title, first_seen_at, last_seen_at, origin_outlet, credited_source, article_count,"
        " outlet_count"
    )
    ARTICLE_FIELDS = (
        "id, url, outlet, title, author, published_at, first_seen_at, lang, summary, text,"
        " word_count, relevant, relevance_score, matched_terms, duplicate_of, story_id,"
        " credited_source, feed, event_time"
    )

    def stories(
        self, *, since: str | None, min_outlets: int, limit: int | None
    ) -> list[dict[str, Any]]:
        """Stories, most recently active first."""
        sql = f"SELECT {self.STORY_FIELDS} FROM stories WHERE outlet_count >= ?"
        params: list[Any] = [min_outlets]
        if since:
            sql += " AND last_seen_at >= ?"
            params.append(since)
        sql += " ORDER BY last_seen_at DESC, id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def story(self, story_id: int) -> dict[str, Any] | None:
        rows = list(
            self.db.query(f"SELECT {self.STORY_FIELDS} FROM stories WHERE id = ?", [story_id])
        )
        return rows[0] if rows else None

    def story_articles(self, story_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                f"SELECT {self.ARTICLE_FIELDS} FROM articles WHERE story_id = ?"
                " ORDER BY event_time, id",
                [story_id],
            )
        )

    def story_languages(self, story_ids: Sequence[int]) -> dict[int, list[str]]:
        """Each story's languages, the most written first, read from the story timeline index
        alone (a list page shows them for dozens of stories at once)."""
        out: dict[int, list[str]] = {}
        ids = list(story_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.db.execute(
                "SELECT story_id, lang, count(*) AS n FROM articles"
                " INDEXED BY idx_articles_story_timeline"
                f" WHERE story_id IN ({','.join('?' * len(chunk))}) AND lang != ''"
                " GROUP BY story_id, lang ORDER BY story_id, n DESC, lang",
                chunk,
            ).fetchall()
            for story_id, lang, _ in rows:
                out.setdefault(story_id, []).append(lang)
        return out

    def latest_published(self) -> str | None:
        """Publication time of the newest relevant article (the end of the attention chart,
        so an archive that stopped being crawled still shows its last days)."""
        row = self.db.execute(
            "SELECT max(published_at) FROM articles WHERE relevant = 1"
        ).fetchone()
        return row[0] if row else None

    def daily_counts(self, since: str, until: str) -> list[tuple[str, str, int]]:
        """(day, language, relevant articles) published in [since, until): the topic's
        attention, read through the (relevant, published_at) index."""
        return [
            (day, lang or "?", n)
            for day, lang, n in self.db.execute(
                "SELECT substr(published_at, 1, 10) AS day, lang, count(*) FROM articles"
                " WHERE relevant = 1 AND published_at >= ? AND published_at < ?"
                " GROUP BY day, lang ORDER BY day, lang",
                [since, until],
            )
        ]

    def outlets_and_languages(self, after_id: int = 0) -> tuple[set[str], set[str], int]:
        """Outlets and languages of the articles with an id above ``after_id`` (search filters
        offer them), and the highest id seen: a caller keeping them reads only what is new."""
        outlets: set[str] = set()
        langs: set[str] = set()
        newest = after_id
        for outlet, lang, top in self.db.execute(
            "SELECT outlet, lang, max(id) FROM articles WHERE id > ? GROUP BY outlet, lang",
            [after_id],
        ):
            if outlet:
                outlets.add(outlet)
            if lang:
                langs.add(lang)
            newest = max(newest, top)
        return outlets, langs, newest

    # -- searching and exporting ---------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        outlet: str | None = None,
        lang: str | None = None,
        relevant_only: bool = True,
        limit: int | None = 20,
        depth: int | None = SEARCH_DEPTH,
        marks: tuple[str, str] = ("\u00ab", "\u00bb"),
    ) -> list[dict[str, Any]]:
        """Articles matching an FTS5 query, best first (bm25, the headline weighing most), each
        with a ``snippet`` whose matches sit between ``marks``. A malformed query raises
        sqlite3.OperationalError from FTS5 itself.

        Ranking every match of a broad term ("Ukraine") in a million articles costs hundreds of
        milliseconds, so the best ``limit`` are taken among the newest ``depth`` matches (FTS5
        walks its index newest first at no cost); ``depth`` None or 0 ranks them all, and so
        does ``until``, which asks for the past. Snippets are made for the results only."""
        window = "" if (not depth or until) else " ORDER BY rowid DESC LIMIT ?"
        fields = ", ".join(f"a.{f}" for f in self.ARTICLE_FIELDS.split(", "))
        sql = (
            f"SELECT {fields}, m.rank AS rank FROM (SELECT rowid AS id,"
            " bm25(articles_fts, 10.0, 3.0, 1.0) AS rank FROM articles_fts"
            f" WHERE articles_fts MATCH ?{window}) m JOIN articles a ON a.id = m.id WHERE 1"
        )
        params: list[Any] = [query, *([depth] if window else [])]
        sql, params = self._article_filters(sql, params, since, until, outlet, relevant_only, lang)
        sql += " ORDER BY m.rank, a.id"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = list(self.db.query(sql, params))
        if rows:
            # One pass over the matches in the results' rowid range, keeping the results
            # (``+rowid``: not handed to FTS5, which would run a prefix query once per id).
            ids = [r["id"] for r in rows]
            marks_sql = ",".join("?" * len(ids))
            snippets = dict(
                self.db.execute(
                    "SELECT rowid, snippet(articles_fts, -1, ?, ?, '\u2026', 16) FROM"
                    " articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?"
                    f" AND +rowid IN ({marks_sql})",
                    [marks[0], marks[1], query, min(ids), max(ids), *ids],
                ).fetchall()
            )
            for row in rows:
                row["snippet"] = snippets.get(row["id"], "")
        return rows

    def export_rows(
        self,
        *,
        relevant_only: bool = True,
        since: str | None = None,
        until: str | None = None,
        outlet: str | None = None,
        batch: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Every article (relevant ones unless told otherwise) by id, read ``batch`` rows at a
        time so an export of a million articles never holds them all."""
        fields = ", ".join(f"a.{f}" for f in self.ARTICLE_FIELDS.split(", "))
        last = 0
        while True:
            sql, params = self._article_filters(
                f"SELECT {fields} FROM articles a WHERE a.id > ?",
                [last],
                since,
                until,
                outlet,
                relevant_only,
            )
            rows = list(self.db.query(sql + " ORDER BY a.id LIMIT ?", [*params, batch]))
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    @staticmethod
    def _article_filters(
        sql: str,
        params: list[Any],
        since: str | None,
        until: str | None,
        outlet: str | None,
        relevant_only: bool,
        lang: str | None = None,
    ) -> tuple[str, list[Any]]:
        if relevant_only:
            sql += " AND a.relevant = 1"
        if since:
            sql += " AND coalesce(a.published_at, a.first_seen_at) >= ?"
            params.append(since)
        if until:
            sql += " AND coalesce(a.published_at, a.first_seen_at) < ?"
            params.append(until)
        if outlet:
            sql += " AND a.outlet = ? COLLATE NOCASE"
            params.append(outlet)
        if lang:
            sql += " AND a.lang = ? COLLATE NOCASE"
            params.append(lang)
        return sql, params

    # -- crawl runs --------------------------------------------------------------------------

    def start_run(self) -> int:
        with self.db.atomic():
            # A run still marked running belongs to a process that died (we hold the lock now).
            self.db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
            return int(
                self.db["crawl_runs"]
                .insert({"started_at": now_iso(), "status": "running", "pid": os.getpid()})
                .last_pk
            )

    def finish_run(
        self, run_id: int, status: str, counts: dict[str, int], error: str | None
    ) -> None:
        with self.db.atomic():
            self.db["crawl_runs"].update(
                run_id, {"finished_at": now_iso(), "status": status, "error": error, **counts}
            )
