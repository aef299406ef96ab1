"""Topic queries -> relevant / score / matched terms, evaluated by SQLite's own FTS5 engine.

Why FTS5 and not a query parser of our own or a Lucene-syntax library: FTS5 already evaluates
exactly the language a topic needs (AND / OR / NOT, parentheses, "quoted phrases", prefix*
wildcards, NEAR(a b, N)), with the same Unicode tokenizer the article index uses, so a topic
means the same thing when a new article is scored here (one row in an in-memory FTS5 table) and
when ``rescore`` runs it over the whole stored index in one query per topic. A query that FTS5
rejects is a configuration error named by topic.

Only the headline, summary and lead of an article are scored (see :class:`Scorer`).

Score: the number of distinct query terms an article contains, counting a title hit double. It is
stable (independent of the rest of the corpus, unlike bm25) so incremental scoring and a full
rescore give identical numbers.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from crawler.config import Config, ConfigError, TopicConfig

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


# Scripts written without spaces between words (Chinese, Japanese kana, Thai). FTS5's unicode61
# tokenizer makes one token of a whole run of them, so a term could only match a run that is
# exactly the term. Each character becomes a token of its own instead, in the text and in the
# query, and a term in these scripts becomes the phrase of its characters: 俄罗斯 matches
# "...俄罗斯境内..." as the adjacent tokens 俄 罗 斯.
_UNSPACED_CHARS = r"\u0E00-\u0E7F\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF"
_UNSPACED = re.compile(f"([{_UNSPACED_CHARS}])")
_JOINED = re.compile(f"(?<=[{_UNSPACED_CHARS}]) (?=[{_UNSPACED_CHARS}])")
_QUERY_PART = re.compile(r'"(?:[^"]|"")*"\*?|[^\s()",:+^]+\*?')


def segment(text: str) -> str:
    """Text with every character of an unspaced script standing apart as a token."""
    return _UNSPACED.sub(r" \1 ", text) if _UNSPACED.search(text) else text


def segment_query(query: str) -> str:
    """A query whose words in unspaced scripts are phrases of their characters (a trailing *
    is dropped there: a prefix of a character sequence is what the phrase already matches)."""
    if not _UNSPACED.search(query):
        return query

    def one(m: re.Match[str]) -> str:
        part = m.group(0)
        if not _UNSPACED.search(part):
            return part
        inner = part.rstrip("*").strip('"')
        return '"' + " ".join(segment(inner).split()) + '"'

    return _QUERY_PART.sub(one, query)


def query_terms(query: str) -> tuple[str, ...]:
    """The words, prefixes and phrases a query is built of, in order, without operators."""
    tokens = _TOKEN.findall(query)
    terms: list[str] = []
    for i, token in enumerate(tokens):
        if token in '()",:+^' or token in OPERATORS:
            continue
        if i > 0 and tokens[i - 1] == ",":
            continue  # the distance in NEAR(a b, 10)
        if i + 1 < len(tokens) and tokens[i + 1] == ":":
            continue  # a column name in title:word
        if token not in terms:
            terms.append(token)
    return tuple(terms)


def display_term(term: str) -> str:
    """A term as users read it in ``matched_terms``: without the FTS5 quoting, and a phrase of
    unspaced-script characters written back together."""
    shown = term.strip('"').replace('""', '"')
    return _JOINED.sub("", shown) if _UNSPACED.search(shown) else shown


class Scorer:
    """Scores articles against topics in a private in-memory FTS5 table.

    Only the headline, the summary and the lead (the first ``lead_words`` words of the text) are
    scored: news puts its subject there, while the background paragraphs deep in a war report
    mention the weapons debate in passing without being about it.
    """

    def __init__(self, topics: Iterable[TopicConfig], lead_words: int = 0) -> None:
        self.lead_words = lead_words
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(
            f"CREATE VIRTUAL TABLE doc USING fts5(title, summary, text, tokenize='{TOKENIZE}')"
        )
        self.topics = []
        for t in topics:
            try:
                query = segment_query(t.expanded_query())
            except ValueError as exc:
                raise ConfigError(f"topic {t.name!r}: {exc}") from None
            self.topics.append(Topic(t.name, query, query_terms(query)))
        self.terms = list(dict.fromkeys(term for t in self.topics for term in t.terms))
        # For one article at a time: which tokens FTS5 makes of each term, so a term whose
        # tokens are absent from the article's own tokens needs no query at all.
        self.conn.execute("CREATE VIRTUAL TABLE doc_tokens USING fts5vocab(doc, 'instance')")
        self.term_tokens = {term: self._tokens_of(term) for term in self.terms}
        for topic in self.topics:
            try:
                self._ids(topic.query)
            except sqlite3.OperationalError as exc:
                raise ConfigError(f"topic {topic.name!r}: bad query: {exc}") from None
            for term in topic.terms:
                try:
                    self._ids(term)
                except sqlite3.OperationalError as exc:
                    raise ConfigError(f"topic {topic.name!r}: bad term {term}: {exc}") from None

    def _tokens_of(self, term: str) -> tuple[tuple[str, ...], bool]:
        """(the tokens FTS5 indexes for a term's words, whether the last is a prefix)."""
        prefix = term.endswith("*")
        words = term.rstrip("*").strip('"').replace('""', '"')
        with self.conn:
            self._clear()
            self.conn.execute("INSERT INTO doc (rowid, title) VALUES (1, ?)", [words])
            tokens = tuple(
                r[0] for r in self.conn.execute("SELECT term FROM doc_tokens ORDER BY offset")
            )
            self._clear()
        return tokens, prefix

    def _clear(self) -> None:
        """Empty the table and its index. A plain DELETE leaves the deleted rows' entries in
        the index as delete markers that every later query wades through: after the terms are
        tokenized at start-up, a batch of 1,000 articles took 0.6 s to score instead of 0.06 s.
        FTS5's 'optimize' merges the index into one segment, dropping them."""
        self.conn.execute("DELETE FROM doc")
        self.conn.execute("INSERT INTO doc (doc) VALUES ('optimize')")

    def _ids(self, query: str) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT rowid FROM doc WHERE doc MATCH ?", [query])}

    def lead(self, text: str | None) -> str:
        if not text or not self.lead_words:
            return text or ""
        words = text.split(" ")
        if len(text) > UNSPACED_RUN * len(words):  # mostly an unspaced script: cut by letters
            return text[: self.lead_words * UNSPACED_CHARS_PER_WORD]
        if len(words) <= self.lead_words:
            return text
        return " ".join(words[: self.lead_words])

    def score(self, title: str | None, summary: str | None, text: str | None) -> Relevance:
        """Relevance of one article. With no topics configured, everything is relevant."""
        return self.score_many([(1, title, summary, text)])[1]

    def score_many(
        self, rows: Iterable[tuple[int, str | None, str | None, str | None]]
    ) -> dict[int, Relevance]:
        """Relevance of many articles at once: one FTS5 query per topic and term, not per article.

        ``rows`` are (id, title, summary, text). The same path scores one new article during a
        crawl and every stored article during ``rescore``, so the two always agree.
        """
        rows = list(rows)
        if not self.topics:
            return {row[0]: Relevance(relevant=True, score=0.0) for row in rows}
        if len(rows) <= SINGLE_ROWS:
            return {row[0]: self._score_one(*row[1:]) for row in rows}
        with self.conn:
            self._clear()
            self.conn.executemany(
                "INSERT INTO doc (rowid, title, summary, text) VALUES (?, ?, ?, ?)",
                (
                    (i, segment(t or ""), segment(s or ""), segment(self.lead(x)))
                    for i, t, s, x in rows
                ),
            )
            matched: dict[int, set[str]] = {}
            for topic in self.topics:
                for i in self._ids(topic.query):
                    matched.setdefault(i, set()).add(topic.name)
            hits: dict[int, set[str]] = {}
            title_hits: dict[int, set[str]] = {}
            for term in self.terms:
                for i in self._ids(term):
                    hits.setdefault(i, set()).add(term)
                for i in self._ids("title : " + term):
                    title_hits.setdefault(i, set()).add(term)
            self._clear()
        empty: set[str] = set()
        return {
            row[0]: combine(
                self.topics,
                matched.get(row[0], empty),
                hits.get(row[0], empty),
                title_hits.get(row[0], empty),
            )
            for row in rows
        }

    def _score_one(self, title: str | None, summary: str | None, text: str | None) -> Relevance:
        """One article: read the tokens FTS5 made of it, keep the terms whose tokens it has,
        and ask FTS5 itself only what tokens cannot answer (phrases, the topic queries)."""
        with self.conn:
            self._clear()
            self.conn.execute(
                "INSERT INTO doc (rowid, title, summary, text) VALUES (1, ?, ?, ?)",
                (segment(title or ""), segment(summary or ""), segment(self.lead(text))),
            )
            tokens: set[str] = set()
            title_tokens: set[str] = set()
            for token, col in self.conn.execute("SELECT DISTINCT term, col FROM doc_tokens"):
                tokens.add(token)
                if col == "title":
                    title_tokens.add(token)
            ordered = sorted(tokens)
            hits: set[str] = set()
            title_hits: set[str] = set()
            for term in self.terms:
                words, prefix = self.term_tokens[term]
                if not _has(words, prefix, tokens, ordered):
                    continue
                if len(words) == 1:
                    hits.add(term)  # a word or a prefix: the tokens are the answer
                    if _has(words, prefix, title_tokens, sorted(title_tokens)):
                        title_hits.add(term)
                    continue
                if self._ids(term):  # a phrase: FTS5 checks the words are adjacent
                    hits.add(term)
                    if _has(words, prefix, title_tokens, sorted(title_tokens)) and self._ids(
                        "title : " + term
                    ):
                        title_hits.add(term)
            matched = {
                t.name for t in self.topics if hits.intersection(t.terms) and self._ids(t.query)
            }
            self._clear()
        return combine(self.topics, matched, hits, title_hits)


# In an unspaced script the lead is cut by characters: this many make about a word's worth.
UNSPACED_CHARS_PER_WORD = 2
# A text whose stretches between spaces average more characters than this is mostly written in
# an unspaced script (words of spaced languages average 5-7).
UNSPACED_RUN = 20
# Up to this many rows are scored one by one from their tokens; more, one query per term.
SINGLE_ROWS = 8


def _has(words: tuple[str, ...], prefix: bool, tokens: set[str], ordered: list[str]) -> bool:
    """Whether every token of a term occurs (the last as a prefix when the term ends in *)."""
    if not words:
        return False
    *whole, last = words
    if any(w not in tokens for w in whole):
        return False
    if not prefix:
        return last in tokens
    i = bisect.bisect_left(ordered, last)
    return i < len(ordered) and ordered[i].startswith(last)


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


def scorer_for(config: Config) -> Scorer:
    return Scorer(config.topics, lead_words=config.defaults.relevance_lead_words or 0)
