"""search, stories, story (--json, --plot) and export through the real CLI on the demo's data."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, newsmon, rows

from crawler.commands.output import ARTICLE_EXPORT, STORY_EXPORT


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("query") / "news.db"
    result = newsmon("--db", str(db), "demo", "--port", "0")
    assert result.returncode == 0, result.stderr
    return db


def run(db: Path, *args: str):
    return newsmon("--db", str(db), *args)


def test_search_ranks_matches_with_highlighted_snippets(demo_db: Path):
    result = run(demo_db, "search", "Kharkiv", "--json")
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits, "the demo covers Kharkiv"
    assert all(set(ARTICLE_EXPORT) <= set(h) for h in hits)
    assert all(h["relevant"] for h in hits)
    assert all("«Kharkiv»" in h["snippet"] for h in hits)
    # bm25 with the headline weighted: the article with Kharkiv in its title comes first
    assert "Kharkiv" in hits[0]["title"]
    assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)


def test_search_filters_and_all(demo_db: Path):
    relevant = run(demo_db, "search", "Ukraine OR Україна OR Ukraine*", "--json").stdout
    everything = run(demo_db, "search", "Ukraine OR Україна OR Ukraine*", "--all", "--json").stdout
    assert len(everything.splitlines()) > len(relevant.splitlines())  # the prisoner exchange
    outlet = run(demo_db, "search", "Ukraine*", "--outlet", "Rhein-Kurier", "--json").stdout
    assert outlet and all(json.loads(x)["outlet"] == "Rhein-Kurier" for x in outlet.splitlines())
    future = run(demo_db, "search", "Ukraine*", "--since", "2030-01-01", "--json")
    assert future.returncode == 0 and future.stdout == ""
    until = run(demo_db, "search", "Ukraine*", "--until", "2024-05-30T00:00", "--all", "--json")
    dates = [json.loads(x)["published_at"] for x in until.stdout.splitlines()]
    assert dates and all(d < "2024-05-30" for d in dates)


@pytest.mark.parametrize("query", ['"unclosed', "AND OR", "title:", "NEAR(("])
def test_bad_search_query_is_one_line_exit_2(demo_db: Path, query: str):
    result = run(demo_db, "search", query)
    assert result.returncode == 2
    assert result.stderr.startswith("newsmon: error: bad search query")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_depth_ranks_only_the_newest_matches(demo_db: Path):
    every = [json.loads(x) for x in run(demo_db, "search", "Ukrain*", "--all", "--depth", "0",
                                        "--json").stdout.splitlines()]  # fmt: skip
    assert len(every) >= 3
    newest = [json.loads(x) for x in run(demo_db, "search", "Ukrain*", "--all", "--depth", "2",
                                         "--json").stdout.splitlines()]  # fmt: skip
    assert sorted(r["id"] for r in newest) == sorted(r["id"] for r in every)[-2:]
    assert run(demo_db, "search", "Kyiv", "--depth", "-1").returncode == 2


def test_hyphenated_word_gets_a_hint(demo_db: Path):
    result = run(demo_db, "search", "F-16")
    assert result.returncode == 2 and "double quotes: '\"F-16\"'" in result.stderr
    assert run(demo_db, "search", '"F-16"').returncode == 0


def test_bad_span_is_usage_error(demo_db: Path):
    result = run(demo_db, "search", "Kyiv", "--since", "yesterday-ish")
    assert result.returncode == 2 and "--since" in result.stderr


def test_stories_and_story_json(demo_db: Path):
    stories = [json.loads(x) for x in run(demo_db, "stories", "--json").stdout.splitlines()]
    assert stories and all(set(s) == set(STORY_EXPORT) for s in stories)
    multi = [s for s in stories if s["outlet_count"] >= 2]
    assert multi, "the demo has stories covered by two outlets"
    only_multi = run(demo_db, "stories", "--min-outlets", "2", "--json").stdout.splitlines()
    assert len(only_multi) == len(multi)
    story = json.loads(run(demo_db, "story", str(multi[0]["id"]), "--json").stdout)
    articles = story["articles"]
    assert len(articles) == story["article_count"]
    assert articles[0]["lag_hours"] == 0 and all(a["lag_hours"] >= 0 for a in articles)
    assert articles[0]["outlet"] == story["origin_outlet"]
    missing = run(demo_db, "story", "9999")
    assert missing.returncode == 2 and "no story 9999" in missing.stderr


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_story_plot_draws_a_png(demo_db: Path, tmp_path: Path):
    story_id = rows(demo_db, "SELECT id FROM stories ORDER BY outlet_count DESC, id LIMIT 1")[0][0]
    out = tmp_path / "story.png"
    result = run(demo_db, "story", str(story_id), "--plot", str(out))
    assert result.returncode == 0, result.stderr
    width, height = _png_size(out)
    assert width >= 800 and height >= 150
    assert out.stat().st_size > 10_000  # marks, labels and a legend, not an empty canvas
    bad = run(demo_db, "story", str(story_id), "--plot", str(tmp_path / "no/such/dir.png"))
    assert bad.returncode == 2 and bad.stderr.startswith("newsmon: error: --plot")


def test_export_jsonl_and_csv(demo_db: Path, tmp_path: Path):
    relevant = rows(demo_db, "SELECT count(*) FROM articles WHERE relevant = 1")[0][0]
    total = rows(demo_db, "SELECT count(*) FROM articles")[0][0]
    lines = run(demo_db, "export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == relevant < total
    assert all(list(r) == list(ARTICLE_EXPORT) for r in records)
    assert all(isinstance(r["matched_terms"], list) and r["relevant"] is True for r in records)

    out = tmp_path / "all.csv"
    result = run(demo_db, "export", "--format", "csv", "--all", "--output", str(out))
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(table) == total
    assert list(table[0]) == list(ARTICLE_EXPORT)
    texts = {r["id"]: r["text"] for r in table}
    stored = dict(rows(demo_db, "SELECT CAST(id AS TEXT), text FROM articles"))
    assert texts == stored  # multi-line bodies survive CSV quoting
    assert {r["relevant"] for r in table} == {"true", "false"}


def test_query_commands_on_missing_database(tmp_path: Path):
    result = newsmon("--db", str(tmp_path / "none.db"), "search", "Kyiv")
    assert result.returncode == 2 and "no such database" in result.stderr
    assert not (tmp_path / "none.db").exists()


def _export_with_file_size_limit(
    db: Path, out: Path, limit: int, *, killed: bool
) -> subprocess.CompletedProcess[str]:
    """``newsmon export --output`` in a process that may not write more than ``limit`` bytes to
    any file: the write that crosses it fails with EFBIG (as on a full disk) or, killed, the
    kernel's SIGXFSZ ends the process at that write. No timing: the limit decides where it stops.
    (Python ignores SIGXFSZ from start-up, so the killed run restores its default action before
    running the CLI's ``__main__``.)"""
    restore = "import runpy, signal; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
    code = restore * killed + "import runpy; runpy.run_module('crawler', run_name='__main__')"
    return subprocess.run(
        [sys.executable, "-c", code, "--db", str(db), "export", "--all", "-o", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
    )


def test_export_file_appears_whole_or_not_at_all(tmp_path: Path):
    """README: 'the file appears whole or not at all'. An export that fails or is killed half
    way leaves the previous file byte for byte, and no partial file under the target's name."""
    from storage import Store

    db = tmp_path / "big.db"  # an export far larger than SQLite's own files (the -shm is 32 KB)
    with Store(db) as store:
        for i in range(ARTICLES_IN_BIG_EXPORT):
            text = f"Paragraph of article {i}. " * 40
            store.save_article(
                {"url": f"https://x.test/{i}", "title": f"T{i}", "text": text, "source": "page"},
                [],
            )
    exports = tmp_path / "out"
    exports.mkdir()
    out = exports / "all.jsonl"
    first = run(db, "export", "--all", "--output", str(out))
    assert first.returncode == 0, first.stderr
    whole = out.read_bytes()
    assert whole.count(b"\n") == ARTICLES_IN_BIG_EXPORT
    half = len(whole) // 2

    failed = _export_with_file_size_limit(db, out, half, killed=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("newsmon: error:") and len(failed.stderr.splitlines()) == 1
    assert "File too large" in failed.stderr  # the export's write failed, nothing else
    assert out.read_bytes() == whole  # the earlier export is untouched
    assert sorted(p.name for p in exports.iterdir()) == ["all.jsonl"]  # temporary file removed

    fresh = exports / "fresh.jsonl"
    killed = _export_with_file_size_limit(db, fresh, half, killed=True)
    assert killed.returncode == -signal.SIGXFSZ
    assert not fresh.exists()
    assert out.read_bytes() == whole
    # A killed process cannot clean up: what may remain is its hidden temporary file.
    leftovers = [p.name for p in exports.iterdir() if p.name != "all.jsonl"]
    assert all(name.startswith(".fresh.jsonl.") for name in leftovers), leftovers


ARTICLES_IN_BIG_EXPORT = 300
