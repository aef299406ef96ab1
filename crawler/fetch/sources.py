"""The sources a crawl polls: feeds.yaml's feeds and news sitemaps with the state stored from
earlier runs, which of them are due now, and when a poll's validators may be stored.

Shared by the one-process spiders and the distributed writer, so neither reaches into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.config import Config, FeedConfig
from crawler.fetch.polling import iso_after
from storage import Store


@dataclass
class Source:
    """A feed as the spider needs it: its config plus the state stored from earlier runs."""

    kind: str
    config: FeedConfig
    lang: str | None
    poll_every: float | None
    state: dict[str, Any] = field(default_factory=dict)


def due_sources(
    config: Config,
    store: Store,
    *,
    kinds: tuple[str, ...],
    only: set[str],
    poll_all: bool,
    due_slack: float,
) -> list[Source]:
    """The sources of feeds.yaml to poll now (their state from ``feeds``), after making the
    ``feeds`` table list exactly what feeds.yaml lists."""
    rows = []
    for src_kind, feed in config.sources():
        rows.append(
            {
                "url": feed.url,
                "kind": src_kind,
                "name": feed.name,
                "outlet": feed.outlet,
                "lang": feed.lang or config.defaults.lang,
                "poll_every": feed.poll_every or config.defaults.poll_every,
            }
        )
    store.sync_feeds(rows)
    horizon = iso_after(due_slack)
    due = []
    for src_kind, feed in config.sources():
        if src_kind not in kinds or not feed.enabled:
            continue
        if only and feed.name not in only:
            continue
        state = store.feed(feed.url) or {}
        if state.get("disabled") and not only:
            continue  # answered 410 Gone; `crawl --only NAME` tries it again
        next_due = state.get("next_due_at")
        if not (poll_all or only) and next_due and next_due > horizon:
            continue
        due.append(
            Source(
                kind=src_kind,
                config=feed,
                lang=feed.lang or config.defaults.lang,
                poll_every=feed.poll_every or config.defaults.poll_every,
                state=state,
            )
        )
    return due


@dataclass
class AwaitedPoll:
    """A poll whose new entries are being fetched. Its validators (ETag, Last-Modified), and for
    a sitemap index the time its children are compared with, are stored only once every one of
    its pages is stored, because they tell the next poll 'you have everything up to here'.
    Stored earlier, a crawl killed meanwhile, or a page that failed for now, would leave entries
    that no later poll shows again (a 304, or a child sitemap older than the last visit)."""

    url: str
    pages: int  # article pages (and child sitemaps) not done yet
    fields: dict[str, str | None]  # the source's state to store once they are


def settle(
    awaited: dict[str, AwaitedPoll], name: str | None, stored: bool, more: int = 0
) -> AwaitedPoll | None:
    """Count a request of an awaited poll as done; the poll, once its fields are to be stored
    (nothing left). One failure drops it: its fields stay off."""
    poll = awaited.get(name or "")
    if poll is None:
        return None
    poll.pages += more - 1
    if stored and poll.pages > 0:
        return None
    del awaited[name or ""]
    return poll if stored else None
