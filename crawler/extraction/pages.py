"""What an extraction worker does with one fetched page: decode, extract, merge with its feed
entry, and compute the order-independent clustering inputs.

Everything CPU-bound about a page, in a module that imports neither Scrapy nor the storage layer,
so it loads fast wherever extraction happens (the forkserver, see :mod:`crawler.extraction.warm`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from w3lib.encoding import html_to_unicode

from crawler.analysis.features import precompute
from crawler.extraction import article as articles
from crawler.extraction.extract import Extracted, extract
from crawler.fetch.feeds import FeedEntry

log = logging.getLogger(__name__)


@dataclass
class PageItem:
    """A fetched article page on its way to extraction."""

    url: str  # where the page was finally served from
    # as served: decoding happens in the extraction worker, off the reactor; left out of the
    # item's repr, which Scrapy logs with any error about it
    body: bytes = field(repr=False)
    content_type: str | None
    status: int
    entry: FeedEntry
    feed_name: str
    outlet: str
    feed_lang: str | None
    url_forms: list[tuple[str, str]]


def process_page(item: PageItem, cluster_args: tuple[Any, ...] | None) -> articles.Article:
    """Everything CPU-bound about one page, in a pool worker: extract the text and metadata,
    merge them with the feed entry (language detection included) and, given the clustering
    arguments, the order-independent part of clustering (features, MinHash, credit)."""
    try:
        # what Scrapy's response.text does: the HTTP charset, else the page's, else a guess
        _, html = html_to_unicode(item.content_type, item.body)
        extracted = extract(html, item.url, item.outlet)
    except Exception as exc:  # a page that breaks the extractor must not stop the crawl
        log.warning("extraction failed for %s: %s", item.url, exc)
        extracted = Extracted()
    article = articles.from_page(
        page_url=item.url,
        extracted=extracted,
        entry=item.entry,
        feed_name=item.feed_name,
        outlet=item.outlet,
        feed_lang=item.feed_lang,
        status=item.status,
        url_forms=item.url_forms,
    )
    if cluster_args is not None:
        row = (0, article.title, article.summary, article.text, article.outlet)
        article.precomputed = precompute([row], *cluster_args)[0][1:]
    return article


def warm_up(cluster_args: tuple[Any, ...] | None) -> None:
    """Import and initialise the extraction stack in a fresh worker while the feeds are still
    being fetched: trafilatura, the language model and the credit gazetteer all load on first
    use, and the first pages would otherwise wait for them."""
    body = "<html><body><article><p>" + "Warm up the extractor with a paragraph. " * 20
    body += "</p></article></body></html>"
    url = "http://warm.invalid/"
    entry = FeedEntry(link=url, guid=None)
    page = PageItem(url, body.encode(), "text/html", 200, entry, "warm-up", "warm-up", "en", [])
    process_page(page, cluster_args)
