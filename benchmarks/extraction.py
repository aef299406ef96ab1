"""Extraction quality on the shared article-extraction benchmark (181 real pages).

Metric as the benchmark defines it: per page, 4-gram word shingles of our text against the
ground-truth body give TP/FP/FN, normalised by their sum so long pages do not dominate; summed over
pages they give precision and recall, and F1 of the two. Also prints the median time per page.

    python benchmarks/extraction.py [--data ../shared/benchmarks/extraction] [--workers N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.extraction.extract import extract  # noqa: E402

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        " ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens
    )


def match(truth: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(matches: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of pages' normalised (TP, FP, FN), summed over the pages."""
    tp = fp = fn = 0.0
    for a, b, c in matches:
        tp, fp, fn = tp + a, fp + b, fn + c
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _run(job: tuple[str, str]) -> tuple[str, str, float]:
    key, path = job
    page = gzip.decompress(Path(path).read_bytes())
    start = time.perf_counter()
    text = extract(page, None).text
    return key, text, (time.perf_counter() - start) * 1000


def main() -> None:
    default = Path(__file__).resolve().parent.parent.parent / "shared/benchmarks/extraction"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worst", type=int, default=0, help="also list the N worst pages")
    args = parser.parse_args()
    truth = json.loads((args.data / "ground-truth.json").read_text())
    jobs = [(k, str(args.data / "html" / f"{k}.html.gz")) for k in sorted(truth)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_run, jobs, chunksize=4))
    per_page = []
    for key, text, _ms in results:
        a, b, c = match(truth[key]["articleBody"], text)
        per_page.append((a / (a + b + c) if a + b + c else 0.0, key, a, b, c))
    precision, recall, f1 = prf((a, b, c) for _, _, a, b, c in per_page)
    ms = statistics.median(r[2] for r in results)
    print(
        f"pages {len(results)}  F1 {f1:.3f}  precision {precision:.3f}  recall {recall:.3f}  "
        f"median {ms:.1f} ms/page"
    )
    for score, key, a, b, c in sorted(per_page)[: args.worst]:
        print(f"  {score:.2f}  tp {a:.2f} fp {b:.2f} fn {c:.2f}  {truth[key]['url']}  {key[:12]}")


if __name__ == "__main__":
    main()
