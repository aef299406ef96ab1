"""Finding a site's feed and describing it, for ``newsmon feeds add``.

Pure functions over fetched documents: which URLs to try (the page's own
``<link rel="alternate">`` feeds first, then the paths sites usually publish at), and what name,
outlet and language to give a feed the user did not describe. The fetching is Scrapy's
(crawler/spiders/discover.py); nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


@dataclass
class Discovered:
    """A feed found and parsed: what ``feeds add`` shows and writes."""

    url: str
    title: str | None
    version: str
    entries: int
    newest: str | None
    language: str | None
    site_name: str | None
    site_url: str | None
    tried: list[str]


def feed_links(page: bytes | str, base_url: str) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type="application/rss+xml">``
    (or Atom/RDF), in page order, resolved against the page (and its ``<base href>``)."""
    try:
        doc = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    base = doc.xpath("string(//base/@href)") or base_url
    base = urljoin(base_url, base)
    out: list[str] = []
    for link in doc.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            url = urljoin(base, link.get("href").strip())
            if url not in out and re.match(r"^https?://", url, re.I):
                out.append(url)
    return out


def site_name(page: bytes | str) -> str | None:
    """The outlet's own name for itself: og:site_name, else application-name."""
    try:
        doc = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for xpath in (
        "string(//meta[@property='og:site_name']/@content)",
        "string(//meta[@name='application-name']/@content)",
    ):
        value = " ".join(str(doc.xpath(xpath)).split())
        if value:
            return value
    return None


def guessed_urls(page_url: str, paths: list[str]) -> list[str]:
    """The usual feed locations of a site, from its root and from the page's own path."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}"
    here = page_url if page_url.endswith("/") else page_url + "/"
    out: list[str] = []
    for path in paths:
        for base in (here, root + "/"):
            url = urljoin(base, path.lstrip("/"))
            if url not in out and url != page_url:
                out.append(url)
    return out


_SEPARATORS = re.compile(r"\s+[-|–—:»·]\s+")
_FEED_WORDS = re.compile(r"\b(rss|atom|feeds?|news feed|xml)\b", re.IGNORECASE)


def derive_outlet(site: str | None, feed_title: str | None, url: str) -> str:
    """A readable outlet name: the site's own name, else the first part of the feed title
    ("Politico - Politics RSS" -> "Politico"), else the domain ("rss.politico.com" ->
    "Politico")."""
    if site:
        return site
    if feed_title:
        first = _SEPARATORS.split(feed_title)[0]
        first = " ".join(_FEED_WORDS.sub(" ", first).split())
        if first:
            return first
    host = (urlsplit(url).hostname or "").lower()
    labels = [p for p in host.split(".") if p not in ("www", "rss", "feeds", "feed", "m")]
    label = labels[-2] if len(labels) >= 2 else (labels[0] if labels else host)
    return label.capitalize() or url


def derive_name(outlet: str, taken: set[str]) -> str:
    """A unique, lower-case feed name such as ``politico`` or ``politico-2``."""
    base = re.sub(r"[^\w]+", "-", outlet.lower(), flags=re.UNICODE).strip("-") or "feed"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def language_code(value: str | None) -> str | None:
    """``en-US`` -> ``en-us``; anything that is not a language tag -> None."""
    if not value:
        return None
    value = value.strip().replace("_", "-").lower()
    return value if re.match(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$", value) else None
