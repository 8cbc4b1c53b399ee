"""Dev containers (``devcontainer.json``, JSON with comments) -> sites (pure).

The image is the top-level ``"image"``; the digest goes after its last
character inside the quotes. ``${localEnv:VAR}`` and the other variables are
filled in when the container is made: such a value is skipped with the
reason. A ``"build"`` names a Dockerfile, which pinner reads as one; a
``"dockerComposeFile"`` names compose files, read as such.
"""

from __future__ import annotations

from collections.abc import Iterator

from pinner.jsonc import JsonNode, parse_jsonc
from pinner.site import Classified, Site, SiteKind, Verdict, literal_unless, site_at

_classify = literal_unless(
    ("${",),
    "a dev container variable (${localEnv:...}) is filled in when the container is made;"
    " write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The image of a dev container, if it names one, and any other key named
    ``image``, listed as not read; no other file is followed."""
    document = parse_jsonc(path, text)
    image = document.get("image")
    sites = []
    if image is not None and image.kind == "string" and image.value:
        sites.append(string_site(path, text, image, SiteKind.DEVCONTAINER_IMAGE))
    sites += [
        site_at(path, text, key.start, key.end, SiteKind.DEVCONTAINER_IMAGE, _UNREAD, "//")
        for key, value in _image_keys(document)
        if value is not image
    ]
    return sorted(sites, key=lambda site: site.start), []


_UNREAD: Classified = (
    Verdict.NOT_READ,
    "not read: image: here is no dev container's image (only the top-level one is)",
    None,
    None,
)


def _image_keys(node: JsonNode) -> Iterator[tuple[JsonNode, JsonNode]]:
    """Every member named ``image``, however deep."""
    if node.kind == "object":
        for key, value in node.members:
            if key.value == "image":
                yield key, value
            yield from _image_keys(value)
    elif node.kind == "array":
        for item in node.items:
            yield from _image_keys(item)


def string_site(path: str, text: str, node: JsonNode, kind: SiteKind) -> Site:
    """The site of an image a JSON string names."""
    value = str(node.value)
    if node.plain:
        classified = _classify(value, node.start, node.end)
    else:
        reason = "the value is written with escapes; write it plainly to pin it"
        classified = (Verdict.NOT_PLAIN, reason, None, None)
    return site_at(path, text, node.start, node.end, kind, classified, comment="//")
