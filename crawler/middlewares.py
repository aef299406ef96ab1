"""Downloader middlewares of newsmon's own, each replacing one of Scrapy's for a measured reason.

Enabled in :mod:`crawler.settings` (``DOWNLOADER_MIDDLEWARES``) in place of the Scrapy class they
extend, at the same order.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Request, Response

# Scrapy looks for a <meta http-equiv="refresh"> in the first 4,096 characters of a page; a
# character is at most 4 bytes in any encoding a page declares, so these bytes hold them all.
HEAD_BYTES = 4 * 4096


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, read from the head of the page only.

    Scrapy decodes the whole body (``response.text``, guessing the charset over all of it when
    none is declared) to read its first 4,096 characters, on the crawl's one reactor thread: on
    the 181 real pages of the shared extraction benchmark (148 KB on average) that was 6% of the
    crawl process's CPU (0.5 ms a page, py-spy). The article's text is decoded once, in an
    extraction worker. This hands Scrapy's own logic a copy of the response cut to its head, so
    what is followed, and how, is Scrapy's."""

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if not isinstance(response, HtmlResponse) or len(response.body) <= HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=response.body[:HEAD_BYTES])
        result = super().process_response(request, head)
        return response if result is head else result
