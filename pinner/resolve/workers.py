"""Worker threads and the answers they give, for the lookups.

What pinner needs of ``concurrent.futures`` (a pool of at most N threads,
started as work comes, and futures to wait on), in a few lines:
``concurrent.futures`` imports ``logging``, which alone costs a pre-commit
hook's run 5 ms. The workers are daemon threads, so a run that ends on
Ctrl-C never waits for one stuck on a registry that never answers.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class CancelledError(Exception):
    """The pool was shut down before the task began."""


class Future(Generic[Value]):
    """The answer of a task given to a pool, once it has one."""

    __slots__ = ("_callbacks", "_done", "_error", "_lock", "_value")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._value: Value | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future[Value]], None]] = []

    def result(self) -> Value:
        """Wait for the answer; a task that raised raises the same here."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def done(self) -> bool:
        return self._done.is_set()

    def add_done_callback(self, callback: Callable[[Future[Value]], None]) -> None:
        """Call ``callback(self)`` once answered: now, if it already is."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def _settle(self, value: Value | None, error: BaseException | None) -> None:
        with self._lock:
            self._value, self._error = value, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)


class WorkerPool:
    """Runs tasks on at most ``workers`` threads, in the order given; a thread
    is started only when a task finds none idle."""

    def __init__(self, workers: int, name: str = "pinner-worker") -> None:
        self._most = max(1, workers)
        self._name = name
        self._condition = threading.Condition()
        self._tasks: collections.deque[tuple[Future[object], Callable[[], object]]] = (
            collections.deque()
        )
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, task: Callable[[], Value]) -> Future[Value]:
        future: Future[Value] = Future()
        with self._condition:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            self._tasks.append((future, task))  # type: ignore[arg-type]
            if self._idle > 0:
                self._idle -= 1  # that thread is this task's: the next one counts on another
                self._condition.notify()
            elif len(self._threads) < self._most:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def shutdown(self, wait: bool = True, cancel: bool = False) -> None:
        """No more tasks; with ``cancel`` those not begun are dropped (their
        futures raise CancelledError); with ``wait``, wait for the threads."""
        with self._condition:
            self._closed = True
            dropped = list(self._tasks) if cancel else []
            if cancel:
                self._tasks.clear()
            self._condition.notify_all()
            threads = list(self._threads)
        for future, _ in dropped:
            future._settle(None, CancelledError())
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._tasks and not self._closed:
                    self._idle += 1  # taken back by the submit that wakes it
                    self._condition.wait()
                if not self._tasks:
                    return  # closed, and nothing left to do
                future, task = self._tasks.popleft()
            try:
                value = task()
            except BaseException as error:  # given to whoever waits for the answer
                future._settle(None, error)
            else:
                future._settle(value, None)
