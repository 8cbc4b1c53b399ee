"""An HTTP proxy on loopback, in front of the real registry, that misbehaves on cue.

Each request is matched against a queue of faults (first match wins, used
once); with no fault it is forwarded unchanged. It can also delay every
request and answer (the benchmark's simulated distance) and it counts what it
forwards.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.loopback import QuietHandler, loopback_server

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass
class Fault:
    """``kind`` is one of: status, stall, reset, drop-digest, digest, raw-digest, html."""

    kind: str
    method: str = ""  # "" matches any method
    path: str = ""  # a regular expression searched in the path; "" matches any
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    value: str = ""  # the digest header value for "digest" and "raw-digest"

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and (
            not self.path or re.search(self.path, path) is not None
        )


@dataclass
class FaultProxy:
    host: str  # "127.0.0.1:PORT"
    upstream: str
    faults: list[Fault]
    delay: float
    counts: Counter[str]
    lock: threading.Lock
    stop_stalls: threading.Event
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests it was handling at one moment

    @contextmanager
    def handling(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1

    def add(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.matches(method, path):
                    return self.faults.pop(index)
        return None

    def count(self, method: str, path: str) -> None:
        kind = "manifest" if "/manifests/" in path else "blob" if "/blobs/" in path else "other"
        with self.lock:
            self.counts[f"{method} {kind}"] += 1


@contextmanager
def fault_proxy(
    upstream: str, delay: float = 0.0, tls: tuple[Path, Path] | None = None
) -> Iterator[FaultProxy]:
    """Start the proxy in front of ``upstream`` (``host:port``, plain HTTP);
    with ``tls`` (certificate, key) the proxy itself speaks HTTPS."""
    state_holder: list[FaultProxy] = []

    class Handler(QuietHandler):
        def _handle(self) -> None:
            with state_holder[0].handling():
                self._handle_one()

        def _handle_one(self) -> None:
            state = state_holder[0]
            if state.delay:
                time.sleep(state.delay)
            state.count(self.command, self.path)
            fault = state.take(self.command, self.path)
            if fault is not None and fault.kind == "stall":
                state.stop_stalls.wait(60)
                self.close_connection = True
                return
            if fault is not None and fault.kind == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            if fault is not None and fault.kind == "status":
                self._send(fault.status, fault.headers, b"")
                return
            if fault is not None and fault.kind == "html":
                body = b"<html><body><h1>Welcome to our mirror</h1></body></html>"
                self._send(200, {"Content-Type": "text/html"}, body)
                return
            status, headers, body = self._forward()
            if fault is not None and fault.kind == "drop-digest":
                headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
            if fault is not None and fault.kind == "digest":
                headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
                headers.append(("Docker-Content-Digest", fault.value))
            raw = None
            if fault is not None and fault.kind == "raw-digest":
                headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
                raw = f"Docker-Content-Digest: {fault.value}\r\n".encode()
            if state.delay:
                time.sleep(state.delay)
            self._send(status, dict(headers), body, raw_header=raw)

        def _forward(self) -> tuple[int, list[tuple[str, str]], bytes]:
            state = state_holder[0]
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length else None
            connection = http.client.HTTPConnection(state.upstream, timeout=30)
            try:
                # Repeated headers (several Accept lines) are joined, not dropped.
                headers = {
                    name: ", ".join(self.headers.get_all(name) or [])
                    for name in dict.fromkeys(self.headers.keys())
                    if name.lower() not in HOP_BY_HOP
                }
                connection.request(self.command, self.path, body=payload, headers=headers)
                response = connection.getresponse()
                body = response.read()
                kept = [
                    (k, v)
                    for k, v in response.getheaders()
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
                ]
                return response.status, kept, body
            finally:
                connection.close()

        def _send(
            self,
            status: int,
            headers: dict[str, str],
            body: bytes,
            raw_header: bytes | None = None,
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if raw_header is not None:
                self._headers_buffer.append(raw_header)  # type: ignore[attr-defined]
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

    with loopback_server(Handler, tls) as host:
        state = FaultProxy(
            host, upstream, [], delay, Counter(), threading.Lock(), threading.Event()
        )
        state_holder.append(state)
        try:
            yield state
        finally:
            state.stop_stalls.set()  # stalled handlers end before the server stops
