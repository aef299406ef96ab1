"""What distributed crawl workers and the single writer say to each other through Redis.

The writer (``newsmon crawl --redis URL``) holds the lock and the SQLite file. It pushes the due
sources to ``<prefix>:sources``; any number of workers (``newsmon worker --redis URL``, on any
machine) pop them, share one Scrapy scheduler and dupefilter in Redis (scrapy-redis), fetch feeds
and pages, extract, and push their results to ``<prefix>:items``: the new state of each source
and each article. The writer alone scores, stores and clusters, so SQLite keeps one writer.

``<prefix>:pending`` counts article (and sitemap child) requests a worker has scheduled and not
yet answered for. ``<prefix>:claimed`` holds the URL keys of the entries some worker took in
this run, so two workers polling overlapping feeds never fetch one page twice; ``<prefix>:seen``
those of the entries the writer stored, which no later run takes again. The writer clears the
claims (and the shared dupefilter) when a run starts: a page a killed worker was fetching is
taken again by the next run, not lost.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from crawler.config import FeedConfig
from crawler.extraction.article import Article
from crawler.fetch.sources import Source
from crawler.urls import url_key

STATE_FIELDS = ("etag", "last_modified", "consecutive_failures", "last_new_at", "added_at")


def key(prefix: str, name: str) -> str:
    return f"{prefix}:{name}"


def encode_source(source: Source) -> str:
    return json.dumps(
        {
            "kind": source.kind,
            "config": source.config.model_dump(),
            "lang": source.lang,
            "poll_every": source.poll_every,
            "state": {k: source.state.get(k) for k in STATE_FIELDS},
        }
    )


def decode_source(data: bytes | str) -> Source:
    raw = json.loads(data)
    return Source(
        kind=raw["kind"],
        config=FeedConfig.model_validate(raw["config"]),
        lang=raw["lang"],
        poll_every=raw["poll_every"],
        state=raw["state"],
    )


def feed_state_message(url: str, fields: dict[str, Any], outcome: str) -> str:
    """``outcome``: polled | not_modified | failed (what the source's poll counts as)."""
    return json.dumps({"type": "feed_state", "url": url, "fields": fields, "outcome": outcome})


def awaits_message(url: str, name: str, pages: int, fields: dict[str, str | None]) -> str:
    """A poll led to ``pages`` requests: the writer stores ``fields`` (its ETag, Last-Modified)
    once their articles are all stored (see ``SourceSpider.record_success``). Not a poll."""
    return json.dumps(
        {"type": "feed_awaits", "url": url, "name": name, "pages": pages, "fields": fields}
    )


def settled_message(name: str | None, stored: bool, more: int) -> str:
    """A request of an awaited poll that is not an article: a child sitemap read (bringing
    ``more`` pages), or a failure that keeps the poll's fields off (``stored`` false)."""
    return json.dumps({"type": "feed_settled", "name": name, "stored": stored, "more": more})


def entry_keys(article: Article) -> list[str]:
    """The URL keys a worker claims an article's entry by (see ``WorkerSpider.new_entries``)."""
    keys = set()
    for url in [u for u, kind in article.url_forms if kind == "link"] or [article.url]:
        try:
            keys.add(url_key(url))
        except ValueError:
            continue
    return sorted(keys) or [article.url]


def article_message(article: Article) -> str:
    data = asdict(article)
    data.pop("precomputed")  # the writer clusters from the stored text
    return json.dumps({"type": "article", "article": data}, ensure_ascii=False)


def done_message(kind: str) -> str:
    """A scheduled request that produced no article: ``article_failed`` or ``task_done``."""
    return json.dumps({"type": kind})


def decode_message(data: bytes | str) -> dict[str, Any]:
    message = json.loads(data)
    if message["type"] == "article":
        raw = message["article"]
        raw["url_forms"] = [tuple(f) for f in raw.get("url_forms") or []]
        message["article"] = Article(**raw)
    return message
