"""The default resolver: the OCI Distribution API, spoken directly.

HEAD the manifest with every manifest and index media type in ``Accept`` and
read ``Docker-Content-Digest``; when that gives no usable digest, GET the
manifest and hash its bytes. Without a platform the answer for a
multi-platform image is its index digest, as ``crane digest`` gives. Only
``sha256:`` and 64 lower-case hex digits is ever returned.
"""

from __future__ import annotations

import functools
import hashlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pinner.reference import ImageReference, is_sha256_digest
from pinner.resolve.auth import (
    Authenticator,
    CredentialSource,
    DockerConfigCredentials,
    login_hint,
)
from pinner.resolve.batch import FanOut
from pinner.resolve.challenge import Challenge, parse_challenge
from pinner.resolve.errors import (
    BadResponseError,
    DeniedError,
    NotFoundError,
    ResolveError,
)
from pinner.resolve.http import NoAnswerError, Response, host_and_port, is_loopback_host
from pinner.resolve.manifest import (
    Manifest,
    ManifestError,
    Platform,
    parse_manifest,
    platform_from_config,
)
from pinner.resolve.tls import Trust, probe_context
from pinner.resolve.transport import (
    RetryPolicy,
    Transport,
    new_client,
)
from pinner.resolve.workers import Future, WorkerPool

if TYPE_CHECKING:
    from pinner.resolve.facts import ImageFacts

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_ACCEPT = ", ".join(MANIFEST_MEDIA_TYPES)
TAGS_PAGE = 1000  # tags asked for per page of a tag list
_MOST_TAG_PAGES = 1000
_MAX_MANIFEST_BYTES = 4 * 1024 * 1024


class RegistryResolver:
    """Looks tags up over HTTPS; plain HTTP only for loopback registries and the
    ``insecure`` hosts the configuration names, and only if they do not speak TLS."""

    def __init__(
        self,
        *,
        jobs: int = 16,
        policy: RetryPolicy | None = None,
        insecure: tuple[str, ...] = (),
        credentials: CredentialSource | None = None,
        trust: Trust | None = None,
        on_slow: Callable[[str, float], None] | None = None,
    ) -> None:
        policy = policy or RetryPolicy()
        client = new_client(jobs, trust, policy)
        self._transport = Transport(client, policy, on_slow=on_slow)
        self._auth = Authenticator(self._transport, credentials or DockerConfigCredentials())
        self._insecure = frozenset(insecure)
        self._lock = threading.Lock()
        self._base_locks: dict[str, threading.Lock] = {}
        self._base_urls: dict[str, str] = {}
        self._challenges: dict[str, Future[Challenge | None]] = {}
        self._prepared: dict[str, Future[None]] = {}
        # Every host's ping at once (within --jobs), then its token requests;
        # a host's lookups wait for its own.
        self._background = WorkerPool(jobs, "pinner-warm-up")
        self.manifest_requests = 0

    @property
    def token_requests(self) -> int:
        return self._auth.token_requests

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel=True)
        self._transport.close()

    def warm_up(self, host: str) -> None:
        """Find out in the background whether the host speaks TLS and how it wants
        to be authenticated (one ``GET /v2/``), while files are still scanned."""
        with self._lock:
            if host in self._challenges:
                return
            self._challenges[host] = self._background.submit(functools.partial(self._ping, host))

    def prepare(self, references: Iterable[ImageReference]) -> None:
        """Start fetching tokens for all of a host's repositories together, so
        that each lookup is one manifest request. Returns at once: a lookup
        waits only for its own host's tokens, so that a slow token service
        holds up no other registry's lookups. Failures here are left for the
        lookups to meet and report."""
        by_host: dict[str, list[str]] = {}
        for reference in references:
            scopes = by_host.setdefault(reference.api_host, [])
            scope = _pull_scope(reference)
            if scope not in scopes:
                scopes.append(scope)
        for host, scopes in by_host.items():
            self.warm_up(host)
            with self._lock:
                earlier = self._prepared.get(host)
                # The pool takes tasks in the order given: the host's ping, and
                # any earlier preparation, are under way before this waits on them.
                self._prepared[host] = self._background.submit(
                    functools.partial(self._prepare_host, host, scopes, earlier)
                )

    def _prepare_host(self, host: str, scopes: list[str], earlier: Future[None] | None) -> None:
        if earlier is not None:
            earlier.result()
        with self._lock:
            pinged = self._challenges[host]
        try:
            challenge = pinged.result()
            if challenge is not None:
                self._auth.prefetch(host, self._base_url(host), scopes, challenge)
        except ResolveError:
            pass

    def _await_preparation(self, host: str) -> None:
        with self._lock:
            preparing = self._prepared.get(host)
        if preparing is not None:
            preparing.result()

    def _ping(self, host: str) -> Challenge | None:
        """The host's challenge, if ``GET /v2/`` asks for authentication."""
        try:
            response = self._transport.request("GET", f"{self._base_url(host)}/v2/")
        except ResolveError:
            return None
        if response.status_code != 401:
            return None
        return parse_challenge(response.headers.get("WWW-Authenticate", ""))

    def resolve(self, reference: ImageReference) -> str:
        url = self._manifest_url(reference, reference.tracked_tag)
        head = self._send("HEAD", reference, url)
        if head.status_code == 200:
            digest = head.headers.get("Docker-Content-Digest", "")
            if is_sha256_digest(digest) and _media_type(head) in MANIFEST_MEDIA_TYPES:
                return digest
        elif head.status_code in (401, 403, 404) or head.status_code >= 500:
            # Answers, or faults that retrying has not cured: GET would fare no better.
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
        if head.status_code in (200, 404):
            return head.status_code == 200
        if head.status_code in (401, 403):
            raise _status_error(reference, head, f"manifest {digest}")
        try:  # a registry that does not answer HEAD well: ask with GET
            self._fetch(reference, digest)
        except NotFoundError:
            return False
        return True

    def tags(self, reference: ImageReference) -> list[str]:
        """Every tag of the reference's repository (``GET /v2/<name>/tags/list``),
        following the ``Link`` header from page to page, on the same host only."""
        base = self._base_url(reference.api_host)
        url: str | None = f"{base}/v2/{reference.path}/tags/list?n={TAGS_PAGE}"
        found: list[str] = []
        for _ in range(_MOST_TAG_PAGES):
            if url is None:
                return found
            response = self._send("GET", reference, url)
            if response.status_code != 200:
                raise _status_error(reference, response, "the tag list")
            try:
                listed = response.json().get("tags") or []
            except (ValueError, AttributeError):
                raise BadResponseError(
                    f"bad response: {reference.api_host} sent a tag list that is not JSON"
                ) from None
            found += [tag for tag in listed if isinstance(tag, str)]
            following = response.links.get("next")
            url = _same_host(base, url, following) if following else None
        raise BadResponseError(
            f"bad response: {reference.api_host} lists more than {_MOST_TAG_PAGES} pages of tags"
        )

    def platform(self, reference: ImageReference, digest: str) -> Platform | None:
        manifest = self.manifest(reference, digest)
        if manifest.config_digest is None:
            return None
        body = self._config(reference, manifest.config_digest)
        return platform_from_config(body) if body is not None else None

    def image_facts(
        self,
        reference: ImageReference,
        target: str,
        fan_out: FanOut,
        all_configs: bool = False,
        only: str | None = None,
    ) -> ImageFacts:
        """Per platform: the manifest digest, the size of its layers and how many;
        when the image was built and for which OS (the first platform's config,
        or every one's with ``all_configs``; with ``only``, that platform's
        manifest and config alone). ``target`` is a digest, or a tag:
        one GET then gives both the digest and the manifest. The platforms are
        read at once; every request is made on ``fan_out``'s workers."""
        # Only report and bumps read facts: pin and check spare the import.
        from pinner.resolve.facts import (
            ImageFacts,
            PlatformFacts,
            config_facts,
            layer_sizes,
            platform_children,
        )

        tag_manifest = functools.partial(self._fetch, reference, target)
        digest, media_type, body = fan_out.start({0: tag_manifest})()[0]
        try:
            document = json.loads(body)
            children = platform_children(digest, media_type, document)
        except (ManifestError, ValueError) as error:
            raise BadResponseError(f"bad response: {reference.api_host} sent {error}") from None

        def read(child: str, platform: str | None, with_config: bool) -> PlatformFacts:
            """A platform's manifest and, if wanted, its config right after it:
            each platform's chain of round trips runs beside the others'."""
            try:
                found = (
                    document if child == digest else json.loads(self._fetch(reference, child)[2])
                )
                layers, config_digest = layer_sizes(found)
            except (ResolveError, ManifestError, ValueError) as error:
                why = error.message if isinstance(error, ResolveError) else str(error)
                return PlatformFacts(platform, child, None, None, why)
            created = config_os = built_for = None
            if with_config and config_digest is not None:
                config = self._config(reference, config_digest)
                if config is not None:
                    created, config_os = config_facts(config)
                    found_platform = platform_from_config(config)
                    built_for = str(found_platform) if found_platform else None
            return PlatformFacts(
                platform,
                child,
                sum(layers),
                len(layers),
                created=created,
                os=config_os,
                built_for=built_for,
            )

        # With ``only``, that platform's manifest and config alone (the first
        # platform's where the image lacks it); the others are named, not read.
        wanted = next((i for i, (_, p) in enumerate(children) if p == only), 0)

        def named(child: str, platform: str | None) -> PlatformFacts:
            return PlatformFacts(platform, child, None, None)

        work = {
            index: functools.partial(read, child, platform, index == wanted or all_configs)
            if only is None or index == wanted
            else functools.partial(named, child, platform)
            for index, (child, platform) in enumerate(children)
        }
        answers = fan_out.start(work)()
        platforms = tuple(answers[index] for index in range(len(children)))
        built = next((p for p in platforms if p.created is not None), None)
        described = next((p for p in platforms if p.os is not None), None)
        return ImageFacts(
            digest, platforms, built.created if built else None, described.os if described else None
        )

    def _config(self, reference: ImageReference, config_digest: str) -> bytes | None:
        """An image's config blob, checked against its digest; None if unreadable."""
        if not is_sha256_digest(config_digest):
            return None
        base = self._base_url(reference.api_host)
        url = f"{base}/v2/{reference.path}/blobs/{config_digest}"
        # A blob may redirect to storage elsewhere; the Authorization header
        # does not follow to another host.
        response = self._send("GET", reference, url)
        if response.status_code != 200 or response.truncated:
            return None
        body = response.body
        if "sha256:" + hashlib.sha256(body).hexdigest() != config_digest:
            return None
        return bytes(body)

    def _manifest_url(self, reference: ImageReference, target: str) -> str:
        return f"{self._base_url(reference.api_host)}/v2/{reference.path}/manifests/{target}"

    def _fetch(self, reference: ImageReference, target: str) -> tuple[str, str, bytes]:
        """GET a manifest by tag or digest: its digest (the hash of its bytes),
        media type and bytes."""
        what = f"manifest {target}" if target.startswith("sha256:") else f"tag {target}"
        host = reference.api_host
        response = self._send("GET", reference, self._manifest_url(reference, target))
        if response.status_code != 200:
            raise _status_error(reference, response, what)
        media_type = _media_type(response)
        if media_type not in MANIFEST_MEDIA_TYPES:
            raise BadResponseError(
                f"bad response: {host} answered with"
                f" {media_type or 'no content type'}, not an image manifest"
            )
        body = response.body
        if response.truncated:
            raise BadResponseError(f"bad response: the manifest from {host} is too large")
        try:
            json.loads(body)
        except ValueError:
            raise BadResponseError(
                f"bad response: {host} sent a manifest that is not JSON"
            ) from None
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        claimed = response.headers.get("Docker-Content-Digest")
        if claimed is not None and claimed != digest:
            raise BadResponseError(
                f"bad response: {host} claims digest {claimed[:80]!r} for a"
                f" manifest whose bytes hash to {digest}"
            )
        if target.startswith("sha256:") and digest != target:
            raise BadResponseError(
                f"bad response: {host} sent a manifest whose bytes hash to {digest}"
                f" when asked for {target}"
            )
        return digest, media_type, body

    def _send(self, method: str, reference: ImageReference, url: str) -> Response:
        host = reference.api_host
        scope = _pull_scope(reference)
        self._await_preparation(host)
        cached = self._auth.cached(host, scope)
        response = self._request(method, url, cached)
        if response.status_code != 401:
            return response
        if cached is not None:
            self._auth.forget(host, scope)  # e.g. a batch token without this repository
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        what = reference.repository
        authorization = self._auth.answer(host, self._base_url(host), scope, challenge, what)
        return self._request(method, url, authorization)

    def _request(self, method: str, url: str, authorization: str | None) -> Response:
        if "/manifests/" in url:
            with self._lock:
                self.manifest_requests += 1
        headers = {"Accept": _ACCEPT}
        if authorization is not None:
            headers["Authorization"] = authorization
        return self._transport.request(method, url, headers=headers, limit=_MAX_MANIFEST_BYTES)

    def _base_url(self, host: str) -> str:
        with self._lock:
            known = self._base_urls.get(host)
            if known is not None:
                return known
            host_lock = self._base_locks.setdefault(host, threading.Lock())
        with host_lock:
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
        try:
            name, port = host_and_port("https", host)
        except NoAnswerError:
            return False
        address = name.strip("[]")
        timeout = self._transport.policy.connect_timeout
        try:
            with (
                socket.create_connection((address, port), timeout) as raw,
                probe_context().wrap_socket(raw, server_hostname=address),
            ):
                return True
        except ssl.SSLError as error:
            # A TLS alert is TLS: the server wants what the probe did not
            # bring (a client certificate, say). Anything else is not.
            return "ALERT" in (error.reason or "")
        except (OSError, ValueError):
            return False


def _pull_scope(reference: ImageReference) -> str:
    return f"repository:{reference.path}:pull"


def _media_type(response: Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip()


def _status_error(reference: ImageReference, response: Response, target: str) -> ResolveError:
    status = response.status_code
    what = f"{target} of {reference.repository}"
    if status == 404:
        return NotFoundError(f"not found: {what}")
    if status in (401, 403):
        host = reference.api_host
        return DeniedError(
            f"denied: {host} refused access to {what} (HTTP {status}){login_hint(host)}"
        )
    return BadResponseError(f"bad response: {reference.api_host} answered HTTP {status} for {what}")


def _same_host(base: str, current: str, link: str) -> str:
    """The next page's URL; a registry's Link to another host is refused, as
    the credentials of one host never go to another."""
    from urllib.parse import urljoin, urlsplit

    following = urljoin(current, link)
    if urlsplit(following)[:2] != urlsplit(base)[:2]:
        raise BadResponseError(
            f"bad response: the tag list's next page is on another host ({following})"
        )
    return following
