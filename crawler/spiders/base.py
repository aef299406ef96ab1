"""What every newsmon spider does: poll due sources with conditional GET, follow new entries.

A source is a feed (RSS/Atom) or a news sitemap. The spider owns the source side of the crawl:
which sources are due, the request headers that make an unchanged one cost a 304, what each
response did to the source's state in ``feeds``, and which entries are new. Article pages it
fetches go on as :class:`PageItem` to the item pipelines; it never extracts or stores articles.
The concrete spiders (``feeds``, ``sitemaps``, ``newsmon``) only choose which kinds they poll.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.config import Config, load_config
from crawler.extensions import take_crawl_lock
from crawler.extraction import article as articles
from crawler.extraction.pages import PageItem
from crawler.fetch.feeds import FeedEntry, FeedError, parse_feed
from crawler.fetch.polling import (
    failure_interval,
    iso_after,
    retry_after_seconds,
    seconds_since,
    success_interval,
)
from crawler.fetch.sitemaps import parse_sitemap
from crawler.fetch.sources import AwaitedPoll, Source, due_sources, settle
from crawler.urls import canonical_url, url_key
from storage import Store, now_iso

try:
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded
except ImportError:  # pragma: no cover - other Scrapy versions raise ValueError/OSError
    _DecompressionMaxSizeExceeded = ValueError  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

# Page statuses after which we keep the feed entry's data instead of retrying the page next run.
PERMANENT_PAGE_ERRORS = (404, 410, 451)


def describe_failure(failure: Failure) -> tuple[int | None, str, Response | None]:
    """(HTTP status or None, one-line reason, response or None) for an errback failure."""
    if failure.check(HttpError):
        response = failure.value.response
        return response.status, f"HTTP {response.status}", response
    if failure.check(IgnoreRequest):
        return None, f"not fetched: {failure.getErrorMessage() or 'forbidden by robots.txt'}", None
    name = type(failure.value).__name__
    message = failure.getErrorMessage().splitlines()[0][:200] if failure.getErrorMessage() else ""
    if name in _EXPLAINED and _EXPLAINED[name] not in message:
        message = f"{_EXPLAINED[name]}; {message}" if message else _EXPLAINED[name]
    return None, f"{name}: {message}".rstrip(": "), None


# What Twisted's and Scrapy's terse download errors mean, for ``feeds.last_error``.
_EXPLAINED = {
    "ResponseDataLossError": "connection lost mid-body, response truncated",
    "ResponseNeverReceived": "connection closed before a response",
    "DownloadCancelledError": "download cut: larger than DOWNLOAD_MAXSIZE",
    "ConnectionRefusedError": "connection refused",
    "DNSLookupError": "host name not found",
}


class SourceSpider(scrapy.Spider):
    """Base of the newsmon spiders; ``kinds`` says which sources (feed, sitemap) it polls."""

    kinds: tuple[str, ...] = ("feed", "sitemap")
    uses_store = True  # False: a distributed worker, which sends its state to the writer

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if cls.uses_store:  # first: a crawl that may not run opens nothing
            take_crawl_lock(crawler, spider)
        # ``newsmon crawl`` passes the feeds.yaml it has read and checked; plain ``scrapy crawl``
        # does not
        given: Config | None = kwargs.get("config")
        if not cls.uses_store:
            spider.config = None
        else:
            spider.config = given if given is not None else load_config(settings["NEWSMON_FEEDS"])
        spider.store = Store(settings.get("NEWSMON_DB")) if cls.uses_store else None
        spider.only = set(settings.getlist("NEWSMON_ONLY"))
        spider.poll_all = settings.getbool("NEWSMON_ALL")
        spider.max_articles = settings.getint("NEWSMON_MAX_ARTICLES")
        spider.backoff_base = settings.getfloat("NEWSMON_BACKOFF_BASE")
        spider.backoff_max = settings.getfloat("NEWSMON_BACKOFF_MAX")
        spider.due_slack = settings.getfloat("NEWSMON_DUE_SLACK")
        spider.idle_policy = {
            "idle_after": settings.getfloat("NEWSMON_IDLE_AFTER"),
            "idle_factor": settings.getfloat("NEWSMON_IDLE_FACTOR"),
            "idle_max": settings.getfloat("NEWSMON_IDLE_MAX"),
        }
        spider.max_size = settings.getint("DOWNLOAD_MAXSIZE")
        spider.sitemap_max_children = settings.getint("NEWSMON_SITEMAP_MAX_CHILDREN")
        spider.scheduled_keys: set[str] = set()
        spider.articles_scheduled = 0
        spider.awaited: dict[str, AwaitedPoll] = {}  # by source name
        return spider

    # -- which feeds ---------------------------------------------------------------------------

    def due_sources(self) -> list[Source]:
        return due_sources(
            self.config, self.store, kinds=self.kinds, only=self.only, poll_all=self.poll_all,
            due_slack=self.due_slack,
        )  # fmt: skip

    async def start(self) -> AsyncIterator[Any]:
        for request in self.source_requests():
            yield request

    def source_requests(self) -> Iterator[scrapy.Request]:
        for source in self.due_sources():
            yield self.source_request(source)

    def source_request(self, source: Source) -> scrapy.Request:
        """A conditional GET of the source, from the ETag / Last-Modified stored last time."""
        headers = {}
        if source.state.get("etag"):
            headers["If-None-Match"] = source.state["etag"]
        if source.state.get("last_modified"):
            headers["If-Modified-Since"] = source.state["last_modified"]
        return scrapy.Request(
            source.config.url,
            headers=headers,
            callback=self.parse_feed if source.kind == "feed" else self.parse_sitemap,
            errback=self.feed_failed,
            dont_filter=True,
            priority=10,
            meta={"source": source, "handle_httpstatus_list": [304]},
        )

    # -- where state goes (the distributed worker sends it to the writer instead) ------------

    def save_feed_state(self, url: str, **fields: Any) -> None:
        """Record what a poll did to a source (``feeds`` row)."""
        self.store.update_feed(url, **fields)

    def stored_titles(self, keys: list[str]) -> dict[str, str | None]:
        """Of these URL forms and GUIDs, those already stored, with their feed headline."""
        return self.store.feed_titles(keys)

    # -- feed responses ------------------------------------------------------------------------

    def not_modified(self, response: Response) -> bool:
        """Count the poll; on a 304 record it and report that there is nothing to parse."""
        source: Source = response.meta["source"]
        self.crawler.stats.inc_value("newsmon/feeds_polled")
        if response.status != 304:
            return False
        self.crawler.stats.inc_value("newsmon/feeds_not_modified")
        self.save_feed_state(
            source.config.url,
            last_fetched_at=now_iso(),
            last_status=304,
            last_error=None,
            consecutive_failures=0,
            next_due_at=iso_after(self.healthy_interval(source, None, new=0)),
        )
        return True

    def healthy_interval(self, source: Source, ttl: float | None, *, new: int) -> float:
        """poll_every / <ttl>, stretched for a feed that has had nothing new for a long time."""
        idle = None
        if not new:
            idle = seconds_since(source.state.get("last_new_at") or source.state.get("added_at"))
        return success_interval(source.poll_every, ttl, idle, **self.idle_policy)

    def record_success(
        self,
        response: Response,
        *,
        title: str | None,
        entries: int,
        new: int,
        ttl: float | None = None,
        pages: int = 0,
        complete: bool = True,
        index: bool = False,
    ) -> None:
        """Record a parsed poll that scheduled ``pages`` requests (article pages; for a sitemap
        ``index``, its child sitemaps). Until they are all done (:meth:`page_settled`), the
        source keeps no validators, so the next poll gets the whole feed and finds any entry
        still missing. A poll that left entries for a later run (``complete`` false, by
        ``--max-articles``) keeps them off for the same reason."""
        source: Source = response.meta["source"]
        held: dict[str, str | None] = {
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
        }
        now: dict[str, str | None] = {"last_fetched_at": now_iso()}
        if index:  # the children's 'changed since' mark moves with the validators
            held.update(now)
            now = {}
        if pages and complete:
            self.await_pages(source, pages, held)
        if pages or not complete:
            now.update(dict.fromkeys(("etag", "last_modified")))
        else:
            now.update(held)
        self.save_feed_state(
            source.config.url,
            title=title,
            **now,
            last_status=response.status,
            last_error=None,
            consecutive_failures=0,
            entries_seen=entries,
            last_new_entries=new,
            next_due_at=iso_after(self.healthy_interval(source, ttl, new=new)),
            disabled=0,
            **({"last_new_at": now_iso()} if new else {}),
        )

    def await_pages(self, source: Source, pages: int, fields: dict[str, str | None]) -> None:
        """Hold a poll's ``fields`` until its ``pages`` are done (see :meth:`page_settled`)."""
        self.awaited[source.config.name] = AwaitedPoll(source.config.url, pages, fields)

    def page_settled(self, source_name: str | None, stored: bool, more: int = 0) -> None:
        """A page of an awaited poll was stored, or failed for now (``stored`` false); a child
        sitemap that was read brings ``more`` pages of its own (see :func:`settle`)."""
        done = settle(self.awaited, source_name, stored, more)
        if done is not None:
            self.store.update_feed(done.url, **done.fields)

    def page_failed(self, source_name: str | None, message: str) -> None:
        """A page not stored this run (not fetched, not extracted, not written): counted, said
        in one line, and its poll left unsettled, so the next run fetches it again."""
        self.page_settled(source_name, stored=False)
        self.crawler.stats.inc_value("newsmon/articles_failed")
        log.warning("%s: next run", message)

    def follow(self, entries: list[FeedEntry], source: Source) -> Iterator[scrapy.Request]:
        """Requests for the article pages of new entries, within --max-articles."""
        for entry in entries:
            if self.max_articles and self.articles_scheduled >= self.max_articles:
                self.crawler.stats.inc_value("newsmon/articles_deferred")
                continue
            self.articles_scheduled += 1
            yield self.article_request(entry, source)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        source: Source = response.meta["source"]
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            feed = parse_feed(response.body, response.url, content_type)
        except FeedError as exc:
            self.record_failure(source, response.status, str(exc), response)
            return
        new_entries = list(self.new_entries(feed.entries))
        requests = list(self.follow(new_entries, source))
        self.record_success(
            response,
            title=feed.title,
            entries=len(feed.entries),
            new=len(new_entries),
            ttl=feed.ttl_seconds,
            pages=len(requests),
            complete=len(requests) == len(new_entries),
        )
        yield from requests

    # -- news sitemaps -------------------------------------------------------------------------

    def sitemap_body(self, response: Response) -> bytes:
        """The XML of a sitemap response, gunzipping .xml.gz files (within DOWNLOAD_MAXSIZE)."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.max_size)
            except _DecompressionMaxSizeExceeded:
                raise FeedError("sitemap larger than DOWNLOAD_MAXSIZE once decompressed") from None
            except OSError as exc:
                raise FeedError(f"broken gzip: {exc}") from None
        return body

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        source: Source = response.meta["source"]
        try:
            sitemap = parse_sitemap(self.sitemap_body(response), response.url)
        except FeedError as exc:
            self.record_failure(source, response.status, str(exc), response)
            return
        if sitemap.kind == "sitemapindex":
            # An index of sitemaps: follow the newest children (changed since our last visit
            # when the index says when they changed); their entries count for this source.
            since = source.state.get("last_fetched_at")
            children = sorted(sitemap.children, key=lambda c: c[1] or "", reverse=True)
            children = [c for c in children if not (since and c[1] and c[1] < since)]
            requests = [
                self.child_request(loc, source) for loc, _ in children[: self.sitemap_max_children]
            ]
            self.record_success(
                response, title=None, entries=len(sitemap.children), new=0,
                pages=len(requests), index=True,
            )  # fmt: skip
            yield from requests
            return
        new_entries = list(self.new_entries(sitemap.entries))
        requests = list(self.follow(new_entries, source))
        self.record_success(
            response,
            title=None,
            entries=len(sitemap.entries),
            new=len(new_entries),
            pages=len(requests),
            complete=len(requests) == len(new_entries),
        )
        yield from requests

    def child_request(self, loc: str, source: Source) -> scrapy.Request:
        return scrapy.Request(
            loc, callback=self.parse_sitemap_child, errback=self.child_failed,
            meta={"source": source},
        )  # fmt: skip

    def parse_sitemap_child(self, response: Response) -> Iterator[scrapy.Request]:
        source: Source = response.meta["source"]
        try:
            sitemap = parse_sitemap(self.sitemap_body(response), response.url)
        except FeedError as exc:
            log.warning("sitemap %s of %s skipped: %s", response.url, source.config.name, exc)
            self.page_settled(source.config.name, stored=False)
            return
        new_entries = list(self.new_entries(sitemap.entries))
        requests = list(self.follow(new_entries, source))
        complete = len(requests) == len(new_entries)
        self.page_settled(source.config.name, stored=complete, more=len(requests))
        yield from requests

    def child_failed(self, failure: Failure) -> None:
        _, reason, _ = describe_failure(failure)
        log.warning("sitemap %s not fetched: %s", failure.request.url, reason)
        self.page_settled(failure.request.meta["source"].config.name, stored=False)

    def new_entries(self, entries: list[FeedEntry]) -> Iterator[FeedEntry]:
        """Entries not stored under any URL form or GUID, nor already scheduled this run."""
        keyed = []
        for entry in entries:
            assert entry.link
            try:
                canonical = canonical_url(entry.link)
                key = url_key(entry.link)
            except ValueError:
                continue
            keys = [k for k in (canonical, entry.link, key, entry.guid) if k]
            keyed.append((entry, keys))
        titles = self.stored_titles([k for _, keys in keyed for k in keys])
        for entry, keys in keyed:
            if self.scheduled_keys.intersection(keys):
                continue
            stored = [titles[k] for k in keys if k in titles]
            if stored and not self._headline_changed(entry, stored):
                continue
            self.scheduled_keys.update(keys)
            yield entry

    @staticmethod
    def _headline_changed(entry: FeedEntry, stored_titles: list[str | None]) -> bool:
        """A stored article is fetched again when its feed now gives it another headline: the
        page was rewritten, and the store keeps the old headline in ``revisions``."""
        known = [t for t in stored_titles if t]
        return bool(entry.title and known and entry.title not in known)

    def feed_failed(self, failure: Failure) -> None:
        source: Source = failure.request.meta["source"]
        status, reason, response = describe_failure(failure)
        self.crawler.stats.inc_value("newsmon/feeds_polled")
        self.record_failure(source, status, reason, response)

    def record_failure(
        self, source: Source, status: int | None, reason: str, response: Response | None
    ) -> None:
        self.crawler.stats.inc_value("newsmon/feeds_failed")
        failures = int(source.state.get("consecutive_failures") or 0) + 1
        retry_after = retry_after_seconds(_header(response, "Retry-After")) if response else None
        wait = failure_interval(
            failures, source.poll_every, self.backoff_base, self.backoff_max, retry_after
        )
        gone = status == 410
        if gone:
            reason = "HTTP 410 Gone: feed disabled (remove it, or crawl --only it to retry)"
        log.warning("feed %s failed: %s", source.config.name, reason)
        self.save_feed_state(
            source.config.url,
            last_fetched_at=now_iso(),
            last_status=status,
            last_error=reason,
            consecutive_failures="+1",
            next_due_at=iso_after(wait),
            disabled=int(gone),
        )

    # -- article pages -------------------------------------------------------------------------

    def article_request(self, entry: FeedEntry, source: Source) -> scrapy.Request:
        return scrapy.Request(
            canonical_url(entry.link or ""),  # the tracker-free form; the raw link is a URL form
            callback=self.parse_article,
            errback=self.article_failed,
            meta={"entry": entry, "source": source},
        )

    def url_forms(
        self, response: Response | None, request: scrapy.Request
    ) -> list[tuple[str, str]]:
        entry: FeedEntry = request.meta["entry"]
        forms = [(entry.link, "link")]
        meta = response.meta if response is not None else request.meta
        forms += [(u, "redirect") for u in meta.get("redirect_urls", [])]
        if response is not None:
            forms.append((response.url, "redirect"))
        out = []
        for url, kind in forms:
            if url:
                out.append((url, kind))
                try:
                    out.append((canonical_url(url), kind))
                except ValueError:
                    pass
        return out

    def parse_article(self, response: Response) -> Iterator[Any]:
        entry: FeedEntry = response.meta["entry"]
        source: Source = response.meta["source"]
        forms = self.url_forms(response, response.request)
        if not isinstance(response, TextResponse):
            # A PDF or image behind a feed link: keep what the feed said about it.
            yield self.feed_only(entry, source, response.status, forms)
            return
        yield PageItem(
            url=response.url,
            body=response.body,
            content_type=_header(response, "Content-Type"),
            status=response.status,
            entry=entry,
            feed_name=source.config.name,
            outlet=source.config.outlet,
            feed_lang=source.lang,
            url_forms=forms,
        )

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        entry: FeedEntry = request.meta["entry"]
        source: Source = request.meta["source"]
        status, reason, _ = describe_failure(failure)
        if status in PERMANENT_PAGE_ERRORS:
            # The page is gone for good; the entry is all there will ever be.
            yield self.feed_only(entry, source, status, self.url_forms(None, request))
            return
        # Transient: store nothing, so the next run (entry still unseen) tries again.
        self.page_failed(source.config.name, f"article {request.url} not fetched ({reason})")

    def feed_only(
        self, entry: FeedEntry, source: Source, status: int, forms: list[tuple[str, str]]
    ) -> articles.Article:
        return articles.from_entry(
            entry=entry,
            feed_name=source.config.name,
            outlet=source.config.outlet,
            feed_lang=source.lang,
            status=status,
            url_forms=forms,
        )

    def closed(self, reason: str) -> None:
        if self.store is not None:
            self.store.close()


def _header(response: Response | None, name: str) -> str | None:
    if response is None:
        return None
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
