"""Resolve each unique reference once, concurrently under a bound."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pinner.reference import ImageReference
from pinner.resolve.errors import ResolveError
from pinner.resolve.protocol import Resolver

Resolution = str | ResolveError


def resolve_all(
    resolver: Resolver, references: Iterable[ImageReference], jobs: int
) -> dict[str, Resolution]:
    """Map each reference's ``lookup_key`` to its digest or the error it met."""
    unique: dict[str, ImageReference] = {}
    for reference in references:
        unique.setdefault(reference.lookup_key, reference)
    if not unique:
        return {}

    def one(reference: ImageReference) -> Resolution:
        try:
            return resolver.resolve(reference)
        except ResolveError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(unique)))) as pool:
        results = pool.map(one, unique.values())
        return dict(zip(unique, results, strict=True))
