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
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter

from pinner import __version__
from pinner.resolve.errors import RateLimitedError, UnreachableError
from pinner.resolve.tls import Trust

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs
    from requests.sessions import _Cert, _Settings, _TextMapping, _Verify

RETRIED_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
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
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _TrustingAdapter(HTTPAdapter):
    """Gives every HTTPS connection the run's shared context for its host.

    Left to itself, requests hands urllib3 the path of the CA bundle, and
    urllib3 makes a new context and reads the bundle for each connection."""

    def __init__(self, trust: Trust, pool_size: int) -> None:
        super().__init__(pool_connections=32, pool_maxsize=max(pool_size, 1))
        self._trust = trust

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params["scheme"] != "https":
            return host_params, pool_kwargs
        host = urlsplit(str(request.url)).netloc.rsplit("@", 1)[-1]
        context = self._trust.context_for(host)
        return host_params, {"ssl_context": context, "cert_reqs": "CERT_REQUIRED"}

    def cert_verify(self, conn: Any, url: str, verify: object, cert: object) -> None:
        pass  # the context already says what to trust


class _Session(requests.Session):
    """Reads the environment's settings (proxies, ``NO_PROXY``) once per host
    and run. requests reads them for every request, walking the whole
    environment twice each time: more CPU than the rest of preparing the
    request, and more still on a CI runner with a hundred variables."""

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[object, ...], _Settings] = {}

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: _TextMapping | None,
        stream: bool | None,
        verify: _Verify | None,
        cert: _Cert | None,
    ) -> _Settings:
        if proxies:  # given for this request: nothing to keep
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url.decode() if isinstance(url, bytes) else str(url))
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        found = self._settings.get(key)
        if found is None:
            found = super().merge_environment_settings(url, {}, stream, verify, cert)
            self._settings[key] = found  # threads racing here compute the same
        return {**found, "proxies": dict(found["proxies"])}  # each request its own


class _OwnAuthorization(requests.auth.AuthBase):
    """pinner sets each request's Authorization from Docker's credentials and
    the registry's tokens. A session without an ``auth`` of its own lets
    requests replace that header with a ``~/.netrc`` entry for the host."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def new_session(pool_size: int, trust: Trust | None = None) -> requests.Session:
    session = _Session()
    session.auth = _OwnAuthorization()
    session.headers["User-Agent"] = f"pinner/{__version__}"
    adapter = _TrustingAdapter(trust or Trust(), pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends requests through one session, retrying what is worth retrying.

    ``policy.total_seconds`` bounds the whole run's waiting for one host (the
    backoff sleeps and the tries that failed): once a host has cost that
    much, no retry to it starts. ``on_slow(host, seconds)`` is called once per
    host whose request is still waiting after ``slow_after`` seconds."""

    def __init__(
        self,
        session: requests.Session,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        on_slow: Callable[[str, float], None] | None = None,
        slow_after: float = 10.0,
    ) -> None:
        self.session = session
        self.policy = policy
        self._sleep = sleep
        self._lock = threading.Lock()
        self._waited: dict[str, float] = {}
        self._watch = _SlowWatch(on_slow, slow_after) if on_slow is not None else None

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
        host = host_of(url)
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt >= policy.attempts
            started = time.monotonic()
            try:
                with self._watched(host):
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
                spent = time.monotonic() - started
                if last_try or _unresolvable(error) or not self._may_wait(host, spent + delay):
                    raise _unreachable(url, error, attempt) from None
                self._sleep(delay)
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            asked = retry_after(response.headers.get("Retry-After"))
            delay = asked if asked is not None else policy.backoff(attempt)
            if last_try or not self._may_wait(host, delay):
                if response.status_code == 429:
                    response.close()
                    raise RateLimitedError(_rate_limited(url, asked, attempt))
                return response
            response.close()
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
        self.session.close()


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


def _unresolvable(error: requests.RequestException) -> bool:
    """The host name does not resolve: asking again will not change that."""
    from urllib3.exceptions import NameResolutionError

    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", cause), NameResolutionError)


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
            "the TLS certificate is not trusted (put the CA that signed it in"
            " /etc/docker/certs.d/<host>/ca.crt, or point REQUESTS_CA_BUNDLE at a bundle"
            " holding it)"
        )
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed without an answer"
    if "ConnectionResetError" in text or "Connection reset" in text:
        return "the connection was reset"
    return type(error).__name__
