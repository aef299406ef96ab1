"""A list's chunks computed by forked workers and by this process together.

Clustering makes every article's features before it assigns any (they are order-independent),
and it has other work to do first: reading the window. Workers forked at the start take chunks
from a shared counter; when this process is free it takes chunks too, so whichever process is
free does the next chunk and none waits on another. Forked workers inherit the list (nothing is
pickled to them) and start in milliseconds. This process runs no thread for them: a
ProcessPoolExecutor's feeder threads wait for the GIL while this process works, which left its
workers idle between chunks.

Forking is safe only in a process running no other thread; :func:`can_fork` says whether it is.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    """A process with other threads (a crawl's reactor, a thread pool) must not fork: a lock
    another thread holds at that moment stays held in the child for ever."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def _claim(counter: Any) -> int:
    with counter.get_lock():
        index = int(counter.value)
        counter.value += 1
    return index


def _work(
    func: Callable[[list[T]], list[R]],
    chunks: list[list[T]],
    counter: Any,
    conn: Connection,
    parent: int,
) -> None:
    try:
        done = []
        # a worker outliving its parent (killed) stops at the next chunk: it holds copies of the
        # parent's descriptors, the run lock's among them, which would block the next run
        while os.getppid() == parent and (index := _claim(counter)) < len(chunks):
            done.append((index, func(chunks[index])))
        if os.getppid() == parent:  # nobody reads an orphan's results
            conn.send(("ok", done))
    except BaseException:  # noqa: BLE001 - the parent redoes the chunks and logs why
        conn.send(("error", traceback.format_exc(limit=3)))
    finally:
        conn.close()


def start(
    func: Callable[[list[T]], list[R]], items: list[T], chunk: int, workers: int
) -> Callable[[], list[R]]:
    """Start ``func`` over ``items`` in chunks of ``chunk`` on ``workers`` forked processes; the
    function returned computes the chunks still unclaimed here, then gathers every result in the
    order of ``items``. A chunk a worker did not deliver (it died, or raised) is computed here,
    so the results never depend on the workers."""
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    context = multiprocessing.get_context("fork")
    # frozen objects are skipped by the collector, which would otherwise write to every
    # object's header and so copy every page this process shares with its workers
    gc.freeze()
    procs: list[tuple[Any, Connection]] = []
    try:
        counter = context.Value("q", 0)
        for _ in range(min(workers, len(chunks))):
            reader, writer = context.Pipe(duplex=False)
            args = (func, chunks, counter, writer, os.getpid())
            proc = context.Process(target=_work, args=args, daemon=True)
            proc.start()
            writer.close()
            procs.append((proc, reader))
    except OSError as exc:  # no semaphores (/dev/shm), no fork: it all happens here
        log.warning("no worker processes (%s): computing here", exc)
        for proc, _ in procs:
            proc.kill()
            proc.join()
        gc.unfreeze()
        return lambda: [r for part in chunks for r in func(part)]
    except BaseException:
        gc.unfreeze()
        raise

    def wait() -> list[R]:
        try:
            parts: dict[int, list[R]] = {}
            while (index := _claim(counter)) < len(chunks):
                parts[index] = func(chunks[index])
            for proc, reader in procs:
                try:
                    status, payload = reader.recv()
                except EOFError:
                    proc.join()
                    status, payload = "error", f"it ended with exit code {proc.exitcode}"
                reader.close()
                proc.join()
                if status == "ok":
                    parts.update(payload)
                else:
                    log.warning("a worker failed, its chunks are redone here: %s", payload)
            for index in range(len(chunks)):
                if index not in parts:  # claimed by a worker that did not deliver
                    parts[index] = func(chunks[index])
            return [r for index in range(len(chunks)) for r in parts[index]]
        finally:
            for proc, _ in procs:
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            gc.unfreeze()

    return wait
