"""The extraction process pool of a crawl, started before the crawl's own imports.

An extraction worker needs over a second of CPU to import trafilatura and datasketch and load
the language model. The workers are forked from a forkserver that does that once for all of
them (:mod:`crawler.extraction.warm`), and the pool is started at the top of ``newsmon crawl``,
so the
forkserver loads while the main process imports Scrapy and polls the feeds. This module imports
nothing heavy for the same reason.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor

_started: dict[int, Future[ProcessPoolExecutor]] = {}


def _warm_up() -> None:
    from crawler.extraction.pages import warm_up

    warm_up(None)


def worker_count(setting: int) -> int:
    """``NEWSMON_EXTRACT_PROCESSES``: 0 means one per core; 1 means extract in the main process."""
    return setting if setting > 0 else (os.cpu_count() or 1)


def _launch(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.extraction.warm"])
    pool = ProcessPoolExecutor(workers, mp_context=context)
    for _ in range(workers):
        pool.submit(_warm_up)
    return pool


def start(workers: int) -> None:
    """Start the pool in the background and warm its workers up (no-op for one worker).

    The workers are forked from a forkserver, a fresh process (never this one, which will run a
    reactor and threads) that imports :mod:`crawler.extraction.warm` first: the extraction stack is
    loaded
    once for all of them. Starting a worker waits for that, so a thread does it, and this
    process imports Scrapy meanwhile."""
    if workers > 1 and workers not in _started:
        future: Future[ProcessPoolExecutor] = Future()

        def launch() -> None:
            try:
                future.set_result(_launch(workers))
            except BaseException as exc:  # handed to take(), in the main thread
                future.set_exception(exc)

        threading.Thread(target=launch, name="newsmon-pool-start", daemon=True).start()
        _started[workers] = future


def take(workers: int) -> Future[ProcessPoolExecutor] | None:
    """The pool started for this many workers, or a new one, as it will be once its workers
    are up; None for one worker. The caller owns it and shuts it down."""
    if workers <= 1:
        return None
    start(workers)
    return _started.pop(workers)


def discard() -> None:
    """Shut down pools started and never taken (a crawl that failed before it opened)."""
    while _started:
        _, future = _started.popitem()
        try:
            unused = future.result()
        except Exception:
            continue  # it never started: nothing to shut down
        unused.shutdown(wait=False, cancel_futures=True)
