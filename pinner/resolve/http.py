"""A small HTTP/1.1 client on the standard library's sockets and ``ssl``.

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

HTTP/1.1 itself is spoken here too (a request's bytes out; a status line,
headers and a body by length, in chunks or up to the close back), not
through ``http.client``, whose import (with the ``email`` package it parses
headers with) cost the hook 10 ms.
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any, overload
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


class Headers:
    """An answer's header fields, by name in any case."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self._fields if key.lower() == wanted), default)

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self._fields if key.lower() == wanted]


class Response:
    """An answer whose body has been read (``body``, at most the request's limit)."""

    __slots__ = ("body", "headers", "status_code", "truncated")

    def __init__(self, status: int, headers: Headers, body: bytes, truncated: bool) -> None:
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
        for header in self.headers.get_all("Link"):
            for target, params in _links(header):
                rel = params.get("rel")
                if rel is not None:
                    for name in rel.split():
                        found.setdefault(name.lower(), target)
        return found


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

    __slots__ = (
        "host",
        "host_header",
        "key",
        "netloc",
        "port",
        "proxy",
        "proxy_authorization",
        "proxy_tls",
        "scheme",
    )

    def __init__(self, scheme: str, netloc: str, proxy: str | None) -> None:
        host, port = host_and_port(scheme, netloc)
        self.scheme = scheme
        self.netloc = netloc
        self.host_header = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        self.host = host
        self.port = port
        self.proxy: tuple[str, int] | None = None
        self.proxy_authorization: str | None = None
        self.proxy_tls = False  # the proxy itself is reached over TLS (https://)
        if proxy is not None:
            parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            if parts.scheme not in ("http", "https"):
                raise NoAnswerError(
                    f"the proxy {parts.hostname} is named with {parts.scheme}://;"
                    " pinner reaches proxies over http:// or https://",
                    worth_retrying=False,
                )
            self.proxy_tls = parts.scheme == "https"
            self.proxy = (parts.hostname or "", parts.port or (443 if self.proxy_tls else 80))
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
        self._idle: dict[object, list[_Connection]] = {}
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
            _refuse_downgrade(url, following)
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
        sent = {"Host": origin.host_header, "Accept-Encoding": "identity"}
        if self._user_agent:
            sent["User-Agent"] = self._user_agent
        sent.update(headers)
        if origin.proxy is not None and origin.scheme == "http":
            target = f"http://{parts.netloc}{target}"  # absolute form, for the proxy
            if origin.proxy_authorization is not None:
                sent["Proxy-Authorization"] = origin.proxy_authorization
        request = _request_bytes(method, target, sent, body)
        connection, reused = self._connection(origin)
        try:
            try:
                status, answer_headers = connection.exchange(request)
            except ConnectionError:
                connection.close()
                if not reused:
                    raise
                # A kept connection the server closed just as it was taken.
                connection, reused = _Connection(origin, self), False
                status, answer_headers = connection.exchange(request)
            content, truncated, keep = connection.read_body(method, status, answer_headers, limit)
        except NoAnswerError:
            connection.close()
            raise
        except (OSError, ValueError) as error:
            connection.close()
            raise _failure(error) from None
        except BaseException:  # untrusted TLS settings, Ctrl-C: the socket goes too
            connection.close()
            raise
        if keep:
            self._put_back(origin, connection)
        else:
            connection.close()
        content, truncated = _decoded(content, truncated, answer_headers, limit)
        return Response(status, answer_headers, content, truncated)

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
        host, port = host_and_port(scheme, netloc)
        settings = _proxy_settings(self._environ)
        if _bypassed(host.strip("[]"), port, settings.get("no", "")):
            return None
        return settings.get(scheme) or settings.get("all") or None

    def _connection(self, origin: _Origin) -> tuple[_Connection, bool]:
        with self._lock:
            idle = self._idle.get(origin.key)
            while idle:
                connection = idle.pop()
                if connection.still_open():
                    return connection, True
                connection.close()
        return _Connection(origin, self), False

    def _put_back(self, origin: _Origin, connection: _Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin.key, [])
            if len(idle) < self._pool_size:
                idle.append(connection)
                return
        connection.close()


class _ClosedBeforeAnswerError(ConnectionError):
    """The connection ended before a status line came."""


class _Connection:
    """One connection to an origin (through its proxy, if any), opened on first use."""

    __slots__ = ("_client", "_origin", "_reader", "_sock")

    def __init__(self, origin: _Origin, client: Client) -> None:
        self._origin = origin
        self._client = client
        self._sock: socket.socket | _TunnelledTLS | None = None
        self._reader: _Reader | None = None

    def exchange(self, request: bytes) -> tuple[int, Headers]:
        """Send a request; its status and header fields (a 1xx answer skipped)."""
        if self._sock is None or self._reader is None:
            self._open()
        assert self._sock is not None and self._reader is not None
        self._sock.sendall(request)
        while True:
            status, fields = _read_head(self._reader)
            if not 100 <= status < 200:
                return status, fields

    def read_body(
        self, method: str, status: int, headers: Headers, limit: int
    ) -> tuple[bytes, bool, bool]:
        """The body (at most ``limit`` bytes), whether it was cut, and whether
        the connection may carry another request."""
        reader = self._reader
        assert reader is not None
        connection = (headers.get("Connection") or "").lower()
        keep = "close" not in connection
        if method == "HEAD" or status in (204, 304):
            return b"", False, keep
        coding = (headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in coding:
            return (*_read_chunked(reader, limit), keep)
        length = headers.get("Content-Length")
        if length is None:
            body = reader.read(limit + 1)  # up to the close
            return body[:limit], len(body) > limit, False
        if not length.strip().isdigit():
            raise NoAnswerError(f"the answer's Content-Length is {length[:40]!r}")
        size = int(length)
        body = _read_exactly(reader, min(size, limit))
        return body, size > limit, keep and size <= limit

    def still_open(self) -> bool:
        """A kept connection is usable if nothing is waiting to be read on it:
        a server that has closed it makes it readable (at its end)."""
        if self._sock is None or (self._reader is not None and self._reader.peek_buffered()):
            return False
        if isinstance(self._sock, (ssl.SSLSocket, _TunnelledTLS)) and self._sock.pending():
            return False
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _open(self) -> None:
        origin, client = self._origin, self._client
        address = origin.proxy or (origin.host.strip("[]"), origin.port)
        raw = socket.create_connection(address, client.connect_timeout)
        self._sock = raw
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock: socket.socket = raw
        if origin.proxy is not None and origin.proxy_tls:
            proxy_host, proxy_port = origin.proxy
            proxy_context = client._trust.context_for(f"{proxy_host}:{proxy_port}")
            sock = self._sock = proxy_context.wrap_socket(raw, server_hostname=proxy_host)
        if origin.proxy is not None and origin.scheme == "https":
            self._tunnel(sock)
        stream: socket.socket | _TunnelledTLS = sock
        if origin.scheme == "https":
            context = client._trust.context_for(origin.netloc)
            hostname = origin.host.strip("[]")
            if isinstance(sock, ssl.SSLSocket):  # TLS to the registry inside TLS to the proxy
                stream = _TunnelledTLS(sock, context, hostname)
            else:
                stream = context.wrap_socket(sock, server_hostname=hostname)
            self._sock = stream
        stream.settimeout(client.read_timeout)
        self._reader = _Reader(stream)

    def _tunnel(self, sock: socket.socket) -> None:
        """Ask the proxy for a tunnel to the origin (``CONNECT host:port``)."""
        origin = self._origin
        fields = {"Host": f"{origin.host}:{origin.port}"}
        if origin.proxy_authorization is not None:
            fields["Proxy-Authorization"] = origin.proxy_authorization
        sock.sendall(_request_bytes("CONNECT", f"{origin.host}:{origin.port}", fields, None))
        reader = _Reader(sock)
        status, _ = _read_head(reader)
        reason = reader.last_reason
        if status != 200:
            raise NoAnswerError(f"the proxy refused the tunnel ({status} {reason})".strip())
        if reader.peek_buffered():
            raise NoAnswerError("the proxy sent more than the tunnel's answer")


class _TunnelledTLS:
    """TLS with the registry through a TLS connection to an https:// proxy:
    Python's ``ssl`` cannot wrap a TLS socket in another, so the inner TLS
    runs in memory and its bytes go through the outer socket."""

    __slots__ = ("_incoming", "_outer", "_outgoing", "_tls")

    def __init__(self, outer: ssl.SSLSocket, context: ssl.SSLContext, hostname: str) -> None:
        self._outer = outer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=hostname)
        self._run(self._tls.do_handshake)

    def recv(self, size: int) -> bytes:
        try:
            return bytes(self._run(self._tls.read, size))
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""  # the end of the stream; HTTP's framing tells whether it came early

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._run(self._tls.write, view) :]

    def pending(self) -> int:
        return self._tls.pending() + self._incoming.pending + self._outer.pending()

    def settimeout(self, seconds: float | None) -> None:
        self._outer.settimeout(seconds)

    def fileno(self) -> int:
        return self._outer.fileno()

    def close(self) -> None:
        self._outer.close()

    def _run(self, operation: Any, *arguments: Any) -> Any:
        """Call a TLS operation, moving bytes through the outer socket until it can finish."""
        while True:
            try:
                result = operation(*arguments)
            except ssl.SSLWantReadError:
                self._flush()
                data = self._outer.recv(_CHUNK)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self._outer.sendall(data)


class _Reader:
    """Buffered reading from a socket, with the lines and bodies HTTP needs."""

    __slots__ = ("_buffer", "_sock", "last_reason")

    def __init__(self, sock: socket.socket | _TunnelledTLS) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.last_reason = ""

    def peek_buffered(self) -> bool:
        return bool(self._buffer)

    def _fill(self) -> bool:
        data = self._sock.recv(_CHUNK)
        if not data:
            return False
        self._buffer += data
        return True

    def line(self, most: int = 65536) -> bytes:
        """One line, CRLF or LF included; b"" at the end of the stream."""
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > most:
                raise NoAnswerError("the answer has a line too long to be HTTP")
            start = len(self._buffer)
            if not self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes: fewer only at the end of the stream."""
        while len(self._buffer) < count and self._fill():
            pass
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data


def _read_head(reader: _Reader) -> tuple[int, Headers]:
    first = reader.line()
    if not first:
        raise _ClosedBeforeAnswerError()
    version, _, rest = first.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise NoAnswerError(f"the answer is not HTTP ({first[:40]!r})")
    reader.last_reason = reason.strip()
    fields: list[tuple[str, str]] = []
    while True:
        line = reader.line()
        if not line:
            raise NoAnswerError("the connection was closed in the middle of an answer")
        if line in (b"\r\n", b"\n"):
            break
        if len(fields) >= 200:
            raise NoAnswerError("the answer has more header fields than HTTP servers send")
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and fields:  # an obsolete folded continuation
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.strip():
            raise NoAnswerError(f"the answer has a header line that is not one ({text[:40]!r})")
        fields.append((name, value.strip()))
    headers = Headers(fields)
    if version == "HTTP/1.0" and "keep-alive" not in (headers.get("Connection") or "").lower():
        fields.append(("Connection", "close"))
    return int(code), headers


def _read_exactly(reader: _Reader, count: int) -> bytes:
    data = reader.read(count)
    if len(data) < count:
        raise NoAnswerError("the connection was closed in the middle of an answer")
    return data


def _read_chunked(reader: _Reader, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        line = reader.line()
        if not line:
            raise NoAnswerError("the connection was closed in the middle of an answer")
        length_text = line.split(b";", 1)[0].strip()
        try:
            length = int(length_text, 16)
        except ValueError:
            raise NoAnswerError(f"the answer's chunk size is {length_text[:20]!r}") from None
        if length == 0:
            break
        if size + length > limit:
            chunks.append(_read_exactly(reader, limit - size))
            return b"".join(chunks), True  # cut: the connection is not reused
        chunks.append(_read_exactly(reader, length))
        size += length
        if reader.line() not in (b"\r\n", b"\n"):
            raise NoAnswerError("the answer's chunks are not HTTP's")
    while reader.line() not in (b"\r\n", b"\n", b""):
        pass  # trailer fields
    return b"".join(chunks), False


def _request_bytes(
    method: str, target: str, fields: Mapping[str, str], body: bytes | None
) -> bytes:
    if any(c in target for c in " \r\n"):
        raise NoAnswerError("a request target holds white space", worth_retrying=False)
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in fields.items():
        if any(c in name or c in value for c in "\r\n\0") or ":" in name:
            raise NoAnswerError(f"the {name} header holds a line break", worth_retrying=False)
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


def _decoded(content: bytes, truncated: bool, headers: Headers, limit: int) -> tuple[bytes, bool]:
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("gzip", "deflate") or not content:
        return content, truncated
    # Asked for identity; a server that compresses anyway is still understood.
    import zlib

    inflater = zlib.decompressobj(47 if encoding == "gzip" else 15)
    try:
        inflated = inflater.decompress(content, limit + 1)
    except zlib.error:
        raise NoAnswerError(f"the answer's {encoding} body is damaged") from None
    cut = truncated or len(inflated) > limit or bool(inflater.unconsumed_tail)
    return inflated[:limit], cut


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
    if isinstance(error, _ClosedBeforeAnswerError):
        return NoAnswerError("the connection was closed without an answer")
    if isinstance(error, ConnectionResetError):
        return NoAnswerError("the connection was reset")
    if isinstance(error, OSError) and error.strerror:
        return NoAnswerError(_errno_text(error))
    if isinstance(error, UnicodeError):
        return NoAnswerError("a request header holds characters HTTP cannot carry")
    return NoAnswerError(type(error).__name__)


def _errno_text(error: OSError) -> str:
    return (error.strerror or str(error) or type(error).__name__).strip().lower()


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``, with or without a port."""
    import ipaddress

    try:
        name = host_and_port("https", host)[0].strip("[]")
    except NoAnswerError:
        return False
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refuse_downgrade(url: str, following: str) -> None:
    """An answer over HTTPS is never followed to plain HTTP (but on loopback):
    what came from there could be anyone's."""
    parts, then = urlsplit(url), urlsplit(following)
    if parts.scheme == "https" and then.scheme == "http" and not is_loopback_host(then.netloc):
        raise NoAnswerError(
            f"redirected to plain HTTP ({then.netloc}); pinner follows HTTPS to HTTPS only",
            worth_retrying=False,
        )


def _origin_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def host_and_port(scheme: str, netloc: str) -> tuple[str, int]:
    """``name``, ``name:port``, ``[v6]`` or ``[v6]:port`` -> the host (IPv6 in
    brackets) and the port, the scheme's own when none is written."""
    if scheme not in ("http", "https"):
        raise NoAnswerError(f"{scheme or 'no'} scheme: not HTTP", worth_retrying=False)
    netloc = netloc.rsplit("@", 1)[-1]
    default = 443 if scheme == "https" else 80
    if netloc.startswith("[") and "]" in netloc:
        end = netloc.index("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        port = rest[1:] if rest.startswith(":") else rest
    else:
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
