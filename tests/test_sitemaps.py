"""News sitemaps: the parser, and incremental crawls of a loopback news sitemap."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import sitegen
from conftest import crawl, rows

from crawler.commands.demo.server import Resource, SiteServer
from crawler.fetch.feeds import FeedError
from crawler.fetch.sitemaps import parse_sitemap

NS = (
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
)


def news_sitemap(urls: list[tuple[str, str, str]]) -> bytes:
    items = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Wire</news:name>"
        f"<news:language>{lang}</news:language></news:publication>"
        f"<news:publication_date>2024-05-30T23:14:00+02:00</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for loc, title, lang in urls
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{items}</urlset>'.encode()


def test_news_fields_are_read():
    body = news_sitemap(
        [
            ("https://w.test/a?utm_source=x", "Biden allows strikes", "en"),
            ("/relative", "Rel", "de"),
        ]
    )
    sm = parse_sitemap(body, "https://w.test/news.xml")
    assert sm.kind == "urlset"
    first, second = sm.entries
    assert first.link == "https://w.test/a?utm_source=x" and first.title == "Biden allows strikes"
    assert first.lang == "en" and first.published_at == "2024-05-30T21:14:00+00:00"
    assert second.link == "https://w.test/relative"


def test_plain_sitemap_and_index():
    plain = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://w.test/x'
        b"</loc><lastmod>2024-05-30</lastmod></url></urlset>"
    )
    (entry,) = parse_sitemap(plain, "https://w.test/s.xml").entries
    assert entry.published_at == "2024-05-30T00:00:00+00:00" and entry.title is None
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://w.test/s1.xml</loc><lastmod>2024-05-30T10:00:00Z</lastmod></sitemap>"
        b"<sitemap><loc>https://w.test/s2.xml.gz</loc></sitemap></sitemapindex>"
    )
    sm = parse_sitemap(index, "https://w.test/index.xml")
    assert sm.kind == "sitemapindex"
    assert sm.children == [
        ("https://w.test/s1.xml", "2024-05-30T10:00:00+00:00"),
        ("https://w.test/s2.xml.gz", None),
    ]


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>hi</body></html>", b"\x00\x01", b"<rss version='2.0'/>"]
)
def test_not_a_sitemap(body):
    with pytest.raises(FeedError, match="not a sitemap"):
        parse_sitemap(body, "https://w.test/s.xml")


def test_entities_are_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://w.test/&x;</loc>'
        f"</url></urlset>"
    ).encode()
    entries = parse_sitemap(xxe, "https://w.test/s.xml").entries
    assert all("TOP-SECRET" not in (e.link or "") for e in entries)
    lol = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://w.test/&i;</loc></url></urlset>'
    )
    entries = parse_sitemap(lol.encode(), "https://w.test/s.xml").entries
    assert all(len(e.link or "") < 1000 for e in entries)


def _sitemap_site(server: SiteServer, n: int) -> sitegen.GenSite:
    site, resources = sitegen.build(server.base_url, {"wire": "rss2"}, per_outlet=n)
    server.resources.update({k: v for k, v in resources.items() if not k.endswith(".xml")})
    return site


def test_news_sitemap_crawled_incrementally(server: SiteServer, tmp_path: Path):
    site = _sitemap_site(server, 4)
    arts = site.articles
    server.resources["/news-sitemap.xml"] = Resource(
        news_sitemap(
            [(server.url(a.path) + "?utm_medium=sitemap", a.title, "en") for a in arts[:3]]
        ),
        "application/xml",
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"sitemaps:\n  - name: wire\n    url: {server.url('/news-sitemap.xml')}\n"
        f"    outlet: Wire\n    lang: en\n"
    )
    db = tmp_path / "news.db"
    first = crawl(db, feeds)
    assert first.returncode == 0, first.stderr
    assert "1 feeds polled" in first.stdout and "3 articles new" in first.stdout
    stored = dict(rows(db, "SELECT url, text FROM articles"))
    for a in arts[:3]:
        assert a.paragraphs[0] in stored[server.url(a.path)]
    assert rows(db, "SELECT kind, last_status, entries_seen FROM feeds") == [("sitemap", 200, 3)]

    server.clear_log()
    again = crawl(db, feeds)
    assert "1 not modified" in again.stdout and "0 articles new" in again.stdout
    assert [r.status for r in server.log if r.path != "/robots.txt"] == [304]

    # One more article published: only its page is fetched.
    server.resources["/news-sitemap.xml"] = Resource(
        news_sitemap([(server.url(a.path), a.title, "en") for a in arts]), "application/xml"
    )
    server.clear_log()
    third = crawl(db, feeds)
    assert "1 articles new" in third.stdout
    assert {r.path for r in server.log if r.path.startswith("/wire/2024")} == {arts[3].path}
    assert rows(db, "SELECT count(*) FROM articles") == [(4,)]


def _index_site(server: SiteServer, tmp: Path, child: str, lastmod: str | None = None) -> Path:
    """A sitemap index of one child sitemap, and the feeds.yaml that polls it as ``idx``."""
    stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    server.resources["/sitemap-index.xml"] = Resource(
        (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
            f"<loc>{server.url(child)}</loc>{stamp}</sitemap></sitemapindex>"
        ).encode(),
        "application/xml",
    )
    feeds = tmp / "feeds.yaml"
    feeds.write_text(
        f"sitemaps:\n  - name: idx\n    url: {server.url('/sitemap-index.xml')}\n    outlet: Wire\n"
    )
    return feeds


def test_sitemap_index_with_gzipped_child(server: SiteServer, tmp_path: Path):
    site = _sitemap_site(server, 2)
    child = gzip.compress(
        news_sitemap([(server.url(a.path), a.title, "en") for a in site.articles])
    )
    server.resources["/sitemaps/news-1.xml.gz"] = Resource(child, "application/x-gzip")
    feeds = _index_site(server, tmp_path, "/sitemaps/news-1.xml.gz")
    db = tmp_path / "news.db"
    result = crawl(db, feeds)
    assert result.returncode == 0 and "2 articles new" in result.stdout, (
        result.stdout + result.stderr
    )
    assert rows(db, "SELECT count(*) FROM articles WHERE feed = 'idx'") == [(2,)]


def test_sitemap_index_child_with_a_failed_page_is_read_again(server: SiteServer, tmp_path: Path):
    """A sitemap index's children are followed when they changed since the last complete
    visit: a page of a child that failed for now is fetched at the next run, although the child
    did not change and the index answers conditional GETs."""
    site = _sitemap_site(server, 2)
    gone_for_now, fine = site.articles
    saved = server.resources[gone_for_now.path]
    server.resources[gone_for_now.path] = Resource(b"busy", status=503, conditional=False)
    child = news_sitemap([(server.url(a.path), a.title, "en") for a in site.articles])
    server.resources["/sitemaps/day-1.xml"] = Resource(child, "application/xml")
    feeds = _index_site(server, tmp_path, "/sitemaps/day-1.xml", "2024-05-30T21:00:00+00:00")
    db = tmp_path / "news.db"
    first = crawl(db, feeds)
    assert first.returncode == 0, first.stderr
    assert rows(db, "SELECT title FROM articles") == [(fine.title,)]
    assert rows(db, "SELECT etag FROM feeds") == [(None,)]

    server.resources[gone_for_now.path] = saved
    second = crawl(db, feeds)
    assert second.returncode == 0, second.stderr
    assert "1 articles new" in second.stdout, second.stdout
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    # every page stored: the index keeps its ETag and the next visit is a 304
    assert rows(db, "SELECT etag IS NOT NULL, last_fetched_at IS NOT NULL FROM feeds") == [(1, 1)]
    server.clear_log()
    third = crawl(db, feeds, "--all")
    assert "1 not modified" in third.stdout, third.stdout
    assert [r.status for r in server.log if r.path != "/robots.txt"] == [304]
