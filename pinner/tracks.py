"""A tag's track, and which other tags of the same image may follow it (pure).

``3.12-slim-bookworm`` is the version ``3.12`` between the prefix ``""`` and
the suffix ``-slim-bookworm``. A tag on the same track has the same prefix
and suffix and as many version parts (``3.12`` moves to ``3.13``, never to
``3.13.1``); a prerelease (``rc``, ``alpha``, ``beta``, ``b1``, ``dev``,
``preview``, ``nightly``, ``snapshot``, ...) is on a track of its own unless
the current tag is one; a Windows tag never follows a Linux one, nor the
other way round. Codename tags (``bookworm``), ``latest`` and commit hashes
have no version: they are never bumped, only their digests refreshed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import NamedTuple

_TAG = re.compile(r"(?P<prefix>[A-Za-z]*[-_.]?)(?P<numbers>\d+(?:\.\d+)*)(?P<suffix>.*)\Z")
_PRERELEASE = re.compile(
    r"(?:^|[-_.+])(?:rc|alpha|beta|dev|devel|preview|pre|nightly|snapshot|canary|edge|"
    r"insiders|unstable|experimental)\d*(?:$|[-_.+])"
    r"|^(?:a|b|rc)\d",
    re.IGNORECASE,
)
_WINDOWS = ("windowsservercore", "nanoserver", "ltsc", "windows")
_COMMIT = re.compile(r"[0-9a-f]{7,40}\Z")


class Level(enum.IntEnum):
    PATCH = 1
    MINOR = 2
    MAJOR = 3


class Track(NamedTuple):
    prefix: str
    version: tuple[int, ...]
    suffix: str

    @property
    def prerelease(self) -> bool:
        return _PRERELEASE.search(self.suffix) is not None

    def same_track(self, other: Track) -> bool:
        return (
            self.prefix == other.prefix
            and self.suffix == other.suffix
            and len(self.version) == len(other.version)
        )


def track(tag: str) -> Track | None:
    """The tag's track and version; None for a tag with no version to bump
    (a codename, ``latest``, a commit hash)."""
    if _COMMIT.fullmatch(tag) and any(char.isalpha() for char in tag):
        return None
    found = _TAG.match(tag)
    if found is None:
        return None
    numbers = tuple(int(part) for part in found.group("numbers").split("."))
    return Track(found.group("prefix"), numbers, found.group("suffix"))


def is_windows(tag: str) -> bool:
    lowered = tag.lower()
    return any(word in lowered for word in _WINDOWS)


def level(current: tuple[int, ...], candidate: tuple[int, ...]) -> Level:
    """How far a move between two versions of one length goes."""
    first = next(
        index for index, (a, b) in enumerate(zip(current, candidate, strict=True)) if a != b
    )
    if (first == 0 and len(current) > 1) or len(current) == 1:
        return Level.MAJOR
    if first == len(current) - 1 and len(current) >= 3:
        return Level.PATCH
    return Level.MINOR


def candidates(tag: str, tags: Iterable[str], allowed: Level) -> list[str]:
    """The tags that may follow ``tag`` within ``allowed``, newest version first."""
    current = track(tag)
    if current is None:
        return []
    windows = is_windows(tag)
    found = []
    for other in tags:
        theirs = track(other)
        if theirs is None or other == tag or not current.same_track(theirs):
            continue
        if theirs.version <= current.version or is_windows(other) != windows:
            continue
        if theirs.prerelease and not current.prerelease:
            continue
        if level(current.version, theirs.version) > allowed:
            continue
        found.append((theirs.version, other))
    return [other for _, other in sorted(found, reverse=True)]
