"""Article HTML -> main text and metadata, with trafilatura doing the work.

Pure and picklable (module-level function, plain dataclass out) so the pipeline can run it in a
process pool: extraction is the CPU-bound part of a crawl. trafilatura is imported on first use:
the crawl's main process imports this module for :class:`Extracted` and never extracts, and the
import costs it about 0.1 s at every start (the extraction workers have it preloaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.extraction import structured
from crawler.extraction.language import language_code

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
# Precision mode also cuts some long articles short (a few hundred of 900+ words), above
# SHORT_TEXT. Where the page's JSON-LD states the article's length (``articleBody``,
# ``wordCount``) and it is STATED_RATIO times the text's or more, the default mode runs too and
# the text nearer the stated length is kept. Stated lengths under the minimums are teasers.
STATED_RATIO = 1.15
STATED_MIN_CHARS = 1000
STATED_MIN_WORDS = 150


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


def _page_lang(tree: lxml_html.HtmlElement) -> str | None:
    """The language the page declares (``<html lang>``, og:locale, content-language), the first
    valid ISO 639-1 code among them."""
    candidates = tree.xpath(
        "/html/@lang | /html/@xml:lang | //meta[@property='og:locale']/@content"
        " | //meta[translate(@http-equiv,'CONTENTLANGUAGE','contentlanguage')"
        "='content-language']/@content"
    )
    for value in candidates:
        code = language_code(str(value))
        if code:
            return code
    return None


def _canonical(tree: lxml_html.HtmlElement) -> str | None:
    for value in tree.xpath(
        "//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href"
        " | //meta[@property='og:url']/@content"
    ):
        value = str(value).strip()
        if value:
            return value
    return None


def _stated_size(article: dict[str, Any] | None) -> tuple[int, int]:
    """The article's length as its JSON-LD states it: (characters of ``articleBody``, words of
    ``wordCount``); 0 where not given."""
    if article is None:
        return 0, 0
    body = article.get("articleBody")
    chars = len(" ".join(body.split())) if isinstance(body, str) else 0
    try:
        words = int(str(article.get("wordCount") or 0).strip() or 0)
    except ValueError:
        words = 0
    return chars, words


def _cut_short(text: str, stated: tuple[int, int]) -> bool:
    """Whether the page says its article is clearly longer than ``text``."""
    chars, words = stated
    length = len(" ".join(text.split()))
    if chars >= STATED_MIN_CHARS and chars >= STATED_RATIO * length:
        return True
    return words >= STATED_MIN_WORDS and words >= STATED_RATIO * len(text.split())


def _closer(first: str, second: str, stated: tuple[int, int]) -> bool:
    """Whether ``second`` is nearer the stated length than ``first`` (and longer)."""
    chars, words = stated
    if len(second) <= len(first):
        return False
    if chars:
        a, b = len(" ".join(first.split())), len(" ".join(second.split()))
        return abs(b - chars) < abs(a - chars)
    a, b = len(first.split()), len(second.split())
    return abs(b - words) < abs(a - words)


def extract(page: str | bytes, url: str | None = None, outlet: str | None = None) -> Extracted:
    """Main text and metadata of one article page; empty text when nothing article-like is found.

    ``outlet`` is the publisher's name where the caller knows it (the feed's outlet): one more
    name to strip from headlines and to refuse as an author."""
    import trafilatura
    from trafilatura.utils import load_html

    # trafilatura's loader guesses the charset of undeclared bytes better than lxml does.
    tree = load_html(page) if page else None
    if tree is None:
        return Extracted()
    # Read the markup before trafilatura, which prunes the tree it is given.
    lang, canonical = _page_lang(tree), _canonical(tree)
    blocks = structured.json_ld(tree)
    article = structured.main_article(blocks, url)
    meta = structured.read(tree, url, blocks=blocks, article=article)
    stated_size = _stated_size(article)
    names = meta.site_names + ([outlet] if outlet else [])
    # trafilatura looks for a byline in the page when the meta author is the publisher itself;
    # read before extraction, in the order trafilatura's own with_metadata=True reads it
    found = trafilatura_metadata(tree, url, _blacklist(names))
    doc = trafilatura.bare_extraction(
        tree, url=url or found.url, with_metadata=False, **TRAFILATURA_OPTIONS
    )
    text = (doc.text or "") if doc is not None else ""
    short = len(text) < SHORT_TEXT
    if short or doc is None or _cut_short(text, stated_size):
        second = _default_mode(page, url or found.url)
        second_text = (second.text or "") if second is not None else ""
        if short and len(second_text) >= SECOND_OPINION_RATIO * max(len(text), 1):
            text = second_text
        elif not short and _closer(text, second_text, stated_size):
            text = second_text
    title = structured.best_headline(meta.headlines + [found.title or ""], names)
    moment = structured.publication(meta.stated, meta.unmarked, url, found.date or None)
    return Extracted(
        title=title,
        author=_author(meta, found.author, names),
        published_at=moment.iso() if moment is not None else None,
        lang=lang,
        canonical_url=canonical,
        sitename=found.sitename or next(iter(meta.site_names), None) or None,
        description=(found.description or meta.description) or None,
        text=_drop_title(text, title, *meta.headlines, found.title),
    )


def trafilatura_metadata(
    tree: lxml_html.HtmlElement, url: str | None, author_blacklist: set[str]
) -> Any:
    """trafilatura's ``extract_metadata`` without the categories, tags, licence and host name,
    which newsmon does not keep: the first three search every link of the page, 3-4 ms of a
    page's ~20 ms (the shared extraction benchmark's pages and the crawl benchmark's generated
    ones). Same steps, same order, same functions otherwise; ``tests/test_extract.py`` compares
    the two."""
    from trafilatura import metadata as tm
    from trafilatura.settings import set_date_params

    found = tm.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    try:
        found = tm.extract_meta_json(tree, found)
    except Exception:  # as trafilatura does: bugs in its JSON-LD reading cost only that
        pass
    if not found.title:
        found.title = tm.extract_title(tree)
    if found.author and author_blacklist:
        found.author = tm.check_authors(found.author, author_blacklist)
    if not found.author:
        found.author = tm.extract_author(tree)
    if found.author and author_blacklist:
        found.author = tm.check_authors(found.author, author_blacklist)
    if not found.url:
        found.url = tm.extract_url(tree, url)
    date_params = set_date_params(True)  # trafilatura's default: EXTENSIVE_DATE_SEARCH = on
    date_params["url"] = found.url
    found.date = tm.find_date(tree, **date_params)
    if not found.sitename:
        found.sitename = tm.extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")
        if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
            found.sitename = found.sitename.title()
    elif found.url:
        domain = tm.META_URL.match(found.url)
        if domain:
            found.sitename = domain[1]
    found.clean_and_trim()
    return found


def _author(meta: structured.PageMeta, found: str | None, names: list[str]) -> str | None:
    """Who wrote it: the persons the markup names, else trafilatura's byline, else a named
    organisation (a wire such as dpa), each without URLs. The publisher itself comes last: a
    page that names no one else as its author ("By BBC News") is credited to the publisher, as
    its readers see it, but a person's byline on the same page wins over it."""
    from trafilatura.json_metadata import normalize_authors

    publisher: str | None = None
    for group in (meta.persons, (found or "").split("; "), meta.organisations):
        kept: list[str] = []
        for name in group:
            if not name or name.lower().startswith(("http://", "https://", "www.")):
                continue
            normal = normalize_authors(None, name) or ""
            for part in normal.split("; "):
                part = _as_written(part.strip(), name)
                if not part or part in kept:
                    continue
                if structured.names_publisher(part, names):
                    publisher = publisher or " ".join(name.split())  # as the page writes it
                else:
                    kept.append(part)
        if kept:
            return "; ".join(kept)
    return publisher


def _as_written(part: str, name: str) -> str:
    """trafilatura's normaliser title-cases a lower-case name ("dpa" -> "Dpa"): where the name
    is written so in the page, keep it as written."""
    at = name.casefold().find(part.casefold())
    return name[at : at + len(part)] if at >= 0 and part else part


def _blacklist(names: list[str]) -> set[str]:
    """The publisher's names as trafilatura compares authors: as given and as its normaliser
    writes them ("mdr.de" -> "Mdr De")."""
    from trafilatura.json_metadata import normalize_authors

    out = set(names)
    for name in names:
        out.update((normalize_authors(None, name) or "").split("; "))
    out.discard("")
    return out


def _default_mode(page: str | bytes, url: str | None) -> Any:
    """trafilatura's default (balanced) settings with its fallback extractors, on a fresh tree."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(page)
    if tree is None:
        return None
    options = {**TRAFILATURA_OPTIONS, "favor_precision": False, "fast": False}
    return trafilatura.bare_extraction(tree, url=url, with_metadata=False, **options)


def _drop_title(text: str, *titles: str | None) -> str:
    """trafilatura keeps an in-article <h1> as the first line; the title has its own column (the
    line goes when it is any of the page's headlines: the <h1> may differ from the title)."""
    text = text.strip()
    first, _, rest = text.partition("\n")
    first_key = " ".join(first.split()).casefold()
    for title in titles:
        if title and first_key == " ".join(title.split()).casefold():
            return rest.strip()
    return text
