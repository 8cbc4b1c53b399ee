"""HTTP with retries: kept-alive connections, timeouts, backoff with jitter.

429, 502, 503, 504 and connection errors are retried with exponential
backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP date),
bounded in attempts and in total time. 401, 403 and 404 are answers, not
faults, and are never retried.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from pinner import __version__
from pinner.resolve.errors import RateLimitedError, UnreachableError
from pinner.resolve.http import DEFAULT_LIMIT, Client, NoAnswerError, Response
from pinner.resolve.tls import Trust

RETRIED_STATUSES = frozenset({429, 502, 503, 504})


class RetryPolicy(NamedTuple):
    attempts: int = 4  # tries in all, the first included
    total_seconds: float = 60.0  # retrying one host may cost this much in a run
    base_delay: float = 0.5
    max_delay: float = 15.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2^(attempt-1), capped."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when it says nothing usable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+", value):
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def new_client(
    pool_size: int, trust: Trust | None = None, policy: RetryPolicy | None = None
) -> Client:
    policy = policy or RetryPolicy()
    return Client(
        trust or Trust(),
        pool_size=pool_size,
        user_agent=f"pinner/{__version__}",
        connect_timeout=policy.connect_timeout,
        read_timeout=policy.read_timeout,
    )


class Transport:
    """Sends requests through one client, retrying what is worth retrying.

    ``policy.total_seconds`` bounds the whole run's waiting for one host (the
    backoff sleeps and the tries that failed): once a host has cost that
    much, no retry to it starts. ``on_slow(host, seconds)`` is called once per
    host whose request is still waiting after ``slow_after`` seconds."""

    def __init__(
        self,
        client: Client,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        on_slow: Callable[[str, float], None] | None = None,
        slow_after: float = 10.0,
    ) -> None:
        self.client = client
        self.policy = policy
        self._sleep = sleep
        self._lock = threading.Lock()
        self._waited: dict[str, float] = {}
        self._watch = _SlowWatch(on_slow, slow_after) if on_slow is not None else None

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        follow_redirects: bool = True,
        limit: int = DEFAULT_LIMIT,
    ) -> Response:
        policy = self.policy
        host = host_of(url)
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt >= policy.attempts
            started = time.monotonic()
            try:
                with self._watched(host):
                    response = self.client.request(
                        method,
                        url,
                        headers=headers,
                        body=body,
                        follow_redirects=follow_redirects,
                        limit=limit,
                    )
            except NoAnswerError as error:
                delay = policy.backoff(attempt)
                spent = time.monotonic() - started
                if last_try or not error.worth_retrying or not self._may_wait(host, spent + delay):
                    raise _unreachable(url, error, attempt) from None
                self._sleep(delay)
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            asked = retry_after(response.headers.get("Retry-After"))
            delay = asked if asked is not None else policy.backoff(attempt)
            if last_try or not self._may_wait(host, delay):
                if response.status_code == 429:
                    raise RateLimitedError(_rate_limited(url, asked, attempt))
                return response
            self._sleep(delay)

    def _may_wait(self, host: str, seconds: float) -> bool:
        """Whether the host may cost ``seconds`` more waiting; if so, book it."""
        with self._lock:
            waited = self._waited.get(host, 0.0) + seconds
            if waited > self.policy.total_seconds:
                return False
            self._waited[host] = waited
            return True

    @contextlib.contextmanager
    def _watched(self, host: str) -> Iterator[None]:
        if self._watch is None:
            yield
            return
        token = self._watch.begin(host)
        try:
            yield
        finally:
            self._watch.end(token)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.stop()
        self.client.close()


class _SlowWatch:
    """One thread that notices requests waiting longer than ``after`` seconds."""

    def __init__(self, on_slow: Callable[[str, float], None], after: float) -> None:
        self._on_slow = on_slow
        self._after = after
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[str, float]] = {}
        self._told: set[str] = set()
        self._next = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self, host: str) -> int:
        with self._lock:
            self._next += 1
            self._waiting[self._next] = (host, time.monotonic())
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pinner-slow-watch", daemon=True
                )
                self._thread.start()
            return self._next

    def end(self, token: int) -> None:
        with self._lock:
            self._waiting.pop(token, None)

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(min(1.0, self._after / 4)):
            now = time.monotonic()
            with self._lock:
                slow = {
                    host: now - since
                    for host, since in self._waiting.values()
                    if now - since >= self._after and host not in self._told
                }
                self._told.update(slow)
            for host, seconds in slow.items():
                self._on_slow(host, seconds)


def host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _rate_limited(url: str, asked: float | None, attempts: int) -> str:
    wait = f"; it asks to wait {asked:.0f} s" if asked is not None else ""
    return f"rate limited: {host_of(url)} answered 429 Too Many Requests{wait} ({_tries(attempts)})"


def _unreachable(url: str, error: NoAnswerError, attempts: int) -> UnreachableError:
    if error.timed_out:
        return UnreachableError(
            f"unreachable: {host_of(url)} did not answer in time ({_tries(attempts)})"
        )
    return UnreachableError(f"unreachable: {host_of(url)}: {error.reason} ({_tries(attempts)})")


def _tries(attempts: int) -> str:
    return "1 try" if attempts == 1 else f"{attempts} tries"
