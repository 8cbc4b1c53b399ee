"""Tag bumps: the newest tag on a pinned image's track that holds (network).

A candidate comes from the repository's tag list (one list per repository
per run) and the track rules (:mod:`pinner.tracks`). Before it is proposed,
each candidate is checked, newest first, and passed over with the reason
when it fails:

- it was built no earlier than the image pinned now (a reproducible build's
  fixed date is unknown, which does not block);
- it covers every platform the pin covers (or those ``platforms:`` lists);
- it is of the same family and libc (the rules of ``pinner report``).
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from pinner.families import image_kind
from pinner.reference import ImageReference, parse_reference
from pinner.resolve.batch import FanOut
from pinner.resolve.errors import ResolveError
from pinner.resolve.facts import ImageFacts, is_placeholder_date, size_on
from pinner.resolve.manifest import Platform
from pinner.resolve.registry import RegistryResolver
from pinner.tracks import Level, candidates

LEVELS = {"patch": Level.PATCH, "minor": Level.MINOR, "major": Level.MAJOR}


class Bump(NamedTuple):
    tag: str  # the new tag; "" where none holds
    digest: str
    old_created: str | None
    new_created: str | None
    size_change: int | None  # bytes, new minus old, on ``platform``
    platform: str
    passed_over: tuple[tuple[str, str], ...]  # (tag, why)


class Bumper:
    """Finds bumps for pinned references, reading each tag list once."""

    def __init__(self, resolver: RegistryResolver, fan_out: FanOut) -> None:
        self._resolver = resolver
        self._fan_out = fan_out
        self._lock = threading.Lock()
        self._lists: dict[str, list[str] | ResolveError] = {}

    def _tags(self, reference: ImageReference) -> list[str]:
        with self._lock:
            known = self._lists.get(reference.repository)
        if known is None:
            try:
                known = self._resolver.tags(reference)
            except ResolveError as error:
                known = error
            with self._lock:
                self._lists[reference.repository] = known
        if isinstance(known, ResolveError):
            raise known
        return known

    def find(
        self, reference: ImageReference, level: Level, keep: tuple[Platform, ...]
    ) -> Bump | None:
        """The bump of a pinned reference, or None where no tag is newer on its
        track; a Bump with no tag says why each newer one was passed over."""
        assert reference.tag is not None and reference.digest is not None
        newer = candidates(reference.tag, self._tags(reference), level)
        if not newer:
            return None
        current = self._facts(reference, reference.digest)
        required = keep or _platforms(current)
        if not required:  # one image manifest: its platform is its config's
            own = self._resolver.platform(reference, reference.digest)
            required = (own,) if own is not None else ()
        kind = image_kind(reference, current.os)
        passed: list[tuple[str, str]] = []
        name = reference.original.split("@")[0][: -len(reference.tag) - 1]
        for tag in newer:
            candidate = parse_reference(f"{name}:{tag}")
            try:
                facts = self._facts(candidate, tag)
            except ResolveError as error:
                passed.append((tag, error.message))
                continue
            offered = _platforms(facts)
            if not offered:  # one image manifest: its platform is its config's
                found = self._resolver.platform(candidate, facts.digest)
                offered = (found,) if found is not None else ()
            why = _why_not(current, facts, offered, required, kind, image_kind(candidate, facts.os))
            if why is not None:
                passed.append((tag, why))
                continue
            platform = str(required[0]) if required else "linux/amd64"
            old_size, new_size = size_on(current, platform), size_on(facts, platform)
            change = None if old_size is None or new_size is None else new_size - old_size
            return Bump(
                tag,
                facts.digest,
                current.created,
                facts.created,
                change,
                platform,
                tuple(passed),
            )
        return Bump("", "", current.created, None, None, "", tuple(passed))

    def _facts(self, reference: ImageReference, target: str) -> ImageFacts:
        return self._resolver.image_facts(reference, target, self._fan_out, all_configs=False)


def _platforms(facts: ImageFacts) -> tuple[Platform, ...]:
    found = (Platform.parse(entry.platform) for entry in facts.platforms if entry.platform)
    return tuple(platform for platform in found if platform is not None)


def _why_not(
    current: ImageFacts,
    candidate: ImageFacts,
    offered: tuple[Platform, ...],
    required: tuple[Platform, ...],
    kind: object,
    candidate_kind: object,
) -> str | None:
    old, new = current.created, candidate.created
    known = not (is_placeholder_date(old) or is_placeholder_date(new))
    if known and old and new and new[:19] < old[:19]:
        return f"built {new[:10]}, before the image pinned now ({old[:10]})"
    missing = [str(p) for p in required if not any(o.matches(p) for o in offered)]
    if missing:
        return f"has no {', '.join(missing)}, which the pin covers"
    if kind != candidate_kind:
        return f"another family or libc ({_describe(candidate_kind)} for {_describe(kind)})"
    return None


def _describe(kind: object) -> str:
    family, libc = getattr(kind, "family", "?"), getattr(kind, "libc", "?")
    return f"{family}, {libc}"
