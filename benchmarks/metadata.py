"""Metadata and text on real pages of unseen publishers: newsmon against plain trafilatura.

Each page of ``../shared/benchmarks/metadata`` (133 pages of 94 publishers, 20+ languages, with
the headline, body, authors and publication time a reader sees) goes through
:func:`crawler.extraction.pages.process_page` as a crawl would take it, with a feed entry that
knows only the
link, so every value comes from the page (the feed's outlet name is the publisher's name, as a
feeds.yaml entry would give it; ``--no-outlet`` leaves it out). The same page goes through
``trafilatura.bare_extraction(..., with_metadata=True)`` with trafilatura's defaults.

Measures, per page and averaged (the data's README suggests them):

- body: bag-of-words precision, recall and F1 (``\\w+`` tokens; one token per
  character in Chinese and Japanese);
- title: equal to the page's headline after whitespace normalisation (invisible characters such
  as a zero-width space dropped);
- day: the same calendar day (in the page's own UTC offset where both values have one);
- time: within one hour, over the pages that show a time (a time of day other than 00:00:00);
- author: an expected author's surname (last word) is a word of the extracted author, case
  folded, over the pages that name an author;
- language: the ISO 639-1 code equal.

Also prints the median extraction time per page (``crawler.extraction.extract.extract`` alone and
the whole
``process_page``), measured one page at a time in this process.

    python benchmarks/metadata.py [--data ../shared/benchmarks/metadata] [--errors FIELD]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction.extract import extract  # noqa: E402
from crawler.extraction.pages import PageItem, process_page  # noqa: E402
from crawler.fetch.feeds import FeedEntry  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "metadata"
FIELDS = ("body", "title", "day", "time", "author", "lang")
TIME_TOLERANCE = timedelta(hours=1)
# Per-language rows are printed for languages with at least this many pages; the rest are pooled.
MIN_LANGUAGE_PAGES = 2

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class Result:
    """What one extractor said about one page."""

    title: str | None
    author: str | None
    published_at: str | None
    lang: str | None
    text: str


def tokens(text: str | None) -> list[str]:
    """``\\w+`` words; each Chinese or Japanese character is a word of its own."""
    out: list[str] = []
    for word in _WORD.findall(text or ""):
        if _CJK.search(word):
            out.extend(ch for ch in word)
        else:
            out.append(word)
    return out


def body_prf(truth: str, pred: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of one page."""
    t, p = Counter(tokens(truth)), Counter(tokens(pred))
    common = sum((t & p).values())
    precision = common / sum(p.values()) if p else 0.0
    recall = common / sum(t.values()) if t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _norm(text: str | None) -> str:
    """Whitespace normalised, invisible characters (zero-width space, soft hyphen) dropped."""
    return " ".join(unicodedata.normalize("NFC", text or "").translate(_INVISIBLE).split())


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None


def shows_time(expected: str) -> bool:
    """Whether the page gives a time of day (the data writes a date alone as midnight)."""
    moment = _parse(expected)
    return moment is not None and (moment.hour, moment.minute, moment.second) != (0, 0, 0)


def _as_page_sees(moment: datetime, expected: datetime) -> datetime:
    """``moment`` in the expected value's UTC offset, when both have one."""
    if moment.tzinfo is not None and expected.tzinfo is not None:
        return moment.astimezone(expected.tzinfo)
    return moment


def day_ok(expected: str, got: str | None) -> bool:
    want, have = _parse(expected), _parse(got)
    if want is None or have is None:
        return False
    return _as_page_sees(have, want).date() == want.date()


def time_ok(expected: str, got: str | None) -> bool:
    """Within an hour; with one side naive, the wall clocks are compared."""
    want, have = _parse(expected), _parse(got)
    if want is None or have is None or len((got or "").strip()) <= 10:
        return False  # a date alone does not give the time
    if (want.tzinfo is None) != (have.tzinfo is None):
        want, have = want.replace(tzinfo=None), have.replace(tzinfo=None)
    return abs(want - have) <= TIME_TOLERANCE


def author_ok(expected: list[str], got: str | None) -> bool:
    """Case-folded: "dpa" is found in "Dpa", "viktor hedlund" in "Viktor Hedlund"."""
    got = (got or "").casefold()
    words = set(tokens(got))
    for name in expected:
        parts = tokens(name.casefold())
        if parts and parts[-1] in words:
            return True
        # a name in an unspaced script is one run of characters: all of it must be there
        if parts and _CJK.search(name) and "".join(parts) in "".join(tokens(got)):
            return True
    return False


def score(page: dict, result: Result) -> dict[str, float | None]:
    """Each measure of one page; None where it does not apply."""
    return {
        "body": body_prf(page["body"], result.text)[2],
        "title": float(_norm(result.title) == _norm(page["title"])),
        "day": float(day_ok(page["publishing_date"], result.published_at)),
        "time": (
            float(time_ok(page["publishing_date"], result.published_at))
            if shows_time(page["publishing_date"])
            else None
        ),
        "author": float(author_ok(page["authors"], result.author)) if page["authors"] else None,
        "lang": float((result.lang or "").split("-")[0].lower() == page["language"]),
    }


def newsmon(page: dict, outlet: bool) -> tuple[Result, float, float]:
    """newsmon's values for one page, and the milliseconds of extract() and process_page()."""
    start = time.perf_counter()
    extract(page["html"], page["url"])
    extract_ms = (time.perf_counter() - start) * 1000
    item = PageItem(
        url=page["url"],
        body=page["html"].encode("utf-8"),
        content_type="text/html; charset=utf-8",
        status=200,
        entry=FeedEntry(link=page["url"], guid=None),
        feed_name="benchmark",
        outlet=page["publisher_name"] if outlet else None,
        feed_lang=None,
        url_forms=[],
    )
    start = time.perf_counter()
    article = process_page(item, None)
    page_ms = (time.perf_counter() - start) * 1000
    result = Result(article.title, article.author, article.published_at, article.lang, article.text)
    return result, extract_ms, page_ms


def trafilatura_plain(page: dict) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(page["html"], url=page["url"], with_metadata=True)
    if doc is None:
        return Result(None, None, None, None, "")
    return Result(doc.title, doc.author, doc.date, doc.language, doc.text or "")


def load(data: Path) -> list[dict]:
    path = data / "pages.jsonl.gz"
    if not path.exists():
        sys.exit(
            f"no metadata benchmark at {path}\n"
            "It is the shared data set of 133 real news pages (../shared/benchmarks/metadata/"
            "pages.jsonl.gz beside the repository, with its README); put it there or pass "
            "--data DIR."
        )
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _mean(values: list[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (sum(present) / len(present) if present else None, len(present))


def _cell(value: float | None) -> str:
    return "    -" if value is None else f"{value:.3f}"


def table(pages: list[dict], scores: dict[str, list[dict[str, float | None]]]) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    groups["all"] = list(range(len(pages)))
    counts = Counter(p["language"] for p in pages)
    for i, page in enumerate(pages):
        lang = page["language"]
        groups[lang if counts[lang] >= MIN_LANGUAGE_PAGES else "other"].append(i)
    order = ["all"] + sorted((g for g in groups if g != "all"), key=lambda g: -len(groups[g]))
    print(f"{'group':<8}{'pages':>6}  {'extractor':<12}" + "".join(f"{f:>8}" for f in FIELDS))
    for group in order:
        idx = groups[group]
        for name, per_page in scores.items():
            cells = "".join(f"{_cell(_mean([per_page[i][f] for i in idx])[0]):>8}" for f in FIELDS)
            print(f"{group:<8}{len(idx):>6}  {name:<12}{cells}")
    n = {f: _mean([s[f] for s in scores["newsmon"]])[1] for f in FIELDS}
    print("pages scored per measure: " + ", ".join(f"{f} {n[f]}" for f in FIELDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-outlet", action="store_true", help="feed without an outlet name")
    parser.add_argument(
        "--errors", choices=FIELDS, action="append", default=[], help="list newsmon's misses"
    )
    args = parser.parse_args()
    pages = load(args.data)
    extract("<html><body><p>warm up</p></body></html>")  # imports out of the timings
    ours, plain, extract_ms, page_ms = [], [], [], []
    for page in pages:
        result, e_ms, p_ms = newsmon(page, outlet=not args.no_outlet)
        ours.append(result)
        extract_ms.append(e_ms)
        page_ms.append(p_ms)
        plain.append(trafilatura_plain(page))
    scores = {
        "newsmon": [score(p, r) for p, r in zip(pages, ours, strict=True)],
        "trafilatura": [score(p, r) for p, r in zip(pages, plain, strict=True)],
    }
    for plain_scores in scores["trafilatura"]:
        # trafilatura gives a date alone (no time to score) and no language unless asked to
        # filter by one
        plain_scores["time"] = plain_scores["lang"] = None
    print(f"{len(pages)} pages of {len({p['publisher'] for p in pages})} publishers, {args.data}")
    table(pages, scores)
    print(
        f"median per page: extract {statistics.median(extract_ms):.1f} ms, "
        f"process_page {statistics.median(page_ms):.1f} ms "
        f"(mean {statistics.fmean(extract_ms):.1f} / {statistics.fmean(page_ms):.1f} ms)"
    )
    for field in args.errors:
        print(f"\nnewsmon misses: {field}")
        for page, result, s in zip(pages, ours, scores["newsmon"], strict=True):
            value = s[field]
            if value is None or value >= (0.9 if field == "body" else 1.0):
                continue
            got = {
                "body": f"{value:.2f} P/R {body_prf(page['body'], result.text)[:2]}",
                "title": f"{result.title!r} want {page['title']!r}",
                "day": f"{result.published_at} want {page['publishing_date']}",
                "time": f"{result.published_at} want {page['publishing_date']}",
                "author": f"{result.author!r} want {page['authors']}",
                "lang": f"{result.lang} want {page['language']}",
            }[field]
            print(f"  {page['publisher']:<20} {got}  {page['url'][:90]}")


if __name__ == "__main__":
    main()
