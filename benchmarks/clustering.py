"""Clustering throughput and memory as the archive grows (10k, 100k articles of real text).

The archive is real news text recombined (benchmarks/realtext.py: the 668 real articles of
tests/data/real in 31 languages, sentence-recombined into stories built on their events; one
story in ten relevant, the rest stored and only copy-checked, as in a monitor). The articles are
inserted as already-stored rows, then clustered the way cron runs do it: in chronological batches
through the real Clusterer, then once more by ``recluster``. Prints articles/s and peak memory
while clustering (the archive is made and stored by a child process, so it is not counted).
Quality is not measured here (stories reuse the corpus' events, so their labels are not a truth):
benchmarks/stories.py scores clustering on labelled real articles.

``--synthetic`` uses the earlier generator instead (about 75 random-syllable words an article,
four "languages" that differ by a prefix, every article relevant), which costs about a sixth of
real text per article; its B-cubed F1 against its own labels is printed.

    python benchmarks/clustering.py [--sizes 10000 100000] [--days 30 | --per-day 3000]
                                    [--batch 1000] [--no-bulk] [--synthetic]
                                    [--set story_threshold=0.25 ...]
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

import realtext  # noqa: E402
from stories import bcubed  # noqa: E402

from crawler.analysis.clusterer import Clusterer, recluster  # noqa: E402
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


def populate(path: Path, n: int, days: float, synthetic: bool) -> str:
    """Store the archive as unclustered rows and its labels (table bench_gold) in a new database;
    returns what the text is. Run in a child process, so the generated rows never count in
    clustering's memory."""
    if synthetic:
        rows = [(u, o, t, x, p, 1, s, None) for u, o, t, x, p, s in generate(n, days)]
        what = "synthetic syllable text, all relevant"
    else:
        real = realtext.generate(n, days)
        rows = [(r.url, r.outlet, r.title, r.text, r.published_at, int(r.relevant), r.story,
                 r.lang) for r in real]  # fmt: skip
        what = realtext.describe(real)
    with Store(path) as store, store.db.atomic():
        store.db.conn.executemany(
            "INSERT INTO articles (url, outlet, title, text, published_at, first_seen_at,"
            " relevant, lang, matched_terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]')",
            [(u, o, t, x, p, p, rel, lang) for u, o, t, x, p, rel, _, lang in rows],
        )
        store.db.execute("CREATE TABLE bench_gold (url TEXT PRIMARY KEY, story TEXT)")
        store.db.conn.executemany(
            "INSERT INTO bench_gold VALUES (?, ?)", [(r[0], r[6]) for r in rows]
        )
    return what


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


def run(n: int, days: float, batch: int, config: Config, bulk: bool, synthetic: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.db"
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            what = child.submit(populate, path, n, days, synthetic).result()
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
    quality = f"; B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}" if synthetic else ""
    print(f"{n:>9,} articles over {days:g} days, {what}: runs of {batch}: "
          f"{n / wall:,.0f} articles/s ({wall:.1f} s wall, {run_cpu:.1f} s CPU with workers, "
          f"{os.cpu_count()} cores), peak RSS {peak_runs:,.0f} MB; {bulk_text}at most "
          f"{copies_max:,} signatures in the copy window and {stories_max:,} active stories"
          f"{quality}")  # fmt: skip


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
    parser.add_argument(
        "--synthetic", action="store_true", help="the earlier random-syllable archive"
    )
    parser.add_argument("--batch", type=int, default=1000, help="articles per simulated run")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="clustering settings (feeds.yaml's clustering: section)")  # fmt: skip
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    config = Config.model_validate({"clustering": settings})
    for n in args.sizes:
        days = n / args.per_day if args.per_day else args.days or max(7, n // 3000)
        run(n, days, args.batch, config, bulk=not args.no_bulk, synthetic=args.synthetic)


if __name__ == "__main__":
    main()
