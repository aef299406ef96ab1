"""newsmon feeds add / list / remove through the real CLI, against loopback sites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import crawl, newsmon

from crawler.commands.demo.server import Resource, SiteServer
from crawler.config import load_config

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>{base}/</link><language>{lang}</language>
<item><title>First</title><link>{base}/a/1.html</link><pubDate>Thu, 30 May 2024 21:14:00 GMT</pubDate></item>
<item><title>Second</title><link>{base}/a/2.html</link><pubDate>Fri, 31 May 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"""

HOME = """<!doctype html><html><head><title>Home</title>
<meta property="og:site_name" content="The Harbour Gazette">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/news/top.rss">
</head><body><h1>The Harbour Gazette</h1><p>News.</p></body></html>"""

COMMENTED = """# my feeds: hand-written, comments matter
feeds:
  # The first outlet, kept for years
  - name: first
    url: https://first.example/rss.xml   # the old URL still works
    outlet: First
    lang: en
  # The second outlet
  - name: second
    url: https://second.example/feed
    outlet: Second

topics:
  # my topic
  - name: t
    query: ukraine
"""


@pytest.fixture
def site(server: SiteServer) -> SiteServer:
    base = server.base_url
    server.resources.update(
        {
            "/": Resource(HOME.encode()),
            "/news/top.rss": Resource(
                RSS.format(title="Harbour Gazette - Top stories", base=base, lang="en-GB").encode(),
                "application/rss+xml",
            ),
            "/plain/": Resource(b"<html><head><title>Plain</title></head><body>x</body></html>"),
            "/plain/feed": Resource(
                RSS.format(title="Plain News", base=base, lang="de").encode(), "text/xml"
            ),
            "/nothing/": Resource(b"<html><body>no feeds here</body></html>"),
            "/garbage.xml": Resource(b"\x00\x01 this is not xml", "application/xml"),
        }
    )
    return server


def feeds_file(tmp_path: Path, text: str = COMMENTED) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def add(feeds: Path, *args: str):
    return newsmon("--feeds", str(feeds), "feeds", "add", *args)


def test_add_discovers_the_feed_of_a_home_page_and_keeps_comments(site: SiteServer, tmp_path):
    feeds = feeds_file(tmp_path)
    result = add(feeds, site.url("/"))
    assert result.returncode == 0, result.stderr
    assert "2 entries" in result.stdout and "2024-05-31" in result.stdout
    config = load_config(feeds)
    added = config.feeds[-1]
    assert added.url == site.url("/news/top.rss")
    assert added.outlet == "The Harbour Gazette" and added.name == "the-harbour-gazette"
    assert added.lang == "en-gb"
    text = feeds.read_text()
    assert text.startswith(COMMENTED.split("topics:")[0].rstrip("\n"))  # untouched prefix
    for comment in ("# my feeds", "# The first outlet", "# the old URL still works", "# my topic"):
        assert comment in text
    assert text.index("the-harbour-gazette") < text.index("topics:")  # appended to feeds:


def test_add_tries_the_usual_feed_paths(site: SiteServer, tmp_path):
    feeds = feeds_file(tmp_path)
    result = add(feeds, site.url("/plain/"), "--name", "plain", "--outlet", "Plain")
    assert result.returncode == 0, result.stderr
    added = load_config(feeds).feeds[-1]
    assert (added.name, added.outlet, added.url, added.lang) == (
        "plain",
        "Plain",
        site.url("/plain/feed"),
        "de",
    )


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.org/feed", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("/nothing/", "no RSS or Atom feed found"),
        ("/garbage.xml", "no RSS or Atom feed found"),
        ("/missing.xml", "HTTP 404"),
    ],
)
def test_add_refuses_with_one_line_and_exit_2(site: SiteServer, tmp_path, url, message):
    feeds = feeds_file(tmp_path)
    before = feeds.read_bytes()
    result = add(feeds, site.url(url) if url.startswith("/") else url)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert feeds.read_bytes() == before


def test_add_refuses_duplicates_under_another_url_form(tmp_path):
    feeds = feeds_file(tmp_path)
    before = feeds.read_bytes()
    for variant in (
        "http://www.first.example/rss.xml?utm_source=x",
        "https://FIRST.example/rss.xml/",
    ):
        result = add(feeds, variant, "--no-check", "--outlet", "X")
        assert result.returncode == 2, variant
        assert "already listed as 'first'" in result.stderr
    taken = add(feeds, "https://third.example/rss", "--no-check", "--name", "first")
    assert taken.returncode == 2 and "already used" in taken.stderr
    assert feeds.read_bytes() == before


def test_add_no_check_derives_name_and_outlet_from_the_url(tmp_path):
    feeds = feeds_file(tmp_path)
    result = add(feeds, "https://rss.politico.com/politics-news.xml", "--no-check")
    assert result.returncode == 0, result.stderr
    added = load_config(feeds).feeds[-1]
    assert (added.name, added.outlet) == ("politico", "Politico")


def test_remove_by_name_or_url_keeps_the_rest_byte_for_byte(tmp_path):
    feeds = feeds_file(tmp_path)
    result = newsmon("--feeds", str(feeds), "feeds", "remove", "https://second.example/feed/")
    assert result.returncode == 0, result.stderr
    expected = COMMENTED.replace(
        "  # The second outlet\n  - name: second\n    url: https://second.example/feed\n"
        "    outlet: Second\n",
        "",
    )
    assert feeds.read_text() == expected
    assert newsmon("--feeds", str(feeds), "feeds", "remove", "first").returncode == 0
    assert load_config(feeds).feeds == []
    missing = newsmon("--feeds", str(feeds), "feeds", "remove", "nope")
    assert missing.returncode == 2 and "no feed or sitemap" in missing.stderr


def test_list_shows_health_after_a_crawl(site: SiteServer, tmp_path):
    site.resources["/broken.xml"] = Resource(b"oops", "text/plain", status=500)
    feeds = feeds_file(
        tmp_path,
        "feeds:\n"
        f"  - {{name: good, url: '{site.url('/news/top.rss')}', outlet: Gazette}}\n"
        f"  - {{name: bad, url: '{site.url('/broken.xml')}', outlet: Broken}}\n",
    )
    db = tmp_path / "news.db"
    never = newsmon("--db", str(db), "--feeds", str(feeds), "feeds", "list", "--json")
    assert [json.loads(x)["health"] for x in never.stdout.splitlines()] == ["never polled"] * 2
    crawl(db, feeds, "-s", "RETRY_TIMES=0")
    listed = newsmon("--db", str(db), "--feeds", str(feeds), "feeds", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    state = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert state["good"]["last_status"] == 200 and state["good"]["entries_seen"] == 2
    assert state["good"]["consecutive_failures"] == 0 and state["good"]["last_fetched_at"]
    assert state["bad"]["consecutive_failures"] == 1 and state["bad"]["last_error"] == "HTTP 500"
    assert state["bad"]["next_due_at"] > state["bad"]["last_fetched_at"]  # backing off
    table = newsmon("--db", str(db), "--feeds", str(feeds), "feeds", "list")
    assert "failing (500)" in table.stdout and "ok (200)" in table.stdout
