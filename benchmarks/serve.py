"""How fast `newsmon serve`'s pages load on a 100k-article database (target: under 200 ms).

    python benchmarks/serve.py [--articles 100000] [--db /tmp/newsmon-serve-bench.db] [--rounds 20]

Builds (once; reused when --db exists) a database through the real schema (FTS5 triggers
included) from the 668 real articles of tests/data/real/articles.jsonl, recombined: each
synthetic article takes a real headline and the paragraphs of two or three real articles of its
language, cut to the length of a real text, so the index holds real multilingual text of real
lengths. Stories of 1-60 articles over 60 days, several outlets and languages each, wire copies,
credits; story summaries are computed by Store.refresh_stories, as a crawl does. 150 feeds, a
tenth of them failing.

Then starts `newsmon serve` as a real subprocess on 127.0.0.1 and requests every page `--rounds`
times over loopback HTTP (server time plus the round trip), printing median and p95 per page.
With --while-writing, a thread keeps inserting articles (WAL) during the measurement, as a crawl
would.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import Store  # noqa: E402

REAL = ROOT / "tests" / "data" / "real" / "articles.jsonl"
STORY_SIZES = (1, 1, 1, 1, 2, 2, 3, 4, 6, 9, 14, 25, 60)
WIRES = ("Reuters", "AFP", "AP", "Politico", "dpa", "Interfax", "Ukrinform")
DAYS = 60
OUTLETS = 150
COPY_SHARE = 0.12
CREDIT_SHARE = 0.2
RELEVANT_SHARE = 0.7
FAILING_FEEDS = 15
BATCH = 5000
WRITER = "Benchmark writer"  # the outlet of articles --while-writing adds (and removes)
SEARCHES = [
    {"q": "Ukraine"},
    {"q": "Kharkiv"},
    {"q": '"Storm Shadow"'},
    {"q": "ATACMS OR HIMARS"},
    {"q": "missil*"},
    {"q": "Україна"},
    {"q": "Украина AND оружие"},
    {"q": "Ukraine", "since": "7d"},
    {"q": "Ukraine", "lang": "de"},
    {"q": "weapons", "all": "1"},
]


def load_real() -> dict[str, list[dict]]:
    by_lang: dict[str, list[dict]] = {}
    for line in REAL.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("text"):
            by_lang.setdefault(record["lang"], []).append(record)
    return by_lang


def recombined_text(rng: random.Random, pool: list[dict]) -> str:
    """Paragraphs of two or three real articles of one language, cut to a real text's length."""
    length = len(rng.choice(pool)["text"])
    paragraphs: list[str] = []
    for source in rng.sample(pool, min(len(pool), rng.randint(2, 3))):
        paragraphs += [p for p in source["text"].split("\n") if p.strip()]
    rng.shuffle(paragraphs)
    out, size = [], 0
    for para in paragraphs:
        if size >= length:
            break
        out.append(para)
        size += len(para) + 2
    return "\n\n".join(out)


def build(path: Path, n: int, seed: int = 19) -> None:
    rng = random.Random(seed)
    real = load_real()
    langs = sorted(real)
    weights = [len(real[lang]) for lang in langs]
    outlets = []
    for i in range(OUTLETS):
        lang = rng.choices(langs, weights)[0]
        outlets.append((f"{rng.choice(real[lang])['outlet']} {i}", lang))
    end = datetime.now(timezone.utc).replace(microsecond=0)
    start = end - timedelta(days=DAYS)
    started = time.perf_counter()
    store = Store(path)
    db = store.db
    now = end.isoformat()
    with db.atomic():
        for i, (outlet, lang) in enumerate(outlets):
            failing = i < FAILING_FEEDS
            db["feeds"].insert(
                {
                    "url": f"https://feeds{i}.example/rss",
                    "kind": "feed",
                    "name": f"feed-{i}",
                    "outlet": outlet,
                    "lang": lang,
                    "last_fetched_at": (end - timedelta(minutes=rng.randint(1, 90))).isoformat(),
                    "last_status": 503 if failing else 200,
                    "last_error": "HTTP 503 Service Unavailable" if failing else None,
                    "consecutive_failures": rng.randint(1, 9) if failing else 0,
                    "next_due_at": (end + timedelta(minutes=rng.randint(-5, 60))).isoformat(),
                    "entries_seen": rng.randint(10, 80),
                    "poll_every": 1800.0,
                    "added_at": start.isoformat(),
                }
            )
    story_id, made, rows, story_ids = 0, 0, [], []
    seq = 0
    while made < n:
        story_id += 1
        size = min(rng.choice(STORY_SIZES), n - made)
        seed_article = rng.choice(real[rng.choices(langs, weights)[0]])
        begin = start + timedelta(seconds=rng.randrange(DAYS * 86400))
        db.execute(
            "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [story_id, seed_article["title"], begin.isoformat(), begin.isoformat()],
        )
        story_ids.append(story_id)
        wire = rng.choice(WIRES) if rng.random() < 0.5 else None
        earlier: list[tuple[int, str]] = []  # (row index, lang) of this story's originals
        for k in range(size):
            outlet, lang = rng.choice(outlets)
            when = begin + timedelta(hours=0 if k == 0 else rng.expovariate(1 / 6))
            stamp = when.isoformat()
            pool = real[lang]
            copy = k > 0 and bool(earlier) and rng.random() < COPY_SHARE
            index = -1
            if copy:
                index, lang = rng.choice(earlier)
                source = rows[index - (made - len(rows))] if index >= made - len(rows) else None
                title = source[2] if source else seed_article["title"]
                text = source[6] if source else recombined_text(rng, real[lang])
            else:
                title = (
                    seed_article["title"]
                    if lang == seed_article["lang"] and k == 0
                    else (rng.choice(pool)["title"])
                )
                text = recombined_text(rng, pool)
            seq += 1
            article_id = made + 1
            credited = wire if wire and rng.random() < CREDIT_SHARE * 2 else None
            rows.append(
                (f"https://{outlet.split()[0].lower()}{made}.example/a/{made}", outlet, title,
                 stamp, stamp, lang, text, len(text.split()), int(rng.random() < RELEVANT_SHARE),
                 round(rng.random() * 10, 2), story_id, stamp, now, credited,
                 index + 1 if copy else None, seq, 1)
            )  # fmt: skip
            if not copy:
                earlier.append((article_id - 1, lang))
            made += 1
            if len(rows) >= BATCH:
                _flush(db, rows)
                rows = []
                print(f"  {made:,} articles\r", file=sys.stderr, end="")
    _flush(db, rows)
    print(f"  {made:,} articles; story summaries...", file=sys.stderr)
    with db.atomic():
        store.refresh_stories(story_ids)
    db.execute("PRAGMA optimize")
    store.close()
    took = time.perf_counter() - started
    print(f"built {made:,} articles, {story_id:,} stories in {took:.0f} s: {path}")


def _flush(db, rows: list[tuple]) -> None:  # noqa: ANN001
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO articles (url, outlet, title, published_at, first_seen_at, lang, text,"
            " word_count, relevant, relevance_score, story_id, event_time, clustered_at,"
            " credited_source, duplicate_of, cluster_seq, cluster_batch)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return time.perf_counter() - started, status


def pages(db: Path) -> dict[str, list[str]]:
    """Every page kind with the URLs to request for it (several stories and queries each)."""
    store = Store(db, readonly=True)
    name = db.stem
    biggest = [
        r[0] for r in store.db.execute("SELECT id FROM stories ORDER BY article_count DESC LIMIT 5")
    ]
    recent = [r["id"] for r in store.stories(since=None, min_outlets=2, limit=15)]
    store.close()
    stories = biggest + recent
    return {
        "home /": ["/"],
        "home /?min_outlets=5": ["/?min_outlets=5"],
        "story /story/ID (5 biggest, 15 recent)": [f"/story/{i}" for i in stories],
        "story JSON /story/ID.json": [f"/story/{i}.json" for i in stories],
        "story picture /story/ID.png (cached)": [f"/story/{i}.png" for i in stories],
        "search /search?q=... (10 queries, filters)": [
            "/search?" + urllib.parse.urlencode(s) for s in SEARCHES
        ],
        "search, bad query": ["/search?q=F-16", '/search?q="unclosed'],
        "feed health /feeds": ["/feeds"],
        f"Datasette: database /{name}": [f"/{name}"],
        f"Datasette: /{name}/articles (table)": [f"/{name}/articles"],
        f"Datasette: /{name}/latest_stories": [f"/{name}/latest_stories"],
    }


def writer(db: Path, stop: threading.Event, counter: list[int]) -> None:
    """A crawl's writes while pages are read: one article per transaction, 50 a second at
    most, through the same Store a crawl uses; they are deleted again when it stops, so the
    database stays the one built."""
    rng = random.Random()
    with Store(db) as store:
        _remove_written(store)
        while not stop.is_set():
            stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            with store.db.atomic():
                store.db.execute(
                    "INSERT INTO articles (url, outlet, title, published_at, first_seen_at, lang,"
                    " text, relevant) VALUES (?, ?, 'Live article', ?, ?, 'en', ?, 1)",
                    [
                        f"https://writer.example/{rng.random()}",
                        WRITER,
                        stamp,
                        stamp,
                        "Ukraine " * 200,
                    ],  # fmt: skip
                )
            counter[0] += 1
            time.sleep(0.02)
        _remove_written(store)


def _remove_written(store: Store) -> None:
    with store.db.atomic():
        store.db.execute(f"DELETE FROM articles WHERE outlet = '{WRITER}'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsmon-serve-bench.db"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--while-writing", action="store_true", help="a writer inserts meanwhile")
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.articles)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(args.db), "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    stop, written = threading.Event(), [0]
    thread = threading.Thread(target=writer, args=(args.db, stop, written), daemon=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("newsmon serve did not start") from None
                time.sleep(0.2)
        kinds = pages(args.db)
        first_draw = [fetch(base + u)[0] for u in kinds["story picture /story/ID.png (cached)"]]
        for urls in kinds.values():  # warm up: connections, templates, page cache
            for url in urls:
                fetch(base + url)
        if args.while_writing:
            thread.start()
        with Store(args.db, readonly=True) as store:
            n = store.count("articles")
        print(f"newsmon serve on {n:,} articles ({args.db}), {args.rounds} rounds per page")
        print(f"{'page':48} {'median':>9} {'p95':>9} {'max':>9}  status")
        slowest = []
        for kind, urls in kinds.items():
            samples, statuses, per_url = [], set(), {}
            for _ in range(args.rounds):
                for url in urls:
                    took, status = fetch(base + url)
                    samples.append(took)
                    statuses.add(status)
                    per_url.setdefault(url, []).append(took)
            print(_line(kind, samples, statuses))
            worst = max(per_url, key=lambda u: statistics.median(per_url[u]))
            slowest.append((statistics.median(per_url[worst]), worst))
        print(_line("story picture, first draw (matplotlib)", first_draw, {200}))
        if args.while_writing:
            print(f"(a writer inserted {written[0]:,} articles meanwhile)")
        print("slowest URLs (median): " + "; ".join(
            f"{urllib.parse.unquote_plus(u)} {t * 1000:.0f} ms"
            for t, u in sorted(slowest, reverse=True)[:4]
        ))  # fmt: skip
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _line(kind: str, samples: list[float], statuses: set[int]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    ms = [statistics.median(samples) * 1000, p95 * 1000, samples[-1] * 1000]
    status = ",".join(str(s) for s in sorted(statuses))
    return f"{kind:48} {ms[0]:7.1f}ms {ms[1]:7.1f}ms {ms[2]:7.1f}ms  {status}"


if __name__ == "__main__":
    main()
