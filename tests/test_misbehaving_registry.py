"""Registries that answer badly: nothing malformed may ever reach a file.

A scripted HTTP server on loopback plays the registry; each tag in the
script is one way of misbehaving.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_pinner

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": 1},
        "layers": [],
    }
).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
OCI = "application/vnd.oci.image.manifest.v1+json"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


# tag -> (answer to HEAD, answer to GET)
SCRIPT: dict[str, tuple[Answer, Answer]] = {
    "bad-header-good-body": (
        Answer(200, {"Docker-Content-Digest": "sha256:xyz", "Content-Type": OCI}),
        Answer(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "header-with-extra-text": (
        Answer(200, {"Docker-Content-Digest": f"{MANIFEST_DIGEST} extra", "Content-Type": OCI}),
        Answer(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "no-header": (
        Answer(200, {"Content-Type": OCI}),
        Answer(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "head-not-allowed": (
        Answer(405, {}),
        Answer(200, {"Content-Type": OCI, "Docker-Content-Digest": MANIFEST_DIGEST}, MANIFEST),
    ),
    "html-page": (
        Answer(200, {"Content-Type": "text/html"}),
        Answer(200, {"Content-Type": "text/html"}, b"<html><body>Welcome</body></html>"),
    ),
    "lying-header": (
        Answer(200, {"Content-Type": OCI}),
        Answer(200, {"Content-Type": OCI, "Docker-Content-Digest": "sha256:" + "1" * 64}, MANIFEST),
    ),
    "not-json": (
        Answer(200, {"Content-Type": OCI}),
        Answer(200, {"Content-Type": OCI}, b"{not json"),
    ),
    "server-error": (Answer(500, {}), Answer(500, {})),
    "forbidden": (Answer(403, {}), Answer(403, {})),
    "basic-auth": (
        Answer(401, {"WWW-Authenticate": 'Basic realm="registry"'}),
        Answer(401, {"WWW-Authenticate": 'Basic realm="registry"'}),
    ),
}


@pytest.fixture(scope="module")
def scripted_registry() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, get: bool) -> None:
            if self.path == "/v2/":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tag = self.path.rsplit("/", 1)[-1]
            head, full = SCRIPT[tag]
            answer = full if get else head
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(full.body)))
            self.end_headers()
            if get:
                self.wfile.write(answer.body)

        def do_HEAD(self) -> None:
            self._answer(get=False)

        def do_GET(self) -> None:
            self._answer(get=True)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "tag", ["bad-header-good-body", "header-with-extra-text", "no-header", "head-not-allowed"]
)
def test_digest_comes_from_hashing_the_body(
    scripted_registry: str, tmp_path: Path, tag: str
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {scripted_registry}/app:{tag}\n")
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {scripted_registry}/app:{tag}@{MANIFEST_DIGEST}\n"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("html-page", "answered with text/html, not an image manifest"),
        ("lying-header", "claims digest"),
        ("not-json", "not JSON"),
        ("server-error", "answered HTTP 500"),
        ("forbidden", "denied:"),
        ("basic-auth", "requires credentials"),
    ],
)
def test_bad_answers_are_errors_and_the_file_is_untouched(
    scripted_registry: str, tmp_path: Path, tag: str, message: str
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    original = f"FROM {scripted_registry}/app:{tag}\n"
    dockerfile.write_text(original)
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"Dockerfile:1: {scripted_registry}/app:{tag}: ")
    assert message in first
    assert dockerfile.read_text() == original
