"""Run each unique lookup once, concurrently under a bound."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


def in_parallel(
    work: Mapping[Key, Callable[[], Value]],
    jobs: int,
    on_done: Callable[[], None] | None = None,
) -> dict[Key, Value]:
    """Call every function, at most ``jobs`` at once; map each key to its answer.
    ``on_done`` is called (from a worker thread) as each one finishes."""
    if not work:
        return {}
    from pinner.resolve.workers import WorkerPool  # the offline check needs no threads

    pool = WorkerPool(min(jobs, len(work)))
    try:
        futures = {key: pool.submit(function) for key, function in work.items()}
        if on_done is not None:
            for future in futures.values():
                future.add_done_callback(lambda _: on_done())
        answers = {key: future.result() for key, future in futures.items()}
    except BaseException:
        # Ctrl-C: do not wait for lookups stuck on a registry that never answers.
        pool.shutdown(wait=False, cancel=True)
        raise
    pool.shutdown()
    return answers


class FanOut:
    """Worker threads shared by many small fan-outs of single requests (an
    image's platform manifests, a report entry's advice lookups), so that each
    does not start threads of its own. A task given here must not fan out
    itself: it would wait for workers that are all waiting."""

    def __init__(self, jobs: int) -> None:
        from pinner.resolve.workers import WorkerPool

        self._pool = WorkerPool(jobs, "pinner-fetch")

    def start(self, work: Mapping[Key, Callable[[], Value]]) -> Callable[[], dict[Key, Value]]:
        """Start every function now; the returned call waits for their answers."""
        futures = {key: self._pool.submit(function) for key, function in work.items()}
        return lambda: {key: future.result() for key, future in futures.items()}

    def close(self) -> None:
        # Ctrl-C may leave workers stuck on a registry: do not wait for them.
        self._pool.shutdown(wait=False, cancel=True)
