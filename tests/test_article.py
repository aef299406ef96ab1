"""crawler/extraction/article.py: page and feed values merged field by field by quality (the rules are in
the module's docstring and README)."""

from __future__ import annotations

from typing import Any

from crawler.extraction import article as articles
from crawler.extraction.extract import Extracted
from crawler.fetch.feeds import FeedEntry

URL = "https://news.example.org/2024/05/20/river-bridge"
TEXT = (
    "The city council voted on Tuesday to rebuild the old river bridge, ending a debate that had "
    "lasted for more than a decade and divided the two districts it connects. "
) * 3


def merge(page: dict[str, Any], feed: dict[str, Any], **kw: Any) -> articles.Article:
    extracted = Extracted(**{"text": TEXT, **page})
    entry = FeedEntry(link=URL, guid=None, **feed)
    args = {"feed_name": "courier", "outlet": "Example Courier", "feed_lang": None, **kw}
    return articles.from_page(
        page_url=URL, extracted=extracted, entry=entry, status=200, url_forms=[], **args
    )


def test_a_page_time_beats_the_feeds_time():
    """Many feeds give the time an entry was last updated; the page's markup states the
    publication. (The feed's date won whenever it had one.)"""
    got = merge(
        {"published_at": "2024-05-20T08:15:00+00:00"}, {"published_at": "2024-05-20T08:40:00+00:00"}
    )
    assert got.published_at == "2024-05-20T08:15:00+00:00"


def test_a_feed_time_beats_a_page_that_gives_the_day_only():
    got = merge({"published_at": "2024-05-20"}, {"published_at": "2024-05-20T08:40:00+00:00"})
    assert got.published_at == "2024-05-20T08:40:00+00:00"


def test_the_feed_proves_the_article_existed_before_a_later_page_time():
    """The page's "published" is a later edit when the feed listed the article hours before."""
    got = merge(
        {"published_at": "2024-05-21T16:00:00+00:00"}, {"published_at": "2024-05-20T08:40:00+00:00"}
    )
    assert got.published_at == "2024-05-20T08:40:00+00:00"


def test_a_day_from_the_page_beats_a_midnight_date_from_the_feed():
    """A date-only feed or sitemap value arrives as midnight UTC: no time of day."""
    got = merge({"published_at": "2024-05-19"}, {"published_at": "2024-05-20T00:00:00+00:00"})
    assert got.published_at == "2024-05-19"


def test_the_feed_fills_a_time_the_page_lacks():
    got = merge({}, {"published_at": "2024-05-20T08:40:00+00:00"})
    assert got.published_at == "2024-05-20T08:40:00+00:00"


def test_the_pages_headline_beats_the_feeds_truncated_one():
    page_title = "River bridge to be rebuilt after a decade of debate"
    got = merge({"title": page_title}, {"title": "River bridge to be rebuilt after a…"})
    assert got.title == page_title and got.feed_title == "River bridge to be rebuilt after a…"
    assert merge({}, {"title": "River bridge"}).title == "River bridge"


def test_the_publisher_is_the_author_only_where_no_one_else_is_named():
    """A person from the feed beats the publisher's name from the page; the publisher's name
    alone (a page bylined "Example Courier") is kept, as readers see it."""
    assert merge({"author": "Example Courier"}, {"author": "Jane Doe"}).author == "Jane Doe"
    assert merge({}, {"author": "Example Courier"}).author == "Example Courier"
    assert merge({}, {"author": "Jane Doe"}).author == "Jane Doe"
    assert merge({"author": "John Smith"}, {"author": "Jane Doe"}).author == "John Smith"


def test_the_feeds_summary_beats_the_pages_description():
    """A page's meta description is often the site's generic blurb; the feed's is the teaser."""
    got = merge(
        {"description": "News from the river city."}, {"summary": "The bridge will be rebuilt."}
    )
    assert got.summary == "The bridge will be rebuilt."
    assert merge({"description": "The bridge vote."}, {}).summary == "The bridge vote."


def test_the_pages_declared_language_beats_the_feeds_configured_one():
    """README promised "pages that declare one win"; the text overrode any declaration."""
    spanish = (
        "El ayuntamiento aprobó el martes la reconstrucción del viejo puente sobre el río, "
        "poniendo fin a un debate que duró más de una década."
    )
    serbian = (
        "Gradsko veće je u utorak odlučilo da se stari most preko reke obnovi. Radovi bi trebalo "
        "da počnu na proleće i da traju oko tri godine, a za to vreme će pešake prevoziti skela."
    )
    assert merge({"text": serbian, "lang": "sr"}, {}, feed_lang="hr").lang == "sr"
    assert merge({"text": serbian}, {}, feed_lang="sr").lang == "sr"
    # a declaration the text clearly contradicts does not win
    assert merge({"text": spanish, "lang": "en"}, {}, feed_lang="en").lang == "es"


def test_publication_time_is_stored_in_utc_whatever_offset_the_page_writes():
    """The contract: times are ISO 8601 in UTC. A page's ``+02:00`` time is converted, a bare
    date (no source gives the time of day) stays a date."""
    assert merge({"published_at": "2024-05-30T23:14:00+02:00"}, {}).published_at == (
        "2024-05-30T21:14:00+00:00"
    )
    assert merge({"published_at": "2024-05-30"}, {}).published_at == "2024-05-30"
