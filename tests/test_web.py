"""newsmon's own pages (crawler/web) under `newsmon serve` started as a real subprocess on a
generated database: the demo's crawl plus the 668 real articles of tests/data/real imported
through scoring and clustering (real stories in many languages, with copies and credits).
Pages are read over loopback HTTP and rendered by headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, newsmon, rows, serving

from crawler.web import chart, data
from storage import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REAL = REPO / "tests" / "data" / "real" / "articles.jsonl"
INTERNAL = ("_sqlite_migrations", "article_signatures", "article_features", "feature_df",
            "clustering_meta", "story_state", "articles_fts", "articles_fts_data")  # fmt: skip
browser = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, database) of `newsmon serve` on the generated database; one feed failing."""
    db = tmp_path_factory.mktemp("web") / "news.db"
    assert newsmon("--db", str(db), "demo", "--port", "0").returncode == 0
    done = newsmon("--db", str(db), "--feeds", str(REPO / "feeds.yaml"), "import", str(REAL))
    assert done.returncode == 0, done.stderr
    with Store(db) as store:  # the state a crawl leaves after a feed failed three times
        store.update_feed(
            store.feeds()[-1]["url"],
            consecutive_failures=3,
            last_status=503,
            last_error="HTTP 503 Service Unavailable",
        )
    with serving(db) as base:
        yield base, db


def fetch(url: str) -> tuple[int, bytes, str]:
    """(status, body, content type), 4xx and 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers["Content-Type"]


def get_json(url: str) -> object:
    status, body, _ = fetch(url)
    assert status == 200, body[:500]
    return json.loads(body)


def dom(url: str, tmp_path: Path) -> str:
    """The page as headless Chromium built it."""
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000", "--dump-dom", url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-2000:]
    return result.stdout


def text(value: str) -> str:
    """``value`` as Chromium serializes a text node."""
    return html.escape(value, quote=False)


def attr(value: str) -> str:
    """``value`` as Chromium serializes an attribute."""
    return value.replace("&", "&amp;").replace('"', "&quot;")


def story_links(page: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/story/(\d+)"', page)}


def biggest_story(db: Path) -> int:
    return rows(db, "SELECT id FROM stories ORDER BY article_count DESC, id LIMIT 1")[0][0]


@browser
def test_home_lists_latest_stories_linking_to_their_pages(site, tmp_path):
    base, db = site
    page = dom(base + "/", tmp_path)
    latest = rows(
        db, "SELECT id, title, origin_outlet FROM stories ORDER BY last_seen_at DESC, id DESC"
    )[: data.HOME_STORIES]
    assert story_links(page) == {sid for sid, _, _ in latest}
    for sid, title, outlet in latest:
        link = re.search(rf'<a href="/story/{sid}">([^<]*)</a>', page)
        assert link and html.unescape(link.group(1)) == title
        assert text(outlet) in page
    # the attention chart: one bar segment per (day, language) with its count
    assert '<svg class="attention"' in page
    segments = re.findall(r"<title>(\d{4}-\d\d-\d\d) ([\w?-]+): (\d+) articles?</title>", page)
    assert segments and all(int(n) > 0 for _, _, n in segments)
    newest = rows(db, "SELECT substr(max(published_at), 1, 10) FROM articles WHERE relevant = 1")
    on_newest = rows(
        db,
        "SELECT count(*) FROM articles WHERE relevant = 1 AND substr(published_at, 1, 10) = ?",
        (newest[0][0],),
    )[0][0]
    assert sum(int(n) for day, _, n in segments if day == newest[0][0]) == on_newest
    assert 'href="/search"' in page and 'href="/feeds"' in page
    # filtered to stories of 5+ outlets, each linked
    wide = dom(base + "/?min_outlets=5", tmp_path)
    expected = rows(db, "SELECT id FROM stories WHERE outlet_count >= 5")
    assert story_links(wide) == {r[0] for r in expected} and expected


@browser
def test_story_page_shows_the_picture_and_every_article(site, tmp_path):
    base, db = site
    sid = biggest_story(db)
    page = dom(f"{base}/story/{sid}", tmp_path)
    assert f'<img src="/story/{sid}.png"' in page
    status, png, kind = fetch(f"{base}/story/{sid}.png")
    assert status == 200 and kind == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 600 and height > 300  # the story --plot figure, one row per outlet
    articles = rows(
        db,
        "SELECT id, url, outlet, duplicate_of FROM articles WHERE story_id = ?"
        " ORDER BY event_time, id",
        (sid,),
    )
    assert len(articles) > 10
    for art_id, url, _, _ in articles:
        assert f'id="article-{art_id}"' in page
        assert f'href="{attr(url)}"' in page
    # time order, and the first row is the first report by the story's origin outlet
    order = [int(i) for i in re.findall(r'<tr class="[^"]*" id="article-(\d+)"', page)]
    assert sorted(order) == sorted(a[0] for a in articles)
    first_id, _, first_outlet, _ = articles[0]
    assert order[0] == first_id and 'class="first"' in page
    origin, credited = rows(db, "SELECT origin_outlet, credited_source FROM stories WHERE id = ?",
                            (sid,))[0]  # fmt: skip
    assert origin == first_outlet and text(origin) in page
    assert credited and f"<strong>{text(credited)}</strong>" in page


@browser
def test_copies_are_folded_under_their_original(site, tmp_path):
    base, db = site
    copies = rows(
        db,
        "SELECT c.story_id, c.id, c.duplicate_of FROM articles c JOIN articles o"
        " ON o.id = c.duplicate_of AND o.story_id = c.story_id ORDER BY c.story_id LIMIT 1",
    )
    assert copies, "the real corpus has wire copies"
    sid, copy_id, original_id = copies[0]
    page = dom(f"{base}/story/{sid}", tmp_path)
    original = page.index(f'id="article-{original_id}"')
    folded = page.index("<details>", original)
    assert folded < page.index(f'id="article-{copy_id}"') < page.index("</details>", folded)
    assert f"copy of #{original_id}" in page


def test_story_json_twin_is_what_the_cli_prints(site):
    base, db = site
    sid = biggest_story(db)
    cli = newsmon("--db", str(db), "story", str(sid), "--json")
    assert cli.returncode == 0, cli.stderr
    assert get_json(f"{base}/story/{sid}.json") == json.loads(cli.stdout)
    status, body, _ = fetch(f"{base}/story/999999")
    assert status == 404 and b"no story 999999" in body


@browser
def test_search_highlights_hits_and_reports_a_bad_query(site, tmp_path):
    base, db = site
    page = dom(base + "/search?q=Kharkiv", tmp_path)
    hits = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)
    assert hits and all("<mark>" in h.lower() for h in hits)
    assert all(re.search(r"<mark>kharkiv", h, re.I) for h in hits)
    bad = dom(base + "/search?q=F-16", tmp_path)
    assert "bad search query" in bad and "double quotes" in bad
    status, body, _ = fetch(base + "/search?q=" + urllib.parse.quote('"unclosed'))
    assert status == 400 and b"bad search query" in body
    status, body, _ = fetch(base + "/search.json?q=F-16")
    assert status == 400 and "bad search query" in json.loads(body)["error"]


def test_search_ranks_as_the_cli_and_filters(site):
    base, db = site
    cli = newsmon("--db", str(db), "search", "Ukraine", "--json", "--limit", "50")
    assert cli.returncode == 0, cli.stderr
    expected = [json.loads(line)["id"] for line in cli.stdout.splitlines()]
    web = get_json(base + "/search.json?q=Ukraine")["rows"]
    assert [r["id"] for r in web] == expected and len(expected) > 10
    # language, outlet and date span
    german = get_json(base + "/search.json?q=Ukraine&lang=de")["rows"]
    assert german and {r["lang"] for r in german} == {"de"}
    outlet = web[0]["outlet"]
    one = get_json(base + "/search.json?" + urllib.parse.urlencode(
        {"q": "Ukraine", "outlet": outlet}))["rows"]  # fmt: skip
    assert one and {r["outlet"] for r in one} == {outlet}
    spanned = get_json(base + "/search.json?q=Ukraine&since=2025-01-01&until=2025-12-31")
    assert spanned["rows"] and all(
        "2025-01-01" <= (r["published_at"] or r["first_seen_at"]) < "2025-12-31"
        for r in spanned["rows"]
    )
    assert any(not (r["published_at"] or "").startswith("2025") for r in web)  # others exist
    # relevant only (the default, as the CLI's) against every article
    every = get_json(base + "/search.json?q=Ukraine&all=1")["rows"]  # newsmon search --all
    assert {r["relevant"] for r in web} == {True} and False in {r["relevant"] for r in every}
    status, body, _ = fetch(base + "/search?q=Ukraine&since=yesterday")
    assert status == 400 and b"is not a date" in body


@browser
def test_internal_tables_are_hidden_but_queryable(site, tmp_path):
    base, db = site
    page = dom(base + "/news", tmp_path)
    for table in INTERNAL:
        assert f'href="/news/{table}"' not in page
    assert 'href="/news/articles"' in page and 'href="/news/stories"' in page
    assert "select * from articles</textarea>" in page  # the SQL box starts on articles
    tables = {t["name"]: t["hidden"] for t in get_json(base + "/news.json")["tables"]}
    assert all(tables[t] for t in INTERNAL) and not tables["articles"]
    count = get_json(base + "/news.json?sql=select+count(*)+from+article_signatures&_shape=array")
    signatures = rows(db, "SELECT count(*) FROM article_signatures")[0][0]
    assert count == [{"count(*)": signatures}] and signatures > 0


@browser
def test_feed_health_lists_failing_feeds_first(site, tmp_path):
    base, db = site
    feeds = get_json(base + "/feeds.json")
    assert feeds[0]["consecutive_failures"] == 3 and feeds[0]["health"] == "failing (503)"
    assert all(f["health"].startswith("ok") for f in feeds[1:])
    page = dom(base + "/feeds", tmp_path)
    failing = page.index('<tr class="failing">')
    assert "HTTP 503 Service Unavailable" in page[failing:]
    for feed in feeds[1:]:
        assert page.index(text(feed["name"])) > failing
    home = dom(base + "/", tmp_path)
    assert "1 failing</a>" in home


def test_pages_read_what_a_crawl_writes_meanwhile(site):
    """WAL: the server reads while another process writes, and shows the new state at once
    (the home page's cached chart included)."""
    base, db = site
    before = get_json(base + "/-/metadata.json")  # the server is up
    assert before["title"] == "newsmon"
    newest = rows(db, "SELECT max(published_at) FROM articles WHERE relevant = 1")[0][0]
    page = fetch(base + "/")[1].decode()
    filters = fetch(base + "/search")[1].decode()  # the outlets offered, as of now
    with Store(db) as store:
        story_id = store.create_story("Live: a story written while the page is served", newest)
        store.db.execute(
            "INSERT INTO articles (url, outlet, title, published_at, first_seen_at, event_time,"
            " lang, text, relevant, story_id) VALUES (?, 'Live Outlet', ?, ?, ?, ?, 'sw', ?, 1, ?)",
            ["https://live.example/1", "Live: a story written while the page is served",
             newest, newest, newest, "Habari za moja kwa moja", story_id],
        )  # fmt: skip
        store.refresh_stories([story_id])
        store.db.conn.commit()
    assert "Live Outlet" not in page and "Live Outlet" not in filters
    assert '<option value="Live Outlet">' in fetch(base + "/search")[1].decode()
    assert "<option selected>sw</option>" in fetch(base + "/search?q=Habari&lang=sw")[1].decode()
    after = fetch(base + "/")[1].decode()
    assert f'href="/story/{story_id}"' in after and "Live Outlet" in after
    assert re.search(r"<title>\d{4}-\d\d-\d\d sw: 1 article</title>", after)
    assert "Live Outlet" in fetch(f"{base}/story/{story_id}")[1].decode()


def test_story_ids_in_datasette_tables_link_to_story_pages(site):
    base, db = site
    status, body, _ = fetch(base + "/news/articles?_size=20&story_id__notblank=1")
    assert status == 200
    linked = story_links(body.decode())
    assert linked and linked <= {r[0] for r in rows(db, "SELECT id FROM stories")}


def test_attention_folds_small_languages_into_other():
    days = ["2024-05-30", "2024-05-31"]
    counts = [(days[0], lang, n) for lang, n in zip("abcdefghij", range(10, 0, -1), strict=True)]
    att = chart.attention(days, counts, max_series=4)
    assert att.languages == ["a", "b", "c", chart.OTHER]
    assert att.counts[(days[0], chart.OTHER)] == sum(range(1, 8)) and att.total == sum(range(11))
    svg = chart.svg(att)
    assert svg.count("<rect") == 4 + 4  # four segments on the first day, four legend keys
    assert "2024-05-30 other: 28 articles" in svg


def test_snippets_escape_article_text_and_mark_only_hits():
    snippet = f"<script>alert(1)</script> {data.MARK_OPEN}Kharkiv{data.MARK_CLOSE} & more"
    assert data.highlight(snippet) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Kharkiv</mark> &amp; more"
    )


def test_lags_read_as_people_say_them():
    assert [data.lag_text(h) for h in (0, 0.25, 5.04, 50, None)] == [
        "+0 min", "+15 min", "+5.0 h", "+2.1 d", ""]  # fmt: skip


def test_templates_and_plugin_ship_in_the_package():
    """A non-editable install must carry the web files: each is matched by package-data."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["crawler"]
    web = REPO / "crawler" / "web"
    files = [p for d in ("templates", "plugins") for p in (web / d).rglob("*") if p.is_file()]
    files = [p for p in files if "__pycache__" not in p.parts]
    assert files
    for path in files:
        relative = path.relative_to(REPO / "crawler").as_posix()
        assert any(fnmatch.fnmatch(relative, pat) for pat in patterns), relative


def test_pages_of_a_new_empty_database(tmp_path):
    """Before the first crawl: no stories, no chart, no hits, and no error either."""
    with Store(tmp_path / "new.db") as store:
        home = data.home(store)
        assert home["stories"] == [] and home["attention"].days == []
        assert "<svg" in chart.svg(home["attention"])
        assert data.story(store, 1) is None
        found = data.search(store, data.SearchForm(q="Kharkiv"))
        assert found["hits"] == [] and found["error"] is None
        assert data.feeds(store) == {"feeds": [], "failing": 0}
