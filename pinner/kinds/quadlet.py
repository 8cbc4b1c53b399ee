"""Podman quadlet units (``*.container``, ``*.image``, ``*.volume``) -> sites (pure).

A quadlet unit is a systemd unit file: ``[Section]`` headers and ``Key=Value``
lines, comments starting with ``#`` or ``;``, a line continued by a trailing
backslash. The image is ``Image=`` in ``[Container]``, ``[Image]`` or
``[Volume]``, with an optional ``docker://``; the digest goes after its
last character.

Left alone, with the reason: other transports (``oci-archive:``,
``containers-storage:``, ...), which name no registry; ``Image=name.image``
and ``name.build``, which name other quadlet units; systemd specifiers and
variables (``%i``, ``$VAR``); and short names (``nginx:1.25``), whose
registry podman chooses from ``registries.conf``, so that a digest pinner
found on Docker Hub may not be the one podman pulls.
"""

from __future__ import annotations

import re

from pinner.site import Classified, Site, SiteKind, Verdict, classify_literal, site_at

_SECTIONS = frozenset({"Container", "Image", "Volume"})
_LINE = re.compile(r"[^\n]*\n?")
_KEY_VALUE = re.compile(
    r"[ \t]*(?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*(?P<value>[^\r\n]*?)[ \t]*\r?\n?\Z"
)
_DOCKER = "docker://"
_TRANSPORTS = (
    "containers-storage:",
    "dir:",
    "docker-archive:",
    "docker-daemon:",
    "oci:",
    "oci-archive:",
    "sif:",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every ``Image=`` of the unit's container, image or volume section."""
    sites = []
    section = ""
    continued = False
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:
            break
        stripped = line.strip().lstrip("\ufeff")
        was_continued, continued = continued, stripped.endswith("\\")
        if was_continued or not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        found = _KEY_VALUE.match(line.lstrip("\ufeff"))
        if section not in _SECTIONS or found is None or found.group("key") != "Image":
            continue
        offset = match.start() + (1 if line.startswith("\ufeff") else 0)
        start, end = offset + found.start("value"), offset + found.end("value")
        if start == end:
            continue
        if continued:
            reason = "the value is continued on the next line; write it on one line to pin it"
            classified: Classified = (Verdict.NOT_PLAIN, reason, None, None)
        else:
            start, end = _unquoted(text, start, end)
            classified = _classify(text[start:end])
        if text.startswith(_DOCKER, start):
            start += len(_DOCKER)
        sites.append(site_at(path, text, start, end, SiteKind.QUADLET_IMAGE, classified))
    return sites, []


def _unquoted(text: str, start: int, end: int) -> tuple[int, int]:
    value = text[start:end]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return start + 1, end - 1
    return start, end


def _classify(value: str) -> Classified:
    if value.startswith(_TRANSPORTS):
        transport = value.split(":", 1)[0]
        reason = f"the {transport}: transport names no registry image; nothing to pin"
        return Verdict.IGNORED, reason, None, None
    if value.endswith((".image", ".build")):
        reason = "names another quadlet unit, whose own Image= is pinned there"
        return Verdict.IGNORED, reason, None, None
    image = value.removeprefix(_DOCKER)
    if "%" in image or "$" in image:
        reason = "a systemd specifier or variable is filled in when the unit starts"
        return Verdict.VARIABLE, f"{reason}; write the image out to pin it", None, None
    first = image.split("/", 1)[0]
    if "/" not in image or not ("." in first or ":" in first or first == "localhost"):
        reason = (
            "a short name: podman chooses its registry from registries.conf; write it in"
            " full (docker.io/library/nginx:1.25) to pin it"
        )
        return Verdict.VARIABLE, reason, None, None
    verdict, reason, reference = classify_literal(image)
    return verdict, reason, reference, None
