"""Story clustering, copy detection and credit attribution against the invented fixtures.

A regression check, not a measure: the set is invented, small (5 held-out stories) and was tuned
on; real text scores far lower. The measure is ``benchmarks/real_coverage.py``.

tests/data/stories.jsonl holds articles written for the project (20 stories over May-November
2024, rewrites, syndicated copies, translations, live blogs, opinion pieces), each labelled with
its story, the URL it copies (if any) and the outlet it credits (if any). The set is imported into a
fresh database with `newsmon import`'s own code and the shipped feeds.yaml, then scored:

* B-cubed precision / recall / F1 of story_id over the labelled articles marked relevant;
* copy detection precision / recall of duplicate_of against the labelled copy links;
* credited_source accuracy over the articles that credit an outlet, and false credits elsewhere.

Every fourth story (by name) is held out: reported separately, never used to set thresholds.

    python benchmarks/stories.py [--data tests/data/stories.jsonl] [--feeds feeds.yaml]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.commands.importer import parse_lines, run_import  # noqa: E402
from crawler.config import load_config  # noqa: E402
from crawler.urls import canonical_url  # noqa: E402
from storage import Store  # noqa: E402


def bcubed(pred: dict[str, object], gold: dict[str, str]) -> tuple[float, float, float]:
    items = [k for k in gold if k in pred]
    by_pred: dict[object, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for k in items:
        by_pred[pred[k]].add(k)
        by_gold[gold[k]].add(k)
    if not items:
        return 0.0, 0.0, 0.0
    p = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_pred[pred[k]]) for k in items)
    r = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_gold[gold[k]]) for k in items)
    p, r = p / len(items), r / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(data: Path, feeds: Path) -> dict[str, object]:
    lines = data.read_text(encoding="utf-8").splitlines()
    labels = [json.loads(line) for line in lines if line.strip()]
    records = parse_lines(lines, str(data))
    config = load_config(feeds)
    stories = sorted({lab["story"] for lab in labels})
    heldout = {s for i, s in enumerate(stories) if i % 4 == 3}
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "eval.db") as store:
            run_import(store, config, records)
            rows = {
                r["url"]: r
                for r in store.db.query(
                    "SELECT id, url, relevant, story_id, duplicate_of, credited_source"
                    " FROM articles"
                )
            }
            ids_to_url = {r["id"]: u for u, r in rows.items()}
    out: dict[str, object] = {"articles": len(labels), "stories": len(stories)}
    gold = {canonical_url(lab["url"]): lab for lab in labels}
    relevant = {u for u, r in rows.items() if r["relevant"]}
    out["relevant"] = len(relevant & set(gold))
    for name, keep in (("dev", lambda s: s not in heldout), ("held-out", lambda s: s in heldout),
                       ("all", lambda s: True)):  # fmt: skip
        g = {u: lab["story"] for u, lab in gold.items() if keep(lab["story"]) and u in relevant}
        p = {u: rows[u]["story_id"] for u in g}
        out[f"bcubed_{name}"] = bcubed(p, g)

    # copies: a predicted link is right when both ends are copies of the same labelled original
    def root(url: str) -> str:
        return canonical_url(gold[url]["copy_of"]) if gold[url]["copy_of"] else url

    predicted = [(u, ids_to_url[r["duplicate_of"]]) for u, r in rows.items() if r["duplicate_of"]]
    right = sum(1 for u, d in predicted if root(u) == root(d))
    labelled = sum(1 for lab in gold.values() if lab["copy_of"])
    out["copy_precision"] = right / len(predicted) if predicted else 1.0
    out["copy_recall"] = right / labelled if labelled else 1.0
    out["copies"] = (right, len(predicted), labelled)
    crediting = [u for u, lab in gold.items() if lab["credited"]]
    out["credit_accuracy"] = sum(
        1 for u in crediting if rows[u]["credited_source"] == gold[u]["credited"]
    ) / max(1, len(crediting))
    non = [u for u, lab in gold.items() if not lab["credited"]]
    out["false_credits"] = sum(1 for u in non if rows[u]["credited_source"]) / max(1, len(non))
    out["credit_errors"] = [
        (gold[u]["outlet"], gold[u]["credited"], rows[u]["credited_source"])
        for u in gold
        if rows[u]["credited_source"] != gold[u]["credited"]
    ]
    out["story_errors"] = _story_errors(gold, rows, relevant)
    return out


def _story_errors(gold: dict, rows: dict, relevant: set[str]) -> list[str]:
    """For each labelled story, how its articles were split; for each predicted cluster, what it
    merged. Printed with --errors."""
    lines = []
    by_story: dict[str, dict[object, list[str]]] = defaultdict(lambda: defaultdict(list))
    for u, lab in gold.items():
        if u in relevant:
            by_story[lab["story"]][rows[u]["story_id"]].append(f"{lab['outlet']}/{lab['lang']}")
    for story, parts in sorted(by_story.items()):
        if len(parts) > 1:
            sizes = sorted(((len(v), k, v) for k, v in parts.items()), reverse=True)
            lines.append(
                f"split {story}: " + " | ".join(f"{k}:{', '.join(v)}" for _, k, v in sizes)
            )
    by_pred: dict[object, set[str]] = defaultdict(set)
    for u, lab in gold.items():
        if u in relevant:
            by_pred[rows[u]["story_id"]].add(lab["story"])
    for sid, golds in sorted(by_pred.items(), key=lambda kv: str(kv[0])):
        if len(golds) > 1:
            lines.append(f"merged into {sid}: {', '.join(sorted(golds))}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "stories.jsonl")
    parser.add_argument("--feeds", type=Path, default=ROOT / "feeds.yaml")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    m = evaluate(args.data, args.feeds)
    print("invented fixtures, tuned on: a regression check (real: benchmarks/real_coverage.py)")
    print(
        f"{m['articles']} articles in {m['stories']} stories; {m['relevant']} relevant to the topic"
    )
    for name in ("dev", "held-out", "all"):
        p, r, f = m[f"bcubed_{name}"]
        print(f"B-cubed {name:<8}  precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    right, predicted, labelled = m["copies"]
    print(
        f"copies            precision {m['copy_precision']:.3f}  recall {m['copy_recall']:.3f}  "
        f"({right} right of {predicted} predicted, {labelled} labelled)"
    )
    print(
        f"credited source   accuracy {m['credit_accuracy']:.3f} on articles that credit one; "
        f"false credit on {m['false_credits']:.3f} of the others"
    )
    if args.errors:
        for line in m["story_errors"]:
            print("  " + line)
        for outlet, want, got in m["credit_errors"]:
            print(f"  credit {outlet}: labelled {want!r}, got {got!r}")


if __name__ == "__main__":
    main()
