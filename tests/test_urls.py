from __future__ import annotations

import pytest

from crawler.urls import canonical_url, is_trustworthy_canonical, site_of


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
    from crawler.urls import url_key

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
