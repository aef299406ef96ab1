"""Relevance of stored articles: ``newsmon rescore`` (all of them, after the topics changed) and
the end of every crawl or import (those not scored yet).

Articles are scored in batches through the same :class:`~crawler.analysis.relevance.Scorer` a crawl
uses
(one FTS5 query per topic and term per batch, not per article), so a rescore agrees with what the
crawl stored and memory stays bounded by the batch size; all results are written in one
transaction, so a crash leaves the previous scores intact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crawler.analysis.relevance import scorer_for
from crawler.config import Config
from storage import Store

BATCH = 20_000


@dataclass
class RescoreResult:
    articles: int
    relevant: int
    seconds: float

    def summary(self) -> str:
        return f"rescore: {self.articles} articles, {self.relevant} relevant, {self.seconds:.1f} s"


def rescore(store: Store, config: Config, batch: int = BATCH) -> RescoreResult:
    started = time.monotonic()
    scorer = scorer_for(config)
    results = []
    relevant = 0
    for rows in store.iter_article_texts(batch):
        for article_id, rel in scorer.score_many(rows).items():
            relevant += rel.relevant
            results.append((article_id, rel.relevant, rel.score, rel.matched_terms, rel.topics))
    store.write_relevance(results, reset_all=True)
    return RescoreResult(len(results), relevant, time.monotonic() - started)


def score_pending(store: Store, config: Config, batch: int = 1000) -> int:
    """Score the articles stored since the last scoring (``relevance_score`` is null): a crawl
    or an import stores first and scores once at the end, in batches, which costs one FTS5
    query per term for the whole batch instead of hundreds per article. Returns how many."""
    scorer = scorer_for(config)
    done = 0
    while True:
        rows = store.unscored_articles(batch)
        if not rows:
            return done
        results = [
            (article_id, rel.relevant, rel.score, rel.matched_terms, rel.topics)
            for article_id, rel in scorer.score_many(rows).items()
        ]
        store.write_relevance(results, reset_all=False)
        done += len(results)
