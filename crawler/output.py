"""Turning rows into what users read: JSON records per CONTRACT.md, and terminal tables.

Read-side only; nothing here writes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

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


def hours_between(start: str | None, end: str | None) -> float | None:
    a, b = _time(start), _time(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 3600, 2)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


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
    moment = _time(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
