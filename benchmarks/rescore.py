"""How long `newsmon rescore` takes on a large database (target: 100k articles under 60 s).

Builds a database of N synthetic articles (each a labelled example from tests/data embedded in
random filler of realistic length), then times the real rescore path with the shipped topics.

    python benchmarks/rescore.py [--articles 100000] [--words 400] [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from relevance import load_examples  # noqa: E402

from crawler.analysis.rescore import rescore  # noqa: E402
from crawler.config import load_config  # noqa: E402
from storage import Store  # noqa: E402

FILLER = (
    "the of and to in a is that for on with as was by at from officials said government "
    "minister week region city people country reported according statement year new"
).split()


def build(db: Path, n: int, words: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    examples = load_examples()
    with Store(db) as store:
        rows = []
        for i in range(n):
            e = rng.choice(examples)
            filler = " ".join(rng.choice(FILLER) for _ in range(words))
            rows.append((f"https://bench.test/{i}", "Bench", e.title, e.text + " " + filler, "[]"))
        with store.db.conn:
            store.db.conn.executemany(
                "INSERT INTO articles (url, outlet, title, text, matched_terms) VALUES (?,?,?,?,?)",
                rows,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        if not db.exists():
            started = time.perf_counter()
            build(db, args.articles, args.words)
            print(f"built {args.articles} articles in {time.perf_counter() - started:.1f} s")
        config = load_config(ROOT / "feeds.yaml")
        with Store(db) as store:
            started = time.perf_counter()
            cpu = time.process_time()
            result = rescore(store, config)
            wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"rescore: {result.articles} articles, {result.relevant} relevant, {wall:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU, {result.articles / wall:,.0f} articles/s, "
            f"peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
