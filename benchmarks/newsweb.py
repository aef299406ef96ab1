"""A generated news web for the benchmarks: outlets on their own loopback addresses, section feeds,
article pages with the furniture real pages carry (navigation, share bars, "most read", related
links, newsletter boxes, comments, scripts, footers), and each article's true body.

    python benchmarks/newsweb.py generate DIR [--outlets 10] [--articles 600] [--page-kb 80]
    python benchmarks/newsweb.py serve DIR --port 8500        (one server per outlet address)

The server is a plain threaded HTTP server in its own process: ETag/Last-Modified with 304s, and a
``/__stats`` JSON of requests and bytes sent (``/__reset`` clears it), so a benchmark can count
what a crawl asked for.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import os
import random
import re
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WORDS = (
    "minister officials said weapons border region strike talks allies support missiles defence "
    "government parliament army week city report statement agreement decision forces security "
    "policy leaders meeting summit range systems artillery territory question answer public plan "
    "budget court election vote economy trade energy prices market winter supply aid package "
    "analysts warned spokesman confirmed according sources familiar matter earlier month capital "
    "negotiations delegation proposal response pressure commanders frontline drones launchers"
).split()
NAMES = "Kharkiv Kyiv Moscow Washington Berlin Paris London Warsaw Brussels Belgorod".split()


def outlet_host(i: int) -> str:
    return f"127.0.0.{i + 2}"


def outlet_name(i: int) -> str:
    """The outlet's host name for clients that refuse IP addresses (the peer benchmark): the
    server answers ``Host: outlet3.test`` with outlet 3's files, links rewritten to names."""
    return f"outlet{i}.test"


_IP_LINK = re.compile(r"http://127\.0\.0\.(\d+):(\d+)")


def to_names(body: bytes) -> bytes:
    return _IP_LINK.sub(
        lambda m: f"http://{outlet_name(int(m.group(1)) - 2)}:{m.group(2)}", body.decode()
    ).encode()


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), rng.choice(NAMES))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(10, 24)) for _ in range(rng.randint(2, 4)))


def furniture(rng: random.Random, outlet: str, links: list[tuple[str, str]], kb: int) -> dict:
    """Everything on a page that is not the article: a mega-menu, share bars, "most read",
    related cards, newsletter and ad slots, comments, a link-farm footer and inline scripts,
    sized to make the page about ``kb`` KB with a DOM as dense as a real news page's."""
    sections = [w.title() for w in WORDS[:24]]
    menu = "".join(
        f'<li class="menu-item"><a href="/section/{s.lower()}">{s}</a><ul class="sub">'
        + "".join(f'<li><a href="/section/{s.lower()}/{w}">{w.title()}</a></li>'
                  for w in rng.sample(WORDS, 6))
        + "</ul></li>"
        for s in sections
    )  # fmt: skip
    most_read = "".join(
        f'<li><span class="rank">{i + 1}</span><a href="{u}">{html.escape(t)}</a></li>'
        for i, (u, t) in enumerate(links[:8])
    )
    related = "".join(
        f'<div class="card"><a href="{u}"><figure><img src="/img/{i}.jpg" alt="">'
        f"<figcaption>{sentence(rng, 5)}</figcaption></figure><h3>{html.escape(t)}</h3></a>"
        f'<p class="teaser">{sentence(rng, 14)}</p><span class="time">2 hours ago</span></div>'
        for i, (u, t) in enumerate(links[8:14])
    )
    comments = "".join(
        f'<div class="comment"><div class="meta"><span class="user">reader{rng.randint(1, 999)}'
        f'</span><span class="ago">{rng.randint(1, 59)} min ago</span></div>'
        f"<p>{sentence(rng, rng.randint(6, 18))}</p>"
        '<div class="actions"><a href="#">Reply</a> <a href="#">Like</a> <a href="#">Report</a>'
        "</div></div>"
        for _ in range(rng.randint(4, 12))
    )
    footer_links = "".join(
        f'<li><a href="/{w}/{i}">{w.title()} {i}</a></li>' for i, w in enumerate(WORDS * 2)
    )
    ads = "".join(
        f'<div class="ad-slot" id="ad-{i}" data-size="300x250"><span>Advertisement</span></div>'
        for i in range(6)
    )
    base_kb = 40
    filler = max(0, kb - base_kb)
    script = "window.__STATE__=" + json.dumps(
        {"ads": [sentence(rng, 8) for _ in range(filler * 12)]}
    )
    return {
        "head": '<link rel="stylesheet" href="/static/site.css">'
        + "".join(f'<link rel="preload" href="/static/{i}.js" as="script">' for i in range(12))
        + f"<script>{script}</script>",
        "top": f'<header><div class="brand">{outlet}</div><nav class="mega"><ul>{menu}</ul></nav>'
        '<div class="promo">Subscribe now for unlimited access to our journalism</div>'
        '<div class="ticker">' + " | ".join(sentence(rng, 6) for _ in range(8)) + "</div></header>",
        "share": '<div class="share"><a href="#">Share on X</a> <a href="#">Facebook</a>'
        ' <a href="#">Email</a> <a href="#">Copy link</a></div>',
        "aside": f'<aside><h2>Most read</h2><ol>{most_read}</ol>{ads}<div class="newsletter">'
        "<h3>Sign up to our daily newsletter</h3><form><input type='email'>"
        "<button>Subscribe</button></form></div></aside>",
        "after": f'<section class="related"><h2>Related</h2>{related}</section>'
        f'<section class="comments"><h2>Reader comments</h2>{comments}</section>',
        "footer": f'<footer><ul class="sitemap">{footer_links}</ul>'
        "<p>Cookies help us deliver our services.</p><p>About us | Imprint |"
        f" Contact | Privacy</p><p>© {outlet}. All rights reserved.</p></footer>",
    }


def article_page(art: dict, outlet: str, parts: dict) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in art["paragraphs"])
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(art['title'])} | {outlet}</title>"
        f'<link rel="canonical" href="{art["url"]}"><meta property="og:url" content="{art["url"]}">'
        f'<meta property="article:published_time" content="{art["published"]}">'
        f'<meta name="author" content="{art["author"]}">{parts["head"]}</head><body>'
        f"{parts['top']}<main><article><h1>{html.escape(art['title'])}</h1>"
        f'<p class="byline">By {art["author"]}</p>{parts["share"]}'
        f'<div class="article-body">{body}</div>{parts["share"]}</article>{parts["aside"]}</main>'
        f"{parts['after']}{parts['footer']}</body></html>"
    )


def rss(title: str, base: str, items: list[dict]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(a['title'])}</title><link>{a['url']}?utm_source=rss</link>"
        f'<guid isPermaLink="false">{a["guid"]}</guid>'
        f"<pubDate>{format_datetime(datetime.fromisoformat(a['published']))}</pubDate>"
        f"<description>{html.escape(a['paragraphs'][0][:200])}</description></item>"
        for a in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>{base}/</link>{entries}</channel></rss>"
    )


def generate(
    out: Path, outlets: int, articles: int, page_kb: int, feeds_per_outlet: int, port: int,
    seed: int = 11,
) -> dict:  # fmt: skip
    rng = random.Random(seed)
    start = datetime(2024, 5, 20, tzinfo=timezone.utc)
    truth: dict[str, str] = {}
    feeds = []
    per_outlet = max(1, articles // outlets)
    for o in range(outlets):
        host = outlet_host(o)
        base = f"http://{host}:{port}"
        name = f"Outlet {o}"
        arts = []
        for i in range(per_outlet):
            published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 10))
            art = {
                "url": f"{base}/news/{published:%Y/%m/%d}/story-{o}-{i}.html",
                "guid": f"o{o}-a{i}",
                "title": sentence(rng, rng.randint(6, 12)).rstrip("."),
                "author": f"Reporter {rng.randint(1, 40)}",
                "published": published.isoformat(),
                "paragraphs": [paragraph(rng) for _ in range(rng.randint(5, 12))],
            }
            arts.append(art)
            truth[art["url"]] = "\n".join(art["paragraphs"])
        links = [(a["url"], a["title"]) for a in arts]
        root = out / host
        for art in arts:
            others = rng.sample(links, min(14, len(links)))
            path = root / art["url"].split(f":{port}/", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(article_page(art, name, furniture(rng, name, others, page_kb)))
        for f in range(feeds_per_outlet):
            # section feeds overlap: every feed lists its own share plus every 5th story
            items = [a for j, a in enumerate(arts) if j % feeds_per_outlet == f or j % 5 == 0]
            (root / f"feed{f}.xml").write_text(rss(f"{name} section {f}", base, items))
            feeds.append({"name": f"o{o}-f{f}", "url": f"{base}/feed{f}.xml", "outlet": name})
    manifest = {"port": port, "outlets": outlets, "feeds": feeds, "truth": truth}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return manifest


# Tags that name a page's original address: a copy served here must not claim it, or every copy
# of a page would be one article at the origin's URL.
_PARAGRAPH = re.compile(rb"<p\b[^>]*>", re.IGNORECASE)
_ORIGIN_TAGS = re.compile(
    rb"<link\b[^>]*\brel=[\"']?canonical\b[^>]*>|<meta\b[^>]*\bproperty=[\"']?og:url\b[^>]*>",
    re.IGNORECASE,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def generate_real(
    out: Path, pages: Path, outlets: int, articles: int, feeds_per_outlet: int, port: int,
    seed: int = 11, mark_copies: bool = False,
) -> dict:  # fmt: skip
    """A web of real article pages: the shared extraction benchmark's pages (``pages``:
    html/<key>.html.gz and ground-truth.json), each served by several outlets until there are
    about ``articles`` of them, as syndicated copy is. The pages are served byte for byte, as
    ``text/html`` with no charset (the page's own declaration decides), minus the tags that
    give their original address (canonical link, og:url); the truth is the benchmark's.
    ``mark_copies`` prefixes each copy's paragraphs with a short marker (``[2] ``), so the
    copies differ slightly, as outlets' versions of wire copy do."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 20, tzinfo=timezone.utc)
    ground = json.loads((pages / "ground-truth.json").read_text())
    keys = sorted(ground)
    copies = max(1, min(outlets, -(-articles // len(keys))))
    per_outlet: dict[int, list[dict]] = {o: [] for o in range(outlets)}
    truth: dict[str, str] = {}
    for p, key in enumerate(keys):
        page = gzip.decompress((pages / "html" / f"{key}.html.gz").read_bytes())
        page = _ORIGIN_TAGS.sub(b"", page)
        found = _TITLE.search(page)
        title = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
        body = ground[key]["articleBody"]
        for c in range(copies):
            o = (p + c) % outlets  # the copies of a page are on different outlets
            published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 10))
            art = {
                "url": f"http://{outlet_host(o)}:{port}/news/{published:%Y/%m/%d}/{key[:16]}.html",
                "guid": f"{key[:16]}-{c}",
                "title": " ".join(title.split()) or body[:60],
                "published": published.isoformat(),
                "paragraphs": [body[:200]],  # the feed's description
            }
            path = out / outlet_host(o) / art["url"].split(f":{port}/", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            marked = rb"\g<0>" + f"[{c + 1}] ".encode()  # after each <p ...>
            path.write_bytes(_PARAGRAPH.sub(marked, page) if mark_copies else page)
            per_outlet[o].append(art)
            truth[art["url"]] = body
    feeds = []
    for o, arts in per_outlet.items():
        base, name = f"http://{outlet_host(o)}:{port}", f"Outlet {o}"
        for f in range(feeds_per_outlet):
            items = [a for j, a in enumerate(arts) if j % feeds_per_outlet == f or j % 5 == 0]
            feed = rss(f"{name} section {f}", base, items)
            (out / outlet_host(o) / f"feed{f}.xml").write_text(feed)
            feeds.append({"name": f"o{o}-f{f}", "url": f"{base}/feed{f}.xml", "outlet": name})
    manifest = {"port": port, "outlets": outlets, "feeds": feeds, "truth": truth,
                "page_type": "text/html", "copies": copies, "pages": len(keys)}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest))
    return manifest


# -- serving -----------------------------------------------------------------------------------


def serve(root: Path, port: int, outlets: int) -> None:
    stats = {"requests": 0, "bytes": 0, "paths": {}}
    manifest = root / "manifest.json"
    page_type = (json.loads(manifest.read_text()) if manifest.exists() else {}).get(
        "page_type", "text/html; charset=utf-8"
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/__stats":
                return self._send(200, json.dumps(stats).encode(), "application/json", count=False)
            if path == "/__reset":
                with lock:
                    stats.update(requests=0, bytes=0, paths={})
                return self._send(200, b"ok", "text/plain", count=False)
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            host = self.server.server_address[0]
            named = re.match(r"outlet(\d+)\.test\b", self.headers.get("Host", ""))
            file = (root / host / path.lstrip("/")).resolve()
            if not str(file).startswith(str(root.resolve())) or not file.is_file():
                return self._send(404, b"not found", "text/plain")
            st = file.stat()
            etag = (
                '"' + hashlib.sha1(f"{st.st_mtime_ns}-{st.st_size}".encode()).hexdigest()[:16] + '"'
            )
            last_modified = formatdate(st.st_mtime, usegmt=True)
            headers = {"ETag": etag, "Last-Modified": last_modified}
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if inm == etag or (inm is None and ims and _not_after(ims, st.st_mtime)):
                return self._send(304, b"", None, headers)
            kind = "application/rss+xml" if file.suffix == ".xml" else page_type
            body = file.read_bytes()
            self._send(200, to_names(body) if named else body, kind, headers)

        def _send(self, status, body, kind, headers=None, count=True) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if count:
                with lock:
                    stats["requests"] += 1
                    stats["bytes"] += len(body)
                    path = self.path.split("?")[0]
                    key = (
                        "feed"
                        if path.endswith(".xml")
                        else "robots"
                        if path == "/robots.txt"
                        else "page"
                    )
                    stats["paths"][key] = stats["paths"].get(key, 0) + 1

    servers = []
    for o in range(outlets):
        httpd = ThreadingHTTPServer((outlet_host(o), port), Handler)
        httpd.daemon_threads = True
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print("serving", flush=True)
    threading.Event().wait()


def _not_after(ims: str, mtime: float) -> bool:
    try:
        return parsedate_to_datetime(ims).timestamp() >= int(mtime)
    except (TypeError, ValueError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("dir", type=Path)
    gen.add_argument("--outlets", type=int, default=10)
    gen.add_argument("--articles", type=int, default=600)
    gen.add_argument("--feeds-per-outlet", type=int, default=2)
    gen.add_argument("--page-kb", type=int, default=80)
    gen.add_argument("--port", type=int, default=8500)
    srv = sub.add_parser("serve")
    srv.add_argument("dir", type=Path)
    srv.add_argument("--port", type=int, default=8500)
    srv.add_argument("--outlets", type=int, default=10)
    args = parser.parse_args()
    if args.cmd == "generate":
        m = generate(args.dir, args.outlets, args.articles, args.page_kb, args.feeds_per_outlet,
                     args.port)  # fmt: skip
        print(f"{len(m['truth'])} articles, {len(m['feeds'])} feeds in {args.dir}")
    else:
        os.nice(0)
        serve(args.dir, args.port, args.outlets)


if __name__ == "__main__":
    main()
