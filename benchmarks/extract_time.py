"""Extraction time per page, this revision's ``crawler.extraction.extract.extract`` against
another's.

Both run in one process on the same pages, page by page in turn (baseline, then this one), for
``--rounds`` rounds, so a machine shared with other work slows both alike. The baseline is an
``extract.py`` file of another revision, e.g.::

    git show main:crawler/extraction/extract.py > /tmp/extract_main.py
    python benchmarks/extract_time.py /tmp/extract_main.py [--rounds 3]

Pages: the 133 of ``../shared/benchmarks/metadata`` and the 181 of
``../shared/benchmarks/extraction`` (whichever are present). Prints median and mean ms per page
of each and the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction.extract import extract  # noqa: E402

SHARED = REPO.parent / "shared" / "benchmarks"


def load_module(path: Path) -> ModuleType:
    """An extract.py of another revision, imported under its own name."""
    spec = importlib.util.spec_from_file_location("baseline_extract", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def pages(shared: Path) -> list[tuple[str | bytes, str | None]]:
    out: list[tuple[str | bytes, str | None]] = []
    meta = shared / "metadata" / "pages.jsonl.gz"
    if meta.exists():
        with gzip.open(meta, "rt", encoding="utf-8") as fh:
            out.extend((row["html"], row["url"]) for row in map(json.loads, fh))
    zyte = shared / "extraction"
    if (zyte / "ground-truth.json").exists():
        truth = json.loads((zyte / "ground-truth.json").read_text())
        for key in sorted(truth):
            out.append((gzip.decompress((zyte / "html" / f"{key}.html.gz").read_bytes()), None))
    if not out:
        sys.exit(f"no pages under {shared} (the shared metadata and extraction benchmarks)")
    return out


def _timed(fn: Callable[..., object], page: str | bytes, url: str | None) -> float:
    start = time.perf_counter()
    fn(page, url)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="extract.py of the revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    baseline = load_module(args.baseline).extract
    work = pages(args.shared)
    baseline(*work[0])  # imports and caches out of the timings
    extract(*work[0])
    old: list[float] = []
    new: list[float] = []
    for _ in range(args.rounds):
        for page, url in work:
            old.append(_timed(baseline, page, url))
            new.append(_timed(extract, page, url))
    for name, ms in (("baseline", old), ("this", new)):
        print(
            f"{name:<9} {len(work)} pages x {args.rounds}: median {statistics.median(ms):.1f} ms, "
            f"mean {statistics.fmean(ms):.1f} ms per page"
        )
    print(
        f"ratio this/baseline: median {statistics.median(new) / statistics.median(old):.3f}, "
        f"mean {statistics.fmean(new) / statistics.fmean(old):.3f}"
    )


if __name__ == "__main__":
    main()
