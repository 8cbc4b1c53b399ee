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
    # Imported here: the offline check never needs threads, and the import costs.
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(work))))
    try:
        futures = {key: pool.submit(function) for key, function in work.items()}
        if on_done is not None:
            for future in futures.values():
                future.add_done_callback(lambda _: on_done())
        answers = {key: future.result() for key, future in futures.items()}
    except BaseException:
        # Ctrl-C: do not wait for lookups stuck on a registry that never answers.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return answers
