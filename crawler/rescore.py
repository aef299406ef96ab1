"""``newsmon rescore``: recompute every stored article's relevance from the current topics.

Runs each topic query and each of its terms once over the stored FTS5 index (not once per
article), then writes all results in one transaction, so 100k articles take seconds and a crash
leaves the previous scores intact.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass

from crawler.config import Config, ConfigError
from crawler.relevance import combine, compile_topics
from storage import Store


@dataclass
class RescoreResult:
    articles: int
    relevant: int
    seconds: float

    def summary(self) -> str:
        return (
            f"rescore: {self.articles} articles, {self.relevant} relevant, {self.seconds:.1f} s"
        )


def rescore(store: Store, config: Config) -> RescoreResult:
    started = time.monotonic()
    topics = compile_topics(config.topics)
    total = store.count("articles")
    if not topics:
        store.set_all_relevant()
        return RescoreResult(total, total, time.monotonic() - started)
    try:
        matched = {t.name: store.fts_match(t.query) for t in topics}
        terms = {term for t in topics for term in t.terms}
        term_ids = {term: store.fts_match(term) for term in terms}
        title_ids = {term: store.fts_match("title : " + term) for term in terms}
    except sqlite3.OperationalError as exc:  # compile_topics checked syntax; be safe anyway
        raise ConfigError(f"topic query failed on the stored index: {exc}") from None
    per_article_terms: dict[int, set[str]] = defaultdict(set)
    per_article_title: dict[int, set[str]] = defaultdict(set)
    per_article_topics: dict[int, set[str]] = defaultdict(set)
    for term, ids in term_ids.items():
        for article_id in ids:
            per_article_terms[article_id].add(term)
    for term, ids in title_ids.items():
        for article_id in ids:
            per_article_title[article_id].add(term)
    for name, ids in matched.items():
        for article_id in ids:
            per_article_topics[article_id].add(name)
    results = []
    relevant = 0
    for article_id in set(per_article_terms) | set(per_article_topics):
        rel = combine(
            topics,
            matched=per_article_topics.get(article_id, set()),
            term_hits=per_article_terms.get(article_id, set()),
            title_hits=per_article_title.get(article_id, set()),
        )
        relevant += rel.relevant
        results.append((article_id, rel.relevant, rel.score, rel.matched_terms, rel.topics))
    store.write_relevance(results, reset_all=True)
    return RescoreResult(total, relevant, time.monotonic() - started)
