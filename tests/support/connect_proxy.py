"""A forward proxy on loopback that tunnels TLS with CONNECT, as corporate
proxies (squid and the like) do, asking for a login when given one; itself
reached over TLS when given a certificate (an https:// proxy)."""

from __future__ import annotations

import base64
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.loopback import QuietHandler, loopback_server


@dataclass
class ConnectProxy:
    host: str  # "127.0.0.1:PORT"
    tunnels: list[str] = field(default_factory=list)  # the CONNECT targets let through
    refused: list[str] = field(default_factory=list)  # those refused (407)
    others: list[str] = field(default_factory=list)  # requests that were not CONNECT


@contextmanager
def connect_proxy(
    login: tuple[str, str] | None = None, tls: tuple[Path, Path] | None = None
) -> Iterator[ConnectProxy]:
    wanted = "Basic " + base64.b64encode(":".join(login).encode()).decode() if login else None
    lock = threading.Lock()
    state = ConnectProxy("")

    class Handler(QuietHandler):
        def do_CONNECT(self) -> None:
            if wanted is not None and self.headers.get("Proxy-Authorization") != wanted:
                with lock:
                    state.refused.append(self.path)
                self.send_response(407)
                self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name, _, port = self.path.rpartition(":")
            try:
                upstream = socket.create_connection((name, int(port)), timeout=5)
            except OSError:
                self.send_error(502)
                return
            with lock:
                state.tunnels.append(self.path)
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            _relay(self.connection, upstream)
            self.close_connection = True

        def _other(self) -> None:
            with lock:
                state.others.append(f"{self.command} {self.path}")
            self.send_error(405)

        do_GET = do_HEAD = do_POST = _other  # noqa: N815

    with loopback_server(Handler, tls) as host:
        state.host = host
        yield state


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    sockets = [client, upstream]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                # A TLS socket may hold more than select sees: take it all.
                while isinstance(sock, ssl.SSLSocket) and sock.pending():
                    data += sock.recv(sock.pending())
                (upstream if sock is client else client).sendall(data)
    except OSError:
        return
    finally:
        upstream.close()
