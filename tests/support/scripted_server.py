"""A small HTTP(S) server on loopback whose answers a test scripts, and which
records every request it gets (method, path, headers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.loopback import QuietHandler, loopback_server


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class ScriptedServer:
    host: str  # "127.0.0.1:PORT"
    scheme: str
    requests: list[Request]

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


@contextmanager
def scripted_server(
    answer: Callable[[Request], Reply], tls: tuple[Path, Path] | None = None
) -> Iterator[ScriptedServer]:
    recorded: list[Request] = []

    class Handler(QuietHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            request = Request(self.command, self.path, dict(self.headers.items()))
            recorded.append(request)
            reply = answer(request)
            self.send_response(reply.status)
            headers = {"Content-Length": str(len(reply.body)), **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

    with loopback_server(Handler, tls) as host:
        yield ScriptedServer(host, "https" if tls else "http", recorded)
