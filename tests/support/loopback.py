"""Serve an HTTP handler on a free loopback port, in a thread, for one test."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 (kept-alive connections) and keeps the test output clean.

    Sends each write at once, as real registries' servers do (Go's and
    nginx's set TCP_NODELAY): a response's body written after its headers
    would otherwise wait for the client's delayed acknowledgement, up to 40 ms."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    """Like a real registry's front: a listen backlog that holds a burst of
    new connections (socketserver's 5 drops SYNs, and each dropped one costs
    the client a second), and TLS handshakes in each connection's own thread
    rather than one after another in the accepting one."""

    request_queue_size = 128
    daemon_threads = True

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # the client gave up or distrusts us: nothing to serve
        super().finish_request(request, client_address)


@contextmanager
def loopback_server(
    handler: type[BaseHTTPRequestHandler], tls: tuple[Path, Path] | None = None
) -> Iterator[str]:
    """Yield ``127.0.0.1:PORT``; ``tls`` is (certificate, key)."""
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
