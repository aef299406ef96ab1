"""Topic queries -> relevant / score / matched terms, evaluated by SQLite's own FTS5 engine.

Why FTS5 and not a query parser of our own or a Lucene-syntax library: FTS5 already evaluates
exactly the language a topic needs (AND / OR / NOT, parentheses, "quoted phrases", prefix*
wildcards, NEAR(a b, N)), with the same Unicode tokenizer the article index uses, so a topic
means the same thing when a new article is scored here (one row in an in-memory FTS5 table) and
when ``rescore`` runs it over the whole stored index in one query per topic. A query that FTS5
rejects is a configuration error named by topic.

Score: the number of distinct query terms an article contains, counting a title hit double. It is
stable (independent of the rest of the corpus, unlike bm25) so incremental scoring and a full
rescore give identical numbers.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from crawler.config import ConfigError, TopicConfig

# Must match storage's FTS5 tokenizer, or a topic would mean different things in the two places.
TOKENIZE = "unicode61 remove_diacritics 2"
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|[^\s()",:+^]+\*?|[()",:+^]')


@dataclass(frozen=True)
class Topic:
    name: str
    query: str
    terms: tuple[str, ...]  # each a standalone FTS5 query: a word, word*, or "a phrase"


@dataclass
class Relevance:
    relevant: bool
    score: float
    matched_terms: list[str] = field(default_factory=list)
    topics: dict[str, float] = field(default_factory=dict)  # topic name -> score, matched only


def query_terms(query: str) -> tuple[str, ...]:
    """The words, prefixes and phrases a query is built of, in order, without operators."""
    tokens = _TOKEN.findall(query)
    terms: list[str] = []
    for i, token in enumerate(tokens):
        if token in "()\",:+^" or token in OPERATORS:
            continue
        if i > 0 and tokens[i - 1] == ",":
            continue  # the distance in NEAR(a b, 10)
        if i + 1 < len(tokens) and tokens[i + 1] == ":":
            continue  # a column name in title:word
        if token not in terms:
            terms.append(token)
    return tuple(terms)


def display_term(term: str) -> str:
    """A term as users read it in ``matched_terms``: without the FTS5 quoting."""
    return term.strip('"').replace('""', '"')


class Scorer:
    """Scores articles against topics in a private in-memory FTS5 table."""

    def __init__(self, topics: Iterable[TopicConfig]) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(
            f"CREATE VIRTUAL TABLE doc USING fts5(title, summary, text, tokenize='{TOKENIZE}')"
        )
        self.topics = [Topic(t.name, t.query, query_terms(t.query)) for t in topics]
        for topic in self.topics:
            try:
                self.conn.execute("SELECT rowid FROM doc WHERE doc MATCH ?", [topic.query])
            except sqlite3.OperationalError as exc:
                raise ConfigError(f"topic {topic.name!r}: bad query: {exc}") from None
            for term in topic.terms:
                try:
                    self.conn.execute("SELECT rowid FROM doc WHERE doc MATCH ?", [term])
                except sqlite3.OperationalError as exc:
                    raise ConfigError(f"topic {topic.name!r}: bad term {term}: {exc}") from None

    def score(self, title: str | None, summary: str | None, text: str | None) -> Relevance:
        """Relevance of one article. With no topics configured, everything is relevant."""
        if not self.topics:
            return Relevance(relevant=True, score=0.0)
        with self.conn:
            self.conn.execute("DELETE FROM doc")
            self.conn.execute(
                "INSERT INTO doc (rowid, title, summary, text) VALUES (1, ?, ?, ?)",
                [title or "", summary or "", text or ""],
            )

            def hit(query: str) -> bool:
                return bool(
                    self.conn.execute("SELECT 1 FROM doc WHERE doc MATCH ?", [query]).fetchone()
                )

            return combine(
                self.topics,
                matched={t.name for t in self.topics if hit(t.query)},
                term_hits={term for t in self.topics for term in t.terms if hit(term)},
                title_hits={
                    term for t in self.topics for term in t.terms if hit("title : " + term)
                },
            )


def combine(
    topics: list[Topic], matched: set[str], term_hits: set[str], title_hits: set[str]
) -> Relevance:
    """Fold per-topic matches and per-term hits into one Relevance (shared with rescore)."""
    per_topic: dict[str, float] = {}
    terms: list[str] = []
    for topic in topics:
        hits = [t for t in topic.terms if t in term_hits]
        score = float(len(hits) + sum(1 for t in hits if t in title_hits))
        if topic.name in matched:
            per_topic[topic.name] = score
        for term in hits:
            if display_term(term) not in terms:
                terms.append(display_term(term))
    best = max(per_topic.values(), default=0.0)
    return Relevance(relevant=bool(per_topic), score=best, matched_terms=terms, topics=per_topic)


def compile_topics(topics: Iterable[TopicConfig]) -> list[Topic]:
    """Validate topic queries (ConfigError naming the topic) and return them parsed."""
    return Scorer(topics).topics
