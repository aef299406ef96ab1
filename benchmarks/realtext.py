"""Benchmark archives made of real news text (tests/data/real/articles.jsonl).

The clustering and search benchmarks need tens of thousands of articles; the labelled real
corpus has 668 in 31 languages. Random syllables or a random Zipf vocabulary make texts that cost
a fraction of a real page to featurise and whose term frequencies are nothing like news (every
topical term in a few percent of articles, where a Ukraine monitor sees "Ukraine" in most).
Here every synthetic article is a real article's text, recombined at the sentence level:

* a story is built on one real event of the corpus (its articles are in several languages), so a
  story's articles share what real coverage of one event shares (names, numbers, wording);
* each article takes a random real article of that event, drops about a quarter of its sentences
  and adds one to three sentences from other real articles of the same language, so no two are
  byte-identical unless meant to be (``COPY_SHARE`` of them repeat an earlier article verbatim,
  as wire copies do);
* lengths, scripts, vocabularies and term frequencies are therefore the corpus' own;
* ``RELEVANT_SHARE`` of the stories are built on events the corpus labels relevant and marked
  relevant; the rest on any event and marked not relevant (a monitor stores far more than it
  keeps).

Stories reuse the corpus' 195 events many times at 10k and 100k articles, so two stories built
on one event can be the same story to any reader: the labels below are not a quality measure.
Clustering quality is measured on labelled real articles by benchmarks/stories.py.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "real" / "articles.jsonl"
RELEVANT_SHARE = 0.1  # stories marked relevant (the rest are stored, not kept)
COPY_SHARE = 0.15  # articles that repeat an earlier article of their story verbatim
DROP_SENTENCE = 0.25  # chance each sentence of the base article is left out
STORY_SIZES = (1, 1, 1, 2, 3, 5, 8, 13, 40)  # articles per story, drawn uniformly from these
STORY_HOURS = 8  # mean hours between a story's first article and each later one
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


@dataclass(frozen=True)
class Row:
    url: str
    outlet: str
    title: str
    text: str
    lang: str
    published_at: str
    relevant: bool
    story: str  # the synthetic story's label


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def generate(
    n: int,
    days: float,
    seed: int = 5,
    corpus: list[dict] | None = None,
    start: datetime | None = None,
) -> list[Row]:
    """``n`` articles over ``days`` days from ``start`` (default 2024-05-01), oldest first."""
    rng = random.Random(seed)
    real = corpus if corpus is not None else load_corpus()
    events: dict[str, list[dict]] = defaultdict(list)
    by_lang: dict[str, list[list[str]]] = defaultdict(list)
    for article in real:
        events[article["event"]].append(article)
        by_lang[article["lang"]].append(sentences(article["text"]))
    relevant_events = [e for e, arts in events.items() if any(a["relevant"] for a in arts)]
    all_events = list(events)
    start = start or datetime(2024, 5, 1, tzinfo=timezone.utc)
    rows: list[Row] = []
    story = 0
    while len(rows) < n:
        story += 1
        relevant = rng.random() < RELEVANT_SHARE
        event = rng.choice(relevant_events if relevant else all_events)
        t0 = start + timedelta(seconds=rng.uniform(0, days * 86400))
        written: list[tuple[str, str, str]] = []  # (title, text, lang) of this story so far
        for _ in range(min(rng.choice(STORY_SIZES), n - len(rows))):
            when = t0 + timedelta(hours=rng.expovariate(1 / STORY_HOURS))
            if written and rng.random() < COPY_SHARE:
                title, text, lang = rng.choice(written)
            else:
                base = rng.choice(events[event])
                lang = base["lang"]
                kept = [s for s in sentences(base["text"]) if rng.random() >= DROP_SENTENCE]
                others = by_lang[lang]
                for _ in range(rng.randint(1, 3)):
                    donor = rng.choice(others)
                    if donor:
                        kept.insert(rng.randint(0, len(kept)), rng.choice(donor))
                title, text = base["title"], " ".join(kept) or base["text"]
                written.append((title, text, lang))
            rows.append(
                Row(
                    url=f"https://outlet{len(rows) % 300}.example/a/{len(rows)}",
                    outlet=f"Outlet {rng.randint(1, 300)}",
                    title=title,
                    text=text,
                    lang=lang,
                    published_at=when.isoformat(),
                    relevant=relevant,
                    story=f"s{story}",
                )
            )
    rows.sort(key=lambda r: r.published_at)
    return rows


def describe(rows: list[Row]) -> str:
    """Words per article and languages: what the figures were measured on."""
    words = sorted(len(r.text.split()) for r in rows)
    langs = len({r.lang for r in rows})
    relevant = sum(r.relevant for r in rows)
    return (
        f"real text recombined (tests/data/real, {langs} languages, median "
        f"{words[len(words) // 2]} words, {relevant / len(rows):.0%} relevant)"
    )
