"""The single writer of a distributed crawl (``newsmon crawl --redis URL``).

It holds the crawl lock and the SQLite file, hands the due sources to the workers through Redis,
and applies what they send back, in the order it arrives: feed state to ``feeds``, articles
through scoring and storage, and at the end clustering, exactly as a one-process crawl does.
See crawler/distributed/redisqueue.py for the messages.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import redis

from crawler.analysis.clusterer import Clusterer
from crawler.analysis.rescore import score_pending
from crawler.config import Config
from crawler.distributed import redisqueue as rq
from crawler.fetch.sources import AwaitedPoll, due_sources
from crawler.fetch.sources import settle as settle_poll
from storage import Store


def run_writer(
    store: Store,
    config: Config,
    server: redis.Redis,
    *,
    prefix: str,
    only: set[str],
    poll_all: bool,
    due_slack: float,
    idle_timeout: float,
    settle: float,
) -> tuple[str, dict[str, int], str | None]:
    """Run one distributed crawl to its end; returns (status, counts, error)."""
    names = ("sources", "items", "pending", "requests", "seen", "claimed", "dupefilter")
    keys = {n: rq.key(prefix, n) for n in names}
    counts: Counter[str] = Counter()
    awaited: dict[str, AwaitedPoll] = {}  # polls whose pages are not all stored, by feed name
    clusterer = Clusterer(store, config)
    score_pending(store, config)  # what a crashed run stored and never scored or clustered
    clusterer.process_pending()
    stories_before = clusterer.stories_new

    def settled(name: str | None, stored: bool, more: int) -> None:
        done = settle_poll(awaited, name, stored, more)
        if done is not None:
            store.update_feed(done.url, **done.fields)

    def apply(message: dict[str, Any]) -> int:
        """Apply one message; returns how many scheduled requests it answers for."""
        kind = message["type"]
        if kind == "feed_awaits":
            awaited[message["name"]] = AwaitedPoll(
                message["url"], message["pages"], message["fields"]
            )
            return 0
        if kind == "feed_settled":
            settled(message["name"], message["stored"], message["more"])
            return 0
        if kind == "feed_state":
            store.update_feed(message["url"], **message["fields"])
            counts["feeds_polled"] += 1
            if message["outcome"] == "not_modified":
                counts["feeds_not_modified"] += 1
            elif message["outcome"] == "failed":
                counts["feeds_failed"] += 1
            return 0
        if kind == "article":
            article = message["article"]
            status, _ = store.save_article(article.row(), article.url_forms)
            counts[f"articles_{status}"] += 1
            settled(article.feed, True, 0)
            server.sadd(keys["seen"], *rq.entry_keys(article))  # stored: no worker takes it again
        elif kind == "article_failed":
            counts["articles_failed"] += 1
        return 1

    # Results a dead earlier run left behind are real work: apply them first.
    while (raw := server.rpop(keys["items"])) is not None:
        apply(rq.decode_message(raw))
    server.set(keys["pending"], 0)
    # What a dead run's workers took and never delivered is free again: their claims, and the
    # shared dupefilter that would drop the page's request as already seen. Sources an earlier
    # run queued and no worker took are dropped too: no poll of theirs was recorded, so they are
    # due again below, and queued twice they would be polled (and counted) twice.
    server.delete(keys["claimed"], keys["dupefilter"], keys["sources"])
    sources = due_sources(
        config, store, kinds=("feed", "sitemap"), only=only, poll_all=poll_all,
        due_slack=due_slack,
    )  # fmt: skip
    if sources:
        server.rpush(keys["sources"], *[rq.encode_source(s) for s in sources])
    outstanding = len(sources)
    last = time.monotonic()
    status, error = "ok", None
    while True:
        popped = server.brpop([keys["items"]], timeout=1)
        now = time.monotonic()
        if popped is not None:
            message = rq.decode_message(popped[1])
            if message["type"] == "feed_state":
                outstanding -= 1
            answered = apply(message)
            if answered:
                server.decrby(keys["pending"], answered)
            last = now
            continue
        pending = int(server.get(keys["pending"]) or 0)
        if outstanding <= 0 and pending <= 0:
            break
        # A request a dupefilter dropped never answers: once the shared queue is empty and
        # nothing has arrived for a while, the crawl is over.
        if outstanding <= 0 and not server.zcard(keys["requests"]) and now - last > settle:
            break
        if now - last > idle_timeout:
            status = "interrupted"
            error = (
                f"no worker answered for {idle_timeout:.0f} s ({outstanding} sources and "
                f"{pending} pages outstanding); they stay queued for the next run"
            )
            break
    score_pending(store, config)
    clusterer.process_pending()
    counts["stories_new"] = clusterer.stories_new - stories_before
    if (
        status == "ok"
        and counts["feeds_polled"]
        and counts["feeds_failed"] == counts["feeds_polled"]
    ):
        status = "failed"
    return status, dict(counts), error
