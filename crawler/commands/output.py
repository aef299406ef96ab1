"""Turning rows into what users read: JSON records per docs/contract.md, and terminal tables.

Read-side only; nothing here writes.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from crawler.analysis.stories import parse_time

ARTICLE_EXPORT = (
    "id", "url", "outlet", "title", "author", "published_at", "first_seen_at", "lang", "summary",
    "text", "word_count", "relevant", "relevance_score", "matched_terms", "duplicate_of",
    "story_id", "credited_source", "feed",
)  # fmt: skip
STORY_EXPORT = (
    "id", "title", "first_seen_at", "last_seen_at", "origin_outlet", "credited_source",
    "article_count", "outlet_count",
)  # fmt: skip

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_SPAN_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, now: datetime | None = None) -> str:
    """``7d``, ``12h``, ``30m``, ``2w`` back from now, or a date / ISO 8601 time -> UTC ISO."""
    now = now or datetime.now(timezone.utc)
    match = _SPAN.match(value)
    if match:
        seconds = float(match.group(1)) * _SPAN_UNITS[match.group(2)]
        return (now - timedelta(seconds=seconds)).replace(microsecond=0).isoformat()
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date (2024-05-30), a time (2024-05-30T21:00) or a span (7d, 12h)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def article_record(row: dict[str, Any]) -> dict[str, Any]:
    out = {key: row.get(key) for key in ARTICLE_EXPORT}
    out["relevant"] = bool(out["relevant"])
    terms = out["matched_terms"]
    out["matched_terms"] = json.loads(terms) if isinstance(terms, str) and terms else []
    return out


def story_record(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in STORY_EXPORT}


def story_document(story: dict[str, Any], articles: list[dict[str, Any]]) -> dict[str, Any]:
    """One story with every article and its lag after the first report: what ``newsmon story
    --json`` prints and the story page's JSON twin serves, built in one place so they agree."""
    first = story["first_seen_at"]
    records = []
    for row in articles:
        record = article_record(row)
        record["lag_hours"] = hours_between(first, row["event_time"])
        records.append(record)
    return {**story_record(story), "articles": records}


def search_record(row: dict[str, Any]) -> dict[str, Any]:
    """One search hit as ``newsmon search --json`` prints it (and the search page's JSON)."""
    record = article_record(row)
    record["snippet"], record["rank"] = row["snippet"], round(-row["rank"], 4)
    return record


_NEEDS_QUOTES = re.compile(r'(^|\s)[^\s"]*\w[-./]\w')


def bad_query_message(query: str, error: Exception) -> str:
    """What to tell someone whose search FTS5 rejected: its own words, plus the usual fix when
    a word holds - . or / (FTS5 reads them as operators)."""
    hint = ""
    if _NEEDS_QUOTES.search(query):
        hint = " (put words with - . or / in double quotes: '\"F-16\"')"
    return f"bad search query {query!r}: {error}{hint}"


def hours_between(start: str | None, end: str | None) -> float | None:
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 3600, 2)


def table(headers: list[str], rows: list[list[Any]], widths: dict[int, int] | None = None) -> str:
    """A plain aligned text table; long cells are cut to ``widths[column]`` characters."""
    widths = widths or {}
    cells = [[_cell(v, widths.get(i)) for i, v in enumerate(r)] for r in rows]
    sizes = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(sizes[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    for r in cells:
        lines.append("  ".join(c.ljust(sizes[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def _cell(value: Any, width: int | None) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def short_time(value: str | None) -> str:
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def write_export(rows: Iterable[dict[str, Any]], fmt: str, handle: IO[str]) -> int:
    """Write article rows as JSON Lines or CSV (lists as JSON, booleans as true/false)."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(handle, fieldnames=list(ARTICLE_EXPORT), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            record = article_record(row)
            record["matched_terms"] = json.dumps(record["matched_terms"], ensure_ascii=False)
            record["relevant"] = "true" if record["relevant"] else "false"
            writer.writerow(record)
            count += 1
        return count
    for row in rows:
        handle.write(json.dumps(article_record(row), ensure_ascii=False) + "\n")
        count += 1
    return count


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    """A file that appears complete or not at all (temporary file, renamed when done)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def feed_record(kind: str, feed: Any, state: dict[str, Any] | None) -> dict[str, Any]:
    """One feed as ``feeds list`` shows it: its configuration and the health of its polls."""
    state = state or {}
    failures = int(state.get("consecutive_failures") or 0)
    if state.get("disabled"):
        health = "disabled"
    elif not state.get("last_fetched_at"):
        health = "never polled"
    elif failures:
        health = f"failing ({state.get('last_status') or 'no answer'})"
    else:
        health = f"ok ({state.get('last_status')})"
    return {
        "name": feed.name,
        "kind": kind,
        "url": feed.url,
        "outlet": feed.outlet,
        "lang": feed.lang,
        "enabled": feed.enabled and not state.get("disabled"),
        "health": health,
        "title": state.get("title"),
        "last_fetched_at": state.get("last_fetched_at"),
        "last_status": state.get("last_status"),
        "last_error": state.get("last_error"),
        "consecutive_failures": failures,
        "entries_seen": state.get("entries_seen") or 0,
        "last_new_at": state.get("last_new_at"),
        "next_due_at": state.get("next_due_at"),
    }
