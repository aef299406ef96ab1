"""End to end: the real CLI crawls real loopback servers into a real SQLite file."""

from __future__ import annotations

import fcntl
import json
import random
import socket
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sitegen
from conftest import crawl, newsmon, rows

from crawler.commands.demo.server import Resource, SiteServer

OUTLETS = {"alpha": "rss2", "beta": "atom", "gamma": "rss1"}


def _setup(server: SiteServer, tmp: Path, **kw) -> tuple[sitegen.GenSite, Path, Path]:
    site, resources = sitegen.build(server.base_url, OUTLETS, **kw)
    server.resources.update(resources)
    feeds = tmp / "feeds.yaml"
    feeds.write_text(sitegen.feeds_yaml(server.base_url, site))
    return site, feeds, tmp / "news.db"


def test_crawl_stores_each_article_once_with_clean_text(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path)
    result = crawl(db, feeds)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "exactly one summary line"
    assert "6 feeds polled" in lines[0] and f"{len(site.articles)} articles new" in lines[0]

    stored = rows(db, "SELECT url, title, text, outlet, author, published_at, feed FROM articles")
    assert len(stored) == len(site.articles)
    by_url = {r[0]: r for r in stored}
    for art in site.articles:
        url, title, text, outlet, author, published, feed = by_url[server.url(art.path)]
        assert title == art.title
        assert outlet == art.outlet and author == art.author
        assert published.startswith(art.published.strftime("%Y-%m-%dT%H:%M"))
        for paragraph in art.paragraphs:
            assert paragraph in text
        # Navigation, sidebars, related links, promos and comments stay out of the body.
        for noise in ["Log in", "Weather", "Reader comments", "biased", "Imprint", "Tags:"]:
            assert noise not in text, (noise, url)
        for snippet in sitegen.BOILERPLATE_SNIPPETS:
            assert snippet not in text
        assert feed.startswith(art.outlet)

    # Tracking-parameter links and the raw GUIDs are recorded as URL forms of the one article.
    forms = rows(db, "SELECT url, kind FROM article_urls")
    assert any("utm_source=feed" in u and k == "link" for u, k in forms)
    assert any(k == "guid" for _, k in forms)
    assert rows(
        db, "SELECT count(*) FROM articles WHERE url LIKE '%utm_%' OR url LIKE '%fbclid%'"
    ) == [(0,)]
    # Each page was fetched once although two section feeds list some of them.
    for art in site.articles:
        assert len(server.requests_for(art.path)) == 1, art.path

    feeds_state = rows(
        db, "SELECT name, last_status, etag, entries_seen, consecutive_failures FROM feeds"
    )
    assert len(feeds_state) == 6
    assert all(s == 200 and etag and n > 0 and f == 0 for _, s, etag, n, f in feeds_state)
    run = rows(db, "SELECT status, feeds_polled, articles_new, finished_at FROM crawl_runs")
    assert run == [("ok", 6, len(site.articles), run[0][3])] and run[0][3]


def test_second_crawl_is_conditional_and_fetches_no_articles(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path)
    assert crawl(db, feeds).returncode == 0
    before = rows(db, "SELECT id, url, updated_at FROM articles ORDER BY id")
    server.clear_log()

    second = crawl(db, feeds)
    assert second.returncode == 0, second.stderr
    assert "6 not modified" in second.stdout and "0 articles new" in second.stdout
    # nothing on stderr (cron mails whatever a job prints): the run ends before its extraction
    # workers have done their start-up work, which is cancelled, not reported as an error
    assert second.stderr == ""
    requested = [r for r in server.log if r.path != "/robots.txt"]
    assert {r.path for r in requested} == {p for p, _, _ in site.feeds.values()}
    assert all(r.status == 304 for r in requested)
    assert all("If-None-Match" in r.headers or "if-none-match" in r.headers for r in requested)
    assert rows(db, "SELECT id, url, updated_at FROM articles ORDER BY id") == before
    assert rows(db, "SELECT count(*), sum(feeds_not_modified) FROM crawl_runs") == [(2, 6)]


def test_new_entry_is_fetched_on_the_next_run(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    assert crawl(db, feeds).returncode == 0
    # Publish two more articles on alpha: its feeds change, the others stay 304.
    bigger, resources = sitegen.build(server.base_url, {"alpha": "rss2"}, per_outlet=4)
    server.resources.update(resources)
    server.clear_log()
    result = crawl(db, feeds)
    assert result.returncode == 0
    assert "2 articles new" in result.stdout
    fetched = {r.path for r in server.log if r.path.startswith("/alpha/2024")}
    new_paths = {a.path for a in bigger.articles} - {a.path for a in site.articles}
    assert fetched == new_paths
    assert rows(db, "SELECT count(*) FROM articles") == [(len(site.articles) + 2,)]


def test_broken_feeds_are_recorded_and_do_not_stop_the_others(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    server.resources["/broken/500.xml"] = Resource(
        b"oops", "text/plain", status=500, conditional=False
    )
    server.resources["/broken/garbage.xml"] = Resource(
        b"\x00\x01 this is no feed <<<", "application/rss+xml"
    )
    server.resources["/broken/page.xml"] = Resource(b"<html><body><p>Hello</p></body></html>")
    extra = "".join(
        f"  - name: {n}\n    url: {server.url(p)}\n    outlet: Broken\n"
        for n, p in [
            ("five-hundred", "/broken/500.xml"),
            ("garbage", "/broken/garbage.xml"),
            ("html", "/broken/page.xml"),
            ("missing", "/broken/404.xml"),
        ]
    )
    feeds.write_text(feeds.read_text() + extra)
    result = crawl(db, feeds)
    assert result.returncode == 0, result.stderr
    assert "10 feeds polled" in result.stdout and "4 failed" in result.stdout
    assert rows(db, "SELECT count(*) FROM articles") == [(len(site.articles),)]
    state = {
        r[0]: r[1:]
        for r in rows(
            db, "SELECT name, last_status, last_error, consecutive_failures, next_due_at FROM feeds"
        )
    }
    assert state["five-hundred"][0] == 500 and "500" in state["five-hundred"][1]
    assert state["missing"][0] == 404
    assert "not an RSS or Atom feed" in state["garbage"][1]
    assert "not an RSS or Atom feed" in state["html"][1]
    for name in ("five-hundred", "garbage", "html", "missing"):
        assert state[name][2] == 1
        assert state[name][3] is not None  # backed off: due again later
    # 500 is retried by Scrapy before it counts as a failure.
    assert len(server.requests_for("/broken/500.xml")) == 3


def test_every_feed_failing_exits_1(server: SiteServer, tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - name: gone\n    url: {server.url('/nope.xml')}\n    outlet: X\n")
    result = crawl(tmp_path / "news.db", feeds)
    assert result.returncode == 1
    assert "crawl failed" in result.stdout and "1 failed" in result.stdout
    assert rows(tmp_path / "news.db", "SELECT status FROM crawl_runs") == [("failed",)]


def test_a_host_refusing_connections_is_recorded_and_said_in_one_line(
    server: SiteServer, tmp_path: Path
):
    """Scrapy's log used to reach stderr during a crawl: a host refusing connections gave
    `newsmon: ERROR:` lines, one with a traceback of some 60 lines. The failure belongs in the
    feed's row (``feeds list``) and the summary; stderr stays empty while the crawl is ok, and a
    crawl that failed (every feed) says so in one error line."""
    site, feeds, db = _setup(server, tmp_path, per_outlet=1)
    with socket.socket() as refusing:  # bound, never listening: connections are refused
        refusing.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{refusing.getsockname()[1]}/feed.xml"
        feeds.write_text(feeds.read_text() + f"  - name: down\n    url: {down}\n    outlet: D\n")
        mixed = crawl(db, feeds)
        assert mixed.returncode == 0 and "1 failed" in mixed.stdout, mixed.stderr
        assert mixed.stderr == ""

        only_down = crawl(db, feeds, "--only", "down")
        assert only_down.returncode == 1 and only_down.stdout.startswith("crawl failed:")
        assert only_down.stderr.splitlines() == [
            "newsmon: error: every feed polled failed; newsmon feeds list shows why"
        ]
    listed = newsmon("--db", str(db), "--feeds", str(feeds), "feeds", "list", "--json")
    (record,) = [r for r in map(json.loads, listed.stdout.splitlines()) if r["name"] == "down"]
    assert record["consecutive_failures"] == 2 and "refused" in record["last_error"].lower()


@pytest.mark.parametrize(
    "arguments",
    [
        ["export", "--format", "xml"],
        ["stories", "--limit", "many"],
        ["stories", "--no-such-option"],
        ["no-such-command"],
        ["feeds", "add"],
    ],
)
def test_argument_errors_are_one_line(tmp_path: Path, arguments: list[str]):
    """argparse's own errors used to print the usage first and name the subcommand
    (`newsmon export: error: ...`)."""
    result = newsmon(*arguments, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("newsmon: error: ") and "usage" not in line


@pytest.mark.parametrize("arguments", [["--help"], ["export", "--help"], ["feeds", "add", "-h"]])
def test_help_still_shows_the_usage(tmp_path: Path, arguments: list[str]):
    helped = newsmon(*arguments, cwd=tmp_path)
    assert helped.returncode == 0 and helped.stderr == ""
    assert helped.stdout.startswith("usage: newsmon") and "options:" in helped.stdout


def test_vanished_article_keeps_feed_data(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    gone = site.articles[0]
    del server.resources[gone.path]
    assert crawl(db, feeds).returncode == 0
    (row,) = rows(
        db,
        "SELECT title, source, fetch_status, summary FROM articles WHERE url = ?",
        (server.url(gone.path),),
    )
    assert row[0] == gone.title and row[1] == "feed" and row[2] == 404
    assert row[3] and row[3] in gone.paragraphs[0]


def test_max_articles_and_only(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path)
    result = crawl(db, feeds, "--only", "alpha-news", "--max-articles", "2")
    assert result.returncode == 0, result.stderr
    assert "1 feeds polled" in result.stdout and "2 articles new" in result.stdout
    assert rows(db, "SELECT DISTINCT feed FROM articles") == [("alpha-news",)]
    bad = crawl(db, feeds, "--only", "no-such-feed")
    assert bad.returncode == 2 and "no feed named 'no-such-feed'" in bad.stderr


def test_malformed_feeds_yaml_exits_2_and_writes_nothing(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path)
    feeds.write_text(
        feeds.read_text().replace("    lang: en\n", "    lang: en\n    colour: red\n", 1)
    )
    result = crawl(db, feeds)
    assert result.returncode == 2
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("newsmon: error: ")
    assert "feeds.yaml:7" in err[0] and "colour" in err[0]
    assert not db.exists() and server.log == []

    # Same for an existing database: nothing changes.
    feeds.write_text(sitegen.feeds_yaml(server.base_url, site))
    assert crawl(db, feeds).returncode == 0
    before = db.read_bytes()
    feeds.write_text("feeds:\n  - name: x\n    url: ftp://example/feed\n    outlet: X\n")
    result = crawl(db, feeds)
    assert result.returncode == 2 and "http(s)" in result.stderr
    assert rows(db, "SELECT count(*) FROM crawl_runs") == [(1,)]
    assert db.read_bytes() == before


def test_crawl_while_locked_exits_75(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=1)
    lock = open(f"{db}.lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        result = crawl(db, feeds)
    finally:
        lock.close()
    assert result.returncode == 75
    assert "another crawl" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not db.exists() and server.log == []
    # Released (as the kernel does when the holder dies): the next run goes ahead.
    assert crawl(db, feeds).returncode == 0


def test_python_m_crawler_and_console_script_agree(tmp_path: Path):
    result = newsmon("--help")
    assert result.returncode == 0 and "crawl" in result.stdout and "demo" in result.stdout
    missing = newsmon(
        "--db", str(tmp_path / "x.db"), "--feeds", str(tmp_path / "none.yaml"), "crawl"
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_only_due_feeds_are_polled(server: SiteServer, tmp_path: Path):
    site, resources = sitegen.build(server.base_url, {"alpha": "rss2"}, per_outlet=2)
    server.resources.update(resources)
    server.resources["/down.xml"] = Resource(b"down", "text/plain", status=503, conditional=False)
    feeds = tmp_path / "feeds.yaml"
    text = sitegen.feeds_yaml(server.base_url, site).replace(
        "    lang: en\n", "    lang: en\n    poll_every: 1h\n", 1
    )
    feeds.write_text(text + f"  - name: down\n    url: {server.url('/down.xml')}\n    outlet: D\n")
    db = tmp_path / "news.db"
    first = crawl(db, feeds)
    assert "3 feeds polled" in first.stdout and "1 failed" in first.stdout
    # Immediately again: the hourly feed is not due, the failing one backs off; the other is due.
    second = crawl(db, feeds)
    assert "1 feeds polled" in second.stdout, second.stdout
    due = dict(rows(db, "SELECT name, next_due_at FROM feeds"))
    assert due["alpha-news"] > due["alpha-politics"]
    assert crawl(db, feeds, "--all").stdout.count("3 feeds polled") == 1


def test_changed_headline_refetches_page_and_keeps_revision(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    assert crawl(db, feeds).returncode == 0
    art = next(a for a in site.articles if a.outlet == "alpha")
    old_title = art.title
    art.title = "Corrected: " + old_title
    art.paragraphs[0] = "An editor's note now opens this story. " + art.paragraphs[0]
    # the outlet republishes its feeds and the page with the new headline and text
    for name, (path, fmt, outlet) in site.feeds.items():
        if outlet == "alpha":
            section = name.split("-", 1)[1]
            items = [a for a in site.articles if a.outlet == "alpha" and section in a.sections]
            xml = sitegen.feed_xml(fmt, name, server.base_url, items, tracked=True)
            server.resources[path] = Resource(xml.encode(), "application/rss+xml")
    page = sitegen.page_html(art, server.base_url, random.Random(1), [])
    server.resources[art.path] = Resource(page.encode())
    server.clear_log()
    result = crawl(db, feeds)
    assert "1 updated" in result.stdout and "0 articles new" in result.stdout, result.stdout
    assert [r.path for r in server.log if r.path.startswith("/alpha/2024")] == [art.path]
    ((title, text),) = rows(
        db, "SELECT title, text FROM articles WHERE url = ?", (server.url(art.path),)
    )
    assert title == art.title and text.startswith("An editor's note")
    assert rows(db, "SELECT old_title FROM revisions") == [(old_title,)]
    # Nothing changes any more: nothing is fetched again.
    server.clear_log()
    again = crawl(db, feeds)
    assert "0 updated" in again.stdout and not [
        r for r in server.log if r.path.startswith("/alpha/2024")
    ]


def test_amp_variant_in_another_feed_is_not_fetched_again(server: SiteServer, tmp_path: Path):
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    assert crawl(db, feeds).returncode == 0
    amp_items = [a for a in site.articles if a.outlet == "beta"]
    body = "".join(
        f"<item><title>{a.title}</title><link>{server.url(a.path)}/amp</link></item>"
        for a in amp_items
    )
    server.resources["/amp-feed.xml"] = Resource(
        f"<rss version='2.0'><channel><title>amp</title>{body}</channel></rss>".encode(),
        "application/rss+xml",
    )
    feeds.write_text(
        feeds.read_text()
        + f"  - name: amp\n    url: {server.url('/amp-feed.xml')}\n    outlet: beta\n"
    )
    server.clear_log()
    result = crawl(db, feeds)
    assert "0 articles new" in result.stdout, result.stdout
    assert not [r for r in server.log if r.path.endswith("/amp")]
    assert rows(db, "SELECT count(*) FROM articles") == [(len(site.articles),)]


def test_quiet_feed_backs_off_and_gone_feed_is_disabled(server: SiteServer, tmp_path: Path):
    site, resources = sitegen.build(server.base_url, {"alpha": "rss2"}, per_outlet=2)
    server.resources.update(resources)
    server.resources["/gone.xml"] = Resource(b"gone", "text/plain", status=410, conditional=False)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        sitegen.feeds_yaml(server.base_url, site)
        + f"  - name: gone\n    url: {server.url('/gone.xml')}\n    outlet: G\n"
    )
    db = tmp_path / "news.db"
    crawl(db, feeds)
    gone = rows(db, "SELECT disabled, last_status, last_error FROM feeds WHERE name = 'gone'")
    assert gone[0][0] == 1 and gone[0][1] == 410 and "disabled" in gone[0][2]
    listed = newsmon("--db", str(db), "--feeds", str(feeds), "feeds", "list")
    assert "disabled" in listed.stdout
    # A disabled feed is not polled again, even with --all; --only NAME retries it.
    server.clear_log()
    crawl(db, feeds, "--all")
    assert not server.requests_for("/gone.xml")
    crawl(db, feeds, "--only", "gone")
    assert len(server.requests_for("/gone.xml")) == 1

    # A feed that has brought nothing new for a month is polled every few hours, not each run.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET last_new_at = '2020-01-01T00:00:00+00:00'")
    crawl(db, feeds, "--all")  # 304s: still nothing new
    due = dict(rows(db, "SELECT name, next_due_at FROM feeds WHERE name LIKE 'alpha%'"))
    soon = (datetime.now(timezone.utc) + timedelta(hours=5)).isoformat()
    assert all(d > soon for d in due.values()), due
    assert "0 feeds polled" in crawl(db, feeds).stdout


def test_a_bad_worker_count_is_a_one_line_error_before_anything_runs(tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: a, url: 'http://127.0.0.1:9/feed.xml', outlet: A}\n")
    db = tmp_path / "news.db"
    result = newsmon("--db", str(db), "--feeds", str(feeds), "crawl",
                     "-s", "NEWSMON_EXTRACT_PROCESSES=two")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "newsmon: error: -s NEWSMON_EXTRACT_PROCESSES='two': expected a whole number"
    )
    assert not db.exists() or rows(db, "SELECT count(*) FROM crawl_runs") == [(0,)]


@pytest.mark.parametrize(
    ("setting", "code", "error"),
    [
        ("CONCURRENT_REQUESTS=many", 2, "-s CONCURRENT_REQUESTS='many': expected a number"),
        ("ROBOTSTXT_OBEY=maybe", 2, "-s ROBOTSTXT_OBEY='maybe': expected true or false"),
        # a value of the right kind that Scrapy still refuses, once the crawl is set up
        ("CONCURRENT_REQUESTS=2.5", 1, "the crawl failed: ValueError: invalid literal"),
    ],
)
def test_bad_settings_are_one_line_errors_that_poll_nothing(
    tmp_path: Path, setting: str, code: int, error: str
):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: a, url: 'http://127.0.0.1:9/feed.xml', outlet: A}\n")
    db = tmp_path / "news.db"
    result = newsmon("--db", str(db), "--feeds", str(feeds), "crawl", "-s", setting)
    assert result.returncode == code
    assert result.stderr.startswith(f"newsmon: error: {error}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert not db.exists() or rows(db, "SELECT count(*) FROM crawl_runs") == [(0,)]


def test_a_database_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: a, url: 'http://127.0.0.1:9/feed.xml', outlet: A}\n")
    a_directory = tmp_path / "news.db"
    a_directory.mkdir()
    result = newsmon("--db", str(a_directory), "--feeds", str(feeds), "crawl")
    assert result.returncode == 1
    assert result.stderr == "newsmon: error: database: unable to open database file\n"


@pytest.mark.parametrize("command", ["crawl", "worker"])
def test_bad_settings_of_a_distributed_crawl_are_one_line_errors(tmp_path: Path, command: str):
    """The writer and the workers check -s values as a one-process crawl does, before they
    reach Redis."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: a, url: 'http://127.0.0.1:9/feed.xml', outlet: A}\n")
    result = newsmon("--db", str(tmp_path / "news.db"), "--feeds", str(feeds), command,
                     "--redis", "redis://127.0.0.1:9/0", "-s", "CONCURRENT_REQUESTS=many")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "newsmon: error: -s CONCURRENT_REQUESTS='many': expected a number\n"


def test_robots_txt_disallow_is_obeyed_and_the_documented_user_agent_is_sent(
    server: SiteServer, tmp_path: Path
):
    """README: 'robots.txt obeyed ... a descriptive User-Agent' (crawler/settings.py's)."""
    site, feeds, db = _setup(server, tmp_path, per_outlet=2)
    # alpha forbids its article pages (its feeds stay allowed); everything else is open.
    server.resources["/robots.txt"] = Resource(
        b"User-agent: *\nDisallow: /alpha/2024/\n", "text/plain", conditional=False
    )
    result = crawl(db, feeds)
    assert result.returncode == 0, result.stderr
    paths = [r.path for r in server.log]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/alpha/2024/")], "a disallowed page was fetched"
    allowed = [a for a in site.articles if a.outlet != "alpha"]
    assert {a.path for a in allowed} <= set(paths)
    stored = {u for (u,) in rows(db, "SELECT url FROM articles")}
    assert stored == {server.url(a.path) for a in allowed}

    from crawler import settings

    agents = {r.headers.get("User-Agent") for r in server.log}
    assert agents == {settings.USER_AGENT}, agents
    assert settings.USER_AGENT.startswith("newsmon/") and "robots.txt" in settings.USER_AGENT


def test_a_feed_with_only_last_modified_is_not_modified_next_run(tmp_path: Path):
    """A feed host that sends Last-Modified and no ETag: the next run asks If-Modified-Since with
    the stored date, gets 304 and fetches no page again."""
    from faultserver import FaultServer, respond

    stamp = "Thu, 30 May 2024 21:14:00 GMT"
    seen: list[dict[str, str]] = []
    with FaultServer() as fs:
        links = [fs.url(f"/news/story-{i}") for i in range(2)]
        items = "".join(
            f"<item><title>Story {i}</title><link>{link}</link><pubDate>{stamp}</pubDate></item>"
            for i, link in enumerate(links)
        )
        feed = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>LM</title>'
            f"<link>{fs.url('/')}</link>{items}</channel></rss>"
        ).encode()

        def last_modified_only(h) -> None:
            seen.append(dict(h.headers))
            if h.headers.get("If-Modified-Since") == stamp:
                respond(304, b"", "application/rss+xml", Last_Modified=stamp)(h)
            else:
                respond(200, feed, "application/rss+xml", Last_Modified=stamp)(h)

        fs.faults["/feed.xml"] = last_modified_only
        fs.faults["/robots.txt"] = respond(200, b"User-agent: *\nAllow: /\n")
        for i in range(2):
            body = " ".join(
                f"Paragraph {n} of story {i} says enough to be kept." for n in range(40)
            )
            fs.faults[f"/news/story-{i}"] = respond(
                200,
                f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
                f"<p>{body}</p></article></body></html>".encode(),
                "text/html; charset=utf-8",
            )
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - name: lm\n    url: {fs.url('/feed.xml')}\n    outlet: LM\n")
        db = tmp_path / "news.db"
        first = crawl(db, feeds)
        assert first.returncode == 0, first.stderr
        assert "2 articles new" in first.stdout
        assert rows(db, "SELECT etag, last_modified, last_status FROM feeds") == [
            (None, stamp, 200)
        ]
        pages_before = {p: n for p, n in fs.hits.items() if p.startswith("/news/")}

        second = crawl(db, feeds)
        assert second.returncode == 0, second.stderr
        assert "1 not modified" in second.stdout and "0 articles new" in second.stdout
    assert len(seen) == 2
    assert "If-Modified-Since" not in seen[0]
    assert seen[1].get("If-Modified-Since") == stamp and "If-None-Match" not in seen[1]
    assert {p: n for p, n in fs.hits.items() if p.startswith("/news/")} == pages_before
    assert rows(db, "SELECT sum(feeds_not_modified) FROM crawl_runs") == [(1,)]


def test_progress_line_on_a_terminal_stderr(tmp_path: Path):
    """README: 'on a terminal, a progress line on stderr while it runs'. stderr is a pty; the
    article page is held until the test has read a progress line, so the crawl is certainly
    still running when one is due (no timing). stdout, a pipe, gets the summary alone."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import threading

    from conftest import FAST, REPO
    from faultserver import FaultServer, respond

    release = threading.Event()
    with FaultServer() as fs:
        link = fs.url("/news/held-story")
        fs.faults["/feed.xml"] = respond(
            200,
            (
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>'
                f"<link>{fs.url('/')}</link><item><title>Held story</title><link>{link}</link>"
                f"</item></channel></rss>"
            ).encode(),
            "application/rss+xml",
        )
        page = respond(
            200,
            b"<html><body><article><h1>Held</h1><p>"
            + b"A paragraph long enough to be kept as the body of the story. " * 30
            + b"</p></article></body></html>",
            "text/html; charset=utf-8",
        )

        def held_page(h) -> None:
            release.wait(PROGRESS_WAIT_LIMIT)  # a bound for a broken crawl, not an assertion
            page(h)

        fs.faults["/news/held-story"] = held_page
        fs.faults["/robots.txt"] = respond(200, b"User-agent: *\nAllow: /\n")
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - name: p\n    url: {fs.url('/feed.xml')}\n    outlet: P\n")
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--db", str(tmp_path / "news.db"),
             "--feeds", str(feeds), "crawl", *FAST],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
        )  # fmt: skip
        os.close(slave)
        terminal = b""
        try:
            while b"1 feeds polled" not in terminal:
                ready, _, _ = select.select([master], [], [], PROGRESS_WAIT_LIMIT)
                assert ready, f"no progress line on the terminal: {terminal!r}"
                terminal += os.read(master, 4096)
            release.set()
            while True:  # the rest, until the crawl closes the terminal
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer is gone
                    break
                if not chunk:
                    break
                terminal += chunk
            stdout = proc.stdout.read().decode()
            assert proc.wait(timeout=PROGRESS_WAIT_LIMIT) == 0
        finally:
            release.set()
            os.close(master)
            if proc.poll() is None:
                proc.kill()
    text = terminal.decode()
    assert "\r1 feeds polled, 0 new articles, " in text and " queued, " in text
    assert text.endswith("\r\x1b[K"), repr(text[-80:])  # the line is cleared when it ends
    assert stdout.startswith("crawl ok: 1 feeds polled") and "1 articles new" in stdout
    assert "feeds polled, 0 new articles" not in stdout and "\r" not in stdout


PROGRESS_WAIT_LIMIT = 60  # seconds; only ever reached when the crawl is broken
