"""Finding and describing a site's feed (crawler/fetch/discover.py), without the network."""

from __future__ import annotations

from crawler.fetch.discover import (
    derive_name,
    derive_outlet,
    feed_links,
    guessed_urls,
    language_code,
)

PAGE = """<html><head><base href="/news/">
<link rel="alternate" type="application/rss+xml" href="top.rss">
<link rel="Alternate stylesheet" type="text/css" href="x.css">
<link rel="alternate" type="application/atom+xml; charset=utf-8" href="https://b.example/atom">
<link rel="alternate" type="application/rss+xml" href="top.rss">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<meta property="og:site_name" content="  The   Harbour Gazette ">
</head><body></body></html>"""


def test_feed_links_in_page_order_resolved_against_base():
    assert feed_links(PAGE, "https://a.example/index.html") == [
        "https://a.example/news/top.rss",
        "https://b.example/atom",
    ]
    assert feed_links("", "https://a.example/") == []


def test_guessed_urls_from_the_page_and_the_root():
    urls = guessed_urls("https://a.example/world/", ["feed", "rss.xml"])
    assert urls == [
        "https://a.example/world/feed",
        "https://a.example/feed",
        "https://a.example/world/rss.xml",
        "https://a.example/rss.xml",
    ]


def test_outlet_name_and_language():
    assert derive_outlet("Harbour Gazette", "Anything", "https://x.example/") == "Harbour Gazette"
    assert derive_outlet(None, "Politico - Politics News RSS", "https://x/") == "Politico"
    assert derive_outlet(None, None, "https://rss.politico.com/politics-news.xml") == "Politico"
    assert derive_name("The Harbour Gazette", set()) == "the-harbour-gazette"
    assert derive_name("Politico", {"politico", "politico-2"}) == "politico-3"
    assert language_code("en-US") == "en-us" and language_code("English") is None
