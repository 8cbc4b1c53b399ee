"""The default resolver: the OCI Distribution API, spoken directly.

HEAD the manifest with every manifest and index media type in ``Accept`` and
read ``Docker-Content-Digest``; when that gives no usable digest, GET the
manifest and hash its bytes. Without a platform the answer for a
multi-platform image is its index digest, as ``crane digest`` gives.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from pinner import __version__
from pinner.reference import ImageReference, is_sha256_digest
from pinner.resolve.challenge import parse_challenge
from pinner.resolve.errors import (
    BadResponseError,
    DeniedError,
    NotFoundError,
    ResolveError,
    UnreachableError,
)
from pinner.resolve.manifest import (
    Manifest,
    ManifestError,
    Platform,
    parse_manifest,
    platform_from_config,
)

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_ACCEPT = ", ".join(MANIFEST_MEDIA_TYPES)
_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
_DEFAULT_TOKEN_SECONDS = 60


@dataclass(frozen=True)
class _Token:
    header: str
    expires: float


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``, with or without a port."""
    if host.startswith("["):
        name = host[1 : host.find("]")]
    else:
        name = host.rsplit(":", 1)[0] if ":" in host else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class RegistryResolver:
    """Looks tags up over HTTPS; plain HTTP only for loopback registries and the
    ``insecure`` hosts the configuration names, and only if they do not speak TLS."""

    def __init__(
        self,
        *,
        jobs: int = 16,
        timeout: tuple[float, float] = (5.0, 30.0),
        insecure: tuple[str, ...] = (),
    ) -> None:
        self._timeout = timeout
        self._insecure = frozenset(insecure)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"pinner/{__version__}"
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=max(jobs, 1))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._base_urls: dict[str, str] = {}
        self._tokens: dict[str, _Token] = {}

    def close(self) -> None:
        self._session.close()

    def resolve(self, reference: ImageReference) -> str:
        url = self._manifest_url(reference, reference.tracked_tag)
        head = self._send("HEAD", reference, url)
        if head.status_code == 200:
            digest = head.headers.get("Docker-Content-Digest", "")
            if is_sha256_digest(digest) and _media_type(head) in MANIFEST_MEDIA_TYPES:
                return digest
        elif head.status_code in (401, 403, 404):
            raise _status_error(reference, head, f"tag {reference.tracked_tag}")
        return self._fetch(reference, reference.tracked_tag)[0]

    def manifest(self, reference: ImageReference, target: str) -> Manifest:
        digest, media_type, body = self._fetch(reference, target)
        try:
            return parse_manifest(digest, media_type, body)
        except ManifestError as error:
            raise BadResponseError(f"bad response: {reference.api_host} sent {error}") from None

    def exists(self, reference: ImageReference, digest: str) -> bool:
        """Whether the repository still has the manifest ``digest``."""
        head = self._send("HEAD", reference, self._manifest_url(reference, digest))
        head.close()
        if head.status_code in (200, 404):
            return head.status_code == 200
        if head.status_code in (401, 403):
            raise _status_error(reference, head, f"manifest {digest}")
        try:  # a registry that does not answer HEAD well: ask with GET
            self._fetch(reference, digest)
        except NotFoundError:
            return False
        return True

    def platform(self, reference: ImageReference, digest: str) -> Platform | None:
        manifest = self.manifest(reference, digest)
        if manifest.config_digest is None or not is_sha256_digest(manifest.config_digest):
            return None
        base = self._base_url(reference.api_host)
        url = f"{base}/v2/{reference.path}/blobs/{manifest.config_digest}"
        # A blob may redirect to storage elsewhere; requests drops the
        # Authorization header when the host changes.
        response = self._send("GET", reference, url, stream=True)
        with response:
            if response.status_code != 200:
                return None
            body = response.raw.read(_MAX_MANIFEST_BYTES + 1, decode_content=True)
        if "sha256:" + hashlib.sha256(body).hexdigest() != manifest.config_digest:
            return None
        return platform_from_config(body)

    def _manifest_url(self, reference: ImageReference, target: str) -> str:
        return f"{self._base_url(reference.api_host)}/v2/{reference.path}/manifests/{target}"

    def _fetch(self, reference: ImageReference, target: str) -> tuple[str, str, bytes]:
        """GET a manifest by tag or digest; return its digest (the hash of its bytes),
        media type and bytes."""
        what = f"manifest {target}" if target.startswith("sha256:") else f"tag {target}"
        response = self._send("GET", reference, self._manifest_url(reference, target), stream=True)
        with response:
            if response.status_code != 200:
                raise _status_error(reference, response, what)
            media_type = _media_type(response)
            if media_type not in MANIFEST_MEDIA_TYPES:
                raise BadResponseError(
                    f"bad response: {reference.api_host} answered with"
                    f" {media_type or 'no content type'}, not an image manifest"
                )
            body = response.raw.read(_MAX_MANIFEST_BYTES + 1, decode_content=True)
        if len(body) > _MAX_MANIFEST_BYTES:
            raise BadResponseError(
                f"bad response: the manifest from {reference.api_host} is too large"
            )
        try:
            json.loads(body)
        except ValueError:
            raise BadResponseError(
                f"bad response: {reference.api_host} sent a manifest that is not JSON"
            ) from None
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        claimed = response.headers.get("Docker-Content-Digest")
        if claimed is not None and claimed != digest:
            raise BadResponseError(
                f"bad response: {reference.api_host} claims digest {claimed[:80]!r} for a"
                f" manifest whose bytes hash to {digest}"
            )
        if target.startswith("sha256:") and digest != target:
            raise BadResponseError(
                f"bad response: {reference.api_host} sent a manifest whose bytes hash to"
                f" {digest} when asked for {target}"
            )
        return digest, media_type, body

    def _send(
        self, method: str, reference: ImageReference, url: str, *, stream: bool = False
    ) -> requests.Response:
        scope = f"repository:{reference.path}:pull"
        token_key = f"{reference.api_host} {scope}"
        response = self._request(method, url, self._cached_token(token_key), stream)
        if response.status_code != 401:
            return response
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        response.close()
        if challenge is None or challenge.scheme != "bearer" or "realm" not in challenge.params:
            raise DeniedError(
                f"denied: {reference.api_host} requires credentials for {reference.repository}"
            )
        token = self._fetch_token(token_key, reference, challenge.params, scope)
        return self._request(method, url, token, stream)

    def _request(
        self, method: str, url: str, authorization: str | None, stream: bool
    ) -> requests.Response:
        headers = {"Accept": _ACCEPT}
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            return self._session.request(
                method, url, headers=headers, timeout=self._timeout, stream=stream
            )
        except requests.Timeout:
            raise UnreachableError(f"unreachable: {_host_of(url)} did not answer in time") from None
        except requests.RequestException as error:
            raise UnreachableError(f"unreachable: {_host_of(url)}: {_reason(error)}") from None

    def _cached_token(self, key: str) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
        if token is not None and token.expires > time.monotonic():
            return token.header
        return None

    def _fetch_token(
        self, key: str, reference: ImageReference, params: dict[str, str], scope: str
    ) -> str:
        with self._key_lock(f"token {key}"):
            cached = self._cached_token(key)
            if cached is not None:
                return cached
            query = {"scope": scope}
            if "service" in params:
                query["service"] = params["service"]
            realm = params["realm"]
            try:
                response = self._session.get(realm, params=query, timeout=self._timeout)
            except requests.RequestException as error:
                raise UnreachableError(
                    f"unreachable: token service {_host_of(realm)}: {_reason(error)}"
                ) from None
            with response:
                if response.status_code != 200:
                    raise DeniedError(
                        f"denied: the token service for {reference.api_host} answered"
                        f" HTTP {response.status_code} for {reference.repository}"
                    )
                try:
                    answer = response.json()
                    value = answer.get("token") or answer.get("access_token")
                    lifetime = float(answer.get("expires_in", _DEFAULT_TOKEN_SECONDS))
                except (ValueError, AttributeError, TypeError):
                    value = None
            if not isinstance(value, str) or not value:
                raise BadResponseError(
                    f"bad response: the token service for {reference.api_host} sent no token"
                )
            # Renew a little early so a token never expires mid-request.
            token = _Token(f"Bearer {value}", time.monotonic() + max(lifetime - 5, 1))
            with self._lock:
                self._tokens[key] = token
            return token.header

    def _base_url(self, host: str) -> str:
        with self._key_lock(f"base {host}"):
            with self._lock:
                known = self._base_urls.get(host)
            if known is not None:
                return known
            base = f"https://{host}"
            plain_allowed = is_loopback_host(host) or host in self._insecure
            if plain_allowed and not self._speaks_tls(host):
                base = f"http://{host}"
            with self._lock:
                self._base_urls[host] = base
            return base

    def _speaks_tls(self, host: str) -> bool:
        # Docker talks plain HTTP to loopback registries that do not speak TLS.
        # Only the handshake is tried, unverified and without credentials: the
        # real requests verify the certificate as usual.
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "443")
        address = name.strip("[]") or host
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((address, int(port or 443)), self._timeout[0]) as raw,
                context.wrap_socket(raw, server_hostname=address),
            ):
                return True
        except (OSError, ValueError):
            return False

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip()


def _status_error(
    reference: ImageReference, response: requests.Response, target: str
) -> ResolveError:
    status = response.status_code
    what = f"{target} of {reference.repository}"
    if status == 404:
        return NotFoundError(f"not found: {what}")
    if status in (401, 403):
        return DeniedError(f"denied: {reference.api_host} refused access to {what} (HTTP {status})")
    return BadResponseError(f"bad response: {reference.api_host} answered HTTP {status} for {what}")


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _reason(error: requests.RequestException) -> str:
    # One short line, free of URLs (which may carry queries) and pool details.
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(error))
    if match is not None:
        return match.group(1).strip().lower()
    if "CERTIFICATE_VERIFY_FAILED" in str(error):
        return (
            "the TLS certificate is not trusted (point REQUESTS_CA_BUNDLE at the CA that signed it)"
        )
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS handshake failed"
    return type(error).__name__
