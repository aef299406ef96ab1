"""News sitemaps -> entries, for outlets and wires that publish no feed.

Scrapy's own sitemap parser keeps only the flat children of each ``<url>`` and drops the Google
News extension (``<news:news>`` with title, language and publication date), which is what makes a
news sitemap worth reading; so this module parses with lxml under the same safety settings Scrapy
uses (no entity expansion, no network, recovering from bad markup) and returns the same
:class:`~crawler.fetch.feeds.FeedEntry` records the feed parser does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import BytesIO
from urllib.parse import urljoin

from lxml import etree

from crawler.fetch.feeds import FUTURE_TOLERANCE, FeedEntry, FeedError


@dataclass
class ParsedSitemap:
    kind: str  # urlset | sitemapindex
    entries: list[FeedEntry] = field(default_factory=list)
    children: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(elem: etree._Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def iso_date(value: str | None) -> str | None:
    """W3C datetime (``2024-05-30``, ``2024-05-30T21:14:00Z``, with offset) -> UTC ISO 8601."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if moment > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
        return None
    return moment.replace(microsecond=0).isoformat()


def _children(elem: etree._Element) -> dict[str, etree._Element]:
    return {_local(child.tag): child for child in elem}


def parse_sitemap(body: bytes, url: str) -> ParsedSitemap:
    """Parse a sitemap index or a (news) urlset. Raises FeedError for anything else."""
    if not body.strip():
        raise FeedError("not a sitemap: empty document")
    try:
        events = etree.iterparse(
            BytesIO(body),
            events=("start", "end"),
            recover=True,
            resolve_entities=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
        )
        _, root = next(events)
    except (etree.XMLSyntaxError, StopIteration) as exc:
        raise FeedError(
            f"not a sitemap: {str(exc).splitlines()[0][:200] if str(exc) else 'no XML'}"
        ) from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap: root element is <{kind or '?'}>")
    out = ParsedSitemap(kind=kind)
    try:
        for event, elem in events:
            if event != "end" or _local(elem.tag) not in ("url", "sitemap"):
                continue
            parts = _children(elem)
            loc = _text(parts.get("loc"))
            if loc:
                loc = urljoin(url, loc)
                if kind == "sitemapindex":
                    out.children.append((loc, iso_date(_text(parts.get("lastmod")))))
                elif loc.startswith(("http://", "https://")):
                    out.entries.append(_entry(loc, parts))
            elem.clear()  # keep memory flat on 50,000-URL sitemaps
    except etree.XMLSyntaxError:
        pass  # keep what parsed before the damage, as feedparser does for feeds
    return out


def _entry(loc: str, parts: dict[str, etree._Element]) -> FeedEntry:
    news = parts.get("news")
    title = published = lang = None
    if news is not None:
        fields = _children(news)
        title = _text(fields.get("title"))
        published = iso_date(_text(fields.get("publication_date")))
        publication = fields.get("publication")
        if publication is not None:
            lang = _text(_children(publication).get("language"))
    return FeedEntry(
        link=loc,
        guid=None,
        title=title,
        published_at=published or iso_date(_text(parts.get("lastmod"))),
        lang=lang,
    )
