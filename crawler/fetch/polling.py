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


def success_interval(
    poll_every: float | None,
    ttl: float | None,
    idle: float | None = None,
    idle_after: float = 7 * 86400,
    idle_factor: float = 0.05,
    idle_max: float = 6 * 3600,
) -> float:
    """Seconds until a healthy feed is due: its poll_every, at least the <ttl> it publishes.

    A feed that has brought nothing new for ``idle`` seconds (more than ``idle_after``) is
    polled less often: a fraction ``idle_factor`` of its silence, at most ``idle_max``, so a
    feed quiet for weeks costs a few polls a day instead of one per cron run, and picks up
    speed again as soon as it publishes."""
    interval = max(poll_every or 0.0, ttl or 0.0)
    if idle is not None and idle > idle_after:
        interval = max(interval, min(idle * idle_factor, idle_max))
    return interval


def seconds_since(iso: str | None, now: datetime | None = None) -> float | None:
    """Seconds from an ISO 8601 time to now (None when there is no time)."""
    if not iso:
        return None
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return ((now or datetime.now(timezone.utc)) - then).total_seconds()


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
