"""Dev containers (``devcontainer.json``, JSON with comments) -> sites (pure).

The image is the top-level ``"image"``; the digest goes after its last
character inside the quotes. ``${localEnv:VAR}`` and the other variables are
filled in when the container is made: such a value is skipped with the
reason. A ``"build"`` names a Dockerfile, which pinner reads as one; a
``"dockerComposeFile"`` names compose files, read as such.
"""

from __future__ import annotations

from pinner.jsonc import JsonNode, parse_jsonc
from pinner.site import Site, SiteKind, Verdict, literal_unless, site_at

_classify = literal_unless(
    ("${",),
    "a dev container variable (${localEnv:...}) is filled in when the container is made;"
    " write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The image of a dev container, if it names one; no other file is followed."""
    document = parse_jsonc(path, text)
    image = document.get("image")
    if image is None or image.kind != "string" or not image.value:
        return [], []
    return [string_site(path, text, image, SiteKind.DEVCONTAINER_IMAGE)], []


def string_site(path: str, text: str, node: JsonNode, kind: SiteKind) -> Site:
    """The site of an image a JSON string names."""
    value = str(node.value)
    if node.plain:
        classified = _classify(value, node.start, node.end)
    else:
        reason = "the value is written with escapes; write it plainly to pin it"
        classified = (Verdict.NOT_PLAIN, reason, None, None)
    return site_at(path, text, node.start, node.end, kind, classified, comment="//")
