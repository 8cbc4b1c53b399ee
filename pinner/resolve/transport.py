"""HTTP with retries: kept-alive connections, timeouts, backoff with jitter.

429, 502, 503, 504 and connection errors are retried with exponential
backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP date),
bounded in attempts and in total time. 401, 403 and 404 are answers, not
faults, and are never retried.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter

from pinner import __version__
from pinner.resolve.errors import RateLimitedError, UnreachableError

RETRIED_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    total_seconds: float = 60.0  # no retry starts after this much time
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
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def new_session(pool_size: int) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = f"pinner/{__version__}"
    adapter = HTTPAdapter(pool_connections=32, pool_maxsize=max(pool_size, 1))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends requests through one session, retrying what is worth retrying."""

    def __init__(
        self,
        session: requests.Session,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.policy = policy
        self._sleep = sleep

    @property
    def timeout(self) -> tuple[float, float]:
        return self.policy.connect_timeout, self.policy.read_timeout

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        **extra: object,
    ) -> requests.Response:
        policy = self.policy
        deadline = time.monotonic() + policy.total_seconds
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt >= policy.attempts
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    timeout=self.timeout,
                    stream=stream,
                    **extra,  # type: ignore[arg-type]
                )
            except requests.RequestException as error:
                delay = policy.backoff(attempt)
                if last_try or time.monotonic() + delay > deadline:
                    raise _unreachable(url, error, attempt) from None
                self._sleep(delay)
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            asked = retry_after(response.headers.get("Retry-After"))
            delay = asked if asked is not None else policy.backoff(attempt)
            if last_try or time.monotonic() + delay > deadline:
                if response.status_code == 429:
                    response.close()
                    raise RateLimitedError(_rate_limited(url, asked, attempt))
                return response
            response.close()
            self._sleep(delay)

    def close(self) -> None:
        self.session.close()


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``, with or without a port."""
    import ipaddress

    if host.startswith("["):
        name = host[1 : host.find("]")]
    else:
        name = host.rsplit(":", 1)[0] if ":" in host else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _rate_limited(url: str, asked: float | None, attempts: int) -> str:
    wait = f"; it asks to wait {asked:.0f} s" if asked is not None else ""
    return f"rate limited: {host_of(url)} answered 429 Too Many Requests{wait} ({_tries(attempts)})"


def _unreachable(url: str, error: requests.RequestException, attempts: int) -> UnreachableError:
    if isinstance(error, requests.Timeout):
        return UnreachableError(
            f"unreachable: {host_of(url)} did not answer in time ({_tries(attempts)})"
        )
    return UnreachableError(f"unreachable: {host_of(url)}: {reason(error)} ({_tries(attempts)})")


def _tries(attempts: int) -> str:
    return "1 try" if attempts == 1 else f"{attempts} tries"


def reason(error: requests.RequestException) -> str:
    """One short line, free of URLs (which may carry queries) and pool details."""
    text = str(error)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match is not None:
        return match.group(1).strip().lower()
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            "the TLS certificate is not trusted (point REQUESTS_CA_BUNDLE at the CA that signed it)"
        )
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed without an answer"
    if "ConnectionResetError" in text or "Connection reset" in text:
        return "the connection was reset"
    return type(error).__name__
