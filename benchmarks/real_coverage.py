"""Stories, relevance, credit and copies on real published coverage (tests/data/real/).

The corpus is real articles of 2022, 2023 and 2025 in many languages, labelled by event, relevance
to the weapons-use debate, credited source and copy (see tests/data/real/README.md). It is
imported into a fresh database with ``newsmon import``'s own code and the shipped feeds.yaml, all
of it at once as a user's archive would be, then scored per split (events are dev or held-out;
thresholds and terms are set on dev only, held-out is reported, never tuned on) and per language:

* stories: B-cubed precision / recall / F1 over the articles labelled relevant, each article's
  story against its event; an article in no story is a singleton of its own. Precision counts a
  story's members from both splits, so a merge across the split is not hidden. Also the share of
  cross-language pairs of one event that share a story;
* relevance: precision and recall of ``relevant`` against the label, per language, and over the
  languages the topic has no terms for;
* credit: share of the articles that credit an outlet whose ``credited_source`` is the first
  credited outlet; false credit: share of the others that get one;
* copies: labelled copy links found (both ends in one copy group), predicted links right.

    python benchmarks/real_coverage.py [--data tests/data/real/articles.jsonl] [--feeds feeds.yaml]
                                  [--errors] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.analysis.credit import build_gazetteer  # noqa: E402
from crawler.commands.importer import parse_lines, run_import  # noqa: E402
from crawler.config import load_config  # noqa: E402
from crawler.urls import canonical_url  # noqa: E402
from storage import Store  # noqa: E402

DATA = ROOT / "tests" / "data" / "real" / "articles.jsonl"
# the languages the shipped topic lists terms for
LISTED = {"en", "uk", "ru", "de", "fr", "es", "pl"}
SPLITS = ("dev", "held-out", "all")


def bcubed(
    items: list[str], pred: dict[str, object], gold: dict[str, str], universe: list[str]
) -> tuple[float, float, float]:
    """B-cubed over ``items``; clusters are taken over ``universe`` (every scored article), so a
    story that mixes the items with articles outside them still costs precision."""
    if not items:
        return 0.0, 0.0, 0.0
    by_pred: dict[object, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for k in universe:
        by_pred[pred[k]].add(k)
        by_gold[gold[k]].add(k)
    p = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_pred[pred[k]]) for k in items)
    r = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_gold[gold[k]]) for k in items)
    p, r = p / len(items), r / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


_GAZETTEER = build_gazetteer()


def same_source(predicted: str | None, expected: str) -> bool:
    """Whether newsmon's credited source is the labelled one, labels read through the same
    spellings table ("Radio Free Europe/Radio Liberty" is RFE/RL)."""
    if not predicted:
        return False
    canonical = _GAZETTEER.canonical.get(expected.casefold(), expected)
    return predicted.casefold() in (expected.casefold(), canonical.casefold())


def evaluate(data: Path, feeds: Path) -> dict:
    lines = data.read_text(encoding="utf-8").splitlines()
    labels = {canonical_url(lab["url"]): lab for lab in map(json.loads, filter(str.strip, lines))}
    config = load_config(feeds)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "eval.db") as store:
            run_import(store, config, parse_lines(lines, str(data)))
            rows = {
                r["url"]: r
                for r in store.db.query(
                    "SELECT id, url, relevant, story_id, duplicate_of, credited_source,"
                    " matched_terms"
                    " FROM articles"
                )
            }
    seconds = time.perf_counter() - started
    by_id = {r["id"]: u for u, r in rows.items()}
    scored = {u: lab for u, lab in labels.items() if not lab.get("ambiguous")}
    out: dict = {"articles": len(labels), "scored": len(scored), "seconds": seconds}
    out["events"] = len({lab["event"] for lab in scored.values()})

    def in_split(split: str):
        return lambda lab: split == "all" or lab["split"] == split

    # stories over the labelled-relevant articles, unclustered ones as singletons
    relevant = [u for u, lab in scored.items() if lab["relevant"]]
    pred = {u: rows[u]["story_id"] if rows[u]["story_id"] is not None else f"alone:{u}"
            for u in relevant}  # fmt: skip
    gold = {u: scored[u]["event"] for u in relevant}
    for split in SPLITS:
        items = [u for u in relevant if in_split(split)(scored[u])]
        out[f"stories_{split}"] = bcubed(items, pred, gold, relevant)
        pairs = [
            (a, b)
            for a, b in combinations(items, 2)
            if gold[a] == gold[b] and scored[a]["lang"] != scored[b]["lang"]
        ]
        together = sum(1 for a, b in pairs if rows[a]["story_id"] is not None
                       and rows[a]["story_id"] == rows[b]["story_id"])  # fmt: skip
        out[f"crosslang_{split}"] = (together, len(pairs))
        langs = sorted({scored[u]["lang"] for u in items})
        out[f"stories_lang_{split}"] = {
            lang: bcubed([u for u in items if scored[u]["lang"] == lang], pred, gold, relevant)
            for lang in langs
        }

    # relevance per language
    for split in SPLITS:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
        for u, lab in scored.items():
            if not in_split(split)(lab):
                continue
            got, want = bool(rows[u]["relevant"]), bool(lab["relevant"])
            for key in (lab["lang"], "ALL", "listed" if lab["lang"] in LISTED else "unlisted"):
                c = counts[key]
                c[0] += got and want
                c[1] += got and not want
                c[2] += want and not got
        out[f"relevance_{split}"] = {k: (*prf(*c), c[0] + c[2], c[0] + c[1] + c[2])
                                     for k, c in counts.items()}  # fmt: skip

    # near misses: articles labelled not relevant that contain some of the topic's terms (war
    # news in Russia, missiles elsewhere, "permission" in another sense), and how many of them
    # the topic still calls relevant
    for split in SPLITS:
        near = [
            u
            for u, lab in scored.items()
            if not lab["relevant"]
            and in_split(split)(lab)
            and json.loads(rows[u]["matched_terms"] or "[]")
        ]
        out[f"near_miss_{split}"] = (sum(1 for u in near if rows[u]["relevant"]), len(near))

    # credit: the first credited outlet
    for split in SPLITS:
        crediting = [u for u, lab in scored.items() if lab["credited"] and in_split(split)(lab)]
        others = [u for u, lab in scored.items() if not lab["credited"] and in_split(split)(lab)]
        right = sum(
            1
            for u in crediting
            if same_source(rows[u]["credited_source"], scored[u]["credited"][0])
        )
        false = sum(1 for u in others if rows[u]["credited_source"])
        out[f"credit_{split}"] = (right, len(crediting), false, len(others))
    out["credit_errors"] = [
        f"{lab['lang']} {lab['outlet']}: want {lab['credited'][:1] or None}, got "
        f"{rows[u]['credited_source']!r} | {lab['title'][:70]}"
        for u, lab in scored.items()
        if (lab["credited"][:1] or [None])[0] != rows[u]["credited_source"]
        and not (lab["credited"] and same_source(rows[u]["credited_source"], lab["credited"][0]))
    ]

    # copies: a link is right when both ends belong to one labelled copy group
    def root(u: str) -> str:
        return canonical_url(labels[u]["copy_of"]) if labels[u].get("copy_of") else u

    predicted = [(u, by_id[r["duplicate_of"]]) for u, r in rows.items() if r["duplicate_of"]]
    right = sum(1 for u, d in predicted if root(u) == root(d))
    labelled = [u for u, lab in labels.items() if lab.get("copy_of")]
    found = sum(
        1
        for u in labelled
        if rows[u]["duplicate_of"]
        and root(by_id[rows[u]["duplicate_of"]]) == root(u)
        or any(d == u and root(x) == root(u) for x, d in predicted)
    )
    out["copies"] = (found, len(labelled), right, len(predicted))

    # errors, for --errors: how each event's relevant articles were split, what stories merged
    lines_out = []
    by_event: dict[str, dict[object, list[str]]] = defaultdict(lambda: defaultdict(list))
    for u in relevant:
        by_event[gold[u]][pred[u]].append(f"{scored[u]['lang']}")
    for event, parts in sorted(by_event.items()):
        if len(parts) > 1:
            shown = sorted(parts.values(), key=len, reverse=True)
            lines_out.append(f"split {event}: " + " | ".join(",".join(p) for p in shown))
    members: dict[object, set[str]] = defaultdict(set)
    for u in relevant:
        members[pred[u]].add(gold[u])
    for sid, events in members.items():
        if len(events) > 1:
            lines_out.append(f"merged story {sid}: {', '.join(sorted(events))}")
    out["story_errors"] = lines_out
    out["relevance_errors"] = [
        f"{'missed' if lab['relevant'] else 'false'} {lab['lang']} {lab['event']}: "
        f"{lab['title'][:80]}"
        for u, lab in scored.items()
        if bool(rows[u]["relevant"]) != bool(lab["relevant"])
    ]
    return out


def report(m: dict) -> None:
    print(f"{m['articles']} articles ({m['scored']} scored, ambiguous left out), "
          f"{m['events']} events; import {m['seconds']:.1f} s")  # fmt: skip
    print("\nstories (B-cubed over labelled-relevant articles; unclustered = singleton)")
    for split in SPLITS:
        p, r, f = m[f"stories_{split}"]
        together, pairs = m[f"crosslang_{split}"]
        share = together / pairs if pairs else 0.0
        print(f"  {split:<9} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}   "
              f"cross-language pairs together {share:.3f} ({together}/{pairs})")  # fmt: skip
    for split in ("dev", "held-out"):
        per = m[f"stories_lang_{split}"]
        print(f"  {split} F1 by language: "
              + "  ".join(f"{k} {v[2]:.2f}" for k, v in sorted(per.items())))  # fmt: skip
    print("\nrelevance (precision / recall, relevant articles / articles with a label or a hit)")
    for split in SPLITS:
        rel = m[f"relevance_{split}"]
        head = "  ".join(
            f"{k} {rel[k][0]:.3f}/{rel[k][1]:.3f}"
            for k in ("ALL", "listed", "unlisted")
            if k in rel
        )
        print(f"  {split:<9} {head}")
    for split in ("dev", "held-out"):
        rel = m[f"relevance_{split}"]
        langs = sorted(k for k in rel if k not in ("ALL", "listed", "unlisted"))
        shown = [f"{k} {rel[k][0]:.2f}/{rel[k][1]:.2f}({rel[k][2]})" for k in langs]
        print(f"  {split} by language: " + "  ".join(shown))
    print("  near misses (not relevant, but containing some of the topic's terms) called relevant:")
    for split in SPLITS:
        wrong, near = m[f"near_miss_{split}"]
        print(f"  {split:<9} {wrong}/{near} = {wrong / max(1, near):.3f}")
    print("\ncredit (first credited outlet)")
    for split in SPLITS:
        right, n, false, others = m[f"credit_{split}"]
        print(f"  {split:<9} right {right}/{n} = {right / max(1, n):.3f}   "
              f"false credit {false}/{others} = {false / max(1, others):.3f}")  # fmt: skip
    found, labelled, right, predicted = m["copies"]
    print(f"\ncopies: {found}/{labelled} labelled links found; {right}/{predicted} predicted right")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--feeds", type=Path, default=ROOT / "feeds.yaml")
    parser.add_argument("--errors", action="store_true", help="list what went wrong")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"coverage: {args.data} not found (tests/data/real/articles.jsonl in the repo)")
    m = evaluate(args.data, args.feeds)
    if args.json:
        print(json.dumps({k: v for k, v in m.items() if not k.endswith("errors")}, indent=1))
        return
    report(m)
    if args.errors:
        for key in ("story_errors", "relevance_errors", "credit_errors"):
            print(f"\n{key.replace('_', ' ')}:")
            for line in m[key]:
                print("  " + line)


if __name__ == "__main__":
    main()
