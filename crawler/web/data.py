"""What each page shows, read through :class:`storage.Store` on one of Datasette's read-only
connections.

Plain functions from a Store and the request's parameters to dicts a template renders and the
``.json`` twin serves, so the pages use the very queries (and ranking) the CLI uses and a page
can be tested without a browser.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

from crawler.analysis.stories import parse_time
from crawler.commands import output
from crawler.web.chart import Attention, attention
from storage import Store

HOME_STORIES = 40
ATTENTION_DAYS = 14
SEARCH_LIMIT = 50
# FTS5 snippet marks no article text contains (Unicode private use): the snippet is escaped as
# text first, then the marks become <mark> tags, so article text never reaches the page as HTML.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


def home(store: Store, *, min_outlets: int = 1, limit: int = HOME_STORIES) -> dict[str, Any]:
    """The latest stories with their first report and languages, and the attention chart."""
    stories = store.stories(since=None, min_outlets=min_outlets, limit=limit)
    languages = store.story_languages([s["id"] for s in stories])
    for story in stories:
        story["languages"] = languages.get(story["id"], [])
    failing = sum(1 for f in store.feeds() if f["consecutive_failures"] or f["disabled"])
    return {
        "stories": stories,
        "min_outlets": min_outlets,
        "attention": topic_attention(store),
        "counts": {
            "articles": store.count("articles"),
            "stories": store.count("stories"),
            "feeds": store.count("feeds"),
            "failing_feeds": failing,
        },
    }


# id(connection) -> (its PRAGMA data_version, attention): see topic_attention
_attention: dict[int, tuple[int, Attention]] = {}


def topic_attention(store: Store, days: int = ATTENTION_DAYS) -> Attention:
    """Relevant articles per publication day and language over the ``days`` days up to the
    newest one (not up to today: an archive no longer crawled still shows its last days).

    Counting them reads tens of thousands of rows (30 ms at 100k articles) on every home page,
    so the result is kept per connection until anything commits to the file (SQLite's
    ``data_version`` changes on this connection when another one, in any process, commits)."""
    version = store.data_version()
    cached = _attention.get(id(store.db.conn))
    if cached is not None and cached[0] == version and days == ATTENTION_DAYS:
        return cached[1]
    result = _count_attention(store, days)
    if days == ATTENTION_DAYS:
        _attention[id(store.db.conn)] = (version, result)
    return result


def _count_attention(store: Store, days: int) -> Attention:
    end = parse_time(store.latest_published())
    if end is None:
        return attention([], [])
    last = end.date()
    first = last - timedelta(days=days - 1)
    day_list = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    rows = store.daily_counts(first.isoformat(), (last + timedelta(days=1)).isoformat())
    return attention(day_list, rows)


def lag_text(hours: float | None) -> str:
    """A lag after the first report as people say it: minutes, hours, then days."""
    if hours is None:
        return ""
    if hours < 0:
        return f"{hours:.1f} h"
    if hours < 1:
        return f"+{hours * 60:.0f} min"
    if hours < 48:
        return f"+{hours:.1f} h"
    return f"+{hours / 24:.1f} d"


def story(store: Store, story_id: int) -> dict[str, Any] | None:
    """One story's full coverage: the document ``newsmon story --json`` prints (the page's JSON
    twin) and, for the page, its articles in time order with copies folded under the article
    they copy."""
    row = store.story(story_id)
    if row is None:
        return None
    document = output.story_document(row, store.story_articles(story_id))
    # the page's rows: the JSON document's records plus the lag as read, the document untouched
    articles = [{**a, "lag": lag_text(a["lag_hours"])} for a in document["articles"]]
    ids = {a["id"] for a in articles}
    copies: dict[int, list[dict[str, Any]]] = {}
    for art in articles:
        if art["duplicate_of"] in ids:
            copies.setdefault(art["duplicate_of"], []).append(art)
    entries = [
        {"article": a, "copies": copies.get(a["id"], [])}
        for a in articles
        if a["duplicate_of"] not in ids
    ]
    first = articles[0] if articles else None
    credited = row["credited_source"]
    return {
        "document": document,
        "story": row,
        "first": first,
        "credited": credited,
        "credited_by": sum(1 for a in articles if credited and a["credited_source"] == credited),
        "entries": entries,
        "languages": sorted({a["lang"] for a in articles if a["lang"]}),
        "outlets": len({a["outlet"] for a in articles if a["outlet"]}),
    }


@dataclass
class SearchForm:
    """The search page's parameters, as the form and the URL carry them."""

    q: str = ""
    since: str = ""
    until: str = ""
    outlet: str = ""
    lang: str = ""
    relevant_only: bool = True

    @classmethod
    def from_args(cls, args: Any) -> SearchForm:
        """From the query string: relevant articles only unless ``all=1`` (``newsmon search
        --all``), so a bare ``?q=`` URL, the form and the CLI all start from the same set."""
        return cls(
            q=(args.get("q") or "").strip(),
            since=(args.get("since") or "").strip(),
            until=(args.get("until") or "").strip(),
            outlet=(args.get("outlet") or "").strip(),
            lang=(args.get("lang") or "").strip(),
            relevant_only=args.get("all") != "1",
        )


def highlight(snippet: str | None) -> str:
    """An FTS5 snippet made with MARK_OPEN/MARK_CLOSE as safe HTML with <mark> around hits."""
    text = escape(" ".join((snippet or "").split()))
    return text.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


@dataclass
class FilterChoices:
    """Outlets and languages the search filters offer, as of article ``newest``."""

    newest: int = 0
    outlets: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)


_choices: dict[str, FilterChoices] = {}  # by database path
_choices_lock = threading.Lock()  # Datasette reads in several threads


def filter_choices(store: Store) -> tuple[list[str], list[str]]:
    """Outlets and languages for the search filters. Listing them reads every article (80 ms at
    100k), so they are kept and only articles newer than the last look are read again (a crawl
    adds outlets, never takes them away)."""
    with _choices_lock:
        known = _choices.setdefault(str(store.path), FilterChoices())
        outlets, languages, newest = store.outlets_and_languages(after_id=known.newest)
        known.outlets |= outlets
        known.languages |= languages
        known.newest = newest
        return sorted(known.outlets), sorted(known.languages)


def search(store: Store, form: SearchForm, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """Ranked hits of ``form`` through Store.search (bm25, headline first, as the CLI ranks),
    or a readable error for a query FTS5 rejects or a date it cannot read."""
    outlets, languages = filter_choices(store)
    result: dict[str, Any] = {"form": form, "outlets": outlets, "languages": languages}
    result.update(hits=[], error=None)
    if not form.q:
        return result
    try:
        since = output.parse_since(form.since) if form.since else None
        until = output.parse_since(form.until) if form.until else None
    except ValueError as exc:
        result["error"] = f"date: {exc}"
        return result
    try:
        rows = store.search(
            form.q,
            since=since,
            until=until,
            outlet=form.outlet or None,
            lang=form.lang or None,
            relevant_only=form.relevant_only,
            limit=limit,
            marks=(MARK_OPEN, MARK_CLOSE),
        )
    except sqlite3.OperationalError as exc:
        result["error"] = output.bad_query_message(form.q, exc)
        return result
    hits = []
    for row in rows:
        record = output.search_record(row)
        record["snippet_html"] = highlight(row["snippet"])
        record["snippet"] = (
            (row["snippet"] or "").replace(MARK_OPEN, "\u00ab").replace(MARK_CLOSE, "\u00bb")
        )
        hits.append(record)
    result["hits"] = hits
    return result


@dataclass
class StoredFeed:
    """A feed as the database knows it: what output.feed_record reads from feeds.yaml's
    entries, so the page labels health exactly as ``newsmon feeds list`` does."""

    name: str
    url: str
    outlet: str | None
    lang: str | None
    enabled: bool = True


def relative(stamp: str | None, now: datetime) -> str:
    """'in 12 min', '3 h ago': when a fetch happened or is due, next to the exact time."""
    moment = parse_time(stamp)
    if moment is None:
        return ""
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    if size < 90:
        return "now"
    if size < 5400:
        text = f"{size / 60:.0f} min"
    elif size < 172800:
        text = f"{size / 3600:.0f} h"
    else:
        text = f"{size / 86400:.0f} d"
    return f"in {text}" if seconds > 0 else f"{text} ago"


def feeds(store: Store, now: datetime | None = None) -> dict[str, Any]:
    """Every feed's health, failing and disabled ones first, then by name."""
    now = now or datetime.now(timezone.utc)
    records = []
    for row in store.feeds():
        feed = StoredFeed(row["name"] or row["url"], row["url"], row["outlet"], row["lang"])
        record = output.feed_record(row["kind"] or "feed", feed, row)
        record["failing"] = bool(record["consecutive_failures"] or row.get("disabled"))
        record["last_fetched_ago"] = relative(record["last_fetched_at"], now)
        due = parse_time(record["next_due_at"])
        record["next_due_in"] = (
            "due now" if due is None or due <= now else relative(record["next_due_at"], now)
        )
        records.append(record)
    records.sort(key=lambda r: (not r["failing"], -r["consecutive_failures"], r["name"]))
    return {"feeds": records, "failing": sum(r["failing"] for r in records)}
