"""A progress bar on stderr for runs with many lookups, when stderr is a terminal."""

from __future__ import annotations

import threading
import time
from typing import TextIO

_WIDTH = 24


class TerminalProgress:
    """Counts finished lookups and redraws one line, at most ten times a second."""

    def __init__(self, stream: TextIO, minimum: int = 10) -> None:
        self._stream = stream
        self._minimum = minimum
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0
        self._drawn_at = 0.0
        self._shown = False

    def start(self, total: int) -> None:
        with self._lock:
            self._total, self._done = total, 0

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            now = time.monotonic()
            if self._total < self._minimum or (
                now - self._drawn_at < 0.1 and self._done < self._total
            ):
                return
            self._drawn_at = now
            filled = _WIDTH * self._done // max(self._total, 1)
            bar = "#" * filled + "." * (_WIDTH - filled)
            self._stream.write(f"\rlooking up images [{bar}] {self._done}/{self._total}")
            self._stream.flush()
            self._shown = True

    def finish(self) -> None:
        with self._lock:
            if self._shown:
                self._stream.write("\r\033[K")
                self._stream.flush()
                self._shown = False
