"""The ``newsmon`` command: parse arguments, call one function, print its result.

Every failure a user can cause ends here as one ``newsmon: error: ...`` line and the exit status
CONTRACT.md promises (2 bad usage or configuration, 75 lock held, 1 the command failed).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crawler.config import ConfigError
from crawler.lock import LockHeld

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75


class UsageError(Exception):
    """Bad arguments: exit 2."""


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
    parser = argparse.ArgumentParser(
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

    command("rescore", cmd_rescore, "recompute every article's relevance from the current topics")

    demo = command("demo", cmd_demo, "serve the bundled offline sample news site and crawl it")
    demo.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    demo.add_argument("--keep-serving", action="store_true", help="serve until Ctrl-C afterwards")
    return parser


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    db = args.db or Path(os.environ.get("NEWSMON_DB") or "news.db")
    feeds = args.feeds or Path(os.environ.get("NEWSMON_FEEDS") or "feeds.yaml")
    return db, feeds


def _verbosity(args: argparse.Namespace) -> int:
    return -1 if args.quiet else int(args.verbose or 0)


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import CrawlOptions, run_crawl

    if args.max_articles < 0:
        raise UsageError("--max-articles must be 0 or more")
    db, feeds = _paths(args)
    result = run_crawl(
        CrawlOptions(
            db=db,
            feeds=feeds,
            only=args.only,
            max_articles=args.max_articles,
            poll_all=args.all,
            verbosity=_verbosity(args),
            progress=sys.stderr.isatty() and not args.quiet,
            overrides=dict(args.set),
        )
    )
    print(result.summary(), flush=True)
    return result.exit_code


def cmd_rescore(args: argparse.Namespace) -> int:
    from crawler.config import load_config
    from crawler.rescore import rescore
    from storage import Store

    db, feeds = _paths(args)
    config = load_config(feeds)
    with Store(db) as store:
        result = rescore(store, config)
    print(result.summary())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo import run_demo

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
