"""pinner's worker pool (pinner/resolve/workers.py): bounded, lazy, and
answers, errors and cancellations delivered to whoever waits."""

from __future__ import annotations

import threading
import time

import pytest

from pinner.resolve.workers import CancelledError, Future, WorkerPool


def test_no_more_than_the_bound_run_at_once_and_every_answer_comes() -> None:
    pool = WorkerPool(3)
    lock = threading.Lock()
    running = [0]
    most = [0]

    def task(number: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return number * 2

    futures = [pool.submit(lambda n=n: task(n)) for n in range(20)]  # type: ignore[misc]
    assert [future.result() for future in futures] == [n * 2 for n in range(20)]
    pool.shutdown()
    assert most[0] == 3


def test_threads_start_only_as_work_needs_them() -> None:
    pool = WorkerPool(16)
    for _ in range(5):  # one after another: one thread does it all
        pool.submit(lambda: None).result()
    assert len(pool._threads) == 1
    pool.shutdown()


def test_two_tasks_at_once_with_one_idle_thread_get_two_threads() -> None:
    pool = WorkerPool(4)
    pool.submit(lambda: None).result()  # one thread, idle now
    both = threading.Barrier(2, timeout=5)
    first = pool.submit(both.wait)
    second = pool.submit(both.wait)  # waits forever if it were queued behind the first
    assert first.result() in (0, 1) and second.result() in (0, 1)
    pool.shutdown()


def test_an_error_reaches_whoever_waits() -> None:
    pool = WorkerPool(2)

    def fail() -> None:
        raise ValueError("no such tag")

    future = pool.submit(fail)
    with pytest.raises(ValueError, match="no such tag"):
        future.result()
    assert pool.submit(lambda: "still working").result() == "still working"
    pool.shutdown()


def test_done_callbacks_are_called_once_answered_or_at_once() -> None:
    pool = WorkerPool(1)
    gate = threading.Event()
    called: list[str] = []
    future = pool.submit(gate.wait)
    future.add_done_callback(lambda done: called.append("later"))
    assert called == []
    gate.set()
    future.result()
    future.add_done_callback(lambda done: called.append("at once"))
    assert called == ["later", "at once"]
    pool.shutdown()


def test_shutting_down_with_cancel_drops_the_tasks_not_begun() -> None:
    pool = WorkerPool(1)
    gate = threading.Event()
    begun = pool.submit(gate.wait)
    waiting: list[Future[bool]] = [pool.submit(gate.wait) for _ in range(3)]
    pool.shutdown(wait=False, cancel=True)
    for future in waiting:
        with pytest.raises(CancelledError):
            future.result()
    gate.set()
    assert begun.result() is True
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
