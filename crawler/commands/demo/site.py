"""Build the demo news web: article pages wrapped in real-looking boilerplate, and their feeds.

The pages carry what real news pages carry around an article (navigation, cookie banner, "most
read" box, newsletter sign-up, related links, comments, footer) so the demo shows extraction
keeping the article and dropping the rest. The feeds come in the three families newsmon reads
(RSS 2.0, Atom, RSS 1.0) and include the usual mess: tracking parameters on links and one story
listed in two section feeds.
"""

from __future__ import annotations

import html
from datetime import datetime
from email.utils import format_datetime
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from crawler.commands.demo.server import Resource


def load_demo_data() -> dict[str, Any]:
    text = (
        resources.files("crawler.commands.demo")
        .joinpath("articles.yaml")
        .read_text(encoding="utf-8")
    )
    return YAML(typ="safe").load(text)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def article_page(base: str, outlet: dict[str, Any], art: dict[str, Any], others: list[dict]) -> str:
    url = f"{base}/{outlet['key']}/{art['section']}/{art['slug']}.html"
    paragraphs = "\n".join(f"      <p>{_e(p)}</p>" for p in art["paragraphs"])
    most_read = "\n".join(
        f'        <li><a href="{base}/{outlet["key"]}/{o["section"]}/{o["slug"]}.html">'
        f"{_e(o['title'])}</a></li>"
        for o in others[:4]
    )
    return f"""<!DOCTYPE html>
<html lang="{outlet["lang"]}">
<head>
  <meta charset="utf-8">
  <title>{_e(art["title"])} | {_e(outlet["name"])}</title>
  <link rel="canonical" href="{url}">
  <meta property="og:url" content="{url}">
  <meta property="og:title" content="{_e(art["title"])}">
  <meta property="og:site_name" content="{_e(outlet["name"])}">
  <meta name="author" content="{_e(art["author"])}">
  <meta property="article:published_time" content="{art["published"]}">
  <meta name="description" content="{_e(art["paragraphs"][0][:160])}">
</head>
<body>
  <div class="cookie-banner">We use cookies to improve your experience.
    <button>Accept all</button> <a href="/privacy">Manage preferences</a></div>
  <header class="site-header">
    <a class="logo" href="{base}/{outlet["key"]}/">{_e(outlet["name"])}</a>
    <nav><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
      <li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li>
      <li><a href="/opinion">Opinion</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
  </header>
  <main>
    <article>
      <h1>{_e(art["title"])}</h1>
      <p class="byline">By <span class="author">{_e(art["author"])}</span>,
        <time datetime="{art["published"]}">{art["published"][:10]}</time></p>
{paragraphs}
    </article>
    <section class="share"><a href="#">Share on X</a> <a href="#">Share on Facebook</a>
      <a href="#">Copy link</a></section>
    <aside class="newsletter"><h3>Get the morning briefing</h3>
      <p>Sign up for our newsletter and never miss the stories that matter.</p>
      <form><input type="email" placeholder="Your email"><button>Sign up</button></form></aside>
    <section class="comments" id="comments"><h3>Comments (3)</h3>
      <div class="comment"><b>reader1984</b><p>Finally! Should have happened months ago.</p></div>
      <div class="comment"><b>skeptic_joe</b><p>Escalation is never the answer.</p></div>
      <div class="comment"><b>anna_k</b><p>Great reporting as always, thank you.</p></div>
    </section>
  </main>
  <aside class="sidebar">
    <h2>Most read</h2>
    <ol>
{most_read}
    </ol>
    <div class="ad">Advertisement</div>
  </aside>
  <footer><p>&copy; 2024 {_e(outlet["name"])}. All rights reserved.</p>
    <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
      <li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms of use</a></li></ul>
  </footer>
</body>
</html>
"""


def _rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


def guid(outlet: dict, art: dict) -> str:
    """An entry's GUID, the same whatever port the demo is served on: a rerun on another port
    (8642 was busy) finds its articles stored under it and fetches and stores none again."""
    return f"tag:{outlet['key']}.example,2024:{art['slug']}"


def rss2(base: str, outlet: dict, feed: dict, items: list[dict]) -> str:
    entries = []
    for art in items:
        link = f"{base}/{outlet['key']}/{art['section']}/{art['slug']}.html"
        # Feeds often decorate links with analytics parameters; newsmon must fold them.
        tracked = f"{link}?utm_source=rss&amp;utm_medium={feed['name']}"
        entries.append(f"""    <item>
      <title>{_e(art["title"])}</title>
      <link>{tracked}</link>
      <guid isPermaLink="false">{guid(outlet, art)}</guid>
      <pubDate>{_rfc822(art["published"])}</pubDate>
      <author>{_e(art["author"])}</author>
      <description>{_e(art["paragraphs"][0])}</description>
    </item>""")
    body = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{_e(outlet["name"])}: {_e(", ".join(feed["sections"]))}</title>
    <link>{base}/{outlet["key"]}/</link>
    <description>Latest from {_e(outlet["name"])}</description>
    <language>{outlet["lang"]}</language>
{body}
  </channel>
</rss>
"""


def atom(base: str, outlet: dict, feed: dict, items: list[dict]) -> str:
    entries = []
    for art in items:
        link = f"{base}/{outlet['key']}/{art['section']}/{art['slug']}.html"
        entries.append(f"""  <entry>
    <title>{_e(art["title"])}</title>
    <link rel="alternate" type="text/html" href="{link}"/>
    <id>{guid(outlet, art)}</id>
    <published>{art["published"]}</published>
    <updated>{art["published"]}</updated>
    <author><name>{_e(art["author"])}</name></author>
    <summary>{_e(art["paragraphs"][0])}</summary>
  </entry>""")
    newest = max(a["published"] for a in items)
    body = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet["lang"]}">
  <title>{_e(outlet["name"])}</title>
  <id>{base}/{outlet["key"]}/</id>
  <link rel="self" href="{base}{feed["path"]}"/>
  <updated>{newest}</updated>
{body}
</feed>
"""


def rss1(base: str, outlet: dict, feed: dict, items: list[dict]) -> str:
    links = [f"{base}/{outlet['key']}/{a['section']}/{a['slug']}.html" for a in items]
    seq = "\n".join(f'        <rdf:li rdf:resource="{guid(outlet, a)}"/>' for a in items)
    entries = "\n".join(
        f"""  <item rdf:about="{guid(outlet, a)}">
    <title>{_e(a["title"])}</title>
    <link>{u}</link>
    <description>{_e(a["paragraphs"][0])}</description>
    <dc:date>{a["published"]}</dc:date>
    <dc:creator>{_e(a["author"])}</dc:creator>
  </item>"""
        for u, a in zip(links, items, strict=True)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{base}{feed["path"]}">
    <title>{_e(outlet["name"])}</title>
    <link>{base}/{outlet["key"]}/</link>
    <description>{_e(outlet["name"])}</description>
    <items><rdf:Seq>
{seq}
    </rdf:Seq></items>
  </channel>
{entries}
</rdf:RDF>
"""


FEED_WRITERS = {
    "rss2": (rss2, "application/rss+xml; charset=utf-8"),
    "atom": (atom, "application/atom+xml; charset=utf-8"),
    "rss1": (rss1, "application/rdf+xml; charset=utf-8"),
}


def build_site(base: str, data: dict[str, Any] | None = None) -> dict[str, Resource]:
    """Every path of the demo web, for a server reachable at ``base``."""
    data = data or load_demo_data()
    site: dict[str, Resource] = {}
    for outlet in data["outlets"]:
        arts = [a for a in data["articles"] if a["outlet"] == outlet["key"]]
        for art in arts:
            others = [o for o in arts if o is not art]
            path = f"/{outlet['key']}/{art['section']}/{art['slug']}.html"
            site[path] = Resource(article_page(base, outlet, art, others).encode("utf-8"))
        for feed in outlet["feeds"]:
            items = [a for a in arts if a["section"] in feed["sections"]]
            items.sort(key=lambda a: a["published"], reverse=True)
            writer, content_type = FEED_WRITERS[feed["format"]]
            site[feed["path"]] = Resource(
                writer(base, outlet, feed, items).encode("utf-8"), content_type
            )
    return site


def demo_feeds_yaml(base: str, data: dict[str, Any] | None = None) -> str:
    data = data or load_demo_data()
    lines = ["# feeds of the bundled demo site (newsmon demo), served on 127.0.0.1", "feeds:"]
    for outlet in data["outlets"]:
        for feed in outlet["feeds"]:
            lines += [
                f"  - name: {feed['name']}",
                f"    url: {base}{feed['path']}",
                f"    outlet: {outlet['name']}",
                f"    lang: {outlet['lang']}",
            ]
    return "\n".join(lines) + "\n"
