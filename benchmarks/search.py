"""Search and story listing on a large archive: FTS5 p50/p95 and `stories --since 7d`.

    python benchmarks/search.py [--articles 1000000] [--db /tmp/search-bench.db]

Builds (once; reused when --db exists) a database of synthetic articles through the real schema
(FTS5 triggers included): headlines and leads drawn from a Zipf-distributed vocabulary plus the
debate's names and systems, 60 days of publication times, stories of 1-40 articles. Then times,
in process, through the same Store methods the CLI calls:

* ``search`` over a mix of queries (rare and common terms, phrases, AND/OR/NOT, prefixes,
  --since), relevant articles only, limit 20: p50 / p95 / max;
* ``stories --since 7d`` (limit 50): p50 / p95;
* one end-to-end ``newsmon search`` subprocess, for what a user waits (start-up included).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import Store  # noqa: E402

TOPICAL = ("Ukraine Russia Kharkiv Belgorod Kursk ATACMS HIMARS Taurus Storm Shadow SCALP F-16 "
           "Biden Scholz Macron Sunak Stoltenberg Putin Zelensky NATO Pentagon Kremlin missiles "
           "weapons strikes permission restrictions long-range").split()  # fmt: skip
QUERIES = [
    "ATACMS", "Kharkiv", "Ukraine", "weapons", "\"Storm Shadow\"", "Taurus AND Scholz",
    "ATACMS OR HIMARS", "missil*", "Belgorod NOT Kursk", "Stoltenberg", "permission AND strikes",
    "\"long-range\" AND Biden", "Kremlin", '"F-16"', "Macron OR Sunak", "zeta*", "quorvex",
    "Putin AND nuclear", "Pentagon", "Zelensky AND Biden AND permission",
]  # fmt: skip


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def build(path: Path, n: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf
    end = datetime.now(timezone.utc).replace(microsecond=0)
    start = end - timedelta(days=60)
    span = int((end - start).total_seconds())
    store = Store(path)
    db = store.db
    story_id, left = 0, 0
    t0 = time.perf_counter()
    articles, stories = [], []
    times = sorted(rng.randrange(span) for _ in range(n))
    for i in range(n):
        if left == 0:
            story_id += 1
            left = rng.choice([1, 1, 1, 2, 3, 5, 8, 13, 40])
            stories.append((story_id, f"Story {story_id}", f"Outlet {story_id % 60}", left,
                            min(left, 30)))  # fmt: skip
        left -= 1
        when = (start + timedelta(seconds=times[i])).isoformat()
        words = rng.choices(vocab, weights, k=rng.randint(60, 160))
        words += rng.sample(TOPICAL, rng.randint(0, 5))
        rng.shuffle(words)
        articles.append((f"https://outlet{i % 60}.example/a/{i}", f"Outlet {i % 60}",
                         " ".join(words[:10]).capitalize(), when, when, "en",
                         " ".join(words[10:]), len(words), int(rng.random() < 0.6), story_id,
                         when))  # fmt: skip
        if len(articles) == 10000 or i == n - 1:
            _flush(db, articles, stories)  # one transaction per batch: the WAL stays small
            articles, stories = [], []
            print(f"  {i + 1:,} articles\r", file=sys.stderr, end="")
    with db.atomic():
        db.execute(
            "UPDATE stories SET first_seen_at = (SELECT min(event_time) FROM articles a WHERE"
            " a.story_id = stories.id), last_seen_at = (SELECT max(event_time) FROM articles a"
            " WHERE a.story_id = stories.id)"
        )
    db.execute("PRAGMA optimize")
    store.close()
    print(f"\nbuilt {n:,} articles, {story_id:,} stories in {time.perf_counter() - t0:.0f} s")


def _flush(db, articles: list[tuple], stories: list[tuple]) -> None:  # noqa: ANN001
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO stories (id, title, origin_outlet, article_count, outlet_count)"
            " VALUES (?, ?, ?, ?, ?)",
            stories,
        )
        db.conn.executemany(
            "INSERT INTO articles (url, outlet, title, published_at, first_seen_at, lang, text,"
            " word_count, relevant, story_id, event_time) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            articles,
        )


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {samples[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsmon-search-bench.db"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.articles)
    store = Store(args.db, readonly=True)
    n = store.count("articles")
    week = (datetime.now(timezone.utc) - timedelta(days=7)).isoformat()
    samples, per_query = [], {}
    for _ in range(args.rounds):
        for q in QUERIES:
            for since in (None, week):
                started = time.perf_counter()
                rows = store.search(q, since=since, limit=20)
                took = time.perf_counter() - started
                samples.append(took)
                per_query.setdefault(q, []).append((took, len(rows)))
    slowest = sorted(per_query.items(), key=lambda kv: -max(t for t, _ in kv[1]))[:3]
    print(f"search over {n:,} articles ({len(samples)} queries): {percentiles(samples)}")
    print(
        "  slowest: " + "; ".join(f"{q} {max(t for t, _ in v) * 1000:.0f} ms" for q, v in slowest)
    )
    story_samples = []
    for _ in range(args.rounds * 4):
        started = time.perf_counter()
        rows = store.stories(since=week, min_outlets=1, limit=50)
        story_samples.append(time.perf_counter() - started)
    print(f"stories --since 7d: {percentiles(story_samples)} ({len(rows)} rows)")
    store.close()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler", "--db", str(args.db), "search", "ATACMS",
                    "--json"], check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    print(f"newsmon search ATACMS (a whole CLI process): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
