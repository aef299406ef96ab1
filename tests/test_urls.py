from __future__ import annotations

import pytest

from crawler.config import ConfigError, parse_config
from crawler.urls import (
    PAGE_PARAMS,
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    canonical_url,
    is_tracking_param,
    is_trustworthy_canonical,
    site_of,
    url_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://www.politico.com/news/2024/05/30/biden-ukraine?utm_source=twitter&utm_medium=social",
            "https://www.politico.com/news/2024/05/30/biden-ukraine",
        ),
        ("https://example.com/a?fbclid=IwAR0x&id=7&gclid=abc", "https://example.com/a?id=7"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("HTTPS://Example.COM:443/a#comments", "https://example.com/a"),
        ("http://example.com:80/a?ref=homepage", "http://example.com/a"),
        ("http://127.0.0.1:8642/x/y.html?utm_campaign=z", "http://127.0.0.1:8642/x/y.html"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&ito=4&CMP=5", "https://example.com/a"),
    ],
)
def test_canonical_url_folds_tracking_variants(raw, expected):
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent():
    url = "https://www.rferl.org/a/ukraine-strikes/3290.html?x=1&utm_term=a#top"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize("bad", ["ftp://x/y", "javascript:alert(1)", "/relative/path", ""])
def test_canonical_url_rejects_non_http(bad):
    with pytest.raises(ValueError):
        canonical_url(bad)


def test_site_of():
    assert site_of("https://www.bbc.co.uk/news/world") == "bbc.co.uk"
    assert site_of("https://m.edition.cnn.com/x") == "cnn.com"
    assert site_of("http://127.0.0.1:9000/a") == "127.0.0.1"


def test_canonical_trust_rules():
    page = "https://news.example.com/2024/05/story?utm_source=x"
    assert is_trustworthy_canonical(page, "https://www.example.com/2024/05/story")
    # A syndicated copy pointing at the original outlet keeps its own row.
    assert not is_trustworthy_canonical(
        "https://yahoo.com/news/story-1", "https://reuters.com/world/story"
    )
    # Template bugs: canonical is the home page, or not a URL at all.
    assert not is_trustworthy_canonical(page, "https://news.example.com/")
    assert not is_trustworthy_canonical(page, "/2024/05/story")
    assert not is_trustworthy_canonical(page, None)


def test_amp_and_mobile_variants_share_a_key():
    page = "https://www.example.com/world/2024/05/30/biden-ukraine"
    variants = [
        "https://m.example.com/world/2024/05/30/biden-ukraine",
        "https://amp.example.com/world/2024/05/30/biden-ukraine",
        "https://www.example.com/world/2024/05/30/biden-ukraine/amp",
        "http://example.com/world/2024/05/30/biden-ukraine/?outputType=amp&utm_source=tw",
        "https://www.example.com/world/2024/05/30/biden-ukraine?amp=1",
    ]
    assert {url_key(v) for v in variants} == {url_key(page)}
    assert url_key(page) != url_key("https://www.example.com/world/2024/05/30/germany-ukraine")
    assert url_key("https://www.example.com/a?id=7") != url_key("https://www.example.com/a?id=8")


# -- one normaliser: what is tracking and what is the page's address ---------------------------


@pytest.mark.parametrize(
    "url",
    [
        # A paginated news sitemap: each page is another document.
        "https://www.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml&from=100",
        "https://example.com/news?page=3",
        "https://example.com/search?q=ukraine&offset=40",
        "https://example.com/list?start=20",
        "https://example.com/?p=1234",  # WordPress: the post itself
        "https://blog.example.com/?feed=rss2",  # WordPress: the feed, not the home page
        "https://example.com/index.php?rss",
        # Names courlan's own tracker pattern drops, though they select a page on some sites.
        "https://example.com/article.php?cid=5",
        "https://example.com/photo?gallery=3",
        "https://example.com/a?uid=77",
    ],
)
def test_page_parameters_are_part_of_the_address(url):
    key = canonical_url(url)
    query = url.split("?", 1)[1]
    for pair in query.split("&"):
        assert pair in key, (pair, key)
    assert canonical_url(url + "&utm_source=x") == key  # trackers still go


def test_pages_of_one_sitemap_keep_distinct_keys():
    base = "https://www.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml"
    pages = [base] + [f"{base}&from={n}" for n in (100, 200)]
    assert len({canonical_url(u) for u in pages}) == 3
    assert len({url_key(u) for u in pages}) == 3


TRACKING_EXAMPLES = sorted(TRACKING_PARAMS) + [p + "x" for p in TRACKING_PREFIXES]


@pytest.mark.parametrize("name", TRACKING_EXAMPLES)
def test_each_tracking_parameter_is_dropped_by_the_crawl_and_feeds_yaml(name):
    """The crawl's keys and feeds.yaml's 'already listed' check use the one list."""
    plain = "https://news.example.com/rss/world.xml"
    tracked = f"{plain}?{name}=abc"
    assert canonical_url(tracked) == canonical_url(plain)
    with pytest.raises(ConfigError, match="is already listed as feeds\\[0\\]"):
        parse_config(_two_feeds(plain, tracked))


@pytest.mark.parametrize("name", sorted(PAGE_PARAMS))
def test_each_page_parameter_makes_another_source(name):
    plain = "https://news.example.com/rss/world.xml"
    paged = f"{plain}?{name}=100"
    assert canonical_url(paged) != canonical_url(plain)
    assert not is_tracking_param(name)
    config = parse_config(_two_feeds(plain, paged))  # two sources, not a duplicate
    assert [f.url for f in config.feeds] == [plain, paged]


def _two_feeds(first: str, second: str) -> str:
    return (
        "feeds:\n"
        f"  - name: one\n    url: {first}\n    outlet: X\n"
        f"  - name: two\n    url: {second}\n    outlet: X\n"
    )


def test_a_database_keyed_by_the_old_normaliser_still_matches_its_links(tmp_path):
    """An article stored before the one normaliser (its link's old canonical URL and key dropped
    ``from``) is found by the new canonical URL and key of the same link, so a crawl does not
    fetch and store it again."""
    from storage import Store

    link = "https://news.example.com/world/story-1?from=rss&utm_source=feed"
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [_MIGRATION])
        store.save_article(
            {"url": "https://news.example.com/world/story-1", "title": "T", "text": "B"},
            [
                (link, "link"),
                ("https://news.example.com/world/story-1", "link"),  # the old canonical form
                ("key:news.example.com/world/story-1", "key"),  # the old variant key
            ],
        )
        new_forms = [canonical_url(link), url_key(link)]
        assert new_forms == [
            "https://news.example.com/world/story-1?from=rss",
            "key:news.example.com/world/story-1?from=rss",
        ]
        assert store.known_urls(new_forms) == set()  # what the old database lacks
    with Store(path) as store:  # reopening applies the migration
        assert store.known_urls(new_forms) == set(new_forms)
        assert store.article_id_for(new_forms) == 1
        assert store.count("articles") == 1


_MIGRATION = "m012_url_forms_of_one_normaliser"
