"""The meta-refresh middleware that reads only a page's head, in a real crawl (loopback server,
the CLI as a subprocess): it follows what Scrapy's own follows and leaves the rest alone."""

from __future__ import annotations

from pathlib import Path

from conftest import crawl, rows
from faultserver import FaultServer, respond
from test_faults import RSS, item, page, rss

from crawler.middlewares import HEAD_BYTES, HeadMetaRefreshMiddleware

FILLER = "<!-- " + "layout " * (HEAD_BYTES // 3) + "-->"  # well past the head


def refresh_page(title: str, target: str, where: str, charset: str = "utf-8") -> bytes:
    """A page with a meta refresh to ``target`` in its <head> (``where="head"``) or only after
    a long body (``"late"``), with enough markup around it that the head is cut."""
    meta = f'<meta http-equiv="refresh" content="0; url={target}">'
    html = page(title).decode()
    cyrillic = "<p>" + "Київ отримав дозвіл. " * 40 + "</p>"  # multi-byte around the cut
    if where == "head":
        html = html.replace("<head>", f'<head><meta charset="{charset}">{meta}{cyrillic}', 1)
        html = html.replace("</footer>", f"</footer>{FILLER}", 1)
    else:
        html = html.replace("</footer>", f"</footer>{cyrillic}{FILLER}{meta}", 1)
    return html.encode(charset)


def test_refresh_in_the_head_of_a_big_page_is_followed_and_a_late_one_is_not(tmp_path: Path):
    with FaultServer() as srv:
        u, f = srv.url, srv.faults
        f["/p/moved.html"] = respond(
            200, refresh_page("Moved story", u("/p/final.html"), "head"), "text/html"
        )
        f["/p/final.html"] = respond(200, page("The final story"), "text/html")
        f["/p/late.html"] = respond(
            200, refresh_page("Late story", u("/p/elsewhere.html"), "late"), "text/html"
        )
        f["/p/elsewhere.html"] = respond(200, page("Never fetched"), "text/html")
        f["/feed.xml"] = respond(200, rss(
            item(u("/p/moved.html"), "Moved story") + item(u("/p/late.html"), "Late story")
        ).encode(), RSS)  # fmt: skip
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - {{name: f, url: '{u('/feed.xml')}', outlet: F}}\n")
        db = tmp_path / "news.db"
        result = crawl(db, feeds)
        assert result.returncode == 0, result.stderr
        hits = dict(srv.hits)

    stored = dict(rows(db, "SELECT url, title FROM articles"))
    assert stored == {u("/p/final.html"): "The final story", u("/p/late.html"): "Late story"}
    # the page that redirected is a URL form of the article it led to
    forms = rows(db, "SELECT u.url FROM article_urls u JOIN articles a ON a.id = u.article_id"
                     " WHERE a.url = ?", (u("/p/final.html"),))  # fmt: skip
    assert (u("/p/moved.html"),) in forms
    assert hits.get("/p/final.html") == 1 and "/p/elsewhere.html" not in hits


def test_the_head_is_what_scrapys_own_middleware_reads():
    """Same answer as Scrapy's middleware on the whole response, for a refresh in the head,
    a refresh past the head, and a page in a multi-byte encoding cut mid-character."""
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    ours = HeadMetaRefreshMiddleware.from_crawler(crawler)
    theirs = MetaRefreshMiddleware.from_crawler(crawler)
    url = "http://127.0.0.1:9/p/a.html"
    cases = [  # (page, whether Scrapy's middleware redirects it)
        (refresh_page("A", "/p/b.html", "head"), True),
        (refresh_page("A", "/p/b.html", "late"), False),
        (refresh_page("A", "/p/b.html", "head", charset="utf-16"), True),
        (page("no refresh at all") + FILLER.encode(), False),
    ]
    for body, redirects in cases:
        assert len(body) > HEAD_BYTES
        request = Request(url)
        response = HtmlResponse(url, body=body, request=request)
        got, want = (
            ours.process_response(request, response),
            theirs.process_response(request, response),
        )
        if redirects:
            assert isinstance(want, Request) and isinstance(got, Request)
            assert got.url == want.url == "http://127.0.0.1:9/p/b.html"
        else:
            assert got is response and want is response
