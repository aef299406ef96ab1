"""Clustering throughput and memory as the archive grows (10k, 100k, 1M synthetic articles).

Synthetic news: stories start at random times over the span, each with its own names, numbers
and vocabulary drawn from a shared background, and is covered by a random number of articles in
several languages (different word stems, shared names and numbers), some of them verbatim copies.
The articles are inserted as already-stored rows, then clustered the way cron runs do it: in
chronological batches through the real Clusterer. Prints articles/s, peak memory and B-cubed F1
against the synthetic labels for each size.

    python benchmarks/clustering.py [--sizes 10000 100000] [--days 30] [--batch 500]
                                    [--set story_threshold=0.25 ...]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from stories import bcubed  # noqa: E402

from crawler.clusterer import Clusterer, recluster  # noqa: E402
from crawler.config import Config  # noqa: E402
from storage import Store  # noqa: E402

SYLLABLES = "ka ri to mi su ne lo va de bra sto len gor vik tan mar pol zen har".split()


def word(rng: random.Random, n: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n))


def generate(n: int, days: int, seed: int = 5) -> list[tuple]:
    rng = random.Random(seed)
    background = [word(rng) for _ in range(3000)]
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    rows, story = [], 0
    while len(rows) < n:
        story += 1
        t0 = start + timedelta(seconds=rng.uniform(0, days * 86400))
        names = [word(rng, 3).capitalize() for _ in range(3)]
        numbers = [str(rng.randint(10, 9999)) for _ in range(2)]
        topic = rng.sample(background, 15)
        wire = None
        for _ in range(min(rng.randint(1, 40), n - len(rows))):
            lang = rng.choice("abcd")
            when = t0 + timedelta(hours=rng.expovariate(1 / 8))
            if wire and rng.random() < 0.25:
                text = wire
            else:
                words = [f"{lang}{w}" for w in rng.sample(topic, 10)]
                words += [f"{lang}{w}" for w in rng.sample(background, 60)]
                words += names + numbers
                rng.shuffle(words)
                text = " ".join(words)
                wire = wire or text
            title = " ".join([names[0], f"{lang}{topic[0]}", numbers[0], f"{lang}{topic[1]}"])
            rows.append((f"https://bench.test/{len(rows)}", f"outlet{rng.randint(1, 200)}", title,
                         text, when.isoformat(), f"s{story}"))  # fmt: skip
    rows.sort(key=lambda r: r[4])
    return rows


def cpu_seconds() -> float:
    """CPU of this process and of its ended children: the workers that make a batch's features."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(n: int, days: int, batch: int, config: Config) -> None:
    rows = generate(n, days)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.db") as store:
        with store.db.atomic():
            store.db.conn.executemany(
                "INSERT INTO articles (url, outlet, title, text, published_at, first_seen_at,"
                " relevant, matched_terms) VALUES (?, ?, ?, ?, ?, ?, 1, '[]')",
                [(u, o, t, x, p, p) for u, o, t, x, p, _ in rows],
            )
        ids = [r[0] for r in store.db.execute("SELECT id FROM articles ORDER BY published_at, id")]
        started, cpu = time.perf_counter(), cpu_seconds()
        state = []
        for start in range(0, len(ids), batch):
            clusterer = Clusterer(store, config)  # a cron run: resume the window, cluster
            clusterer.process_batch(ids[start : start + batch])
            state.append((len(clusterer.copies), len(clusterer.stories.stories)))
        wall = time.perf_counter() - started
        run_cpu = cpu_seconds() - cpu
        pred = dict(store.db.execute("SELECT url, story_id FROM articles").fetchall())
        bulk_started = time.perf_counter()
        recluster(store, config)  # one batch: features on every core, then assignment
        bulk = time.perf_counter() - bulk_started
    gold = {r[0]: r[5] for r in rows}
    p, r, f = bcubed(pred, gold)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    copies_max = max(c for c, _ in state)
    stories_max = max(s for _, s in state)
    print(f"{n:>9,} articles over {days} days: runs of {batch}: {n / wall:,.0f} articles/s "
          f"({wall:.1f} s wall, {run_cpu:.1f} s CPU with workers); one bulk recluster: "
          f"{n / bulk:,.0f} articles/s; at most {copies_max:,} signatures in the copy window and "
          f"{stories_max:,} active stories; peak RSS {peak:,.0f} MB; "
          f"B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--days", type=int, default=0, help="span; default 1 day per 3,000")
    parser.add_argument("--batch", type=int, default=1000, help="articles per simulated run")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="clustering settings (feeds.yaml's clustering: section)")  # fmt: skip
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    config = Config.model_validate({"clustering": settings})
    for n in args.sizes:
        run(n, args.days or max(7, n // 3000), args.batch, config)


if __name__ == "__main__":
    main()
