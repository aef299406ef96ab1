"""crawler.analysis.workshare: chunks computed by forked workers and this process, in order, whatever
the workers do."""

from __future__ import annotations

import os
import time

import pytest

from crawler.analysis import workshare


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
    """In a fresh process (pytest's own may hold threads of earlier tests): forking is allowed
    with the main thread alone, refused while another thread runs, allowed again after it."""
    import subprocess
    import sys

    from conftest import REPO

    script = (
        "import threading\n"
        "from crawler.analysis import workshare\n"
        "alone = workshare.can_fork()\n"
        "stop = threading.Event()\n"
        "thread = threading.Thread(target=stop.wait)\n"
        "thread.start()\n"
        "busy = workshare.can_fork()\n"
        "stop.set()\n"
        "thread.join()\n"
        "print(alone, busy, workshare.can_fork())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True"]


def test_workers_of_a_killed_process_stop_and_free_its_lock(tmp_path):
    """kill -9 of an import while its workers make features: the workers hold copies of its
    descriptors, the run lock's among them. They stop at their next chunk, so the next run is
    not refused for long (without the check they would work through every chunk left)."""
    import fcntl
    import signal
    import subprocess
    import sys

    from conftest import REPO

    lock = tmp_path / "news.db.lock"
    script = (
        "import fcntl, os, signal, sys, time\n"
        "from crawler.analysis import workshare\n"
        f"handle = open({str(lock)!r}, 'a+')\n"
        "fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "def slow(chunk):\n"
        "    time.sleep(0.05)\n"
        "    return chunk\n"
        "wait = workshare.start(slow, list(range(400)), 1, workers=1)\n"  # 20 s of chunks
        "print('started', flush=True)\n"
        "time.sleep(0.3)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    out = tmp_path / "out.txt"
    with open(out, "w") as stdout:  # a file: a pipe would stay open as long as the worker
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=stdout)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    assert "started" in out.read_text()
    deadline = time.monotonic() + 5
    with open(lock, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "the killed process's worker kept its lock"
                time.sleep(0.05)
