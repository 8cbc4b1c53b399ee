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

import functools
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from pinner.families import image_kind
from pinner.reference import ImageReference, parse_reference
from pinner.resolve.batch import FanOut
from pinner.resolve.errors import ResolveError
from pinner.resolve.facts import ImageFacts, is_placeholder_date, size_on
from pinner.resolve.manifest import Platform
from pinner.resolve.registry import RegistryResolver
from pinner.resolve.workers import Future
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

    def __init__(self, resolver: RegistryResolver, fan_out: FanOut, jobs: int) -> None:
        from pinner.resolve.workers import WorkerPool

        self._resolver = resolver
        self._fan_out = fan_out
        self._jobs = jobs
        self._lock = threading.Lock()
        self._lists: dict[str, Future[list[str]]] = {}
        self._pool = WorkerPool(jobs, "pinner-tags")

    def prefetch(self, references: Iterable[ImageReference]) -> None:
        """Start reading the tag lists now, while other lookups run."""
        for reference in references:
            self._list(reference)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel=True)
        self._fan_out.close()

    def _list(self, reference: ImageReference) -> Future[list[str]]:
        with self._lock:
            found = self._lists.get(reference.repository)
            if found is None:
                found = self._pool.submit(functools.partial(self._resolver.tags, reference))
                self._lists[reference.repository] = found
            return found

    def find(
        self, reference: ImageReference, level: Level, keep: tuple[Platform, ...]
    ) -> Bump | None:
        """The bump of a pinned reference, or None where no tag is newer on its
        track; a Bump with no tag says why each newer one was passed over."""
        from pinner.resolve.batch import in_parallel

        assert reference.tag is not None and reference.digest is not None
        newer = candidates(reference.tag, self._list(reference).result(), level)
        if not newer:
            return None
        name = reference.original.split("@")[0][: -len(reference.tag) - 1]
        named = {tag: parse_reference(f"{name}:{tag}") for tag in newer}
        # The pinned image's facts and every candidate's at once: one chain of
        # round trips, not one after another.
        only = str(keep[0]) if keep else "linux/amd64"
        work: dict[str, Callable[[], ImageFacts | ResolveError]] = {
            "": functools.partial(self._facts, reference, reference.digest, only)
        }
        work |= {tag: functools.partial(self._facts, named[tag], tag, only) for tag in newer}
        facts = in_parallel(work, len(work))
        current = facts.pop("")
        if isinstance(current, ResolveError):
            raise current
        required = keep or _platforms(current) or _built_for(current)
        kind = image_kind(reference, current.os)
        passed: list[tuple[str, str]] = []
        for tag in newer:
            found = facts[tag]
            if isinstance(found, ResolveError):
                passed.append((tag, found.message))
                continue
            offered = _platforms(found) or _built_for(found)
            why = _why_not(
                current, found, offered, required, kind, image_kind(named[tag], found.os)
            )
            if why is not None:
                passed.append((tag, why))
                continue
            platform = only
            old_size, new_size = size_on(current, platform), size_on(found, platform)
            change = None if old_size is None or new_size is None else new_size - old_size
            return Bump(
                tag, found.digest, current.created, found.created, change, platform, tuple(passed)
            )
        return Bump("", "", current.created, None, None, "", tuple(passed))

    def _facts(
        self, reference: ImageReference, target: str, only: str
    ) -> ImageFacts | ResolveError:
        """The platforms an image offers, and one platform's size, date and OS."""
        try:
            return self._resolver.image_facts(reference, target, self._fan_out, only=only)
        except ResolveError as error:
            return error


def _built_for(facts: ImageFacts) -> tuple[Platform, ...]:
    """One image manifest's platform, as its config says."""
    found = (Platform.parse(entry.built_for) for entry in facts.platforms if entry.built_for)
    return tuple(platform for platform in found if platform is not None)


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
