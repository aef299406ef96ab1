"""Generate loopback news sites for the tests: outlets, section feeds, article pages.

Deliberately unlike the demo site (other templates, other boilerplate, randomised per seed) so the
tests check the general behaviour rather than one page layout. Each article has a known body, so a
test can check that the stored text is the body and nothing else.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from crawler.commands.demo.server import Resource

WORDS = (
    "minister officials said weapons border region strike talks allies support missiles defence "
    "government parliament army week city report statement agreement decision forces security "
    "policy leaders meeting summit range systems artillery territory question answer public plan "
    "budget court election vote economy trade energy prices market winter supply aid package"
).split()

BOILERPLATE_SNIPPETS = [
    "Subscribe now for unlimited access to our journalism",
    "Most popular this week",
    "Sign up to our daily newsletter",
    "Follow us on social media",
    "Advertisement",
    "Read more: our top stories of the day",
    "Cookies help us deliver our services",
]


@dataclass
class GenArticle:
    outlet: str
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    sections: list[str]
    author: str

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.published:%Y/%m/%d}/{self.slug}"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class GenSite:
    articles: list[GenArticle] = field(default_factory=list)
    feeds: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # name -> (path, fmt, outlet)


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def make_article(rng: random.Random, outlet: str, index: int, sections: list[str]) -> GenArticle:
    # A unique marker word per article makes every body distinguishable.
    marker = f"zq{outlet}{index}x"
    paragraphs = [
        " ".join(_sentence(rng, rng.randint(12, 22)) for _ in range(rng.randint(2, 4)))
        + f" The {marker} report continues."
        for _ in range(rng.randint(4, 7))
    ]
    return GenArticle(
        outlet=outlet,
        slug=f"story-{index}-{marker}",
        title=f"{_sentence(rng, 7)[:-1]} {marker}",
        paragraphs=paragraphs,
        published=datetime(2024, 5, 20, 8, 0, tzinfo=timezone.utc) + timedelta(hours=3 * index),
        sections=sections,
        author=f"{rng.choice(['Ann', 'Bo', 'Cy', 'Di'])} {rng.choice(['Lee', 'Ng', 'Roe', 'Sy'])}",
    )


def page_html(art: GenArticle, base: str, rng: random.Random, others: list[GenArticle]) -> str:
    e = html.escape
    noise = rng.sample(BOILERPLATE_SNIPPETS, 4)
    related = "".join(
        f'<li><a href="{base}{o.path}">{e(o.title)}</a> <span>{e(o.paragraphs[0][:90])}</span></li>'
        for o in others[:5]
    )
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in art.paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(art.title)}</title>'
        f'<link rel="canonical" href="{base}{art.path}">'
        f'<meta name="author" content="{e(art.author)}">'
        f'<meta property="article:published_time" content="{art.published.isoformat()}">'
        f"</head><body>"
        f'<div id="top-bar">{e(noise[0])} <a href="/login">Log in</a></div>'
        f'<nav class="menu"><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>'
        f' <a href="/culture">Culture</a> <a href="/weather">Weather</a></nav>'
        f'<div class="layout"><div class="content"><h1>{e(art.title)}</h1>'
        f'<div class="meta">{e(art.author)} | {art.published:%d %B %Y}</div>'
        f'<div class="article-body">{paragraphs}</div>'
        f'<div class="tags">Tags: <a href="/t/a">politics</a> <a href="/t/b">world</a></div>'
        f'<div class="promo">{e(noise[1])}</div></div>'
        f'<div class="rail"><h3>{e(noise[2])}</h3><ul>{related}</ul>'
        f'<div class="ad-slot">{e(noise[3])}</div></div></div>'
        f'<div id="comments"><h4>Reader comments</h4><p class="c">First!</p>'
        f'<p class="c">Totally disagree with this take, the author is biased.</p></div>'
        f"<footer>Copyright {art.published:%Y} {e(art.outlet)} media group. "
        f'<a href="/imprint">Imprint</a> <a href="/privacy">Privacy</a></footer>'
        f"</body></html>"
    )


def feed_xml(fmt: str, title: str, base: str, items: list[GenArticle], tracked: bool) -> str:
    e = html.escape

    def link(a: GenArticle) -> str:
        url = base + a.path
        return url + ("?utm_source=feed&amp;utm_campaign=sec&amp;fbclid=abc" if tracked else "")

    if fmt == "rss2":
        body = "".join(
            f"<item><title>{e(a.title)}</title><link>{link(a)}</link>"
            f'<guid isPermaLink="false">{a.outlet}-{a.slug}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{e(a.paragraphs[0][:120])}</description></item>"
            for a in items
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{e(title)}</title><link>{base}/</link><description>x</description>"
            f"{body}</channel></rss>"
        )
    if fmt == "atom":
        body = "".join(
            f'<entry><title>{e(a.title)}</title><link rel="alternate" href="{link(a)}"/>'
            f"<id>urn:{a.outlet}:{a.slug}</id><updated>{a.published.isoformat()}</updated>"
            f"<summary>{e(a.paragraphs[0][:120])}</summary></entry>"
            for a in items
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{e(title)}</title><id>urn:{e(title)}</id>"
            f"<updated>2024-06-01T00:00:00Z</updated>{body}</feed>"
        )
    if fmt == "rss1":
        seq = "".join(f'<rdf:li rdf:resource="{base}{a.path}"/>' for a in items)
        body = "".join(
            f'<item rdf:about="{base}{a.path}"><title>{e(a.title)}</title><link>{link(a)}</link>'
            f"<dc:date>{a.published.isoformat()}</dc:date></item>"
            for a in items
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{base}/"><title>{e(title)}</title><link>{base}/</link>'
            f"<description>x</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>"
            f"{body}</rdf:RDF>"
        )
    raise ValueError(fmt)


FORMATS = {
    "rss2": "application/rss+xml",
    "atom": "application/atom+xml",
    "rss1": "application/rdf+xml",
}


def build(
    base: str,
    outlets: dict[str, str],
    per_outlet: int = 4,
    seed: int = 7,
    tracked: bool = True,
) -> tuple[GenSite, dict[str, Resource]]:
    """A site with, per outlet, two section feeds in the outlet's format that share an article."""
    rng = random.Random(seed)
    site = GenSite()
    resources: dict[str, Resource] = {}
    for outlet, fmt in outlets.items():
        arts = [
            make_article(rng, outlet, i, ["news"] if i % 2 else ["politics", "news"])
            for i in range(per_outlet)
        ]
        site.articles += arts
        for art in arts:
            others = [o for o in arts if o is not art]
            resources[art.path] = Resource(page_html(art, base, rng, others).encode())
        for section in ("news", "politics"):
            items = [a for a in arts if section in a.sections]
            path = f"/{outlet}/{section}.{fmt}.xml"
            resources[path] = Resource(
                feed_xml(fmt, f"{outlet} {section}", base, items, tracked).encode(), FORMATS[fmt]
            )
            site.feeds[f"{outlet}-{section}"] = (path, fmt, outlet)
    return site, resources


def feeds_yaml(base: str, site: GenSite, extra: str = "") -> str:
    lines = ["# generated by tests/sitegen.py", "feeds:"]
    for name, (path, _fmt, outlet) in site.feeds.items():
        lines += [
            f"  - name: {name}",
            f"    url: {base}{path}",
            f"    outlet: {outlet}",
            "    lang: en",
        ]
    return "\n".join(lines) + "\n" + extra
