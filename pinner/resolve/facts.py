"""What a manifest says about an image, for ``pinner report`` (pure): per
platform the size of its layers, and from the config when it was built."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pinner.resolve.manifest import INDEX_MEDIA_TYPES, ManifestError


@dataclass(frozen=True)
class PlatformFacts:
    platform: str | None  # os/arch[/variant]; None for a single manifest not yet read
    digest: str
    size: int | None  # the sum of the layer sizes: what registries show as the size
    layers: int | None
    error: str = ""  # why this platform's manifest could not be read
    created: str | None = None  # from this platform's config, where it was read
    os: str | None = None
    built_for: str | None = None  # os/arch[/variant], from the config, where it was read


@dataclass(frozen=True)
class ImageFacts:
    digest: str
    platforms: tuple[PlatformFacts, ...]
    created: str | None  # RFC 3339, from the first config read that has it
    os: str | None


# Reproducible builds (distroless, ko, Bazel's rules_oci, nix) write a fixed
# date on purpose: the Unix epoch, or Go's zero time. It says nothing of when
# the image was built.
_PLACEHOLDER_DAYS = ("1970-01-01", "0001-01-01")


def is_placeholder_date(created: str | None) -> bool:
    """True for the fixed date a reproducible build writes as ``created``."""
    return created is not None and created.startswith(_PLACEHOLDER_DAYS)


def size_on(facts: ImageFacts | None, platform: str) -> int | None:
    """The size on ``platform``; a single manifest's own size, whatever its platform."""
    for entry in facts.platforms if facts else ():
        if entry.platform is None or entry.platform == platform:
            return entry.size
    return None


def platform_children(
    digest: str, media_type: str, document: object
) -> list[tuple[str, str | None]]:
    """The manifests to read: an index's children (attestations left out), or
    the manifest itself."""
    if not isinstance(document, dict):
        raise ManifestError("a manifest that is not a JSON object")
    if document.get("mediaType", media_type) not in INDEX_MEDIA_TYPES and "manifests" not in (
        document
    ):
        return [(digest, None)]
    children: list[tuple[str, str | None]] = []
    for entry in document.get("manifests") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise ManifestError("an index entry without a digest")
        found = entry.get("platform")
        platform: dict[str, object] = found if isinstance(found, dict) else {}
        os_name, architecture = platform.get("os"), platform.get("architecture")
        if os_name == "unknown" or not isinstance(os_name, str):
            continue  # attestations and other non-image entries
        variant = platform.get("variant")
        name = "/".join(str(p) for p in (os_name, architecture, variant) if p)
        children.append((entry["digest"], name))
    return children


def layer_sizes(document: object) -> tuple[list[int], str | None]:
    """The sizes of an image manifest's layers, and its config digest."""
    if not isinstance(document, dict) or not isinstance(document.get("layers"), list):
        raise ManifestError("an image manifest without layers")
    sizes = []
    for layer in document["layers"]:
        size = layer.get("size") if isinstance(layer, dict) else None
        if not isinstance(size, int) or size < 0:
            raise ManifestError("a layer without a size")
        sizes.append(size)
    config = document.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    return sizes, digest if isinstance(digest, str) else None


def config_facts(body: bytes) -> tuple[str | None, str | None]:
    """``created`` and ``os`` from an image config."""
    try:
        document = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    created, os_name = document.get("created"), document.get("os")
    return (
        created if isinstance(created, str) else None,
        os_name if isinstance(os_name, str) else None,
    )
