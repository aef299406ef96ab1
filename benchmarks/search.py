"""Search and story listing on a large archive of real text: FTS5 cold and warm, `stories`.

    python benchmarks/search.py [--articles 100000] [--db /tmp/newsmon-search-bench.db]

Builds (once; reused when --db exists) a database through the real schema (FTS5 triggers
included) of real news text recombined (benchmarks/realtext.py: the 668 real articles of
tests/data/real in 31 languages; one story in ten relevant, as a monitor keeps a fraction of what
it stores), published over the last 60 days. Term frequencies are the corpus' own: "Ukraine" or
its Cyrillic forms are in about half of the articles, "ATACMS" in a few percent.

Then, in process, through the same Store method the CLI calls (relevant articles only, limit 20),
each query of ``QUERIES`` (common and rare terms in several languages and scripts, phrases,
AND/OR/NOT, prefixes; each also with ``--since 7d``):

* cold: the database's pages dropped from the OS page cache (posix_fadvise DONTNEED) and a new
  connection, so neither SQLite nor the kernel holds any of it: the first query after a while;
* warm: the same query again ``--rounds`` times on that connection.

Also ``stories --since 7d`` (limit 50), and one end-to-end ``newsmon search`` subprocess, for what a
user waits (interpreter start-up included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import realtext  # noqa: E402

from storage import Store  # noqa: E402

SPAN_DAYS = 60
QUERIES = [
    "Ukraine", "Russia", "Україна", "Россия", "Ukraina", "Ucrania", "Kyiv", "NATO", "Putin",
    "Zelensky", "weapons", "ATACMS", "Taurus", "HIMARS", '"Storm Shadow"', '"F-16"',
    "Ukraine AND weapons", "ATACMS OR HIMARS", "missil*", "Kharkiv NOT Belgorod",
    "Scholz AND Taurus", '"long-range"', "Stoltenberg", "quorvex",
]  # fmt: skip


def build(path: Path, n: int, seed: int = 5) -> str:
    end = datetime.now(timezone.utc).replace(microsecond=0)
    started = time.perf_counter()
    # a story's later articles come hours after its first: end the span a day early, so that
    # hardly any is published in the future
    rows = realtext.generate(n, SPAN_DAYS, seed, start=end - timedelta(days=SPAN_DAYS + 1))
    store = Store(path)
    db = store.db
    story_ids: dict[str, int] = {}
    for at in range(0, n, 10_000):  # one transaction per batch: the WAL stays small
        chunk = rows[at : at + 10_000]
        with db.atomic():
            for r in chunk:
                if r.relevant and r.story not in story_ids:
                    story_ids[r.story] = store.create_story(r.title, r.published_at)
            db.conn.executemany(
                "INSERT INTO articles (url, outlet, title, published_at, first_seen_at, lang,"
                " text, word_count, relevant, story_id, event_time)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(r.url, r.outlet, r.title, r.published_at, r.published_at, r.lang, r.text,
                  len(r.text.split()), int(r.relevant), story_ids.get(r.story),
                  r.published_at) for r in chunk],
            )  # fmt: skip
        print(f"  {at + len(chunk):,} articles\r", file=sys.stderr, end="")
    with db.atomic():  # the story summaries (counts, outlets, last seen), as clustering sets them
        store.refresh_stories(list(story_ids.values()))
    db.execute("PRAGMA optimize")
    store.close()
    what = realtext.describe(rows)
    print(f"\nbuilt {n:,} articles in {time.perf_counter() - started:.0f} s: {what}")
    return what


def drop_from_page_cache(path: Path) -> None:
    """Evict the database's files from the kernel's page cache (no root needed: clean pages of a
    file this process can open), so the next read comes from the disk."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {samples[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsmon-search-bench.db"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.articles)
    with Store(args.db, readonly=True) as store:
        n = store.count("articles")
        share = store.db.execute("SELECT avg(relevant) FROM articles").fetchone()[0]
    week = (datetime.now(timezone.utc) - timedelta(days=7)).isoformat()
    cold, warm, lines = [], [], []
    for q in QUERIES:
        for since in (None, week):
            drop_from_page_cache(args.db)
            with Store(args.db, readonly=True) as store:
                started = time.perf_counter()
                hits = store.search(q, since=since, limit=20)
                first = time.perf_counter() - started
                again = []
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    store.search(q, since=since, limit=20)
                    again.append(time.perf_counter() - started)
                matches = store.db.execute(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [q]
                ).fetchone()[0]
            cold.append(first)
            warm.extend(again)
            if since is None:
                lines.append(
                    f"  {q:<22} in {matches / n:6.1%} of articles: cold {first * 1000:7.1f} ms,"
                    f" warm {statistics.median(again) * 1000:6.1f} ms ({len(hits)} shown)"
                )
    print(f"search over {n:,} articles ({share:.0%} relevant), {len(QUERIES)} queries each with"
          f" and without --since 7d, limit 20:")  # fmt: skip
    print(f"  cold (page cache dropped, new connection): {percentiles(cold)}")
    print(f"  warm (the same query again, x{args.rounds}): {percentiles(warm)}")
    print("\n".join(lines))
    drop_from_page_cache(args.db)
    story_samples = []
    with Store(args.db, readonly=True) as store:
        for _ in range(args.rounds * 4):
            started = time.perf_counter()
            rows = store.stories(since=week, min_outlets=1, limit=50)
            story_samples.append(time.perf_counter() - started)
    print(f"stories --since 7d: first (cold) {story_samples[0] * 1000:.1f} ms, then "
          f"{percentiles(story_samples[1:])} ({len(rows)} rows)")  # fmt: skip
    drop_from_page_cache(args.db)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler", "--db", str(args.db), "search", "Ukraine",
                    "--json"], check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    print(
        f"newsmon search Ukraine, cold (a whole CLI process): {time.perf_counter() - started:.2f} s"
    )


if __name__ == "__main__":
    main()
