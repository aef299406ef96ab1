"""Clustering throughput and memory as the archive grows (10k, 100k, 1M synthetic articles).

Synthetic news: stories start at random times over the span, each with its own names, numbers
and vocabulary drawn from a shared background, and is covered by a random number of articles in
several languages (different word stems, shared names and numbers), some of them verbatim copies.
The articles are inserted as already-stored rows, then clustered the way cron runs do it: in
chronological batches through the real Clusterer, then once more by ``recluster``. Prints
articles/s, peak memory while clustering (the generated archive is made and stored by a child
process, so it is not counted) and B-cubed F1 against the synthetic labels for each size.

    python benchmarks/clustering.py [--sizes 10000 100000] [--days 30 | --per-day 3000]
                                    [--batch 1000] [--no-bulk] [--set story_threshold=0.25 ...]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
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


def generate(n: int, days: float, seed: int = 5) -> list[tuple]:
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


def populate(path: Path, n: int, days: float) -> None:
    """Store the synthetic archive as unclustered rows and its labels (table bench_gold) in a new
    database. Run in a child process, so the generated rows never count in clustering's memory."""
    rows = generate(n, days)
    with Store(path) as store, store.db.atomic():
        store.db.conn.executemany(
            "INSERT INTO articles (url, outlet, title, text, published_at, first_seen_at,"
            " relevant, matched_terms) VALUES (?, ?, ?, ?, ?, ?, 1, '[]')",
            [(u, o, t, x, p, p) for u, o, t, x, p, _ in rows],
        )
        store.db.execute("CREATE TABLE bench_gold (url TEXT PRIMARY KEY, story TEXT)")
        store.db.conn.executemany(
            "INSERT INTO bench_gold VALUES (?, ?)", [(r[0], r[5]) for r in rows]
        )


def reset_peak_memory() -> None:
    """Start a new peak resident set (Linux: VmHWM); the generated archive is not clustering's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, days: float, batch: int, config: Config, bulk: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.db"
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            child.submit(populate, path, n, days).result()
        with Store(path) as store:
            ids = [
                r[0] for r in store.db.execute("SELECT id FROM articles ORDER BY published_at, id")
            ]
            reset_peak_memory()
            started, cpu = time.perf_counter(), cpu_seconds()
            state = []
            for start in range(0, len(ids), batch):
                clusterer = Clusterer(store, config)  # a cron run: resume the window, cluster
                clusterer.process_batch(ids[start : start + batch])
                state.append((len(clusterer.copies), len(clusterer.stories.stories)))
            wall = time.perf_counter() - started
            run_cpu = cpu_seconds() - cpu
            peak_runs = peak_memory_mb()
            del clusterer
            pred = dict(store.db.execute("SELECT url, story_id FROM articles").fetchall())
            gold = dict(store.db.execute("SELECT url, story FROM bench_gold").fetchall())
            bulk_text = ""
            if bulk:
                reset_peak_memory()
                bulk_started = time.perf_counter()
                recluster(store, config)  # replays the runs' batches in one process
                bulk_wall = time.perf_counter() - bulk_started
                bulk_text = (f"one recluster: {n / bulk_wall:,.0f} articles/s, peak RSS "
                             f"{peak_memory_mb():,.0f} MB; ")  # fmt: skip
    p, r, f = bcubed(pred, gold)
    copies_max = max(c for c, _ in state)
    stories_max = max(s for _, s in state)
    print(f"{n:>9,} articles over {days:g} days: runs of {batch}: {n / wall:,.0f} articles/s "
          f"({wall:.1f} s wall, {run_cpu:.1f} s CPU with workers), peak RSS {peak_runs:,.0f} MB; "
          f"{bulk_text}at most {copies_max:,} signatures in the copy window and "
          f"{stories_max:,} active stories; B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--days", type=float, default=0, help="span; default max(7, 1 day per 3,000 articles)"
    )
    parser.add_argument(
        "--per-day",
        type=int,
        default=0,
        help="articles a day instead of --days: the same density at every size, "
        "so what grows is the archive alone",
    )
    parser.add_argument("--no-bulk", action="store_true", help="skip the recluster")
    parser.add_argument("--batch", type=int, default=1000, help="articles per simulated run")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="clustering settings (feeds.yaml's clustering: section)")  # fmt: skip
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    config = Config.model_validate({"clustering": settings})
    for n in args.sizes:
        days = n / args.per_day if args.per_day else args.days or max(7, n // 3000)
        run(n, days, args.batch, config, bulk=not args.no_bulk)


if __name__ == "__main__":
    main()
