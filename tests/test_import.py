"""`newsmon import`, `recluster`, `stories` and `story` through the real CLI."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, newsmon, rows

DATA = REPO / "tests" / "data" / "stories.jsonl"
FEEDS = REPO / "feeds.yaml"


def _nm(db: Path, *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return newsmon("--db", str(db), "--feeds", str(FEEDS), *args, **kw)


def _stories(db: Path) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for url, story in rows(db, "SELECT url, story_id FROM articles WHERE story_id IS NOT NULL"):
        groups.setdefault(story, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def test_import_then_recluster_reproduces_the_same_stories(tmp_path: Path):
    lines = DATA.read_text(encoding="utf-8").splitlines()
    db = tmp_path / "news.db"
    # Incremental: the archive arrives in three chronological chunks, as from three cron runs.
    for i, chunk in enumerate((lines[:60], lines[60:130], lines[130:])):
        part = tmp_path / f"part{i}.jsonl"
        part.write_text("\n".join(chunk) + "\n", encoding="utf-8")
        result = _nm(db, "import", str(part))
        assert result.returncode == 0, result.stderr
        assert f"{len(chunk)} read, {len(chunk)} new" in result.stdout
    incremental = _stories(db)
    copies = rows(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0][0]
    assert len(incremental) >= 15 and copies >= 30

    again = _nm(db, "recluster")
    assert again.returncode == 0 and f"{len(lines)} articles" in again.stdout
    assert _stories(db) == incremental
    assert rows(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0][0] == copies
    # Importing the same file again stores nothing twice.
    rerun = _nm(db, "import", str(DATA))
    assert f"0 new, 0 updated, {len(lines)} unchanged" in rerun.stdout
    assert rows(db, "SELECT count(*) FROM articles") == [(len(lines),)]


def test_stories_and_story_timeline(tmp_path: Path):
    db = tmp_path / "news.db"
    assert _nm(db, "import", str(DATA)).returncode == 0
    listed = [
        json.loads(line)
        for line in _nm(db, "stories", "--json", "--limit", "100").stdout.splitlines()
    ]
    assert listed and set(listed[0]) == {
        "id",
        "title",
        "first_seen_at",
        "last_seen_at",
        "origin_outlet",
        "credited_source",
        "article_count",
        "outlet_count",
    }
    assert [s["last_seen_at"] for s in listed] == sorted(
        (s["last_seen_at"] for s in listed), reverse=True
    )
    kharkiv = max(listed, key=lambda s: s["article_count"])
    assert kharkiv["origin_outlet"] == "Politico" and kharkiv["credited_source"] == "Politico"
    assert kharkiv["outlet_count"] >= 20

    wide = [
        json.loads(x)
        for x in _nm(db, "stories", "--json", "--min-outlets", "20").stdout.splitlines()
    ]
    assert [s["id"] for s in wide] == [kharkiv["id"]]
    recent = _nm(db, "stories", "--json", "--since", "2024-11-19").stdout.splitlines()
    assert recent and all(json.loads(x)["last_seen_at"] >= "2024-11-19" for x in recent)

    detail = json.loads(_nm(db, "story", str(kharkiv["id"]), "--json").stdout)
    arts = detail["articles"]
    assert detail["id"] == kharkiv["id"] and len(arts) == kharkiv["article_count"]
    assert arts[0]["outlet"] == "Politico" and arts[0]["lag_hours"] == 0
    assert all(a["lag_hours"] >= 0 for a in arts) and arts == sorted(
        arts, key=lambda a: a["lag_hours"]
    )
    assert {
        "id",
        "url",
        "matched_terms",
        "duplicate_of",
        "credited_source",
        "relevant",
        "lag_hours",
    } <= set(arts[0])
    assert isinstance(arts[0]["matched_terms"], list) and arts[0]["relevant"] is True
    # syndicated copies are folded into the story of their original, and are the wires'
    # syndicators, never the outlets that wrote their own report
    copies = [a for a in arts if a["duplicate_of"]]
    in_story = {a["id"] for a in arts}
    assert len(copies) >= 5 and all(a["duplicate_of"] in in_story for a in copies)
    originals = {a["id"]: a["outlet"] for a in arts}
    assert {originals[a["duplicate_of"]] for a in copies} <= {"Reuters", "Associated Press", "dpa"}
    assert "Politico" not in {a["outlet"] for a in copies}
    langs = {a["lang"] for a in arts}
    assert {"en", "uk", "ru", "de", "fr", "es", "pl"} <= langs

    text = _nm(db, "story", str(kharkiv["id"]))
    assert text.returncode == 0 and "first reported by Politico" in text.stdout
    table = _nm(db, "stories")
    assert table.returncode == 0 and "Politico" in table.stdout


def test_import_from_stdin(tmp_path: Path):
    db = tmp_path / "news.db"
    line = DATA.read_text(encoding="utf-8").splitlines()[0]
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(FEEDS), "import", "-"],
        input=line + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0 and "1 new" in result.stdout


def test_bad_import_lines_exit_2_and_write_nothing(tmp_path: Path):
    db = tmp_path / "news.db"
    good = DATA.read_text(encoding="utf-8").splitlines()[0]
    for bad, message in [
        (
            '{"url": "https://x.test/a", "title": "t", "text": "x", "outlet": "O"}',
            "published: is required",
        ),
        (
            '{"url": "ftp://x/a", "title": "t", "text": "x", "published": "2024-05-30", "outlet": "O"}',
            "url: ",
        ),
        (
            '{"url": "https://x.test/a", "title": "t", "text": "x", "published": "yesterday", "outlet": "O"}',
            "not an ISO 8601",
        ),
        ("{not json", "not JSON"),
    ]:
        path = tmp_path / "bad.jsonl"
        path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
        result = _nm(db, "import", str(path))
        assert result.returncode == 2, result.stderr
        err = result.stderr.strip()
        assert err.startswith(f"newsmon: error: {path}:2: ") and message in err and "\n" not in err
        assert not db.exists()
    missing = _nm(db, "import", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_import_waits_for_no_crawl(tmp_path: Path):
    db = tmp_path / "news.db"
    with open(f"{db}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = _nm(db, "import", str(DATA))
    assert result.returncode == 75 and not db.exists()


def test_query_errors(tmp_path: Path):
    db = tmp_path / "news.db"
    assert _nm(db, "stories").returncode == 2  # no database yet
    assert _nm(db, "import", str(DATA)).returncode == 0
    bad = _nm(db, "stories", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr
    missing = _nm(db, "story", "99999")
    assert missing.returncode == 2 and "no story 99999" in missing.stderr


def _archive(path: Path, n: int) -> None:
    """n distinct articles (10 events, 30 words of their own each), in no particular order."""
    with path.open("w", encoding="utf-8") as out:
        for i in reversed(range(n)):
            event = i % 10
            words = " ".join(f"w{event}x{k}" for k in range(30))
            record = {
                "url": f"https://archive.test/{i}?utm_source=feed",
                "title": f"Event {event} report {i}",
                "text": f"Officials discussed event {event} on Tuesday. {words} item {i}.",
                "published": f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "outlet": f"Outlet {i % 7}",
            }
            out.write(json.dumps(record) + "\n")


def test_a_killed_import_resumes_and_stores_nothing_twice(tmp_path: Path):
    """Imports store in chunks of 1,000 lines: kill -9 after the first chunks committed, rerun,
    and every article is there once, scored and clustered."""
    import signal
    import time

    n = 6000
    archive = tmp_path / "archive.jsonl"
    _archive(archive, n)
    db = tmp_path / "news.db"
    cmd = [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(FEEDS), "import"]
    proc = subprocess.Popen([*cmd, str(archive)], cwd=REPO, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                stored = rows(db, "SELECT count(*) FROM articles")[0][0]
            except Exception:  # the schema may not exist yet
                stored = 0
            if stored >= 1000:
                break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = rows(db, "SELECT count(*) FROM articles")[0][0]
    assert stored % 1000 == 0 and 0 < stored < n  # whole chunks, killed before the end
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]

    again = _nm(db, "import", str(archive))
    assert again.returncode == 0, again.stderr
    assert f"{n} read, {n - stored} new, 0 updated, {stored} unchanged" in again.stdout
    assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(n, n)]
    left = "SELECT count(*) FROM articles WHERE clustered_at IS NULL OR relevance_score IS NULL"
    assert rows(db, left) == [(0,)]


def test_a_backlog_larger_than_max_batch_is_clustered_in_batches(tmp_path: Path):
    """max_batch bounds how much of a large import is clustered at once; recluster replays the
    same batches and reproduces the stories."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(FEEDS.read_text(encoding="utf-8") + "clustering:\n  max_batch: 100\n")
    db = tmp_path / "news.db"
    args = ("--db", str(db), "--feeds", str(feeds))
    assert newsmon(*args, "import", str(DATA)).returncode == 0
    batches = rows(db, "SELECT cluster_batch, count(*) FROM articles GROUP BY 1 ORDER BY 1")
    assert len(batches) >= 2 and max(n for _, n in batches) <= 100
    before = _stories(db)
    assert newsmon(*args, "recluster").returncode == 0
    assert _stories(db) == before


def test_unreadable_import_input_is_a_one_line_error(tmp_path: Path):
    db = tmp_path / "news.db"
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes('{"url": "https://x.test/a", "title": "Café"}\n'.encode("latin-1"))
    cases = [
        (_nm(db, "import", str(latin1)), f"{latin1}: not UTF-8 text"),
        (_nm(db, "import", str(tmp_path)), f"{tmp_path}: is a directory"),
    ]
    stdin = subprocess.run(
        [sys.executable, "-m", "crawler", "--db", str(db), "--feeds", str(FEEDS), "import", "-"],
        input=latin1.read_bytes(),
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    cases.append((stdin, "stdin: not UTF-8 text"))
    for result, message in cases:
        err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
        assert result.returncode == 2 and message in err and err.count("\n") == 1, err
    assert not db.exists()


def _outcome(db: Path) -> dict[str, tuple]:
    """Per URL: the URLs of its story, the URL it copies, the source it credits."""
    urls = dict(rows(db, "SELECT id, url FROM articles"))
    story_urls: dict[int, list[str]] = {}
    for url, story in rows(db, "SELECT url, story_id FROM articles WHERE story_id IS NOT NULL"):
        story_urls.setdefault(story, []).append(url)
    return {
        url: (sorted(story_urls.get(story, [])), urls.get(dup), credit)
        for url, story, dup, credit in rows(
            db, "SELECT url, story_id, duplicate_of, credited_source FROM articles"
        )
    }


def test_features_made_on_every_core_give_the_serial_result(tmp_path: Path):
    """fork_batch and parallel_batch: a batch this large has its features made by forked or
    spawned workers; what comes out must not depend on it."""
    outcomes = []
    for name, fork, parallel in (("serial", 0, 0), ("forked", 20, 0), ("spawned", 0, 20)):
        feeds = tmp_path / f"feeds-{name}.yaml"
        feeds.write_text(
            FEEDS.read_text(encoding="utf-8")
            + f"clustering:\n  fork_batch: {fork}\n  parallel_batch: {parallel}\n"
            + "  max_batch: 150\n"
        )
        db = tmp_path / f"news-{name}.db"
        result = newsmon("--db", str(db), "--feeds", str(feeds), "import", str(DATA))
        assert result.returncode == 0, result.stderr
        outcomes.append(_outcome(db))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert sum(1 for _, dup, _ in outcomes[0].values() if dup) >= 30
    assert sum(1 for _, _, credit in outcomes[0].values() if credit) >= 30
