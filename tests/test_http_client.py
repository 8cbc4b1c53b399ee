"""pinner's HTTP client (pinner/resolve/http.py): kept-alive connections,
bodies read whole within a limit, redirects that keep credentials at home,
and the environment's proxies, against real loopback servers."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pinner.resolve.http import (
    Client,
    NoAnswerError,
    Response,
    _bypassed,
    _links,
    _proxy_settings,
    host_and_port,
    is_loopback_host,
)
from pinner.resolve.tls import Trust
from tests.support.loopback import QuietHandler, loopback_server
from tests.support.scripted_server import Reply, Request, scripted_server
from tests.support.token_issuer import LoopbackPKI


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("registry.example", 443, "*", True),
        ("registry.example", 443, "registry.example", True),
        ("mirror.registry.example", 443, "registry.example", True),
        ("mirror.registry.example", 443, ".registry.example", True),
        ("badregistry.example", 443, "registry.example", False),
        ("registry.example", 443, "other.example, registry.example", True),
        ("registry.example", 5000, "registry.example:5000", True),
        ("registry.example", 443, "registry.example:5000", False),
        ("10.1.2.3", 443, "10.0.0.0/8", True),
        ("11.1.2.3", 443, "10.0.0.0/8", False),
        ("127.0.0.1", 5000, "127.0.0.1", True),
        ("::1", 5000, "::1", True),
        ("::1", 5000, "[::1]:5000", True),
        ("REGISTRY.example", 443, "registry.EXAMPLE", True),
        ("registry.example", 443, "", False),
    ],
)
def test_no_proxy_entries(host: str, port: int, no_proxy: str, bypassed: bool) -> None:
    assert _bypassed(host, port, no_proxy) is bypassed


def test_proxy_settings_prefer_lower_case_and_skip_a_cgi_requests_header() -> None:
    environ = {
        "HTTPS_PROXY": "http://upper:3128",
        "https_proxy": "http://lower:3128",
        "ALL_PROXY": "http://all:3128",
        "NO_PROXY": "internal.example",
        "PATH": "/bin",
    }
    assert _proxy_settings(environ) == {
        "https": "http://lower:3128",
        "all": "http://all:3128",
        "no": "internal.example",
    }
    # Under CGI, HTTP_PROXY may be a request's "Proxy:" header (httpoxy).
    assert "http" not in _proxy_settings({"HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"})
    assert _proxy_settings({"HTTP_PROXY": "http://good:1"}) == {"http": "http://good:1"}


def test_link_headers_as_registries_send_them() -> None:
    assert _links('</v2/a/tags/list?n=2&last=b>; rel="next"') == [
        ("/v2/a/tags/list?n=2&last=b", {"rel": "next"})
    ]
    assert _links('<https://x/1>; rel=prev; title="p, q", <https://x/3>;rel="next last"') == [
        ("https://x/1", {"rel": "prev", "title": "p, q"}),
        ("https://x/3", {"rel": "next last"}),
    ]
    assert _links("garbage") == []


def _client(**kwargs: object) -> Client:
    return Client(Trust(certs_dir=None), environ={}, **kwargs)  # type: ignore[arg-type]


def test_a_redirect_to_another_host_goes_without_the_authorization_header() -> None:
    with scripted_server(lambda request: Reply(200, {}, b"blob")) as storage:

        def registry(request: Request) -> Reply:
            if request.path.startswith("/same"):
                return Reply(307, {"Location": "/v2/elsewhere"})
            if request.path.startswith("/v2/elsewhere"):
                return Reply(200, {}, b"here")
            return Reply(307, {"Location": f"{storage.url}/blob"})

        with scripted_server(registry) as home:
            client = _client()
            try:
                away = client.request(
                    "GET", f"{home.url}/v2/a/blobs/x", headers={"Authorization": "Bearer t"}
                )
                same = client.request("GET", f"{home.url}/same", headers={"Authorization": "B t"})
            finally:
                client.close()
    assert (away.status_code, away.body, same.body) == (200, b"blob", b"here")
    assert [r.headers.get("Authorization") for r in home.requests] == ["Bearer t", "B t", "B t"]
    assert "Authorization" not in storage.requests[0].headers


def test_a_body_over_the_limit_is_cut_and_said() -> None:
    with scripted_server(lambda request: Reply(200, {}, b"x" * 5000)) as server:
        client = _client()
        try:
            cut = client.request("GET", f"{server.url}/big", limit=1000)
            whole = client.request("GET", f"{server.url}/big", limit=5000)
        finally:
            client.close()
    assert (len(cut.body), cut.truncated) == (1000, True)
    assert (len(whole.body), whole.truncated) == (5000, False)


def test_a_compressed_body_is_read_though_identity_was_asked_for() -> None:
    body = gzip.compress(b'{"tags": ["1"]}')
    with scripted_server(lambda r: Reply(200, {"Content-Encoding": "gzip"}, body)) as server:
        client = _client()
        try:
            answer = client.request("GET", f"{server.url}/v2/a/tags/list")
        finally:
            client.close()
    assert answer.json() == {"tags": ["1"]}
    assert server.requests[0].headers.get("Accept-Encoding") == "identity"


class _Connections:
    """A server that counts connections and may close each after one answer."""

    def __init__(self, close_after_each: bool) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.close_after_each = close_after_each


@pytest.fixture
def counting_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, _Connections]]:
    seen = _Connections(close_after_each=request.param)

    class Handler(QuietHandler):
        def setup(self) -> None:
            super().setup()
            with seen.lock:
                seen.count += 1

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.wfile.flush()
            if seen.close_after_each:
                # Closed without saying so, as an idle timeout on a server does.
                self.close_connection = True

    with loopback_server(Handler) as host:
        yield f"http://{host}", seen


@pytest.mark.parametrize("counting_server", [False], indirect=True)
def test_requests_one_after_another_share_one_connection(
    counting_server: tuple[str, _Connections],
) -> None:
    url, seen = counting_server
    client = _client()
    try:
        bodies = [client.request("GET", f"{url}/v2/").body for _ in range(20)]
    finally:
        client.close()
    assert bodies == [b"ok"] * 20
    assert seen.count == 1


@pytest.mark.parametrize("counting_server", [True], indirect=True)
def test_a_kept_connection_the_server_closed_is_not_reused(
    counting_server: tuple[str, _Connections],
) -> None:
    url, seen = counting_server
    client = _client()
    try:
        bodies = [client.request("GET", f"{url}/v2/").body for _ in range(5)]
    finally:
        client.close()
    assert bodies == [b"ok"] * 5
    assert seen.count == 5


def test_failures_are_one_line_without_the_url(tmp_path: Path) -> None:
    client = _client(connect_timeout=2)
    try:
        with pytest.raises(NoAnswerError) as refused:
            client.request("GET", "http://127.0.0.1:9/v2/secret?token=x")
        with pytest.raises(NoAnswerError) as unnamed:
            client.request("GET", "http://registry.invalid/v2/")
    finally:
        client.close()
    assert refused.value.reason == "connection refused"
    assert refused.value.worth_retrying
    assert not unnamed.value.worth_retrying
    assert "secret" not in refused.value.reason and "\n" not in unnamed.value.reason


def test_a_proxy_of_another_kind_is_refused_clearly() -> None:
    client = Client(Trust(certs_dir=None), environ={"HTTPS_PROXY": "socks5://proxy.example:1080"})
    with pytest.raises(NoAnswerError, match=r"proxy\.example is named with socks5://") as error:
        client.request("GET", "https://registry.example/v2/")
    assert not error.value.worth_retrying


@contextmanager
def raw_server(answers: list[bytes], close_after: bool = False) -> Iterator[str]:
    """Answers each request on a connection with the next bytes given, as
    written (whatever HTTP they hold); closes after each with ``close_after``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    pending = list(answers)
    seen: list[bytes] = []

    def serve() -> None:
        while pending:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                while pending:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        data = connection.recv(65536)
                        if not data:
                            break
                        request += data
                    if not request:
                        break
                    seen.append(request)
                    connection.sendall(pending.pop(0))
                    if close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def _get(url: str, **kwargs: object) -> Response:
    client = _client()
    try:
        return client.request("GET", url, **kwargs)  # type: ignore[arg-type]
    finally:
        client.close()


def test_a_chunked_answer_with_extensions_and_trailers_is_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\n\r\n"
        b'5;name=value\r\n{"tag\r\n'
        b'A\r\ns": ["1"]}\r\n'
        b"0\r\nX-Trailer: yes\r\n\r\n"
    )
    then = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with raw_server([chunked, then]) as url:
        client = _client()
        try:
            first = client.request("GET", f"{url}/a")
            second = client.request("GET", f"{url}/b")  # on the same connection
        finally:
            client.close()
    assert first.json() == {"tags": ["1"]}
    assert second.body == b"ok"


def test_an_http_1_0_answer_without_length_is_read_to_the_close() -> None:
    with raw_server([b"HTTP/1.0 200 OK\r\nX-Folded: one\r\n two\r\n\r\nall of it"], True) as url:
        answer = _get(f"{url}/")
    assert answer.body == b"all of it"
    assert answer.headers.get("x-folded") == "one two"


def test_an_informational_answer_is_skipped() -> None:
    with raw_server([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"]) as url:
        assert _get(f"{url}/").status_code == 204


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "the answer is not HTTP"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed in the middle"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length is 'ten'"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line that is not one"),
        (b"", "closed without an answer"),
    ],
)
def test_an_answer_that_is_not_http_is_said_in_one_line(raw: bytes, reason: str) -> None:
    with raw_server([raw], close_after=True) as url:
        client = Client(Trust(certs_dir=None), environ={})
        try:
            with pytest.raises(NoAnswerError) as error:
                client.request("GET", f"{url}/v2/")
        finally:
            client.close()
    assert reason in error.value.reason
    assert "\n" not in error.value.reason


def test_a_header_with_a_line_break_is_never_sent() -> None:
    with raw_server([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]) as url:
        client = _client()
        try:
            with pytest.raises(NoAnswerError, match="holds a line break") as error:
                client.request("GET", f"{url}/", headers={"Authorization": "Bearer x\r\nX-Evil: 1"})
        finally:
            client.close()
    assert not error.value.worth_retrying


def test_an_answer_over_https_is_never_followed_to_plain_http(tmp_path: Path) -> None:
    pki = LoopbackPKI(tmp_path / "pki")
    tls = (pki.server_cert, pki.server_key)
    with scripted_server(lambda request: Reply(200, {}, b"plain")) as plain:

        def registry(request: Request) -> Reply:
            if request.path.startswith("/away"):
                return Reply(307, {"Location": "http://registry.invalid/v2/a/blobs/x"})
            return Reply(307, {"Location": f"{plain.url}/v2/a/blobs/x"})  # loopback: allowed

        with scripted_server(registry, tls=tls) as home:
            trust = Trust(certs_dir=None, environ={"REQUESTS_CA_BUNDLE": str(pki.ca_pem)})
            client = Client(trust, environ={})
            try:
                with pytest.raises(NoAnswerError, match="redirected to plain HTTP") as error:
                    client.request("GET", f"{home.url}/away")
                loopback = client.request("GET", f"{home.url}/near")
            finally:
                client.close()
    assert not error.value.worth_retrying
    assert "registry.invalid" in error.value.reason
    assert loopback.body == b"plain"


@pytest.mark.parametrize(
    ("netloc", "scheme", "expected"),
    [
        ("localhost", "https", ("localhost", 443)),
        ("localhost", "http", ("localhost", 80)),
        ("registry.example:5000", "https", ("registry.example", 5000)),
        ("[::1]", "https", ("[::1]", 443)),
        ("[::1]:5000", "http", ("[::1]", 5000)),
        ("user@registry.example:5000", "https", ("registry.example", 5000)),
    ],
)
def test_host_and_port_as_registries_are_named(
    netloc: str, scheme: str, expected: tuple[str, int]
) -> None:
    assert host_and_port(scheme, netloc) == expected


@pytest.mark.parametrize("netloc", ["registry.example:https", "[::1]:x", "[::1]junk"])
def test_a_port_that_is_no_number_is_refused(netloc: str) -> None:
    with pytest.raises(NoAnswerError, match="bad port"):
        host_and_port("https", netloc)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.2:443", True),
        ("[::1]:5000", True),
        ("registry.example:5000", False),
        ("localhost:port", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
