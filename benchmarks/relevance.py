"""Precision and recall of the shipped topics on the invented relevance fixtures in tests/data.

These short texts were written for the project and tuned on, held-out quarter included: they
are a regression check of the query's wiring, not a measure of it. The measure is
``benchmarks/real_coverage.py`` on real published articles.

Each line of tests/data/relevance_<lang>.tsv is ``label<TAB>title<TAB>text`` with label ``on``
(about the topic), ``hard`` (war news of the same weeks that never touches it) or ``off``
(unrelated). Every fourth line of each file is held out: it was not looked at while writing the
query, and its figures are reported separately.

    python benchmarks/relevance.py [--feeds feeds.yaml] [--topic NAME] [--errors]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.analysis.relevance import Scorer  # noqa: E402
from crawler.config import load_config  # noqa: E402


@dataclass
class Example:
    lang: str
    label: str
    title: str
    text: str
    heldout: bool


def load_examples(data: Path = ROOT / "tests" / "data") -> list[Example]:
    out = []
    for path in sorted(data.glob("relevance_*.tsv")):
        lang = path.stem.split("_", 1)[1]
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
        for index, line in enumerate(lines):
            label, title, text = line.split("\t")
            out.append(Example(lang, label, title, text, heldout=index % 4 == 3))
    return out


def evaluate(scorer: Scorer, examples: list[Example], topic: str) -> dict[str, float]:
    results = scorer.score_many((i, e.title, None, e.text) for i, e in enumerate(examples))
    tp = fp = fn = 0
    for i, e in enumerate(examples):
        got = topic in results[i].topics
        tp += got and e.label == "on"
        fp += got and e.label != "on"
        fn += (not got) and e.label == "on"
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "n": len(examples),
        "precision": precision,
        "recall": recall,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, default=ROOT / "feeds.yaml")
    parser.add_argument("--topic", default="weapons-use-debate")
    parser.add_argument("--errors", action="store_true", help="list misclassified dev examples")
    args = parser.parse_args()
    config = load_config(args.feeds)
    scorer = Scorer(
        [t for t in config.topics if t.name == args.topic],
        lead_words=config.defaults.relevance_lead_words,
    )
    examples = load_examples()
    print("invented fixtures, tuned on: a regression check (real: benchmarks/real_coverage.py)")
    for name, subset in [
        ("dev", [e for e in examples if not e.heldout]),
        ("held-out", [e for e in examples if e.heldout]),
        ("all", examples),
    ]:
        m = evaluate(scorer, subset, args.topic)
        print(
            f"{name:<9} n={m['n']:<4} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
            f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
        )
    parts = []
    for lang in sorted({e.lang for e in examples}):
        m = evaluate(scorer, [e for e in examples if e.lang == lang], args.topic)
        parts.append(f"{lang} P {m['precision']:.2f}/R {m['recall']:.2f}")
    print("by language (all): " + "  ".join(parts))
    if args.errors:
        dev = [e for e in examples if not e.heldout]
        results = scorer.score_many((i, e.title, None, e.text) for i, e in enumerate(dev))
        for i, e in enumerate(dev):
            got = args.topic in results[i].topics
            if got != (e.label == "on"):
                kind = "FP" if got else "FN"
                print(f"  {kind} [{e.lang} {e.label}] {e.title}  terms={results[i].matched_terms}")


if __name__ == "__main__":
    main()
