"""When a feed is next due: its own interval, its <ttl>, Retry-After, and backoff on failure.

Pure functions over numbers so the policy is testable without a clock or a server.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime


def iso_after(seconds: float, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return (now + timedelta(seconds=max(0.0, seconds))).replace(microsecond=0).isoformat()


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait (``Retry-After: 120`` or an HTTP date)."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def success_interval(poll_every: float | None, ttl: float | None) -> float:
    """Seconds until a healthy feed is due: its poll_every, at least the <ttl> it publishes."""
    return max(poll_every or 0.0, ttl or 0.0)


def failure_interval(
    failures: int,
    poll_every: float | None,
    base: float,
    cap: float,
    retry_after: float | None = None,
) -> float:
    """Exponential backoff after ``failures`` consecutive failures, capped, never below the
    server's Retry-After nor the feed's own interval."""
    step = max(base, poll_every or 0.0)
    backoff = min(cap, step * 2 ** max(0, failures - 1))
    return max(backoff, retry_after or 0.0)
