"""The fault matrix: one crawl against a loopback server where most feeds misbehave.

For each fault the crawl finishes, the good feed is unaffected, the faulty feed's state says
what happened, and nothing partial or expanded is stored.
"""

from __future__ import annotations

import gzip
import sqlite3
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import crawl, rows
from faultserver import (
    FaultServer,
    conditional,
    drip,
    huge,
    redirect,
    reset_mid_body,
    respond,
    stall,
    truncated_gzip,
)

RSS = "application/rss+xml"
MB = 1024 * 1024


def rss(items: str, title: str = "Feed", encoding: str = "utf-8", doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{doctype}<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link>{items}</channel></rss>"
    )


def item(link: str | None, title: str, guid: str | None = None, date: str | None = None) -> str:
    out = f"<item><title>{title}</title>"
    out += f"<link>{link}</link>" if link else ""
    out += f"<guid>{guid}</guid>" if guid else ""
    out += f"<pubDate>{date}</pubDate>" if date else ""
    return out + "</item>"


def page(title: str) -> bytes:
    paragraphs = "".join(
        f"<p>{title}: paragraph {i} of the report, with enough words to be an article body "
        f"that any extractor keeps as the main text of the page.</p>"
        for i in range(6)
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer>All rights reserved</footer></body></html>"
    ).encode()


DATE = "Thu, 30 May 2024 21:14:00 GMT"
TRUNCGZ_ENTRIES = 200  # entries of the feed sent gzipped and cut in half


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("faults")
    secret = tmp / "secret.txt"
    secret.write_text("TOP-SECRET-XXE-MARKER")
    with FaultServer() as srv:
        u = srv.url
        f = srv.faults
        for i in range(2):
            f[f"/p/good{i}.html"] = respond(200, page(f"Good story {i}"), "text/html")
        f["/good.xml"] = respond(200, rss("".join(
            item(u(f"/p/good{i}.html"), f"Good story {i}", date=DATE) for i in range(2)
        )).encode(), RSS)  # fmt: skip
        f["/e500.xml"] = respond(500, b"oops")
        f["/e502.xml"] = respond(502, b"bad gateway")
        f["/e503.xml"] = respond(503, b"busy")
        f["/e503ra.xml"] = respond(503, b"busy", Retry_After="7200")
        f["/e429.xml"] = respond(429, b"slow down", Retry_After="600")
        f["/e404.xml"] = respond(404, b"no")
        f["/e410.xml"] = respond(410, b"gone")
        f["/timeout.xml"] = stall(30)
        f["/drip.xml"] = drip(rss(item(u("/p/drip.html"), "Drip")).encode())
        f["/reset.xml"] = reset_mid_body(
            rss("".join(item(u(f"/p/reset{i}.html"), f"Reset {i}") for i in range(200))).encode()
        )
        truncgz = rss(
            "".join(item(u(f"/p/gz{i}.html"), f"Gz {i}") for i in range(TRUNCGZ_ENTRIES))
        ).encode()
        f["/truncgz.xml"] = truncated_gzip(truncgz)
        f["/huge-len.xml"] = huge(50 * MB, with_length=True)
        f["/huge-stream.xml"] = huge(50 * MB, with_length=False)
        f["/loop-a.xml"] = redirect(302, u("/loop-b.xml"))
        f["/loop-b.xml"] = redirect(302, u("/loop-a.xml"))
        f["/chain1.xml"] = redirect(301, u("/chain2.xml"))
        f["/chain2.xml"] = redirect(302, u("/chain3.xml"))
        f["/chain3.xml"] = redirect(307, u("/chain-end.xml"))
        f["/chain-end.xml"] = respond(200, rss(item(u("/p/chain.html"), "Chain")).encode(), RSS)
        f["/p/chain.html"] = respond(200, page("Chained story"), "text/html")
        f["/feed-as-html.xml"] = respond(
            200, rss(item(u("/p/ashtml.html"), "As HTML")).encode(), "text/html; charset=utf-8"
        )
        f["/p/ashtml.html"] = respond(200, page("Served as HTML"), "text/html")
        f["/html-as-feed.xml"] = respond(200, page("Not a feed"), RSS)
        f["/malformed.xml"] = respond(
            200, b'<?xml version="1.0"?><rss><channel><title>Broken</ti><item><title>x', RSS
        )
        lol = '<!ENTITY lol "lollollollollollollollollollol">' + "".join(
            f'<!ENTITY lol{n} "{("&lol;" if n == 1 else f"&lol{n - 1};") * 10}">'
            for n in range(1, 10)
        )
        f["/bomb.xml"] = respond(200, rss(
            item(u("/p/bomb.html"), "&lol9;"), title="&lol9;", doctype=f"<!DOCTYPE rss [{lol}]>"
        ).encode(), RSS)  # fmt: skip
        f["/p/bomb.html"] = respond(404, b"no")
        f["/xxe.xml"] = respond(200, rss(
            item(u("/p/xxe.html"), "Leak &xxe;"), title="&xxe;",
            doctype=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        ).encode(), RSS)  # fmt: skip
        f["/p/xxe.html"] = respond(404, b"no")
        f["/cp1251.xml"] = respond(
            200,
            rss(item(u("/p/cp1251.html"), "Україна отримала дозвіл", date=DATE),
                encoding="windows-1251").encode("cp1251"),
            RSS,
        )  # fmt: skip
        f["/p/cp1251.html"] = respond(404, b"no")
        f["/latin1.xml"] = respond(
            200,
            rss(item(u("/p/latin1.html"), "Zürich über München", date=DATE)).encode("latin-1"),
            "application/rss+xml; charset=utf-8",
        )
        f["/p/latin1.html"] = respond(404, b"no")
        f["/dupguid.xml"] = respond(200, rss(
            item(u("/p/dup-a.html"), "Dup A", guid="same-guid")
            + item(u("/p/dup-b.html"), "Dup B", guid="same-guid")
        ).encode(), RSS)  # fmt: skip
        f["/p/dup-a.html"] = respond(200, page("Duplicate GUID story"), "text/html")
        f["/p/dup-b.html"] = respond(200, page("Duplicate GUID story"), "text/html")
        f["/nolinks.xml"] = respond(200, rss(
            item(None, "No link at all") + item(None, "Opaque guid", guid="tag:x,2024:1")
            + item(u("/p/nodate.html"), "No date")
        ).encode(), RSS)  # fmt: skip
        f["/p/nodate.html"] = respond(200, page("Undated story"), "text/html")
        f["/future.xml"] = respond(200, rss(
            item(u("/p/future.html"), "From the future", date="Fri, 01 Jan 2100 00:00:00 GMT")
        ).encode(), RSS)  # fmt: skip
        f["/p/future.html"] = respond(200, page("Future-dated story"), "text/html")

        names = [p.strip("/").removesuffix(".xml") for p in f if not p.startswith("/p/")]
        names = [n for n in names if not n.startswith(("loop-b", "chain2", "chain3", "chain-end"))]
        feeds = tmp / "feeds.yaml"
        feeds.write_text(
            "feeds:\n"
            + "".join(f"  - {{name: {n}, url: '{u('/' + n + '.xml')}', outlet: {n}}}\n" for n in names)
        )  # fmt: skip
        db = tmp / "news.db"
        started = datetime.now(timezone.utc)
        result = crawl(db, feeds, "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=1")
        yield {
            "result": result, "db": db, "server": srv, "secret": secret.read_text(),
            "started": started, "names": names, "truncgz": truncgz,
        }  # fmt: skip


def state(db: Path) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["name"]: dict(r) for r in conn.execute("SELECT * FROM feeds")}
    finally:
        conn.close()


def articles_of(db: Path, feed: str) -> list[tuple]:
    return rows(
        db, "SELECT title, text, published_at, source FROM articles WHERE feed = ?", (feed,)
    )


def test_crawl_finishes_and_good_feed_is_unaffected(matrix):
    result = matrix["result"]
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    good = articles_of(matrix["db"], "good")
    assert sorted(t for t, *_ in good) == ["Good story 0", "Good story 1"]
    assert all("paragraph 5" in text and "All rights reserved" not in text for _, text, *_ in good)
    assert state(matrix["db"])["good"]["last_status"] == 200
    every = set(state(matrix["db"]))
    assert every == set(matrix["names"])  # every feed has its state row


@pytest.mark.parametrize(
    "name, status, error",
    [
        ("e500", 500, "HTTP 500"),
        ("e502", 502, "HTTP 502"),
        ("e503", 503, "HTTP 503"),
        ("e503ra", 503, "HTTP 503"),
        ("e429", 429, "HTTP 429"),
        ("e404", 404, "HTTP 404"),
        ("e410", 410, "410 Gone"),
        ("timeout", None, "TimeoutError"),
        ("drip", None, "TimeoutError"),
        ("reset", None, "connection lost mid-body"),
        ("huge-len", None, "larger than"),
        ("huge-stream", None, "larger than DOWNLOAD_MAXSIZE"),
        ("loop-a", None, "redirect"),
        ("html-as-feed", 200, "not an RSS or Atom feed"),
    ],
)
def test_failing_feed_state_says_what_happened(matrix, name, status, error):
    feed = state(matrix["db"])[name]
    assert feed["consecutive_failures"] == 1, feed
    assert feed["last_status"] == status, feed
    assert feed["last_error"] and error.lower() in feed["last_error"].lower(), feed
    assert feed["next_due_at"] > feed["last_fetched_at"]  # backed off
    assert articles_of(matrix["db"], name) == []  # nothing partial


def test_retry_after_and_gone(matrix):
    feeds = state(matrix["db"])
    started = matrix["started"]
    assert feeds["e503ra"]["next_due_at"] >= (started + timedelta(seconds=7000)).isoformat()
    assert feeds["e429"]["next_due_at"] >= (started + timedelta(seconds=590)).isoformat()
    assert feeds["e410"]["disabled"] == 1 and feeds["e500"]["disabled"] == 0
    hits = matrix["server"].hits
    assert hits["/e500.xml"] == 2 and hits["/e429.xml"] == 2  # retried once (RETRY_TIMES=1)
    assert hits["/e404.xml"] == 1 and hits["/e410.xml"] == 1  # never retried


def test_huge_bodies_are_cut_not_read(matrix):
    sent = matrix["server"].bytes_sent
    # The client hung up long before 50 MB: at most the 10 MB cap plus socket buffers.
    assert sent.get("/huge-stream.xml", 0) < 20 * MB
    assert sent.get("/huge-len.xml", 0) < 20 * MB
    for name in ("huge-len", "huge-stream"):
        assert state(matrix["db"])[name]["last_error"], name


def test_redirect_chain_is_followed_and_loop_is_not(matrix):
    chain = state(matrix["db"])["chain1"]
    assert chain["last_status"] == 200 and chain["consecutive_failures"] == 0
    assert [t for t, *_ in articles_of(matrix["db"], "chain1")] == ["Chained story"]
    assert matrix["server"].hits["/loop-a.xml"] <= 6


def test_content_type_lies(matrix):
    assert state(matrix["db"])["feed-as-html"]["last_status"] == 200
    assert [t for t, *_ in articles_of(matrix["db"], "feed-as-html")] == ["Served as HTML"]


def test_truncated_gzip_and_malformed_xml_store_nothing_partial(matrix):
    """A feed cut short is read as far as it goes, as feedparser reads a damaged feed: every
    entry complete in the part that arrived is followed, the one cut in half is not, and the
    poll counts as a success. A feed whose only entry is broken yields nothing."""
    db = matrix["db"]
    cut = gzip.compress(matrix["truncgz"])
    arrived = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut[: len(cut) // 2])
    complete = arrived.count(b"</item>")
    assert 0 < complete < TRUNCGZ_ENTRIES  # the cut falls inside the entries
    feed = state(db)["truncgz"]
    assert (feed["last_status"], feed["last_error"], feed["consecutive_failures"]) == (200, None, 0)
    assert feed["entries_seen"] == complete
    stored = sorted(t for t, *_ in articles_of(db, "truncgz"))
    assert stored == sorted(f"Gz {i}" for i in range(complete))

    malformed = state(db)["malformed"]
    assert (malformed["last_status"], malformed["entries_seen"]) == (200, 0)
    assert articles_of(db, "malformed") == []
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_entity_bomb_and_xxe_do_not_expand(matrix):
    db = matrix["db"]
    dump = "\n".join(
        str(r) for table in ("feeds", "articles", "article_urls") for r in rows(db, f"SELECT * FROM {table}")
    )  # fmt: skip
    assert matrix["secret"] not in dump
    assert "lollollollollollollollollollollollollollollollollollollollol" not in dump
    assert len(dump) < 200_000


def test_wrong_and_missing_charsets(matrix):
    db = matrix["db"]
    assert [t for t, *_ in articles_of(db, "cp1251")] == ["Україна отримала дозвіл"]
    assert [t for t, *_ in articles_of(db, "latin1")] == ["Zürich über München"]


def test_duplicate_guids_missing_links_and_dates(matrix):
    db = matrix["db"]
    assert len(articles_of(db, "dupguid")) == 1
    nolinks = articles_of(db, "nolinks")
    assert [(t, p) for t, _, p, _ in nolinks] == [("Undated story", None)]
    assert state(db)["nolinks"]["entries_seen"] == 1  # the two link-less entries are skipped
    future = articles_of(db, "future")
    assert [(t, p) for t, _, p, _ in future] == [("Future-dated story", None)]


def test_ten_thousand_entry_feed(tmp_path: Path):
    with FaultServer() as srv:
        items = "".join(
            item(srv.url(f"/p/{i}.html"), f"Entry {i}", date=DATE) for i in range(10_000)
        )
        srv.faults["/big.xml"] = respond(200, rss(items).encode(), RSS)
        for i in range(10_000):
            srv.faults[f"/p/{i}.html"] = respond(200, page(f"Entry {i}"), "text/html")
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - {{name: big, url: '{srv.url('/big.xml')}', outlet: Big}}\n")
        db = tmp_path / "news.db"
        first = crawl(db, feeds, "--max-articles", "25")
        assert first.returncode == 0, first.stderr
        assert "25 articles new" in first.stdout
        assert state(db)["big"]["entries_seen"] == 10_000
        second = crawl(db, feeds, "--all", "--max-articles", "25")
        assert "25 articles new" in second.stdout  # the deferred entries come next
        assert rows(db, "SELECT count(DISTINCT url), count(*) FROM articles") == [(50, 50)]


def test_an_etag_feed_whose_pages_were_not_all_stored_is_fetched_whole_again(tmp_path: Path):
    """A page that failed for now (a 503 after retries) and entries deferred by --max-articles
    must come back at the next plain run, however the feed answers conditional GETs: the feed
    keeps no ETag until every page of a poll is stored."""
    with FaultServer() as srv:
        flaky = {"fail": True}
        ok = respond(200, page("Flaky story"), "text/html")

        def sometimes(h) -> None:
            (respond(503, b"busy") if flaky["fail"] else ok)(h)

        srv.faults["/p/flaky.html"] = sometimes
        srv.faults["/p/fine.html"] = respond(200, page("Fine story"), "text/html")
        srv.faults["/flaky.xml"] = conditional(rss(
            item(srv.url("/p/flaky.html"), "Flaky story", date=DATE)
            + item(srv.url("/p/fine.html"), "Fine story", date=DATE)
        ).encode(), RSS)  # fmt: skip
        items = "".join(item(srv.url(f"/m/{i}.html"), f"Many {i}", date=DATE) for i in range(6))
        for i in range(6):
            srv.faults[f"/m/{i}.html"] = respond(200, page(f"Many {i}"), "text/html")
        srv.faults["/many.xml"] = conditional(rss(items).encode(), RSS)
        srv.faults["/steady.xml"] = conditional(rss(
            item(srv.url("/p/fine.html"), "Fine story", date=DATE)
        ).encode(), RSS)  # fmt: skip
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(
            "feeds:\n"
            f"  - {{name: flaky, url: '{srv.url('/flaky.xml')}', outlet: Flaky}}\n"
            f"  - {{name: many, url: '{srv.url('/many.xml')}', outlet: Many}}\n"
        )
        db = tmp_path / "news.db"
        first = crawl(db, feeds, "--only", "many", "--max-articles", "4")
        assert first.returncode == 0, first.stderr
        failing = crawl(db, feeds, "--only", "flaky")
        assert failing.returncode == 0, failing.stderr
        assert [t for (t,) in rows(db, "SELECT title FROM articles ORDER BY title")] == [
            "Fine story", "Many 0", "Many 1", "Many 2", "Many 3",
        ]  # fmt: skip
        assert {n: s["etag"] for n, s in state(db).items()} == {"flaky": None, "many": None}

        flaky["fail"] = False
        second = crawl(db, feeds)  # the plain next run: no --all
        assert second.returncode == 0, second.stderr
        titles = {t for (t,) in rows(db, "SELECT title FROM articles")}
        assert {"Flaky story", "Many 4", "Many 5"} <= titles and len(titles) == 8
        assert all(s["etag"] for s in state(db).values())  # every page stored: ETags kept

        # a poll with nothing new keeps its ETag at once, and the next poll costs a 304
        feeds.write_text(feeds.read_text() + f"  - {{name: steady, url: '{srv.url('/steady.xml')}'"
                         ", outlet: Steady}\n")  # fmt: skip
        third = crawl(db, feeds)
        assert third.returncode == 0, third.stderr
        assert state(db)["steady"]["etag"] and state(db)["steady"]["last_new_entries"] == 0
        srv.hits.clear()
        fourth = crawl(db, feeds, "--all")
        assert "3 not modified" in fourth.stdout, fourth.stdout
        assert not [p for p in srv.hits if p.startswith(("/p/", "/m/"))]
