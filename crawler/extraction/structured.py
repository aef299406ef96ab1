"""What a page says about itself in machine-readable markup: headline, publication time, authors,
publisher, language.

News pages state these for search engines and social networks (schema.org JSON-LD, often in an
``@graph``; OpenGraph and other ``<meta>`` tags; microdata; ``<time datetime>``), and that markup
is more precise than anything read from the visible text: it has the time of day and the UTC
offset where trafilatura's date has the day only, the headline without the site's name, authors
typed as persons or organisations. It is also sometimes wrong (a "published" tag holding the
modified time, a related article's JSON-LD first on the page), hence the sanity checks below.

Pure functions over an lxml tree, read before trafilatura prunes it.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from lxml import html as lxml_html

# schema.org types of an article (NewsArticle, ReportageNewsArticle, BlogPosting,
# LiveBlogPosting, ...): a type that ends with one of these.
ARTICLE_TYPE_ENDINGS = ("article", "posting", "report")
PERSON_TYPES = frozenset({"person"})
ORGANISATION_TYPES = frozenset({"organization", "newsmediaorganization", "corporation"})
# A "published" time this far in the future is a broken clock.
FUTURE_TOLERANCE = timedelta(days=1)
# A published day this much before the day written in the URL is a wrong value (the URL is
# made when the article is first published).
URL_DATE_TOLERANCE = timedelta(days=1)
# <meta> names (property, name or itemprop, lower case) that hold the publication time, most
# specific first; and those that hold the last modification.
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "dcterms.issued",
    "dc.date.issued",
    "date.available",
    "dcterms.created",
    "dc.date",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "date.modified",
    "last-modified",
)
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
# Host labels that are not the site's name, and second levels under a country code that are not
# either (co.uk, com.tr, co.za, ...).
HOST_PREFIXES = frozenset({"www", "m", "amp", "mobile"})
GENERIC_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "or", "ne", "go"})
SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
# Separators between a headline and the site's name in <title> and og:title: "... | Site",
# "... - SITE", "...：Site" (full-width colon and bar in Japanese and Chinese titles).
TITLE_SEPARATOR = re.compile(r"\s+[|\-–—·•*:/»]{1,2}\s+|\s*[|｜：]\s*")
# The shortest text that counts as a site name, and how many more letters (a domain ending, an
# edition's name: "MDR.DE" of "MDR") a name that begins with it may have.
MIN_SITE_PREFIX = 3
SITE_NAME_EXTRA = 4
# A page "states" an ellipsis-cut headline when the text ends with one of these.
ELLIPSIS = ("…", "...")

_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_URL_DATE = re.compile(
    r"(?<!\d)(20\d{2}|19\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)"
)
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Moment:
    """A point in time as a page gives it: with or without the time of day and the offset."""

    when: datetime
    has_time: bool
    has_offset: bool

    def iso(self) -> str:
        """UTC ISO 8601 as newsmon stores times; a bare day stays ``YYYY-MM-DD`` (a time would
        be made up), a time without offset stays naive (the stored value is read as UTC)."""
        if not self.has_time:
            return self.when.date().isoformat()
        if self.has_offset:
            return self.when.astimezone(timezone.utc).replace(microsecond=0).isoformat()
        return self.when.replace(microsecond=0).isoformat()

    def local_day(self) -> date:
        return self.when.date()


@dataclass
class PageMeta:
    """What the markup of one page states; every field may be missing."""

    headlines: list[str] = field(default_factory=list)  # best first
    stated: list[Moment] = field(default_factory=list)  # publication times, best first
    unmarked: list[Moment] = field(default_factory=list)  # other <time> values
    persons: list[str] = field(default_factory=list)  # bylines of persons (or untyped)
    organisations: list[str] = field(default_factory=list)  # bylines typed as organisations
    site_names: list[str] = field(default_factory=list)  # names the publisher goes by
    description: str | None = None


def parse_moment(value: object) -> Moment | None:
    """An ISO 8601 / W3C / RFC 2822 time, the forms pages use in markup."""
    if not isinstance(value, str):
        return None
    text = html.unescape(value).strip()
    if not text:
        return None
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            when = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
        has_offset = bool(zone) and hour is not None
        if has_offset:
            when = when.replace(tzinfo=_zone(zone))
        return Moment(when, hour is not None, has_offset)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return Moment(when, True, when.tzinfo is not None)


def _zone(zone: str) -> timezone:
    if zone.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-offset if zone[0] == "-" else offset)


def url_day(url: str | None) -> date | None:
    """The day written in an article URL's path (``/2024/05/30/``, ``-20240530``), if any."""
    if not url:
        return None
    match = _URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def plausible(moment: Moment, url: str | None, modified: Moment | None = None) -> bool:
    """Whether a stated publication time can be true: not in the future, not after the page's
    own modification time, not before the day in its URL."""
    now = datetime.now(timezone.utc)
    when = moment.when if moment.has_offset else moment.when.replace(tzinfo=timezone.utc)
    if when > now + FUTURE_TOLERANCE:
        return False
    if modified is not None and modified.has_time and moment.has_time:
        later = modified.when if modified.has_offset else modified.when.replace(tzinfo=timezone.utc)
        if when > later + timedelta(minutes=1):
            return False
    day = url_day(url)
    if day is not None and moment.local_day() < day - URL_DATE_TOLERANCE:
        return False
    return True


# --- JSON-LD ---------------------------------------------------------------------------------


def json_ld(tree: lxml_html.HtmlElement) -> list[Any]:
    """Every JSON-LD block of the page that parses."""
    blocks = []
    for text in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            blocks.append(json.loads(text, strict=False))
        except ValueError:
            continue
    return blocks


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)}


def _is_article(node: dict[str, Any]) -> bool:
    return any(t.endswith(ARTICLE_TYPE_ENDINGS) for t in _types(node))


def _nodes(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    """All objects of the blocks, breadth first: the page's own article comes before the
    related articles nested in it."""
    queue: list[Any] = list(blocks)
    while queue:
        item = queue.pop(0)
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            yield item
            queue.extend(v for v in item.values() if isinstance(v, (dict, list)))


def _same_page(value: object, url: str | None) -> bool:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    if not isinstance(value, str) or not url:
        return False
    a, b = urlsplit(value.strip()), urlsplit(url)
    strip = "www."
    return (a.netloc.removeprefix(strip), a.path.rstrip("/")) == (
        b.netloc.removeprefix(strip),
        b.path.rstrip("/"),
    )


def main_article(blocks: list[Any], url: str | None) -> dict[str, Any] | None:
    """The JSON-LD object of the page's own article: the one that names the page's URL, else
    the first (shallowest) article object."""
    articles = [node for node in _nodes(blocks) if _is_article(node)]
    for node in articles:
        if any(_same_page(node.get(k), url) for k in ("url", "mainEntityOfPage", "@id")):
            return node
    return articles[0] if articles else None


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split())
    return text or None


def _ld_people(value: object) -> tuple[list[str], list[str]]:
    """Names in a JSON-LD ``author``: (persons or untyped, organisations)."""
    persons: list[str] = []
    organisations: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            name = _text(item)
            if name:
                persons.append(name)
        elif isinstance(item, dict):
            name = _text(item.get("name"))
            if not name:
                parts = [_text(item.get(k)) for k in ("givenName", "familyName")]
                name = " ".join(p for p in parts if p) or None
            if name:
                kinds = _types(item)
                (organisations if kinds & ORGANISATION_TYPES else persons).append(name)
    return persons, organisations


# --- the page --------------------------------------------------------------------------------


def _meta(tree: lxml_html.HtmlElement) -> dict[str, list[str]]:
    """``<meta>`` contents by lower-cased property, name or itemprop, in page order."""
    found: dict[str, list[str]] = {}
    for elem in tree.iter("meta"):
        content = elem.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = elem.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def _first_moment(meta: dict[str, list[str]], names: tuple[str, ...]) -> Moment | None:
    for name in names:
        for value in meta.get(name, ()):
            moment = parse_moment(value)
            if moment is not None:
                return moment
    return None


def _time_elements(tree: lxml_html.HtmlElement) -> tuple[list[Moment], list[Moment]]:
    """``<time datetime>`` values: (marked as the publication time, any other)."""
    marked: list[Moment] = []
    other: list[Moment] = []
    for elem in tree.iter("time"):
        moment = parse_moment(elem.get("datetime"))
        if moment is None:
            continue
        signs = " ".join(
            str(elem.get(a) or "") for a in ("itemprop", "class", "id", "pubdate", "data-type")
        ).lower()
        if "datepublished" in signs or "publish" in signs or elem.get("pubdate") is not None:
            marked.append(moment)
        else:
            other.append(moment)
    return marked, other


def _better(best: Moment, other: Moment) -> Moment:
    """``best`` unless ``other`` says the same time more fully (same day, and a time where
    ``best`` has none; or the same wall clock with the UTC offset ``best`` lacks)."""
    if other.local_day() != best.local_day():
        return best
    if not best.has_time and other.has_time:
        return other
    if best.has_time and not best.has_offset and other.has_offset:
        wall = other.when.replace(tzinfo=None)
        if abs(wall - best.when) <= timedelta(minutes=1):
            return other
    return best


def stated_times(
    tree: lxml_html.HtmlElement,
    article: dict[str, Any] | None,
    meta: dict[str, list[str]],
    url: str | None,
) -> tuple[list[Moment], list[Moment]]:
    """Publication times the page states that pass the sanity checks, most specific source
    first (the article's JSON-LD, publication ``<meta>`` tags and microdata, a ``<time>`` marked
    as the publication time); and the unmarked ``<time>`` values, which may be anything (a
    clock, a related article), for :func:`publication` to weigh."""
    modified = _first_moment(meta, MODIFIED_META)
    stated: list[Moment] = []
    if article is not None:
        ld_modified = parse_moment(article.get("dateModified")) or modified
        moment = parse_moment(article.get("datePublished") or article.get("dateCreated"))
        if moment is not None and plausible(moment, url, ld_modified):
            stated.append(moment)
    for name in PUBLISHED_META:
        for value in meta.get(name, ()):
            moment = parse_moment(value)
            if moment is not None and plausible(moment, url, modified):
                stated.append(moment)
    marked, other = _time_elements(tree)
    stated.extend(m for m in marked if plausible(m, url, modified))
    return stated, [m for m in other if plausible(m, url)]


def publication(
    stated: list[Moment], unmarked: list[Moment], url: str | None, text_day: str | None
) -> Moment | None:
    """The publication time: the first stated one, made more precise by any other that says the
    same day with a time (or the same time with its UTC offset). Without a stated one, the day
    found in the page's text (``text_day``: trafilatura's date) or its URL, with the time of an
    unmarked ``<time>`` on that day."""
    anchor = parse_moment(text_day) if text_day else None
    day = url_day(url)
    if anchor is None and day is not None:
        anchor = Moment(datetime.combine(day, datetime.min.time()), False, False)
    candidates = list(stated)
    if anchor is not None:
        candidates.extend(m for m in unmarked if m.local_day() == anchor.local_day())
        candidates.append(anchor)
    if not candidates:
        return None
    best = candidates[0]
    for other in candidates[1:]:
        best = _better(best, other)
    return best


def site_host_names(url: str | None) -> list[str]:
    """The site's own name from its host: ``welt`` and ``welt.de`` of www.welt.de, ``aa`` and
    ``aa.com.tr`` of www.aa.com.tr (a generic second level under a country code is skipped)."""
    host = urlsplit(url).hostname or "" if url else ""
    labels = [x for x in host.split(".") if x and x not in HOST_PREFIXES]
    if len(labels) < 2 or all(x.isdigit() for x in labels) or ":" in host:  # an IP address
        return []
    size = (
        3 if len(labels) >= 3 and labels[-2] in GENERIC_SECOND_LEVEL and len(labels[-1]) == 2 else 2
    )
    return [labels[-size], ".".join(labels[-size:])]


def site_names(
    meta: dict[str, list[str]], blocks: list[Any], article: dict[str, Any] | None, url: str | None
) -> list[str]:
    """Names the publisher goes by: og:site_name and the like, the article's JSON-LD publisher
    and the JSON-LD WebSite, the site's host name. (Not any JSON-LD organisation: an author
    typed as one, a wire such as dpa, is not the publisher.)"""
    names = [v for key in SITE_NAME_META for v in meta.get(key, ())]
    if article is not None:
        publisher = article.get("publisher")
        for item in publisher if isinstance(publisher, list) else [publisher]:
            name = _text(item) if isinstance(item, (dict, str)) else None
            if name:
                names.append(name)
    for node in _nodes(blocks):
        if "website" in _types(node):
            name = _text(node.get("name"))
            if name:
                names.append(name)
    names.extend(site_host_names(url))
    unique: list[str] = []
    for name in names:
        name = " ".join(name.split())
        if name and name not in unique:
            unique.append(name)
    return unique


def _key(text: str) -> str:
    """Letters and digits only, case-folded: "MDR.DE" and "mdr.de" and "Mdr De" are one name."""
    return "".join(_WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))


def is_site_name(text: str, names: list[str]) -> bool:
    """Whether ``text`` is the publisher's name, or one begins with the other and differs by a
    suffix of a few letters ("MDR.DE" of mdr, "日本経済新聞" of "日本経済新聞 電子版"; not
    "Future-dated story" of an outlet called "Future")."""
    key = _key(text)
    if len(key) < MIN_SITE_PREFIX:
        return False
    for name in names:
        other = _key(name)
        if len(other) < MIN_SITE_PREFIX:
            continue
        short, long = sorted((key, other), key=len)
        if long.startswith(short) and len(long) - len(short) <= SITE_NAME_EXTRA:
            return True
    return False


def names_publisher(author: str, names: list[str]) -> bool:
    """Whether an author byline is (or contains) the publisher's name: "Mdr De", "Redaktion
    hessenschau.de", "The Gateway Pundit"."""
    if is_site_name(author, names):
        return True
    words = _WORDS.findall(unicodedata.normalize("NFKC", author).casefold())
    for name in names:
        parts = _WORDS.findall(unicodedata.normalize("NFKC", name).casefold())
        if not parts or len("".join(parts)) < MIN_SITE_PREFIX:
            continue
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                return True
    return False


def strip_site_name(title: str, names: list[str]) -> str:
    """The headline without the site's name the publisher adds to ``<title>`` and og:title:
    "Headline | Site", "Headline - Site | by Author", "Site: Headline". Only a part that is the
    site's name goes, with whatever follows it; a headline that merely has a colon stays."""
    if not names:
        return title
    parts = TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return _strip_leading_site_name(title, names)
    seps = TITLE_SEPARATOR.findall(title)
    for i in range(1, len(parts)):
        if is_site_name(parts[i], names):
            kept = parts[0] + "".join(s + p for s, p in zip(seps[: i - 1], parts[1:i], strict=True))
            return kept.strip() or title
    if is_site_name(parts[0], names):
        rest = title[len(parts[0]) + len(seps[0]) :].strip()
        return rest or title
    return _strip_leading_site_name(title, names)


def _strip_leading_site_name(title: str, names: list[str]) -> str:
    """ "Site: Headline" (a colon right after the name, which inside a headline is no separator)."""
    head, colon, rest = title.partition(": ")
    if colon and rest.strip() and is_site_name(head, names):
        return rest.strip()
    return title


def headlines(
    tree: lxml_html.HtmlElement, article: dict[str, Any] | None, meta: dict[str, list[str]]
) -> list[str]:
    """Headline candidates, best first: og:title (the title the editor set for display and
    sharing), the article's JSON-LD headline (search engines long limited it to 110
    characters, so it is often a shortened or rewritten one), twitter:title, the page's only
    ``<h1>``. A candidate cut short with an ellipsis gives way to the whole one."""
    found: list[str] = []
    found.extend(" ".join(html.unescape(v).split()) for v in meta.get("og:title", ())[:1])
    if article is not None:
        found.append(_text(article.get("headline")) or "")
    found.extend(" ".join(html.unescape(v).split()) for v in meta.get("twitter:title", ())[:1])
    h1 = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    h1 = [h for h in h1 if h]
    if len(h1) == 1:
        found.append(h1[0])
    found = [f for f in found if f]
    out: list[str] = []
    for candidate in found:
        stem = candidate.removesuffix(ELLIPSIS[0]).removesuffix(ELLIPSIS[1]).rstrip()
        longer = [
            f
            for f in found
            if not f.endswith(ELLIPSIS) and len(f) > len(stem) and f.startswith(stem)
        ]
        if candidate.endswith(ELLIPSIS) and longer:
            candidate = longer[0]
        if candidate not in out:
            out.append(candidate)
    return out


def best_headline(candidates: list[str], names: list[str]) -> str | None:
    """The first candidate that is more than the site's name, without the site's name; and
    without a further tail ("Headline | Section") that another candidate does not have."""
    stripped = [strip_site_name(" ".join(c.split()), names) for c in candidates if c]
    stripped = [c for c in stripped if c and not is_site_name(c, names)]
    if not stripped:
        return None
    best = stripped[0]
    for other in stripped[1:]:
        rest = best[len(other) :] if best.startswith(other) else ""
        if rest and TITLE_SEPARATOR.match(rest) and len(TITLE_SEPARATOR.split(rest)) == 2:
            return other
    return best


def authors(
    article: dict[str, Any] | None, meta: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """Bylines the markup gives: (persons or untyped names, organisations)."""
    persons: list[str] = []
    organisations: list[str] = []
    if article is not None:
        persons, organisations = _ld_people(article.get("author"))
    if not persons:
        for key in AUTHOR_META:
            for value in meta.get(key, ()):
                if not value.lower().startswith(("http://", "https://", "/")):
                    persons.append(" ".join(html.unescape(value).split()))
            if persons:
                break
    return persons, organisations


def read(
    tree: lxml_html.HtmlElement,
    url: str | None,
    blocks: list[Any] | None = None,
    article: dict[str, Any] | None = None,
) -> PageMeta:
    """Everything above for one page (``blocks`` and ``article``: :func:`json_ld` and
    :func:`main_article` of it, where the caller already has them)."""
    if blocks is None:
        blocks = json_ld(tree)
        article = main_article(blocks, url)
    meta = _meta(tree)
    names = site_names(meta, blocks, article, url)
    persons, organisations = authors(article, meta)
    description = None
    for key in ("og:description", "description", "twitter:description"):
        if meta.get(key):
            description = " ".join(html.unescape(meta[key][0]).split())
            break
    stated, unmarked = stated_times(tree, article, meta, url)
    return PageMeta(
        headlines=headlines(tree, article, meta),
        stated=stated,
        unmarked=unmarked,
        persons=persons,
        organisations=organisations,
        site_names=names,
        description=description,
    )
