"""``newsmon demo``: serve the bundled sample news web on 127.0.0.1 and crawl it.

A newcomer with no network sees the whole path work (feeds, conditional GET, extraction, storage)
on a real HTTP server and a real database, in one command.
"""

from __future__ import annotations

import io
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from ruamel.yaml import YAML

from crawler.commands.demo.server import SiteServer
from crawler.commands.demo.site import build_site, demo_feeds_yaml, load_demo_data
from crawler.config import load_config

# Tried first, so the demo's URLs are the ones the docs show (``feeds add http://127.0.0.1:8642/...``).
# Any other port stores nothing twice either: the feeds' GUIDs do not contain it (site.guid).
DEFAULT_PORT = 8642


class _Stopped(Exception):
    """SIGTERM (``kill PID``) while ``--keep-serving``: stop serving as Ctrl-C does."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def _serve_until_stopped() -> None:
    """Block until Ctrl-C or SIGTERM, the two ways a user stops a server; either is a normal
    end, so the demo's exit status stays the crawl's."""
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _server(port: int) -> SiteServer:
    if port:
        return SiteServer(port=port)
    try:
        return SiteServer(port=DEFAULT_PORT)
    except OSError:
        return SiteServer(port=0)  # the usual port is taken; any free one will do


def _topics_yaml(feeds: Path | None) -> str:
    """The topics (and defaults) of the user's feeds.yaml, so the demo scores what they follow."""
    from crawler.commands.crawl import check_topics

    if feeds is None or not feeds.exists():
        return ""
    config = load_config(feeds)
    if not config.topics:
        return ""
    check_topics(config, feeds)  # a bad query named in the user's file, not the demo's copy
    data = {
        "defaults": {"relevance_lead_words": config.defaults.relevance_lead_words},
        "topics": [t.model_dump() for t in config.topics],
    }
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def run_demo(
    db: Path,
    port: int = 0,
    verbosity: int = 0,
    keep_serving: bool = False,
    feeds: Path | None = None,
) -> int:
    from crawler.commands.crawl import CrawlOptions, run_crawl
    from storage import Store

    with _server(port) as server, tempfile.TemporaryDirectory() as tmp:
        server.resources.update(build_site(server.base_url))
        demo_feeds = Path(tmp) / "demo-feeds.yaml"
        demo_feeds.write_text(
            demo_feeds_yaml(server.base_url) + _topics_yaml(feeds), encoding="utf-8"
        )
        if verbosity >= 0:
            print(f"demo site serving on {server.base_url}; crawling into {db}", flush=True)
        result = run_crawl(
            CrawlOptions(
                db=db,
                feeds=demo_feeds,
                only=[],
                poll_all=True,
                verbosity=verbosity,
                overrides={"AUTOTHROTTLE_START_DELAY": 0.1},
            )
        )
        print(result.summary(), flush=True)
        if result.error:
            print(f"newsmon: error: {result.error}", file=sys.stderr)
        if verbosity >= 0:
            # by feed, not by URL: articles a run on another port stored keep that port's URLs
            names = [f["name"] for o in load_demo_data()["outlets"] for f in o["feeds"]]
            with Store(db) as store:
                rows = store.db.execute(
                    "SELECT outlet, lang, word_count, relevant, title FROM articles"
                    f" WHERE feed IN ({', '.join('?' * len(names))}) ORDER BY published_at",
                    names,
                ).fetchall()
            print(f"{len(rows)} demo articles in {db} (* = relevant to a topic):")
            for outlet, lang, words, relevant, title in rows:
                mark = "*" if relevant else " "
                print(
                    f"  {mark} {outlet[:20]:<20} {lang or '--':<3} {words:>5} words  {title[:66]}"
                )
        if keep_serving:
            print(f"still serving {server.base_url} (Ctrl-C to stop)", flush=True)
            _serve_until_stopped()
    return result.exit_code
