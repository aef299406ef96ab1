"""newsmon on real published coverage (tests/data/real/): floors under what the code reaches now,
so a change that makes stories, relevance, credit or copies worse on real text fails here.

The floors sit a little under the figures benchmarks/real_coverage.py printed when they were set
(README, "Figures on real coverage"); they are guards, not targets: the targets of issue #15 are
far above them. Only the whole corpus and dev are held to floors besides the per-language check;
held-out is measured, not tuned on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_coverage import DATA, LISTED, evaluate  # noqa: E402


@pytest.fixture(scope="module")
def figures() -> dict:
    return evaluate(DATA, ROOT / "feeds.yaml")


def test_corpus_is_real_coverage_of_the_allowed_years():
    labels = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(labels) >= 600
    assert {lab["published"][:4] for lab in labels} <= {"2022", "2023", "2025"}
    langs: dict[str, int] = {}
    for lab in labels:
        langs[lab["lang"]] = langs.get(lab["lang"], 0) + 1
    assert sum(1 for lang, n in langs.items() if lang != "en" and n >= 15) >= 12
    events = {lab["event"] for lab in labels}
    assert len(events) >= 30
    # the split is by event: no event has articles on both sides
    sides: dict[str, set[str]] = {}
    for lab in labels:
        sides.setdefault(lab["event"], set()).add(lab["split"])
    assert all(len(s) == 1 for s in sides.values())


def test_relevance_on_real_coverage_in_listed_and_unlisted_languages(figures):
    rel = figures["relevance_all"]
    precision, recall = rel["ALL"][:2]
    assert precision >= 0.92 and recall >= 0.88, rel["ALL"]
    # languages the topic had no terms for before the multilingual groups: 0.11 recall then
    assert rel["unlisted"][1] >= 0.80, rel["unlisted"]
    assert set(rel) - {"ALL", "listed", "unlisted"} - LISTED  # unlisted languages are scored
    # negatives that contain the topic's words (war news in Russia, missiles elsewhere) mostly
    # stay out: a topic of single words would let most of them in
    wrong, near = figures["near_miss_all"]
    assert near >= 100 and wrong / near <= 0.20, (wrong, near)


def test_stories_on_real_coverage(figures):
    p, r, f1 = figures["stories_all"]
    assert f1 >= 0.63 and p >= 0.75, (p, r, f1)
    together, pairs = figures["crosslang_all"]
    assert pairs > 1000 and together / pairs >= 0.38


def test_credit_on_real_coverage(figures):
    right, crediting, false, others = figures["credit_all"]
    assert right / crediting >= 0.64
    assert false / others <= 0.03


def test_copies_on_real_coverage(figures):
    found, labelled, right, predicted = figures["copies"]
    assert labelled >= 10 and found / labelled >= 0.7
    assert right / predicted >= 0.9
