"""crawler.workshare: chunks computed by forked workers and this process, in order, whatever
the workers do."""

from __future__ import annotations

import os
import time

import pytest

from crawler import workshare


def _squares(chunk: list[int]) -> list[int]:
    time.sleep(0.002)  # long enough that the workers take a share before this process does
    return [n * n for n in chunk]


def test_results_come_back_in_order_and_every_process_took_a_share():
    def work(chunk: list[int]) -> list[tuple[int, int]]:
        return list(zip(_squares(chunk), [os.getpid()] * len(chunk), strict=True))

    wait = workshare.start(work, list(range(1000)), 10, workers=2)
    results = wait()
    assert [square for square, _ in results] == [n * n for n in range(1000)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids  # this process took chunks once it waited
    assert len(pids) >= 2  # and so did a worker


def test_a_worker_that_dies_loses_no_chunk():
    parent = os.getpid()

    def work(chunk: list[int]) -> list[int]:
        if os.getpid() != parent and chunk[0] == 30:
            os._exit(3)  # a worker killed mid-way: the chunks it claimed are never delivered
        return _squares(chunk)

    wait = workshare.start(work, list(range(200)), 10, workers=2)
    assert wait() == [n * n for n in range(200)]


def test_a_worker_error_is_redone_here_and_raised_if_it_fails_here_too():
    def work(chunk: list[int]) -> list[int]:
        if 50 in chunk:
            raise ValueError("bad row 50")
        return _squares(chunk)

    wait = workshare.start(work, list(range(100)), 10, workers=1)
    with pytest.raises(ValueError, match="bad row 50"):
        wait()


def test_no_fork_while_another_thread_runs():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not workshare.can_fork()
    finally:
        stop.set()
        thread.join()
    assert workshare.can_fork() == (threading.active_count() == 1)
