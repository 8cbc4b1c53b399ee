"""Ctrl-C: a run ends at once, whatever the registries are doing, and never
in the middle of a write."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Protocol


@contextlib.contextmanager
def leave_on_interrupt() -> Iterator[None]:
    """Ctrl-C: exit 130 at once. Lookup threads may be stuck on a registry that
    never answers, and a normal exit would wait for them."""
    try:
        yield
    except KeyboardInterrupt:
        print("pinner: interrupted", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


class _Closable(Protocol):
    def close(self) -> None: ...


@contextlib.contextmanager
def closed_after(*things: _Closable) -> Iterator[None]:
    """Close each at the end, but not after Ctrl-C: closing waits for threads
    that may be stuck on a registry that never answers."""
    interrupted = False
    try:
        yield
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if not interrupted:
            for thing in things:
                thing.close()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Let the writes under way finish before Ctrl-C ends the run, so that no
    temporary file is left behind; each write takes milliseconds."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
