"""Image references: parse, validate and normalise, keeping the user's text.

The grammar is the one the Docker CLI and the distribution project accept::

    reference := name [":" tag] ["@" digest]
    name      := [domain "/"] path
    domain    := host [":" port]

The first path part names a registry host only when it contains "." or ":"
or is "localhost"; otherwise the image lives on Docker Hub.
"""

from __future__ import annotations

import re
from typing import NamedTuple

DOCKER_HUB = "docker.io"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
_DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API_HOST})

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?\Z"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z", re.ASCII)
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}\Z")
SHA256_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")
_MAX_NAME_LENGTH = 255
_WHITE_SPACE = re.compile(r"\s")


class InvalidReferenceError(ValueError):
    """A reference that Docker would refuse; the message quotes it."""

    def __init__(self, original: str, problem: str) -> None:
        super().__init__(f"invalid image reference {original!r}: {problem}")
        self.original = original
        self.problem = problem


class ImageReference(NamedTuple):
    """A parsed reference. ``original`` is exactly what the user wrote."""

    original: str
    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """The normalised repository, e.g. ``docker.io/library/python``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The short form Docker shows: ``python``, ``tester/app``; other hosts in full."""
        if self.domain != DOCKER_HUB:
            return self.repository
        official = self.path.startswith("library/") and self.path.count("/") == 1
        return self.path.removeprefix("library/") if official else self.path

    @property
    def api_host(self) -> str:
        """The host (and port) that serves the registry API for this image."""
        return DOCKER_HUB_API_HOST if self.domain == DOCKER_HUB else self.domain

    @property
    def tracked_tag(self) -> str:
        """The tag a lookup follows: an untagged reference means ``latest``."""
        return self.tag if self.tag is not None else "latest"

    @property
    def lookup_key(self) -> str:
        """One key per image and tag, however the user spelled the name."""
        return f"{self.repository}:{self.tracked_tag}"

    def __str__(self) -> str:
        return self.original


def is_sha256_digest(value: str) -> bool:
    """True for ``sha256:`` followed by exactly 64 lower-case hex digits."""
    return SHA256_DIGEST.match(value) is not None


def parse_reference(original: str) -> ImageReference:
    """Parse ``original`` or raise :class:`InvalidReferenceError` saying why."""
    if not original:
        raise InvalidReferenceError(original, "it is empty")
    if _WHITE_SPACE.search(original):
        raise InvalidReferenceError(original, "it contains white space")

    remainder = original
    digest: str | None = None
    if "@" in remainder:
        remainder, digest = remainder.split("@", 1)
        if digest.startswith("sha256:") and not SHA256_DIGEST.match(digest):
            raise InvalidReferenceError(original, "a sha256 digest is 64 lower-case hex digits")
        if not _DIGEST.match(digest):
            raise InvalidReferenceError(original, f"digest {digest!r} is malformed")

    name, tag = _split_tag(remainder)
    if tag is not None and not _TAG.match(tag):
        raise InvalidReferenceError(
            original,
            f"tag {tag!r} is invalid (letters, digits, '_', '.', '-'; at most 128 characters,"
            " not starting with '.' or '-')",
        )
    if not name:
        raise InvalidReferenceError(original, "the image name is missing")
    if len(name) > _MAX_NAME_LENGTH:
        raise InvalidReferenceError(original, f"the name is longer than {_MAX_NAME_LENGTH}")

    domain, path = _split_domain(original, name)
    for component in path.split("/"):
        if not _PATH_COMPONENT.match(component):
            raise InvalidReferenceError(original, _path_problem(component))
    return ImageReference(original, domain, path, tag, digest)


def _split_tag(remainder: str) -> tuple[str, str | None]:
    # A ":" after the last "/" separates the tag; an earlier one is a port.
    last_slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > last_slash and not remainder.endswith("]"):
        return remainder[:colon], remainder[colon + 1 :]
    return remainder, None


def _split_domain(original: str, name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if not _HOST.match(first):
            raise InvalidReferenceError(original, f"registry host {first!r} is invalid")
        domain, path = first, rest
    else:
        domain, path = DOCKER_HUB, name
    if domain in _DOCKER_HUB_ALIASES:
        domain = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return domain, path


def _path_problem(component: str) -> str:
    if not component:
        return "the repository path has an empty component"
    if component.lower() != component:
        return f"repository name component {component!r} must be lower case"
    return (
        f"repository name component {component!r} is invalid (lower-case letters and digits,"
        " separated by '.', '_', '__' or '-')"
    )
