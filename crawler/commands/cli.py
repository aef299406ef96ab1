"""The ``newsmon`` command: parse arguments, call one function, print its result.

Every failure a user can cause ends here as one ``newsmon: error: ...`` line and the exit status
docs/contract.md promises (2 bad usage or configuration, 75 lock held, 1 the command failed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from crawler.config import ConfigError
from crawler.fetch.lock import LockHeld

if TYPE_CHECKING:
    from crawler.commands.crawl import CrawlResult
    from storage import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75


class UsageError(Exception):
    """Bad arguments: exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse with newsmon's error shape: one ``newsmon: error: ...`` line and exit 2.

    argparse prints the usage first and names the subcommand (``newsmon export: error:``);
    ``--help`` still shows the usage. Subcommands' parsers are of this class too (argparse makes
    them of their parent's class).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"newsmon: error: {' '.join(message.split())}\n")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--db/--feeds/-q/-v, accepted before or after the command name."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db", type=Path, default=default, help="SQLite database (default: $NEWSMON_DB or news.db)"
    )
    parser.add_argument(
        "--feeds",
        type=Path,
        default=default,
        help="feed and topic configuration (default: $NEWSMON_FEEDS or feeds.yaml)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="only errors and the summary"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS if suppress else 0,
        help="more log output (-vv for debug)",
    )  # fmt: skip


def _setting(value: str) -> tuple[str, str]:
    if "=" not in value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value!r}")
    name, _, val = value.partition("=")
    return name.strip(), val


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="newsmon",
        description="Collect news coverage from feeds into SQLite; follow stories across outlets.",
    )
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> Any:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        p.set_defaults(func=func)
        return p

    crawl = command("crawl", cmd_crawl, "poll due feeds, fetch new articles, store them")
    crawl.add_argument("--only", action="append", default=[], metavar="NAME", help="only this feed")
    crawl.add_argument("--max-articles", type=int, default=0, metavar="N", help="cap new pages")
    crawl.add_argument("--all", action="store_true", help="poll every feed, due or not")
    crawl.add_argument(
        "-s", "--set", action="append", type=_setting, default=[], metavar="NAME=VALUE",
        help="override a Scrapy setting for this run (as scrapy crawl -s)",
    )  # fmt: skip

    crawl.add_argument(
        "--redis", metavar="URL",
        help="distributed: be the writer for workers sharing this Redis (redis://host:6379/0)",
    )  # fmt: skip

    worker = command("worker", cmd_worker, "a distributed crawl worker (scrapy-redis)")
    worker.add_argument("--redis", metavar="URL", required=True, help="the shared Redis")
    worker.add_argument(
        "--idle-exit", type=float, default=0, metavar="SECONDS",
        help="leave after this many seconds without work (default: run until stopped)",
    )  # fmt: skip
    worker.add_argument(
        "-s", "--set", action="append", type=_setting, default=[], metavar="NAME=VALUE",
        help="override a Scrapy setting for this worker",
    )  # fmt: skip

    command("rescore", cmd_rescore, "recompute every article's relevance from the current topics")

    imp = command("import", cmd_import, "ingest articles from a JSON Lines file (- for stdin)")
    imp.add_argument("file", metavar="FILE.jsonl")

    command("recluster", cmd_recluster, "rebuild copy links and stories from the stored articles")

    stories = command("stories", cmd_stories, "story clusters, most recently active first")
    stories.add_argument("--since", metavar="D", help="active since a date or span (7d, 12h)")
    stories.add_argument("--min-outlets", type=int, default=1, metavar="N")
    stories.add_argument("--limit", type=int, default=50, metavar="N")
    stories.add_argument("--json", action="store_true", help="JSON lines for scripts")

    story = command("story", cmd_story, "one story's timeline")
    story.add_argument("id", type=int, metavar="ID")
    story.add_argument("--json", action="store_true", help="one JSON object for scripts")
    story.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the story's spread")

    search = command("search", cmd_search, "full-text search (FTS5 syntax), best matches first")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--since", metavar="D", help="published since a date or span (7d, 12h)")
    search.add_argument("--until", metavar="D", help="published before a date or span")
    search.add_argument("--outlet", metavar="O", help="only this outlet")
    search.add_argument("--all", action="store_true", help="irrelevant articles too")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.add_argument(
        "--depth", type=int, default=None, metavar="N",
        help="rank the newest N matches (default 10000; 0: every match, slower on broad terms)",
    )  # fmt: skip
    search.add_argument("--json", action="store_true", help="JSON lines for scripts")

    export = command("export", cmd_export, "every relevant article with the contract's fields")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--all", action="store_true", help="irrelevant articles too")
    export.add_argument("--since", metavar="D", help="published since a date or span")
    export.add_argument("--output", "-o", type=Path, metavar="PATH", help="file (default stdout)")

    feeds = command("feeds", cmd_feeds_list, "add, list and remove feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    add = feeds_sub.add_parser("add", help="add a feed (or find the feed of a site's page)")
    _global_options(add, suppress=True)
    add.set_defaults(func=cmd_feeds_add)
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", metavar="N")
    add.add_argument("--outlet", metavar="O")
    add.add_argument("--lang", metavar="L")
    add.add_argument("--sitemap", action="store_true", help="URL is a news sitemap")
    add.add_argument("--no-check", action="store_true", help="do not fetch it first")
    listing = feeds_sub.add_parser("list", help="every feed with its health")
    _global_options(listing, suppress=True)
    listing.set_defaults(func=cmd_feeds_list)
    listing.add_argument("--json", action="store_true", help="JSON lines for scripts")
    remove = feeds_sub.add_parser("remove", help="remove a feed from feeds.yaml")
    _global_options(remove, suppress=True)
    remove.set_defaults(func=cmd_feeds_remove)
    remove.add_argument("feed", metavar="NAME-or-URL")

    serve = command("serve", cmd_serve, "Datasette over the database, with canned queries")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")

    schedule = command("schedule", cmd_schedule, "print (or install) the crontab line")
    schedule.add_argument("--every", default="30m", metavar="SPAN", help="30m, 1h, 6h, 1d ...")
    schedule.add_argument("--log", type=Path, metavar="PATH", help="default: newsmon.log")
    schedule.add_argument("--install", action="store_true", help="add it to your crontab")

    demo = command("demo", cmd_demo, "serve the bundled offline sample news site and crawl it")
    demo.add_argument(
        "--port", type=int, default=0,
        help="port on 127.0.0.1 (default: 8642 if it is free, else any free port)",
    )  # fmt: skip
    demo.add_argument("--keep-serving", action="store_true", help="serve until Ctrl-C afterwards")
    return parser


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    db = args.db or Path(os.environ.get("NEWSMON_DB") or "news.db")
    feeds = args.feeds or Path(os.environ.get("NEWSMON_FEEDS") or "feeds.yaml")
    return db, feeds


def _verbosity(args: argparse.Namespace) -> int:
    return -1 if args.quiet else int(args.verbose or 0)


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.commands.crawl import CrawlError, CrawlOptions, run_crawl

    if args.max_articles < 0:
        raise UsageError("--max-articles must be 0 or more")
    db, feeds = _paths(args)
    options = CrawlOptions(
        db=db,
        feeds=feeds,
        only=args.only,
        max_articles=args.max_articles,
        poll_all=args.all,
        verbosity=_verbosity(args),
        progress=sys.stderr.isatty() and not args.quiet,
        overrides=dict(args.set),
    )
    if args.redis:
        from crawler.commands.crawl import RedisOptions, run_distributed

        if args.max_articles:
            raise UsageError("--max-articles is not supported with --redis")
        result = run_distributed(options, RedisOptions(args.redis))
        return _crawl_ended(result)
    try:
        result = run_crawl(options)
    except CrawlError as exc:
        print(f"newsmon: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _crawl_ended(result)


def _crawl_ended(result: CrawlResult) -> int:
    """The summary line on stdout (also with --quiet), the error line if it failed."""
    print(result.summary(), flush=True)
    if result.error:
        print(f"newsmon: error: {result.error}", file=sys.stderr)
    return result.exit_code


def cmd_worker(args: argparse.Namespace) -> int:
    from crawler.commands.crawl import CrawlOptions, RedisOptions, run_worker

    if args.idle_exit < 0:
        raise UsageError("--idle-exit must be 0 or more")
    db, feeds = _paths(args)
    options = CrawlOptions(
        db=db, feeds=feeds, only=[], verbosity=_verbosity(args), overrides=dict(args.set)
    )
    result = run_worker(options, RedisOptions(args.redis), args.idle_exit)
    print(f"worker done: {result['pages']} pages fetched", flush=True)
    return EXIT_OK


def cmd_rescore(args: argparse.Namespace) -> int:
    from crawler.analysis.rescore import rescore
    from crawler.commands.crawl import check_topics
    from crawler.config import load_config

    db, feeds = _paths(args)
    config = load_config(feeds)
    check_topics(config, feeds)  # first: a bad query is exit 2 with nothing opened or created
    if not db.exists():
        raise UsageError(f"{db}: no such database (run newsmon crawl or newsmon demo first)")
    # under the crawl lock: a crawl's scoring of its new articles must not interleave with it
    with contextmanager(_locked_store)(db) as store:
        result = rescore(store, config)
    print(result.summary())
    return EXIT_OK


def _locked_store(db: Path) -> Iterator[Store]:
    """The database under the crawl lock: writers never interleave their clustering."""
    from crawler.fetch.lock import CrawlLock
    from storage import Store

    with CrawlLock(db), Store(db) as store:
        yield store


def cmd_import(args: argparse.Namespace) -> int:
    from crawler.commands.crawl import check_topics
    from crawler.commands.importer import ImportError_, parse_lines, run_import, validate
    from crawler.config import load_config

    db, feeds = _paths(args)
    config = load_config(feeds)
    check_topics(config, feeds)
    with _import_source(args.file) as (handle, name):
        try:
            validate(handle, name)  # the whole file first: a bad line imports nothing
        except UnicodeDecodeError as exc:
            raise UsageError(f"{name}: not UTF-8 text ({exc.reason})") from None
        except ImportError_ as exc:
            raise UsageError(str(exc)) from None
        handle.seek(0)
        with contextmanager(_locked_store)(db) as store:
            result = run_import(store, config, parse_lines(handle, name))
    print(result.summary())
    return EXIT_OK


@contextmanager
def _import_source(path: str) -> Iterator[tuple[Any, str]]:
    """The import file opened for two passes; standard input is spooled to a temporary file."""
    import io
    import shutil
    import tempfile

    if path == "-":
        # spooled as bytes: decoding happens (and fails clearly) in the validation pass
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.seek(0)
            with io.TextIOWrapper(spool, encoding="utf-8") as text:
                yield text, "stdin"
        return
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory") from None
    with handle:
        yield handle, path


def cmd_recluster(args: argparse.Namespace) -> int:
    import time

    from crawler.analysis.clusterer import recluster
    from crawler.config import load_config

    db, feeds = _paths(args)
    config = load_config(feeds)
    started = time.monotonic()
    with contextmanager(_locked_store)(db) as store:
        articles, stories = recluster(store, config)
    print(f"recluster: {articles} articles, {stories} stories, {time.monotonic() - started:.1f} s")
    return EXIT_OK


def _read_store(db: Path) -> Store:
    from storage import Store

    if not db.exists():
        raise UsageError(f"{db}: no such database (run newsmon crawl or newsmon demo first)")
    return Store(db)


def cmd_stories(args: argparse.Namespace) -> int:
    from crawler.commands import output

    db, _ = _paths(args)
    since = _since(args.since)
    with _read_store(db) as store:
        rows = store.stories(since=since, min_outlets=args.min_outlets, limit=args.limit)
    if args.json:
        for row in rows:
            print(json.dumps(output.story_record(row), ensure_ascii=False))
        return EXIT_OK
    print(
        output.table(
            ["id", "last seen", "articles", "outlets", "first by", "credited", "title"],
            [
                [
                    r["id"],
                    output.short_time(r["last_seen_at"]),
                    r["article_count"],
                    r["outlet_count"],
                    r["origin_outlet"],
                    r["credited_source"],
                    r["title"],
                ]
                for r in rows
            ],
            widths={4: 22, 5: 18, 6: 70},
        )  # fmt: skip
    )
    return EXIT_OK


def cmd_story(args: argparse.Namespace) -> int:
    from crawler.commands import output

    db, _ = _paths(args)
    with _read_store(db) as store:
        story = store.story(args.id)
        if story is None:
            raise UsageError(f"no story {args.id} in {db}")
        articles = store.story_articles(args.id)
    first = story["first_seen_at"]
    document = output.story_document(story, articles)
    records = document["articles"]
    if args.plot:
        from crawler.commands.plot import plot_story

        try:
            plot_story(story, articles, args.plot)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--plot: {exc}") from None
        print(f"story {story['id']}: plot written to {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
        return EXIT_OK
    print(f"story {story['id']}: {story['title']}")
    print(
        f"first reported by {story['origin_outlet']} at {output.short_time(first)} UTC; "
        f"{story['article_count']} articles from {story['outlet_count']} outlets"
        + (f"; most credited: {story['credited_source']}" if story["credited_source"] else "")
    )
    print()
    print(
        output.table(
            ["time (UTC)", "lag h", "outlet", "lang", "copy of", "credits", "title"],
            [
                [
                    output.short_time(r["published_at"] or r["first_seen_at"]),
                    r["lag_hours"],
                    r["outlet"],
                    r["lang"],
                    r["duplicate_of"],
                    r["credited_source"],
                    r["title"],
                ]
                for r in records
            ],
            widths={2: 22, 5: 18, 6: 60},
        )  # fmt: skip
    )
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from crawler.commands import output

    if args.limit < 1:
        raise UsageError("--limit must be 1 or more")
    if not args.query.strip():
        raise UsageError("empty search query")
    db, _ = _paths(args)
    colour = sys.stdout.isatty() and not args.json
    marks = ("\x1b[1;33m", "\x1b[0m") if colour else ("\u00ab", "\u00bb")
    with _read_store(db) as store:
        try:
            rows = store.search(
                args.query,
                since=_since(args.since),
                until=_since(args.until, "--until"),
                outlet=args.outlet,
                relevant_only=not args.all,
                limit=args.limit,
                depth=store_depth(args.depth),
                marks=marks,
            )
        except sqlite3.OperationalError as exc:
            raise UsageError(output.bad_query_message(args.query, exc)) from None
    if args.json:
        for row in rows:
            print(json.dumps(output.search_record(row), ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("no matching articles" + ("" if args.all else " (relevant only; --all for every)"))
        return EXIT_OK
    for row in rows:
        when = output.short_time(row["published_at"] or row["first_seen_at"])
        story = f"  story {row['story_id']}" if row["story_id"] else ""
        print(f"{when}  {row['outlet']}  [{row['id']}]{story}")
        print(f"  {row['title']}")
        print(f"  {' '.join((row['snippet'] or '').split())}")
        print(f"  {row['url']}")
        print()
    return EXIT_OK


def store_depth(value: int | None) -> int:
    from storage.store import SEARCH_DEPTH

    if value is not None and value < 0:
        raise UsageError("--depth must be 0 or more")
    return SEARCH_DEPTH if value is None else value


def cmd_export(args: argparse.Namespace) -> int:
    from crawler.commands import output

    db, _ = _paths(args)
    with _read_store(db) as store:
        rows = store.export_rows(relevant_only=not args.all, since=_since(args.since))
        if args.output:
            with output.atomic_output(args.output) as handle:
                count = output.write_export(rows, args.format, handle)
            print(f"export: {count} articles to {args.output}", file=sys.stderr)
        else:
            output.write_export(rows, args.format, sys.stdout)
    return EXIT_OK


def cmd_feeds_list(args: argparse.Namespace) -> int:
    from crawler.commands import output
    from crawler.config import load_config
    from storage import Store

    db, feeds = _paths(args)
    config = load_config(feeds)
    state: dict[str, dict[str, Any]] = {}
    if db.exists():
        with Store(db, readonly=True) as store:
            state = {row["url"]: row for row in store.feeds()}
    records = [
        output.feed_record(kind, feed, state.get(feed.url)) for kind, feed in config.sources()
    ]
    if getattr(args, "json", False):
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return EXIT_OK
    print(
        output.table(
            [
                "name",
                "kind",
                "outlet",
                "lang",
                "last fetch",
                "status",
                "entries",
                "fails",
                "next due",
                "error",
            ],
            [
                [
                    r["name"],
                    r["kind"],
                    r["outlet"],
                    r["lang"],
                    output.short_time(r["last_fetched_at"]),
                    r["health"],
                    r["entries_seen"],
                    r["consecutive_failures"],
                    output.short_time(r["next_due_at"]) or "now",
                    r["last_error"],
                ]
                for r in records
            ],
            widths={0: 28, 2: 24, 9: 50},
        )  # fmt: skip
    )
    return EXIT_OK


def cmd_feeds_add(args: argparse.Namespace) -> int:
    from crawler.config import add_source, load_config
    from crawler.fetch.discover import derive_name, derive_outlet, language_code

    _, feeds = _paths(args)
    url = args.url.strip()
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        raise UsageError(f"{url!r} is not an http(s) URL")
    config = load_config(feeds) if feeds.exists() else None
    found = None
    if not args.no_check:
        from crawler.commands.crawl import discover_feed
        from crawler.fetch.feeds import FeedError

        try:
            found = discover_feed(url)
        except FeedError as exc:
            raise UsageError(str(exc)) from None
        url = found.url
        print(
            f"found {found.version or 'feed'}: {found.title or '(untitled)'}; "
            f"{found.entries} entries, newest {found.newest or 'undated'}"
            + (f" (via {args.url})" if found.url != args.url.strip() else "")
        )
    outlet = args.outlet or derive_outlet(
        found.site_name if found else None, found.title if found else None, url
    )
    taken = {f.name for _, f in config.sources()} if config else set()
    name = args.name or derive_name(outlet, taken)
    lang = args.lang or (language_code(found.language) if found else None)
    entry = {"name": name, "url": url, "outlet": outlet, "lang": lang}
    comment = (found.title if found and found.title else outlet) + " (added by newsmon feeds add)"
    add_source(feeds, entry, section="sitemaps" if args.sitemap else "feeds", comment=comment)
    print(f"added {name!r} ({outlet}{', ' + lang if lang else ''}) to {feeds}: {url}")
    return EXIT_OK


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    from crawler.config import remove_source

    _, feeds = _paths(args)
    removed = remove_source(feeds, args.feed)
    print(f"removed {removed.name!r} ({removed.url}) from {feeds}; its articles stay stored")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from crawler.commands.serve import serve

    db, _ = _paths(args)
    if not db.exists():
        raise UsageError(f"{db}: no such database (run newsmon crawl or newsmon demo first)")
    from storage import Store

    Store(db).close()  # migrate to the current schema before Datasette reads it
    print(f"newsmon: serving {db} at http://{args.host}:{args.port}/", file=sys.stderr)
    serve(db, args.port, args.host)
    return EXIT_OK  # not reached: serve() becomes Datasette


def cmd_schedule(args: argparse.Namespace) -> int:
    from crawler.commands.cron import crawl_job, install

    db, feeds = _paths(args)
    try:
        job = crawl_job(args.every, db, feeds, args.log or Path("newsmon.log"))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not args.install:
        print(job.line)
        return EXIT_OK
    how = install(job)
    print(f"crontab {how}: {job.line}")
    return EXIT_OK


def _since(value: str | None, option: str = "--since") -> str | None:
    from crawler.commands import output

    if value is None:
        return None
    try:
        return output.parse_since(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.commands.demo import run_demo

    db, feeds = _paths(args)
    return run_demo(
        db=db,
        port=args.port,
        verbosity=_verbosity(args),
        keep_serving=args.keep_serving,
        feeds=feeds,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, UsageError) as exc:
        print(f"newsmon: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LockHeld as exc:
        print(f"newsmon: error: {exc}; not crawling", file=sys.stderr)
        return EXIT_LOCKED
    except sqlite3.DatabaseError as exc:
        print(f"newsmon: error: database: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # `newsmon export | head`: the reader has what it wanted; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("newsmon: error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise: one line, never a bare traceback
        if getattr(args, "verbose", 0):
            raise
        print(f"newsmon: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
