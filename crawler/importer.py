"""``newsmon import``: run an archive of articles through scoring, dedup and clustering.

The whole file is validated before anything is written: a bad line is reported with its number
and nothing is imported, so a user fixes the file and reruns, and a rerun of the same file stores
nothing twice (articles are keyed by canonical URL like crawled ones).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.article import Article, with_keys, word_count
from crawler.clusterer import Clusterer
from crawler.config import Config
from crawler.language import detect_language
from crawler.rescore import score_pending
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


def parse_lines(lines: Iterable[str], name: str = "input") -> list[ImportRecord]:
    records = []
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
            records.append(ImportRecord.model_validate(data))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(record)"
            message = "is required" if err["type"] == "missing" else err["msg"]
            message = message.removeprefix("Value error, ")
            raise ImportError_(f"{name}:{number}: {field}: {message}") from None
    return records


def run_import(store: Store, config: Config, records: list[ImportRecord]) -> ImportResult:
    started = time.monotonic()
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    for record in sorted(records, key=lambda r: r.published):
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
        counts[status] += 1
    score_pending(store, config)  # in batches: one FTS5 query per term, not per article
    clusterer = Clusterer(store, config)
    clusterer.process_pending()
    return ImportResult(
        read=len(records),
        new=counts["new"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        stories_new=clusterer.stories_new,
        seconds=time.monotonic() - started,
    )
