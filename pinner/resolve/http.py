"""A small HTTP/1.1 client on the standard library's ``http.client``.

The registry client needs little of HTTP: short requests, bodies of a few
kilobytes read whole, kept-alive connections shared by worker threads,
redirects, the environment's proxies and one TLS context per trust setting.
requests and urllib3 give all that and more, but importing them costs more
than the whole of a pre-commit hook's usual run (bench/hook_bench.py), so
pinner speaks to registries with this instead.

- Connections are kept per origin (and proxy), at most ``pool_size`` idle
  ones each; one the server has closed meanwhile is never reused, and a
  request that meets a kept connection closed under it is sent once more on
  a new one before any answer is lost.
- Bodies are read whole, up to ``limit`` bytes; a longer one is cut there,
  said by ``Response.truncated``, and its connection is closed.
- Redirects are followed (``follow_redirects``), at most ten; the
  ``Authorization`` header never follows one to another origin.
- Proxies come from ``<scheme>_proxy``, ``all_proxy`` and ``no_proxy`` (either
  case, lower case first), as curl and requests read them; read once per
  origin and client.
- A request that fails raises ``NoAnswerError`` with a one-line reason that
  holds no URL.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from pinner.resolve.tls import Trust

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MOST_REDIRECTS = 10
DEFAULT_LIMIT = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class NoAnswerError(Exception):
    """No answer came: the reason, one line, with no URL in it."""

    def __init__(self, reason: str, *, timed_out: bool = False, worth_retrying: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        self.worth_retrying = worth_retrying


class Response:
    """An answer whose body has been read (``body``, at most the request's limit)."""

    __slots__ = ("body", "headers", "status_code", "truncated", "url")

    def __init__(
        self, url: str, status: int, headers: http.client.HTTPMessage, body: bytes, truncated: bool
    ) -> None:
        self.url = url
        self.status_code = status
        self.headers = headers
        self.body = body
        self.truncated = truncated

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def links(self) -> dict[str, str]:
        """``Link`` header targets by their ``rel`` (RFC 8288), as given."""
        found: dict[str, str] = {}
        for header in self.headers.get_all("Link") or ():
            for target, params in _links(header):
                rel = params.get("rel")
                if rel is not None:
                    for name in rel.split():
                        found.setdefault(name.lower(), target)
        return found

    def close(self) -> None:
        """Nothing to release: the body is read and the connection handed back."""

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _links(header: str) -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []
    rest = header.strip()
    while rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            break
        target, rest = rest[1:end], rest[end + 1 :]
        params: dict[str, str] = {}
        while rest.lstrip().startswith(";"):
            rest = rest.lstrip()[1:]
            name, _, rest = rest.partition("=")
            rest = rest.lstrip()
            if rest.startswith('"'):
                value, _, rest = rest[1:].partition('"')
            else:
                cut = min(
                    (i for i in (rest.find(";"), rest.find(",")) if i >= 0), default=len(rest)
                )
                value, rest = rest[:cut], rest[cut:]
            params[name.strip().lower()] = value.strip()
        found.append((target, params))
        rest = rest.lstrip().removeprefix(",").lstrip()
    return found


class _Origin:
    """Where a connection goes: scheme, host, port, and the proxy on the way."""

    __slots__ = ("host", "key", "netloc", "port", "proxy", "proxy_authorization", "scheme")

    def __init__(self, scheme: str, netloc: str, proxy: str | None) -> None:
        host, port = _host_and_port(scheme, netloc)
        self.scheme = scheme
        self.netloc = netloc
        self.host = host
        self.port = port
        self.proxy: tuple[str, int] | None = None
        self.proxy_authorization: str | None = None
        if proxy is not None:
            parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            if parts.scheme != "http":
                raise NoAnswerError(
                    f"the proxy {parts.hostname} is named with {parts.scheme}://;"
                    " pinner reaches proxies over http:// (CONNECT tunnels TLS through them)",
                    worth_retrying=False,
                )
            self.proxy = (parts.hostname or "", parts.port or 80)
            if parts.username is not None:
                pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                self.proxy_authorization = "Basic " + base64.b64encode(pair.encode()).decode()
        self.key = (scheme, host, port, self.proxy)


class Client:
    """Sends requests on kept-alive connections shared by threads."""

    def __init__(
        self,
        trust: Trust,
        *,
        pool_size: int = 16,
        user_agent: str = "",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._trust = trust
        self._pool_size = max(1, pool_size)
        self._user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._idle: dict[object, list[http.client.HTTPConnection]] = {}
        self._origins: dict[tuple[str, str], _Origin | NoAnswerError] = {}
        self.proxy_lookups = 0

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
        sent = dict(headers or {})
        for _ in range(_MOST_REDIRECTS + 1):
            response = self._once(method, url, sent, body, limit)
            location = response.headers.get("Location")
            if not follow_redirects or response.status_code not in REDIRECTS or not location:
                return response
            following = urljoin(url, location)
            if _origin_of(following) != _origin_of(url):
                sent.pop("Authorization", None)  # credentials stay with their host
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, body = ("HEAD" if method == "HEAD" else "GET"), None
            url = following
        raise NoAnswerError(f"more than {_MOST_REDIRECTS} redirects", worth_retrying=False)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _once(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, limit: int
    ) -> Response:
        parts = urlsplit(url)
        origin = self._origin(parts.scheme, parts.netloc)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        sent = {"User-Agent": self._user_agent, **headers} if self._user_agent else dict(headers)
        if origin.proxy is not None and origin.scheme == "http":
            target = f"http://{parts.netloc}{target}"  # absolute form, for the proxy
            if origin.proxy_authorization is not None:
                sent["Proxy-Authorization"] = origin.proxy_authorization
        connection, reused = self._connection(origin)
        try:
            try:
                answer = self._exchange(connection, method, target, sent, body)
            except (ConnectionError, http.client.BadStatusLine):
                connection.close()
                if not reused:
                    raise
                # A kept connection the server closed just as it was taken.
                connection, reused = self._new_connection(origin), False
                answer = self._exchange(connection, method, target, sent, body)
            status, answer_headers, content, truncated = _read(answer, method, limit)
        except NoAnswerError:
            connection.close()
            raise
        except (OSError, http.client.HTTPException, ValueError) as error:
            connection.close()
            raise _failure(error) from None
        if truncated or answer.will_close:
            connection.close()
        else:
            self._put_back(origin, connection)
        return Response(url, status, answer_headers, content, truncated)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> http.client.HTTPResponse:
        if connection.sock is None:
            connection.connect()
            assert connection.sock is not None
            connection.sock.settimeout(self.read_timeout)
        connection.request(method, target, body=body, headers=headers)
        return connection.getresponse()

    def _origin(self, scheme: str, netloc: str) -> _Origin:
        key = (scheme, netloc)
        with self._lock:
            known = self._origins.get(key)
        if known is None:
            try:
                known = _Origin(scheme, netloc, self._proxy_for(scheme, netloc))
            except NoAnswerError as failure:
                known = failure
            with self._lock:
                self._origins[key] = known  # threads racing here find the same
        if isinstance(known, NoAnswerError):
            raise known
        return known

    def _proxy_for(self, scheme: str, netloc: str) -> str | None:
        self.proxy_lookups += 1
        host, port = _host_and_port(scheme, netloc)
        settings = _proxy_settings(self._environ)
        if _bypassed(host.strip("[]"), port, settings.get("no", "")):
            return None
        return settings.get(scheme) or settings.get("all") or None

    def _connection(self, origin: _Origin) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(origin.key)
            while idle:
                connection = idle.pop()
                if _still_open(connection):
                    return connection, True
                connection.close()
        return self._new_connection(origin), False

    def _new_connection(self, origin: _Origin) -> http.client.HTTPConnection:
        host, port = origin.proxy or (origin.host, origin.port)
        connection: http.client.HTTPConnection
        if origin.scheme == "https":
            context = self._trust.context_for(origin.netloc)
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.connect_timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        if origin.proxy is not None and origin.scheme == "https":
            tunnel_headers = (
                {"Proxy-Authorization": origin.proxy_authorization}
                if origin.proxy_authorization
                else None
            )
            connection.set_tunnel(origin.host.strip("[]"), origin.port, tunnel_headers)
        return connection

    def _put_back(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin.key, [])
            if len(idle) < self._pool_size:
                idle.append(connection)
                return
        connection.close()


def _read(
    answer: http.client.HTTPResponse, method: str, limit: int
) -> tuple[int, http.client.HTTPMessage, bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    if method != "HEAD":
        while size <= limit:
            chunk = answer.read(min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    content = b"".join(chunks)
    truncated = size > limit
    if not truncated:
        answer.read()  # ends the answer (a HEAD's, an empty one's) so the connection is free
    encoding = (answer.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("gzip", "deflate") and content:
        # Asked for identity; a server that compresses anyway is still understood.
        import zlib

        inflater = zlib.decompressobj(47 if encoding == "gzip" else 15)
        try:
            content = inflater.decompress(content[:limit], limit + 1)
        except zlib.error:
            raise NoAnswerError(f"the answer's {encoding} body is damaged") from None
        truncated = truncated or len(content) > limit or bool(inflater.unconsumed_tail)
    return answer.status, answer.headers, content[:limit], truncated


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """A kept connection is usable if nothing is waiting to be read on it: a
    server that has closed it makes it readable (at its end)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _failure(error: BaseException) -> NoAnswerError:
    if isinstance(error, socket.gaierror):
        return NoAnswerError(_errno_text(error), worth_retrying=False)
    if isinstance(error, TimeoutError):
        return NoAnswerError("no answer in time", timed_out=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return NoAnswerError(
            "the TLS certificate is not trusted (put the CA that signed it in"
            " /etc/docker/certs.d/<host>/ca.crt, or point REQUESTS_CA_BUNDLE at a bundle"
            " holding it)"
        )
    if isinstance(error, ssl.SSLError):
        return NoAnswerError("TLS handshake failed")
    if isinstance(error, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return NoAnswerError("the connection was closed without an answer")
    if isinstance(error, ConnectionResetError):
        return NoAnswerError("the connection was reset")
    if isinstance(error, http.client.HTTPException):
        return NoAnswerError(f"the answer is not HTTP ({type(error).__name__})")
    if isinstance(error, OSError) and str(error).startswith("Tunnel connection failed"):
        answer = str(error).partition(":")[2].strip()
        return NoAnswerError(f"the proxy refused the tunnel ({answer})")
    if isinstance(error, OSError) and error.strerror:
        return NoAnswerError(_errno_text(error))
    return NoAnswerError(type(error).__name__)


def _errno_text(error: OSError) -> str:
    return (error.strerror or str(error) or type(error).__name__).strip().lower()


def _origin_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _host_and_port(scheme: str, netloc: str) -> tuple[str, int]:
    if scheme not in ("http", "https"):
        raise NoAnswerError(f"{scheme or 'no'} scheme: not HTTP", worth_retrying=False)
    netloc = netloc.rsplit("@", 1)[-1]
    default = 443 if scheme == "https" else 80
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:] else default
    host, _, port = netloc.partition(":")
    if port and not port.isdigit():
        raise NoAnswerError(f"bad port {port!r}", worth_retrying=False)
    return host, int(port) if port else default


def _proxy_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """``http``, ``https``, ``all`` and ``no`` from ``*_proxy`` variables, the
    lower-case spelling first, as curl reads them."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        lowered = name.lower()
        if not lowered.endswith("_proxy") or not value:
            continue
        kind = lowered[: -len("_proxy")]
        if kind not in ("http", "https", "all", "no"):
            continue
        if name == lowered or kind not in found:
            found[kind] = value
    if "REQUEST_METHOD" in environ and "http_proxy" not in environ:
        found.pop("http", None)  # a CGI request's Proxy header, not a setting (httpoxy)
    return found


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``no_proxy`` sends ``host`` straight: ``*``, a name and its
    subdomains (with or without a leading dot), ``name:port``, an address or
    a network (``10.0.0.0/8``)."""
    entries = [entry.strip() for entry in no_proxy.replace(" ", ",").split(",") if entry.strip()]
    if not entries:
        return False
    address = _address(host)
    for entry in entries:
        if entry == "*":
            return True
        name, _, wanted_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if wanted_port and wanted_port != str(port):
            continue
        name = name.strip("[]").lstrip(".").lower()
        if address is not None and _address_matches(address, name):
            return True
        if host.lower() == name or host.lower().endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, colon, tail = entry.rpartition(":")
    return bool(colon) and tail.isdigit() and (entry.startswith("[") or ":" not in head)


def _address(host: str) -> Any:
    import ipaddress

    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _address_matches(address: Any, entry: str) -> bool:
    import ipaddress

    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
