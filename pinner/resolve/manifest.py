"""What pinner reads from a manifest: is it an index, its children, its config."""

from __future__ import annotations

from typing import NamedTuple

from pinner.reference import is_sha256_digest

INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


class Platform(NamedTuple):
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform | None:
        """``linux/arm64/v8`` -> Platform; None when it is not that shape."""
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts) or "$" in text:
            return None
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def matches(self, other: Platform) -> bool:
        # "linux/arm64" names the same platform as "linux/arm64/v8".
        same = self.os == other.os and self.architecture == other.architecture
        return same and (not self.variant or not other.variant or self.variant == other.variant)

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)


class Manifest(NamedTuple):
    digest: str
    is_index: bool
    children: tuple[tuple[str, Platform | None], ...] = ()  # of an index
    config_digest: str | None = None  # of an image manifest
    children_known: bool = True  # False where the resolver cannot see inside an index
    offered: tuple[Platform, ...] = ()  # an index's platforms, where its children are not known

    def child_for(self, platform: Platform) -> str | None:
        for digest, child_platform in self.children:
            if child_platform is not None and child_platform.matches(platform):
                return digest
        return None

    def platform_of(self, digest: str) -> Platform | None:
        return next((p for d, p in self.children if d == digest), None)


class ManifestError(ValueError):
    pass


def parse_manifest(digest: str, media_type: str, body: bytes) -> Manifest:
    import json

    try:
        document = json.loads(body)
    except ValueError:
        raise ManifestError("a manifest that is not JSON") from None
    if not isinstance(document, dict):
        raise ManifestError("a manifest that is not a JSON object")
    media_type = str(document.get("mediaType") or media_type)
    if media_type in INDEX_MEDIA_TYPES or "manifests" in document:
        children = []
        for entry in document.get("manifests") or []:
            child = entry.get("digest") if isinstance(entry, dict) else None
            if not isinstance(child, str) or not is_sha256_digest(child):
                raise ManifestError("an index entry without a valid digest")
            children.append((child, platform_entry(entry.get("platform"))))
        return Manifest(digest, True, tuple(children))
    config = document.get("config")
    config_digest = config.get("digest") if isinstance(config, dict) else None
    return Manifest(
        digest, False, config_digest=config_digest if isinstance(config_digest, str) else None
    )


def platform_from_config(body: bytes) -> Platform | None:
    import json

    try:
        document = json.loads(body)
    except ValueError:
        return None
    return platform_entry(document) if isinstance(document, dict) else None


def platform_entry(value: object) -> Platform | None:
    """The platform an index entry's ``platform`` (or a config) names, if it names one."""
    if not isinstance(value, dict):
        return None
    os_name, architecture = value.get("os"), value.get("architecture")
    if not isinstance(os_name, str) or not isinstance(architecture, str):
        return None
    variant = value.get("variant")
    return Platform(os_name, architecture, variant if isinstance(variant, str) else "")
