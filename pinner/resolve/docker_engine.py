"""``--resolver docker``: ask the Docker Engine, through the Docker SDK.

The Engine looks the tag up with its own mirrors, proxies and logins
(``images.get_registry_data``, the ``/distribution/{name}/json`` endpoint);
pinner passes the credentials the SDK loads for that registry. The Engine
reports the digest of what the tag names, so a multi-platform image gives
its index digest, as the registry resolver does. It does not show the
children of an index, so per-platform pins are refreshed by the registry
resolver only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pinner.reference import ImageReference, is_sha256_digest
from pinner.resolve.auth import CredentialSource, DockerConfigCredentials
from pinner.resolve.errors import (
    BadResponseError,
    DaemonUnavailableError,
    DeniedError,
    NotFoundError,
    ResolveError,
    UnreachableError,
)
from pinner.resolve.manifest import INDEX_MEDIA_TYPES, Manifest, Platform, platform_entry

if TYPE_CHECKING:
    import docker


class DockerResolver:
    def __init__(self, credentials: CredentialSource | None = None, timeout: float = 60) -> None:
        # Imported here: only this resolver needs the SDK.
        import docker
        from docker.errors import DockerException

        self._credentials = credentials or DockerConfigCredentials()
        try:
            self._client: docker.DockerClient = docker.from_env(timeout=int(timeout))
            self._client.ping()
        except (DockerException, OSError) as error:
            raise DaemonUnavailableError(
                f"cannot reach the Docker Engine ({_first_line(error)}); start it, set"
                " DOCKER_HOST, or use --resolver registry"
            ) from None

    def close(self) -> None:
        self._client.close()

    def warm_up(self, host: str) -> None:
        pass

    def prepare(self, references: Iterable[ImageReference]) -> None:
        pass  # the Engine keeps its own tokens

    def resolve(self, reference: ImageReference) -> str:
        name = f"{reference.repository}:{reference.tracked_tag}"
        return self._descriptor(reference, name, f"tag {reference.tracked_tag}")[0]

    def manifest(self, reference: ImageReference, target: str) -> Manifest:
        if target.startswith("sha256:"):
            name, what = f"{reference.repository}@{target}", f"manifest {target}"
        else:
            name, what = f"{reference.repository}:{target}", f"tag {target}"
        digest, media_type, platforms = self._descriptor(reference, name, what)
        is_index = media_type in INDEX_MEDIA_TYPES
        # The Engine names an index's platforms, though not their manifests.
        offered = tuple(p for p in map(platform_entry, platforms) if p is not None)
        return Manifest(digest, is_index, children_known=not is_index, offered=offered)

    def exists(self, reference: ImageReference, digest: str) -> bool:
        try:
            self._descriptor(reference, f"{reference.repository}@{digest}", f"manifest {digest}")
        except NotFoundError:
            return False
        return True

    def platform(self, reference: ImageReference, digest: str) -> Platform | None:
        name = f"{reference.repository}@{digest}"
        _, _, platforms = self._descriptor(reference, name, f"manifest {digest}")
        return platform_entry(platforms[0]) if len(platforms) == 1 else None

    def _descriptor(
        self, reference: ImageReference, name: str, what: str
    ) -> tuple[str, str, list[dict[str, Any]]]:
        from docker.errors import APIError, DockerException, NotFound

        credentials = self._credentials.for_host(reference.api_host)
        auth_config: dict[str, str] | None = None
        if credentials is not None and credentials.identity_token:
            auth_config = {"identitytoken": credentials.identity_token}
        elif credentials is not None:
            auth_config = {"username": credentials.username, "password": credentials.password}
        full = f"{what} of {reference.repository}"
        try:
            data = self._client.images.get_registry_data(name, auth_config=auth_config)
        except NotFound:
            raise NotFoundError(f"not found: {full}") from None
        except APIError as error:
            raise _api_error(error, full) from None
        except (DockerException, OSError) as error:
            raise UnreachableError(
                f"unreachable: the Docker Engine: {_first_line(error)}"
            ) from None
        attrs = data.attrs
        descriptor = attrs.get("Descriptor") or {}
        digest = str(descriptor.get("digest") or "")
        if not is_sha256_digest(digest):
            raise BadResponseError(
                f"bad response: the Docker Engine gave no sha256 digest for {full}"
            )
        platforms = attrs.get("Platforms") or []
        return digest, str(descriptor.get("mediaType") or ""), list(platforms)


def _api_error(error: Any, what: str) -> ResolveError:
    status = getattr(error, "status_code", None)
    explanation = _first_line(getattr(error, "explanation", None) or error)
    if status in (401, 403) or "unauthorized" in explanation or "denied" in explanation:
        return DeniedError(f"denied: {what}: the Docker Engine says: {explanation}")
    if "not found" in explanation or "manifest unknown" in explanation:
        return NotFoundError(f"not found: {what}")
    return BadResponseError(f"bad response: {what}: the Docker Engine says: {explanation}")


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__
