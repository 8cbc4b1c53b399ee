"""Registries that answer badly: nothing malformed may ever reach a file.

A scripted HTTP server on loopback plays the registry; each tag in the
script is one way of misbehaving.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.scripted_server import Reply, Request, scripted_server

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


# tag -> (answer to HEAD, answer to GET)
SCRIPT: dict[str, tuple[Reply, Reply]] = {
    "bad-header-good-body": (
        Reply(200, {"Docker-Content-Digest": "sha256:xyz", "Content-Type": OCI}),
        Reply(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "header-with-extra-text": (
        Reply(200, {"Docker-Content-Digest": f"{MANIFEST_DIGEST} extra", "Content-Type": OCI}),
        Reply(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "no-header": (
        Reply(200, {"Content-Type": OCI}),
        Reply(200, {"Content-Type": OCI}, MANIFEST),
    ),
    "head-not-allowed": (
        Reply(405, {}),
        Reply(200, {"Content-Type": OCI, "Docker-Content-Digest": MANIFEST_DIGEST}, MANIFEST),
    ),
    "html-page": (
        Reply(200, {"Content-Type": "text/html"}),
        Reply(200, {"Content-Type": "text/html"}, b"<html><body>Welcome</body></html>"),
    ),
    "lying-header": (
        Reply(200, {"Content-Type": OCI}),
        Reply(200, {"Content-Type": OCI, "Docker-Content-Digest": "sha256:" + "1" * 64}, MANIFEST),
    ),
    "not-json": (
        Reply(200, {"Content-Type": OCI}),
        Reply(200, {"Content-Type": OCI}, b"{not json"),
    ),
    "server-error": (Reply(500, {}), Reply(500, {})),
    "forbidden": (Reply(403, {}), Reply(403, {})),
    "basic-auth": (
        Reply(401, {"WWW-Authenticate": 'Basic realm="registry"'}),
        Reply(401, {"WWW-Authenticate": 'Basic realm="registry"'}),
    ),
}


def _answer(request: Request) -> Reply:
    if request.path == "/v2/":
        return Reply(200)
    head, full = SCRIPT[request.path.rsplit("/", 1)[-1]]
    if request.method == "HEAD":
        # A HEAD answer carries the length of the body a GET would send.
        return Reply(head.status, {**head.headers, "Content-Length": str(len(full.body))})
    return Reply(full.status, full.headers, full.body)


@pytest.fixture(scope="module")
def scripted_registry() -> Iterator[str]:
    with scripted_server(_answer) as server:
        yield server.host


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
