"""A real OCI registry (Debian's docker-registry) on a free loopback port, and a
small client that pushes images to it through the registry's HTTP API.

Used by the integration tests and by the demo (``scripts/demo``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REGISTRY_BINARY = "/usr/bin/docker-registry"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

_MEDIA = {
    "docker": (DOCKER_MANIFEST, DOCKER_LIST, DOCKER_CONFIG, DOCKER_LAYER),
    "oci": (OCI_MANIFEST, OCI_INDEX, OCI_CONFIG, OCI_LAYER),
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class RunningRegistry:
    host: str  # "127.0.0.1:PORT", as an image reference names it
    scheme: str
    storage: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _config_text(
    port: int,
    storage: Path,
    tls: tuple[Path, Path] | None,
    auth: str,
    client_cas: Path | None = None,
) -> str:
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {storage}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
    ]
    if tls is not None:
        lines += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
    if tls is not None and client_cas is not None:
        lines += ["    clientcas:", f"      - {client_cas}"]
    return "\n".join(lines) + "\n" + auth


@contextmanager
def running_registry(
    workdir: Path,
    *,
    storage: Path | None = None,
    tls: tuple[Path, Path] | None = None,
    auth: str = "",
    ca_bundle: Path | None = None,
    client_cas: Path | None = None,
    client_cert: tuple[Path, Path] | None = None,
) -> Iterator[RunningRegistry]:
    """Start docker-registry on a free loopback port; stop it on exit.

    ``tls`` is (certificate, key); ``auth`` is a YAML ``auth:`` section;
    ``client_cas`` makes the registry demand a client certificate signed by
    them (``client_cert``, certificate and key, is what the start-up check uses).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    storage = storage or workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / f"config-{port}.yml"
    config.write_text(_config_text(port, storage, tls, auth, client_cas))
    log = workdir / f"registry-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=log_file, stderr=subprocess.STDOUT
        )
    registry = RunningRegistry(
        f"127.0.0.1:{port}", "https" if tls else "http", storage, process, log
    )
    try:
        _wait_until_up(registry, ca_bundle, client_cert)
        yield registry
    finally:
        registry.stop()


def _wait_until_up(
    registry: RunningRegistry, ca_bundle: Path | None, client_cert: tuple[Path, Path] | None
) -> None:
    deadline = time.monotonic() + 20
    verify: bool | str = str(ca_bundle) if ca_bundle else True
    cert = (str(client_cert[0]), str(client_cert[1])) if client_cert else None
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {registry.log.read_text()}")
        try:
            requests.get(f"{registry.url}/v2/", timeout=1, verify=verify, cert=cert)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"docker-registry did not start: {registry.log.read_text()}")


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    def as_json(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


class Pusher:
    """Pushes blobs, manifests and indexes with plain HTTP API calls."""

    def __init__(
        self, base_url: str, verify: bool | str = True, auth: tuple[str, str] | None = None
    ) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.verify = verify
        self.session.auth = auth

    def blob(self, repository: str, data: bytes, media_type: str) -> Descriptor:
        digest = sha256_digest(data)
        started = self.session.post(f"{self.base_url}/v2/{repository}/blobs/uploads/")
        started.raise_for_status()
        location = started.headers["Location"]
        if location.startswith("/"):
            location = self.base_url + location
        separator = "&" if "?" in location else "?"
        finished = self.session.put(
            f"{location}{separator}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        finished.raise_for_status()
        return Descriptor(media_type, digest, len(data))

    def manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        response = self.session.put(
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            data=body,
            headers={"Content-Type": media_type},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"manifest push failed: {response.status_code} {response.text}")
        digest = sha256_digest(body)
        assert response.headers.get("Docker-Content-Digest") == digest
        return digest

    def tag(self, repository: str, digest: str, tag: str) -> None:
        """Give the manifest ``digest`` another tag, byte for byte the same."""
        accept = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
        got = self.session.get(
            f"{self.base_url}/v2/{repository}/manifests/{digest}", headers={"Accept": accept}
        )
        got.raise_for_status()
        media_type = got.headers["Content-Type"].split(";")[0]
        assert self.manifest(repository, tag, got.content, media_type) == digest

    def delete_manifest(self, repository: str, digest: str) -> None:
        response = self.session.delete(f"{self.base_url}/v2/{repository}/manifests/{digest}")
        response.raise_for_status()

    def image(
        self,
        repository: str,
        tag: str | None,
        *,
        media: str = "docker",
        platform: tuple[str, ...] = ("linux", "amd64"),  # os, architecture[, variant]
        content: str = "",
        created: str = "2026-01-01T00:00:00Z",
    ) -> tuple[str, Descriptor]:
        """Push a one-layer image; return its manifest digest and descriptor.

        ``content`` goes into the layer, so different content gives a
        different digest under the same tag.
        """
        manifest_type, _, config_type, layer_type = _MEDIA[media]
        layer_tar = _tar_with_file("content.txt", f"{repository} {tag} {platform} {content}")
        layer = self.blob(repository, gzip.compress(layer_tar, mtime=0), layer_type)
        config_json = {
            **_platform_json(platform),
            "created": created,
            "config": {"Labels": {"content": content}},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer_tar)]},
        }
        config = self.blob(repository, _json_bytes(config_json), config_type)
        manifest = {
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": config.as_json(),
            "layers": [layer.as_json()],
        }
        body = _json_bytes(manifest)
        digest = self.manifest(repository, tag or sha256_digest(body), body, manifest_type)
        return digest, Descriptor(manifest_type, digest, len(body))

    def index(
        self,
        repository: str,
        tag: str,
        *,
        media: str = "docker",
        platforms: Sequence[tuple[str, ...]] = (("linux", "amd64"), ("linux", "arm64")),
        content: str = "",
        created: Sequence[str] = (),
    ) -> tuple[str, dict[tuple[str, ...], str]]:
        """Push a multi-platform image; return the index digest and each platform's.
        ``created`` gives the platforms' build dates in order (else the default)."""
        _, index_type, _, _ = _MEDIA[media]
        children: dict[tuple[str, ...], str] = {}
        entries = []
        dates = list(created) or ["2026-01-01T00:00:00Z"] * len(platforms)
        for platform, date in zip(platforms, dates, strict=True):
            digest, descriptor = self.image(
                repository, None, media=media, platform=platform, content=content, created=date
            )
            children[platform] = digest
            entries.append(descriptor.as_json() | {"platform": _platform_json(platform)})
        body = _json_bytes({"schemaVersion": 2, "mediaType": index_type, "manifests": entries})
        return self.manifest(repository, tag, body, index_type), children


def _platform_json(platform: tuple[str, ...]) -> dict[str, str]:
    named = {"os": platform[0], "architecture": platform[1]}
    return named | ({"variant": platform[2]} if len(platform) > 2 else {})


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, indent=3).encode()


def _tar_with_file(name: str, text: str) -> bytes:
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def htpasswd_config(folder: Path, users: dict[str, str]) -> str:
    """An ``auth:`` section for Basic auth with these users (bcrypt, as the registry wants)."""
    import bcrypt

    path = folder / "htpasswd"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(
            f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
            for user, password in users.items()
        )
    )
    return f"auth:\n  htpasswd:\n    realm: pinner-test\n    path: {path}\n"


def skopeo_inspect(reference: str, *options: str) -> str:
    """What ``skopeo inspect OPTIONS docker://REFERENCE`` prints: the independent oracle."""
    import shutil

    skopeo = shutil.which("skopeo")
    assert skopeo, "install the Debian package skopeo"
    completed = subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", *options, f"docker://{reference}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout.strip()


def skopeo_digest(reference: str, *extra: str) -> str:
    """The digest skopeo reports for ``reference``."""
    return skopeo_inspect(reference, *extra, "--format", "{{.Digest}}")
