"""The one record that travels the pipeline and becomes an ``articles`` row.

Page and feed values are merged field by field, by which is better rather than by order, and the
feed fills whatever the page lacks, so an article is never poorer than its feed entry:

- headline: the page's (feeds cut headlines short and drop their subtitles); the feed's when the
  page has none;
- publication time: the page's when it has a time of day (its markup states the article's own
  publication time, where many feeds give the time an entry was last updated), unless the feed
  listed the article more than ``FEED_PROVES_EARLIER`` before it (the article existed then: the
  page's "published" is a later edit); a feed time beats a page that gives the day only; a day
  alone from the page beats a day alone from the feed;
- author: the page's (persons from its markup or byline); the feed's when the page names none,
  neither of them the publisher itself;
- summary: the feed's (written as the teaser; a page's meta description is often the site's
  generic blurb), else the page's description;
- language: see :mod:`crawler.extraction.language`; the page's declaration, else the news
sitemap's, else
  the feed's configured language, is believed unless the text clearly says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from crawler.extraction.extract import Extracted
from crawler.extraction.language import detect_language
from crawler.extraction.structured import names_publisher
from crawler.fetch.feeds import FeedEntry
from crawler.urls import canonical_url, is_trustworthy_canonical, url_key

_WORD = re.compile(r"\w+", re.UNICODE)
# A page's publication time this much after the time its feed already listed the article is a
# later edit, not the publication.
FEED_PROVES_EARLIER = timedelta(hours=1)
# Date-only values reach newsmon as midnight UTC (feedparser, news sitemaps): no time of day.
_MIDNIGHT_UTC = ("T00:00:00+00:00", "T00:00:00Z", "T00:00:00")


@dataclass
class Article:
    url: str  # canonical
    outlet: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    lang: str | None = None
    summary: str | None = None
    text: str = ""
    word_count: int = 0
    feed: str | None = None
    guid: str | None = None
    sitename: str | None = None
    fetch_status: int | None = None
    source: str = "page"  # page | feed | import
    relevant: bool = False
    relevance_score: float | None = None
    matched_terms: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    story_id: int | None = None
    credited_source: str | None = None
    topics: dict[str, float] = field(default_factory=dict)  # topic name -> score, matched only
    feed_title: str | None = None  # the headline as the feed gave it
    id: int | None = None  # set once stored
    # Every URL form that led here, with its kind (link, request, redirect, guid), for article_urls.
    url_forms: list[tuple[str, str]] = field(default_factory=list)
    # The order-independent part of clustering (features, MinHash, credit), when the extraction
    # worker already made it; never stored.
    precomputed: tuple[Any, ...] | None = None

    def row(self) -> dict[str, Any]:
        """The stored columns (a shallow copy: ``asdict`` would deep-copy every value)."""
        return {name: getattr(self, name) for name in _STORED}


_STORED = tuple(f.name for f in fields(Article) if f.name not in ("url_forms", "id", "precomputed"))


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def has_time(value: str | None) -> bool:
    """Whether a stored time value gives the time of day (not a bare or midnight-UTC date)."""
    value = (value or "").strip()
    return len(value) > len("YYYY-MM-DD") and not value.endswith(_MIDNIGHT_UTC)


def published(page: str | None, feed: str | None) -> str | None:
    """The publication time from the page's and the feed's, by the rules in the module's
    docstring; in UTC (``2024-05-30T21:14:00+00:00``), or a bare date where no source gives
    the time of day."""
    return _utc(_published(_first(page), _first(feed)))


def _published(page: str | None, feed: str | None) -> str | None:
    if page and feed and has_time(page) and has_time(feed):
        page_at, feed_at = _moment(page), _moment(feed)
        if page_at and feed_at and page_at - feed_at > FEED_PROVES_EARLIER:
            return feed
        return page
    for value in (page, feed):
        if value and has_time(value):
            return value
    return page or feed


def _utc(value: str | None) -> str | None:
    """A time with a zone (or none, read as UTC) in UTC; a bare date, or what does not parse,
    as it is."""
    if not value or not has_time(value):
        return value
    moment = _moment(value)
    return moment.astimezone(timezone.utc).isoformat() if moment else value


def author(page: str | None, feed: str | None, publisher: list[str]) -> str | None:
    """The page's author, else the feed's; the publisher's own name only where neither names
    anyone else (a page bylined "BBC News" is the publisher's, as its readers see it)."""
    values = [v for v in (_first(page), _first(feed)) if v]
    others = [v for v in values if not names_publisher(v, publisher)]
    return (others or values or [None])[0]


def from_page(
    *,
    page_url: str,
    extracted: Extracted,
    entry: FeedEntry | None,
    feed_name: str | None,
    outlet: str | None,
    feed_lang: str | None,
    status: int | None,
    url_forms: list[tuple[str, str]],
) -> Article:
    """Merge what the page says with what its feed entry said."""
    canonical = canonical_url(page_url)
    if is_trustworthy_canonical(page_url, extracted.canonical_url):
        try:
            canonical = canonical_url(extracted.canonical_url or page_url)
        except ValueError:
            pass
    entry = entry or FeedEntry(link=None, guid=None)
    text = extracted.text or ""
    summary = _first(entry.summary, extracted.description)
    return Article(
        url=canonical,
        outlet=outlet or extracted.sitename,
        title=_first(extracted.title, entry.title),
        author=author(
            extracted.author, entry.author, [n for n in (outlet, extracted.sitename) if n]
        ),
        published_at=published(extracted.published_at, entry.published_at),
        lang=detect_language(
            text or summary, declared=_first(extracted.lang, entry.lang, feed_lang)
        ),
        summary=summary,
        text=text or (summary or ""),
        word_count=word_count(text or summary),
        feed=feed_name,
        guid=entry.guid,
        sitename=extracted.sitename,
        fetch_status=status,
        source="page" if text else "feed",
        feed_title=entry.title,
        url_forms=with_keys(canonical, _forms(url_forms, entry)),
    )


def from_entry(
    *,
    entry: FeedEntry,
    feed_name: str | None,
    outlet: str | None,
    feed_lang: str | None,
    status: int | None,
    url_forms: list[tuple[str, str]],
) -> Article:
    """An article known only from its feed entry (the page is gone or is not HTML)."""
    assert entry.link
    return Article(
        url=canonical_url(entry.link),
        outlet=outlet,
        title=entry.title,
        author=author(None, entry.author, [outlet] if outlet else []),
        published_at=published(None, entry.published_at),
        lang=detect_language(
            f"{entry.title or ''}. {entry.summary or ''}", declared=_first(entry.lang, feed_lang)
        ),
        summary=entry.summary,
        text=entry.summary or "",
        word_count=word_count(entry.summary),
        feed=feed_name,
        guid=entry.guid,
        fetch_status=status,
        source="feed",
        feed_title=entry.title,
        url_forms=with_keys(canonical_url(entry.link), _forms(url_forms, entry)),
    )


def with_keys(url: str, forms: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """URL forms plus the variant key (AMP, mobile, www, scheme folded) of each, deduplicated."""
    out = list(forms)
    for candidate in [url, *(u for u, kind in forms if kind != "guid")]:
        try:
            out.append((url_key(candidate), "key"))
        except ValueError:
            pass
    return _unique(out)


def _forms(forms: list[tuple[str, str]], entry: FeedEntry) -> list[tuple[str, str]]:
    return _unique([*forms, *([(entry.guid, "guid")] if entry.guid else [])])


def _unique(forms: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Non-empty forms, each once, the first kind it came with winning."""
    seen: set[str] = set()
    unique = []
    for form, kind in forms:
        if form and form not in seen:
            seen.add(form)
            unique.append((form, kind))
    return unique
