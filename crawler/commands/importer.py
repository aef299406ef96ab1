"""``newsmon import``: run an archive of articles through scoring, dedup and clustering.

The whole file is validated before anything is written: a bad line is reported with its number
and nothing is imported, so a user fixes the file and reruns, and a rerun of the same file stores
nothing twice (articles are keyed by canonical URL like crawled ones).

The file is read twice, a line at a time (validate, then store in transactions of
``STORE_CHUNK`` lines), so an archive of millions of articles never sits in memory; standard input
is spooled to a temporary file for the second pass. Clustering then takes the new articles in
publication order whatever order the file had. An import killed while storing leaves whole
chunks; a rerun stores the rest, and the next import or crawl scores and clusters everything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.analysis.clusterer import Clusterer
from crawler.analysis.rescore import score_pending
from crawler.config import Config
from crawler.extraction.article import Article, with_keys, word_count
from crawler.extraction.language import detect_language
from crawler.urls import canonical_url
from storage import Store


class ImportError_(ValueError):
    """A line of the import file is unusable; the message names it."""


class ImportRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    url: str
    title: str = Field(min_length=1)
    text: str
    published: str
    outlet: str = Field(min_length=1)
    summary: str | None = None
    author: str | None = None
    lang: str | None = None
    feed: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return canonical_url(value)  # ValueError for non-http(s)

    @field_validator("published")
    @classmethod
    def _published(cls, value: str) -> str:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class ImportResult:
    read: int
    new: int
    updated: int
    unchanged: int
    stories_new: int
    seconds: float

    def summary(self) -> str:
        return (
            f"import: {self.read} read, {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.stories_new} stories new, {self.seconds:.1f} s"
        )


STORE_CHUNK = 1000  # lines stored per transaction


def parse_lines(lines: Iterable[str], name: str = "input") -> Iterator[ImportRecord]:
    """The records of a JSON-lines file, one at a time; ImportError_ names the first bad line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportError_(f"{name}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ImportError_(f"{name}:{number}: expected a JSON object")
        try:
            record = ImportRecord.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(record)"
            message = "is required" if err["type"] == "missing" else err["msg"]
            message = message.removeprefix("Value error, ")
            raise ImportError_(f"{name}:{number}: {field}: {message}") from None
        yield record


def validate(lines: Iterable[str], name: str = "input") -> None:
    """Check every line, keeping none; ImportError_ names the first bad one."""
    for _ in parse_lines(lines, name):
        pass


def run_import(store: Store, config: Config, records: Iterable[ImportRecord]) -> ImportResult:
    """Store, score and cluster already validated records (see :func:`validate`)."""
    started = time.monotonic()
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    read = 0
    for chunk in _chunks(records, STORE_CHUNK):
        with store.db.atomic():
            for record in chunk:
                counts[_store(store, record)] += 1
        read += len(chunk)
    score_pending(store, config)  # in batches: one FTS5 query per term, not per article
    clusterer = Clusterer(store, config)
    clusterer.process_pending()
    return ImportResult(
        read=read,
        new=counts["new"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        stories_new=clusterer.stories_new,
        seconds=time.monotonic() - started,
    )


def _chunks(records: Iterable[ImportRecord], size: int) -> Iterator[list[ImportRecord]]:
    chunk: list[ImportRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _store(store: Store, record: ImportRecord) -> str:
    article = Article(
        url=record.url,
        outlet=record.outlet,
        title=record.title,
        author=record.author,
        published_at=record.published,
        lang=detect_language(record.text or record.summary, declared=record.lang),
        summary=record.summary,
        text=record.text,
        word_count=word_count(record.text),
        feed=record.feed,
        source="import",
    )
    row = article.row()
    row["first_seen_at"] = record.published
    status, _ = store.save_article(row, with_keys(record.url, []))
    return status
