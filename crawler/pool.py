"""The extraction process pool of a crawl, started before the crawl's own imports.

A spawned worker spends about a second importing trafilatura and loading its models. Started at
the top of ``newsmon crawl``, the workers do that while the main process imports Scrapy and polls
the feeds, instead of after, so no core sits idle at the start of a crawl. This module imports
nothing heavy for the same reason.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

_started: dict[int, ProcessPoolExecutor] = {}


def _warm_up() -> None:
    from crawler.pages import warm_up

    warm_up(None)


def worker_count(setting: int) -> int:
    """``NEWSMON_EXTRACT_PROCESSES``: 0 means one per core; 1 means extract in the main process."""
    return setting if setting > 0 else (os.cpu_count() or 1)


def start(workers: int) -> None:
    """Spawn the pool now and warm its workers up in the background (no-op for one worker)."""
    if workers > 1 and workers not in _started:
        # spawn: never fork a process that will run a reactor and threads
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(workers):
            pool.submit(_warm_up)
        _started[workers] = pool


def take(workers: int) -> ProcessPoolExecutor | None:
    """The pool started for this many workers, or a new one; None for one worker. The caller
    owns it and shuts it down."""
    if workers <= 1:
        return None
    start(workers)
    return _started.pop(workers)


def discard() -> None:
    """Shut down pools started and never taken (a crawl that failed before it opened)."""
    while _started:
        _, unused = _started.popitem()
        unused.shutdown(wait=False, cancel_futures=True)
