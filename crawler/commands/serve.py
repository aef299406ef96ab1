"""Datasette over the newsmon database: titles, descriptions, units, full-text search on
articles and canned queries for what people ask first (latest stories, a story's timeline,
who breaks news first, feed health), plus newsmon's own pages (``crawler/web``: the home page of
latest stories, a story's full coverage, search, feed health) through a Datasette plugin.

Read-only for the web: Datasette opens the file while crawls keep writing (WAL), and nothing
in the metadata allows writes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from crawler.commands.output import ARTICLE_EXPORT, STORY_EXPORT

QUERIES: dict[str, dict[str, Any]] = {
    "latest_stories": {
        "title": "Latest stories",
        "description": "Story clusters, most recently active first, with who reported first "
        "and whom the coverage credits.",
        "sql": "SELECT id, title, origin_outlet AS first_by, credited_source AS most_credited,"
        " article_count AS articles, outlet_count AS outlets, first_seen_at, last_seen_at"
        " FROM stories ORDER BY last_seen_at DESC, id DESC LIMIT 200",
    },
    "story_timeline": {
        "title": "A story's timeline",
        "description": "Every article of one story in publication order: outlet, lag after "
        "the first report (hours), what it copies and whom it credits.",
        "sql": "SELECT a.event_time AS published, round((julianday(a.event_time) -"
        " julianday(s.first_seen_at)) * 24, 2) AS lag_hours, a.outlet, a.lang, a.title,"
        " a.duplicate_of AS copy_of, a.credited_source AS credits, a.url"
        " FROM articles a JOIN stories s ON s.id = a.story_id"
        " WHERE a.story_id = :story_id ORDER BY a.event_time, a.id",
    },
    "outlets_first": {
        "title": "Outlets by first reports",
        "description": "How many stories each outlet reported first, and how many stories "
        "credit it as their source.",
        "sql": "SELECT o.outlet, coalesce(f.first_reports, 0) AS first_reports,"
        " coalesce(c.credited_in, 0) AS credited_in"
        " FROM (SELECT origin_outlet AS outlet FROM stories WHERE origin_outlet IS NOT NULL"
        "       UNION SELECT credited_source FROM stories WHERE credited_source IS NOT NULL) o"
        " LEFT JOIN (SELECT origin_outlet, count(*) AS first_reports FROM stories"
        "            GROUP BY origin_outlet) f ON f.origin_outlet = o.outlet"
        " LEFT JOIN (SELECT credited_source, count(*) AS credited_in FROM stories"
        "            GROUP BY credited_source) c ON c.credited_source = o.outlet"
        " ORDER BY first_reports DESC, credited_in DESC, o.outlet",
    },
    "feed_health": {
        "title": "Feed health",
        "description": "Every feed and sitemap: last fetch and status, the last error, "
        "consecutive failures and when it is next due.",
        "sql": "SELECT name, kind, outlet, last_fetched_at, last_status, last_error,"
        " consecutive_failures, entries_seen, next_due_at, disabled, url"
        " FROM feeds ORDER BY consecutive_failures DESC, name",
    },
    "search": {
        "title": "Search articles",
        "description": 'Full-text search (FTS5 syntax: AND, OR, NOT, "phrases", prefix*), '
        "relevant articles, best matches first.",
        "sql": "SELECT a.id, a.published_at, a.outlet, a.title,"
        " snippet(articles_fts, -1, '<b>', '</b>', '…', 16) AS snippet, a.story_id, a.url"
        " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
        " WHERE articles_fts MATCH :q AND a.relevant = 1"
        " ORDER BY bm25(articles_fts, 10.0, 3.0, 1.0) LIMIT 100",
    },
}

# Bookkeeping of the crawl and the clustering: hidden from Datasette's listings (a newsroom never
# browses them) but still there for SQL. FTS5's own tables Datasette hides by itself.
INTERNAL_TABLES = {
    "_sqlite_migrations": "schema migrations applied (sqlite-utils)",
    "article_signatures": "MinHash signatures for copy detection",
    "article_features": "story clustering features per article",
    "feature_df": "document frequency of clustering features",
    "clustering_meta": "clustering counters",
    "story_state": "centroids of active stories",
    "article_topics": "per-topic relevance scores",
}
WEB = Path(__file__).resolve().parent.parent / "web"  # crawler/web

_ARTICLE_DESCRIPTIONS = {
    "url": "canonical URL (tracking parameters stripped, AMP/mobile folded)",
    "published_at": "publication time, UTC",
    "first_seen_at": "when newsmon first stored it, UTC",
    "relevant": "1 when it matches a topic of feeds.yaml",
    "relevance_score": "topic score (higher: more query terms in headline and lead)",
    "matched_terms": "JSON list of the topic groups it matched",
    "duplicate_of": "id of the earlier article this one copies (wire copy), or empty",
    "story_id": "the story (event) it reports",
    "credited_source": "outlet it attributes the news to, e.g. Politico",
}


def metadata(db_path: Path) -> dict[str, Any]:
    """Datasette metadata for the database file (keyed by its stem, as Datasette names it)."""
    return {
        "title": "newsmon",
        "description": "News coverage collected from feeds, deduplicated into stories across "
        "outlets and languages.",
        "databases": {
            db_path.stem: {
                "description": "One row per article (canonical URL), stories of articles "
                "reporting the same event, feeds and their health, crawl runs.",
                "tables": {
                    "articles": {
                        "description": "One row per article. Export fields: "
                        + ", ".join(ARTICLE_EXPORT),
                        "fts_table": "articles_fts",
                        "fts_pk": "id",
                        "searchmode": "raw",
                        "sort_desc": "published_at",
                        "columns": _ARTICLE_DESCRIPTIONS,
                    },
                    "stories": {
                        "description": "Articles of many outlets reporting one event. Fields: "
                        + ", ".join(STORY_EXPORT),
                        "sort_desc": "last_seen_at",
                        "columns": {
                            "origin_outlet": "outlet of the earliest article",
                            "credited_source": "outlet the story's articles credit most",
                        },
                    },
                    "feeds": {
                        "description": "Feeds and sitemaps of feeds.yaml with their polling state",
                        "units": {"poll_every": "s"},
                        "columns": {
                            "next_due_at": "the next crawl polls it from this time on",
                            "consecutive_failures": "failures in a row (backoff grows with it)",
                            "poll_every": "seconds between polls, from feeds.yaml",
                        },
                    },
                    "article_urls": {
                        "description": "Every URL form that led to an article",
                        "hidden": True,
                    },
                    "revisions": {"description": "Old headlines of articles that changed"},
                    "crawl_runs": {"description": "One row per crawl, with its counts"},
                    **{
                        table: {"description": why, "hidden": True}
                        for table, why in INTERNAL_TABLES.items()
                    },
                },
                "queries": QUERIES,
            }
        },
    }


def serve(db_path: Path, port: int, host: str = "127.0.0.1") -> None:
    """Replace this process with Datasette on ``db_path`` (so signals reach it directly), with
    newsmon's templates and plugin. Facet suggestions are off: on a 100k-article table they
    cost seconds per page (facets asked for with ``_facet=`` still work)."""
    meta = metadata(db_path)
    handle = tempfile.NamedTemporaryFile(
        "w", prefix="newsmon-datasette-", suffix=".json", delete=False, encoding="utf-8"
    )
    with handle:
        json.dump(meta, handle, ensure_ascii=False)
    args = [
        sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", handle.name,
        "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000",
        "--setting", "default_page_size", "50", "--setting", "suggest_facets", "off",
        "--template-dir", str(WEB / "templates"), "--plugins-dir", str(WEB / "plugins"),
    ]  # fmt: skip
    sys.stdout.flush()
    os.execv(sys.executable, args)
