from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import sitegen

from crawler.extraction.extract import Extracted, extract

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "extraction"


def test_generated_page_body_without_boilerplate():
    rng = random.Random(3)
    arts = [sitegen.make_article(rng, "o", i, ["news"]) for i in range(4)]
    page = sitegen.page_html(arts[0], "http://127.0.0.1:1", rng, arts[1:])
    out = extract(page, "http://127.0.0.1:1" + arts[0].path)
    assert out.title == arts[0].title and out.author == arts[0].author
    assert out.published_at == arts[0].published.isoformat()
    assert out.canonical_url == "http://127.0.0.1:1" + arts[0].path and out.lang == "en"
    assert [p for p in out.text.split("\n") if p] == arts[0].paragraphs


def test_charset_declared_only_in_meta_is_honoured():
    body = "Збройні сили України отримали дозвіл завдавати ударів по території Росії. " * 6
    page = (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        f"<title>Дозвіл</title></head><body><article><h1>Дозвіл</h1><p>{body}</p>"
        f"<p>{body}</p></article></body></html>"
    ).encode("cp1251")
    out = extract(page)
    assert "Збройні сили України" in out.text


@pytest.mark.parametrize("page", [b"", b"<html></html>", b"\x00\x01\x02", "<p>just a fragment</p>"])
def test_nothing_to_extract_is_empty_not_an_error(page):
    """Three words are no article: nothing is extracted, and nothing is made up."""
    assert extract(page) == Extracted()


@pytest.mark.skipif(not BENCH.exists(), reason="shared extraction benchmark not present")
def test_real_pages_quality_floor():
    """A regression guard on 30 real pages; benchmarks/extraction.py measures all 181."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from extraction import match

    truth = json.loads((BENCH / "ground-truth.json").read_text())
    keys = sorted(truth)[::6]
    tp = fp = fn = 0.0
    for key in keys:
        page = gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes())
        a, b, c = match(truth[key]["articleBody"], extract(page).text)
        tp, fp, fn = tp + a, fp + b, fn + c
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision > 0.9 and recall > 0.9, (precision, recall)


@pytest.mark.skipif(
    not BENCH.exists(), reason="the extraction benchmark is not beside the repository"
)
def test_a_fragment_from_precision_mode_gets_a_second_opinion():
    """barrons.com: precision mode keeps only the reprint notice; the default mode's body wins."""
    truth = json.loads((BENCH / "ground-truth.json").read_text())
    key = next(k for k, v in truth.items() if "home-depot-stock-earnings" in v["url"])
    page = gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes())
    text = extract(page, truth[key]["url"]).text
    assert len(text) > 2000
    assert "cut full-year sales growth guidance" in text


METADATA_FIELDS = ("title", "author", "url", "date", "sitename", "description")


def _trafilatura_pages() -> list[tuple[str | None, bytes]]:
    rng = random.Random(5)
    arts = [sitegen.make_article(rng, "o", i, ["news"]) for i in range(3)]
    pages = [(None, sitegen.page_html(arts[0], "http://127.0.0.1:1", rng, arts[1:]).encode())]
    if BENCH.exists():
        truth = json.loads((BENCH / "ground-truth.json").read_text())
        for key in sorted(truth)[::9]:
            page = gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes())
            pages.append((truth[key]["url"], page))
    return pages


def test_trimmed_metadata_is_trafilaturas_own():
    """trafilatura_metadata skips only what newsmon discards (categories, tags, licence, host
    name): every field kept is what trafilatura's extract_metadata gives, with the same author
    blacklist. Fails when a trafilatura release changes its metadata steps."""
    from trafilatura.metadata import extract_metadata
    from trafilatura.settings import set_date_params
    from trafilatura.utils import load_html

    from crawler.extraction.extract import trafilatura_metadata

    pages = _trafilatura_pages()
    compared = 0
    for url, page in pages:
        blacklist = {"Reuters", "Outlet"}
        ours = trafilatura_metadata(load_html(page), url, blacklist)
        theirs = extract_metadata(load_html(page), url, set_date_params(True), True, blacklist)
        for name in METADATA_FIELDS:
            assert getattr(ours, name) == getattr(theirs, name), (url, name)
        compared += 1
    assert compared == len(pages) and (compared > 20 or not BENCH.exists())
