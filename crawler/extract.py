"""Article HTML -> main text and metadata, with trafilatura doing the work.

Pure and picklable (module-level function, plain dataclass out) so the pipeline can run it in a
process pool: extraction is the CPU-bound part of a crawl. trafilatura is imported on first use:
the crawl's main process imports this module for :class:`Extracted` and never extracts, and the
import costs it about 0.1 s at every start (the extraction workers have it preloaded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import html as lxml_html

# Precision mode keeps "most read" boxes, related links and comment threads out of the body.
# Fast mode skips trafilatura's comparison with its fallback extractors (readability, jusText) on
# every page: on the shared extraction benchmark (181 real pages) F1 0.971 -> 0.970 (6 pages
# change: 5 lose, 1 gains; on the two halves by hash -0.003 and +0.002) for about 30% less time
# per page (median 22.4 -> 15.6 ms). The second opinion below keeps the fallbacks.
TRAFILATURA_OPTIONS = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "deduplicate": False,
    "fast": True,
}


# Precision mode sometimes keeps only a fragment (a reprint notice, a caption) of a page whose
# body it judged noisy. When it returns less than SHORT_TEXT characters and trafilatura's default
# mode (with its fallback extractors) finds at least SECOND_OPINION_RATIO times more, the default
# mode's text is taken. Measured on the shared extraction benchmark: F1 0.969 -> 0.971 (the second
# pass runs on few pages).
SHORT_TEXT = 600
SECOND_OPINION_RATIO = 3.0


@dataclass
class Extracted:
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    lang: str | None = None
    canonical_url: str | None = None
    sitename: str | None = None
    description: str | None = None
    text: str = ""


_LANG = re.compile(r"^[A-Za-z]{2,3}\b")


def _page_lang(tree: lxml_html.HtmlElement | None) -> str | None:
    """The language the page declares (``<html lang>``, og:locale, content-language)."""
    if tree is None:
        return None
    candidates = tree.xpath(
        "/html/@lang | /html/@xml:lang | //meta[@property='og:locale']/@content"
        " | //meta[translate(@http-equiv,'CONTENTLANGUAGE','contentlanguage')"
        "='content-language']/@content"
    )
    for value in candidates:
        match = _LANG.match(str(value).strip())
        if match:
            return match.group(0).lower()
    return None


def _canonical(tree: lxml_html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    for value in tree.xpath(
        "//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href"
        " | //meta[@property='og:url']/@content"
    ):
        value = str(value).strip()
        if value:
            return value
    return None


def _iso_date(value: str | None) -> str | None:
    """trafilatura gives ``YYYY-MM-DD``; the page's meta often has the full timestamp."""
    return value or None


def _published(tree: lxml_html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    for value in tree.xpath(
        "//meta[@property='article:published_time']/@content"
        " | //meta[@name='article:published_time']/@content"
        " | //meta[@itemprop='datePublished']/@content"
        " | //time[@itemprop='datePublished']/@datetime"
    ):
        value = str(value).strip()
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
            return value
    return None


def extract(page: str | bytes, url: str | None = None) -> Extracted:
    """Main text and metadata of one article page; empty text when nothing article-like is found."""
    import trafilatura
    from trafilatura.utils import load_html

    # trafilatura's loader guesses the charset of undeclared bytes better than lxml does.
    tree = load_html(page) if page else None
    if tree is None:
        return Extracted()
    # Read the head before trafilatura, which prunes the tree it is given.
    lang, canonical, published = _page_lang(tree), _canonical(tree), _published(tree)
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, **TRAFILATURA_OPTIONS)
    text = (doc.text or "") if doc is not None else ""
    if len(text) < SHORT_TEXT:
        second = _default_mode_text(page, url)
        if len(second) >= SECOND_OPINION_RATIO * max(len(text), 1):
            text = second
    if doc is None:
        return Extracted(
            lang=lang, canonical_url=canonical, published_at=published, text=text.strip()
        )
    return Extracted(
        title=doc.title or None,
        author=doc.author or None,
        published_at=published or _iso_date(doc.date),
        lang=lang or (doc.language or None),
        canonical_url=canonical,
        sitename=doc.sitename or None,
        description=doc.description or None,
        text=_drop_title(text, doc.title),
    )


def _default_mode_text(page: str | bytes, url: str | None) -> str:
    """The main text by trafilatura's default (balanced) settings, on a fresh tree."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(page)
    if tree is None:
        return ""
    options = {**TRAFILATURA_OPTIONS, "favor_precision": False, "fast": False}
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, **options)
    return (doc.text or "") if doc is not None else ""


def _drop_title(text: str, title: str | None) -> str:
    """trafilatura keeps an in-article <h1> as the first line; the title has its own column."""
    text = text.strip()
    if title:
        first, _, rest = text.partition("\n")
        if " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
            return rest.strip()
    return text
