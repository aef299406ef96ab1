"""Page metadata from machine-readable markup (crawler/extraction/structured.py through crawler/extraction/extract.py):
headline, publication time, author. Each page is written for the test, after a pattern seen on
real news pages (benchmarks/metadata.py measures the real ones)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from crawler.extraction.extract import extract
from crawler.extraction.structured import parse_moment, strip_site_name

URL = "https://news.example.org/2024/05/20/river-bridge"
HEADLINE = "River bridge to be rebuilt"
PARAGRAPHS = [
    "The city council voted on Tuesday to rebuild the old river bridge, ending a debate that had "
    "lasted for more than a decade and divided the two districts it connects.",
    "Engineers said the work would begin in the spring and take about three years, during which "
    "a temporary ferry will carry pedestrians and cyclists across the water.",
    "Residents who spoke at the meeting welcomed the decision but asked the council to keep the "
    "cost under control and to publish the contracts in full.",
    "The mayor said the bridge was the most important project of her term and promised monthly "
    "reports on its progress, its budget and any delays.",
]


def page(
    head: str = "",
    before: str = "",
    paragraphs: list[str] = PARAGRAPHS,
    ld: dict[str, Any] | None = None,
    h1: str = HEADLINE,
) -> str:
    """An article page: ``head`` in <head>, JSON-LD ``ld``, ``before`` above the paragraphs."""
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="en"><head><meta charset="utf-8">{head}{script}</head><body>'
        '<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>'
        f"<main><article>{f'<h1>{h1}</h1>' if h1 else ''}{before}{body}</article></main>"
        "<footer>Contact us</footer></body></html>"
    )


def graph(**article: Any) -> dict[str, Any]:
    """JSON-LD as many CMSs write it: an @graph with the site and the article."""
    node = {"@type": "NewsArticle", "url": URL, **article}
    site = {"@type": "WebSite", "name": "Example Courier", "url": "https://news.example.org/"}
    return {"@context": "https://schema.org", "@graph": [site, node]}


# --- publication time ---------------------------------------------------------------------------


def test_json_ld_in_a_graph_gives_the_time_of_day_in_utc():
    """trafilatura's date is the day only; JSON-LD datePublished has the time and offset."""
    out = extract(page(ld=graph(datePublished="2024-05-20T10:15:00+02:00")), URL)
    assert out.published_at == "2024-05-20T08:15:00+00:00"


def test_the_pages_own_article_wins_over_a_related_one_listed_first():
    related = {
        "@type": "NewsArticle",
        "url": "https://news.example.org/2024/05/25/ferry-timetable",
        "headline": "Ferry timetable",
        "datePublished": "2024-05-25T07:00:00Z",
    }
    own = {"@type": "NewsArticle", "url": URL, "datePublished": "2024-05-20T09:30:00Z"}
    out = extract(page(ld={"@context": "https://schema.org", "@graph": [related, own]}), URL)
    assert out.published_at == "2024-05-20T09:30:00+00:00"


def test_a_published_tag_later_than_the_modified_one_is_not_believed():
    """article:published_time holds the modified time here; the marked <time> has the real one."""
    head = (
        '<meta property="article:published_time" content="2024-05-21T10:00:00Z">'
        '<meta property="article:modified_time" content="2024-05-20T09:00:00Z">'
    )
    marked = '<time itemprop="datePublished" datetime="2024-05-20T08:00:00Z">20 May</time>'
    out = extract(page(head, before=marked), URL)
    assert out.published_at == "2024-05-20T08:00:00+00:00"


def test_a_time_in_the_future_is_not_believed():
    future = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    marked = '<time itemprop="datePublished" datetime="2024-05-20T08:00:00Z">20 May</time>'
    out = extract(page(ld=graph(datePublished=future), before=marked), URL)
    assert out.published_at == "2024-05-20T08:00:00+00:00"


def test_a_time_before_the_day_in_the_url_is_not_believed():
    marked = '<time itemprop="datePublished" datetime="2024-05-20T08:00:00Z">20 May</time>'
    out = extract(page(ld=graph(datePublished="2019-01-01T08:00:00Z"), before=marked), URL)
    assert out.published_at == "2024-05-20T08:00:00+00:00"


def test_microdata_and_rfc_2822_times_are_read():
    head = '<meta itemprop="datePublished" content="Mon, 20 May 2024 09:45:00 +0200">'
    assert extract(page(head), URL).published_at == "2024-05-20T07:45:00+00:00"


def test_an_unmarked_time_element_gives_the_time_of_the_day_found_elsewhere():
    """No markup names the publication time; a <time> on the day the URL gives adds the time of
    day, and one on another day (a related article) is not taken."""
    times = (
        '<time datetime="2024-05-20T08:15:00+02:00">20 May, 08:15</time>'
        '<aside><time datetime="2024-05-27T18:00:00+02:00">27 May</time></aside>'
    )
    assert extract(page(before=times), URL).published_at == "2024-05-20T06:15:00+00:00"
    other_day = '<time datetime="2024-05-27T18:00:00+02:00">27 May</time>'
    assert extract(page(before=other_day), URL).published_at == "2024-05-20"


def test_a_time_without_offset_takes_it_from_a_value_with_the_same_wall_clock():
    head = (
        '<meta property="article:published_time" content="2024-05-20 13:55:27">'
        '<meta name="date.available" content="2024-05-20 13:55:27 +01:00">'
    )
    assert extract(page(head), URL).published_at == "2024-05-20T12:55:27+00:00"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-05-20T10:15:00+0200", "2024-05-20T08:15:00+00:00"),
        ("2024-05-20 10:15:00 +02:00", "2024-05-20T08:15:00+00:00"),
        ("2024-05-20T10:15:00.123Z", "2024-05-20T10:15:00+00:00"),
        ("2024-05-20T10:15", "2024-05-20T10:15:00"),
        ("2024-05-20", "2024-05-20"),
        ("Mon, 20 May 2024 10:15:00 GMT", "2024-05-20T10:15:00+00:00"),
    ],
)
def test_time_forms(value: str, iso: str):
    moment = parse_moment(value)
    assert moment is not None and moment.iso() == iso


@pytest.mark.parametrize("value", ["", "yesterday", "2024-13-45", None, 20240520])
def test_not_a_time(value: object):
    assert parse_moment(value) is None


# --- headline -------------------------------------------------------------------------------


def test_the_sites_name_is_stripped_from_the_headline():
    head = (
        f"<title>{HEADLINE} | Example Courier</title>"
        f'<meta property="og:title" content="{HEADLINE} - Example Courier">'
        '<meta property="og:site_name" content="Example Courier">'
    )
    assert extract(page(head), URL).title == HEADLINE


@pytest.mark.parametrize(
    ("title", "names", "headline"),
    [
        ("Bridge to be rebuilt | Example Courier", ["Example Courier"], "Bridge to be rebuilt"),
        ("Bridge to be rebuilt - COURIER", ["courier", "courier.com"], "Bridge to be rebuilt"),
        ("Bridge to be rebuilt | MDR.DE", ["mdr", "mdr.de"], "Bridge to be rebuilt"),
        ("Courier: Bridge to be rebuilt", ["Courier"], "Bridge to be rebuilt"),
        ("橋を再建へ：東都新聞デジタル", ["東都新聞デジタル"], "橋を再建へ"),
        ("橋を再建へ - 東都新聞", ["東都新聞 電子版"], "橋を再建へ"),
        # a tail after the site's name goes with it
        ("Bridge | Example Courier | by Jane Doe", ["Example Courier"], "Bridge"),
        # a part that is not the site's name stays
        ("Brexit: what next for the ports", ["Example Courier"], "Brexit: what next for the ports"),
        ("Ferry - the view from the river", ["Example Courier"], "Ferry - the view from the river"),
        ("Bridge to be rebuilt | Analysis", ["Example Courier"], "Bridge to be rebuilt | Analysis"),
        # a headline that begins with the site's name is still a headline
        ("Future-dated story", ["Future"], "Future-dated story"),
        ("Future-dated story | Future", ["Future"], "Future-dated story"),
    ],
)
def test_strip_site_name(title: str, names: list[str], headline: str):
    assert strip_site_name(title, names) == headline


def test_a_headline_that_begins_with_the_outlets_name_is_kept():
    """An outlet called "Future" and the headline "Future-dated story": the page's headline was
    taken for the site's name and the feed's title stored instead."""
    out = extract(page(h1="Future-dated story"), "http://127.0.0.1:8080/p/1.html", outlet="future")
    assert out.title == "Future-dated story"


def test_the_feeds_outlet_name_is_stripped_where_the_page_names_no_site():
    head = f'<meta property="og:title" content="{HEADLINE} – Daily Planet">'
    url = "https://planet.example.com/a/1"
    assert extract(page(head, h1=""), url, outlet="Daily Planet").title == HEADLINE
    assert extract(page(head, h1=""), url).title == f"{HEADLINE} – Daily Planet"


def test_a_section_tail_the_visible_headline_lacks_is_dropped():
    head = f'<meta property="og:title" content="{HEADLINE} | Politics">'
    assert extract(page(head), URL).title == HEADLINE


def test_a_headline_cut_with_an_ellipsis_gives_way_to_the_whole_one():
    whole = "River bridge to be rebuilt after a decade of debate between the districts"
    head = '<meta property="og:title" content="River bridge to be rebuilt after a…">'
    assert extract(page(head, ld=graph(headline=whole)), URL).title == whole


def test_the_headline_line_is_not_left_in_the_text():
    out = extract(page(ld=graph(headline="River bridge to be rebuilt after decade")), URL)
    assert out.title == "River bridge to be rebuilt after decade"
    assert out.text.startswith(PARAGRAPHS[0])


# --- author ---------------------------------------------------------------------------------


def test_persons_not_the_publisher_are_the_author():
    authors = [
        {"@type": "Organization", "name": "Example Courier"},
        {"@type": "Person", "name": "Jane Doe"},
    ]
    head = '<meta property="og:site_name" content="Example Courier">'
    assert extract(page(head, ld=graph(author=authors)), URL).author == "Jane Doe"


def test_a_meta_author_that_is_the_publisher_gives_way_to_the_byline():
    head = (
        '<meta name="author" content="Example Courier">'
        '<meta property="og:site_name" content="Example Courier">'
    )
    out = extract(page(head, before='<p class="byline">By John Smith</p>'), URL)
    assert out.author == "John Smith"


def test_the_publisher_is_the_author_only_when_the_page_names_no_one_else():
    """A page whose only byline is the publisher ("By BBC News") is credited to it, as its
    readers see it; a person named anywhere in the markup wins over it."""
    head = '<meta name="author" content="news.example.org">'
    assert extract(page(head), URL).author == "news.example.org"
    person = [
        {"@type": "Organization", "name": "news.example.org"},
        {"@type": "Person", "name": "Jane Doe"},
    ]
    assert extract(page(head, ld=graph(author=person)), URL).author == "Jane Doe"


def test_a_wire_credited_as_organisation_is_kept_when_no_person_is_named():
    authors = [{"@type": "Organization", "name": "dpa"}]
    assert extract(page(ld=graph(author=authors)), URL).author == "dpa"


def test_several_persons_are_all_kept():
    authors = [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "Ola Nordmann"}]
    assert extract(page(ld=graph(author=authors)), URL).author == "Jane Doe; Ola Nordmann"


# --- when trafilatura finds no article --------------------------------------------------------


def test_metadata_survives_a_page_whose_text_is_too_short_for_an_article():
    """When the first extraction pass returned nothing, title, author and date were dropped
    with it."""
    ld = graph(
        headline=HEADLINE,
        datePublished="2024-05-20T10:15:00+02:00",
        author={"@type": "Person", "name": "Jane Doe"},
    )
    out = extract(page(ld=ld, paragraphs=["Video: the vote."]), URL)
    assert (out.title, out.author, out.published_at) == (
        HEADLINE,
        "Jane Doe",
        "2024-05-20T08:15:00+00:00",
    )


def test_an_article_precision_mode_cuts_short_is_taken_whole_where_the_page_states_its_length():
    """Precision mode keeps about 40% of this article (its second half is text in <div>s), more
    than the short-text threshold; the JSON-LD articleBody says how long it is."""
    sentence = (
        "The council met again on {} to discuss the bridge, the ferry and the budget, and "
        "members asked for more detail on the schedule, the contractors and the risks. "
    )
    first = [sentence.format(f"day {i}") * 2 for i in range(6)]
    second = [sentence.format(f"month {i}") * 2 for i in range(8)]
    divs = "".join(f"<div>{t}</div>" for t in second)
    html = page(ld=graph(articleBody=" ".join(first + second)), paragraphs=first)
    html = html.replace("</article>", divs + "</article>")
    text = extract(html, URL).text
    assert all(t.strip() in text for t in second)
