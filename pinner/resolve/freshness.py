"""Is a pinned digest still what its tag points to? And if not, what replaces it?

A reference pinned to one platform's manifest (a child of the tag's index)
stays per-platform: it is refreshed to the same platform's manifest in the
new index, never swapped for the index or for another platform.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinner.reference import ImageReference
from pinner.resolve.errors import NotFoundError, ResolveError
from pinner.resolve.manifest import Platform
from pinner.resolve.protocol import Resolver


class Freshness(enum.Enum):
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"  # the pinned digest is gone from the repository


@dataclass(frozen=True)
class Refresh:
    freshness: Freshness
    digest: str  # what the reference should be pinned to now
    note: str = ""  # per-platform pins, platforms missing from an index
    platform_missing: bool = False  # the index lacks the platform FROM --platform names


def refresh(resolver: Resolver, reference: ImageReference, wanted: Platform | None) -> Refresh:
    """Compare the pinned digest with what the tag points to now."""
    pinned = reference.digest
    assert pinned is not None, "only pinned references are refreshed"
    current = resolver.resolve(reference)
    if current == pinned:
        return _with_platform_check(resolver, reference, current, wanted)
    latest = resolver.manifest(reference, current)
    if latest.is_index and latest.platform_of(pinned) is not None:
        platform = latest.platform_of(pinned)
        return Refresh(Freshness.CURRENT, pinned, f"pinned to the {platform} manifest")
    if not resolver.exists(reference, pinned):
        # Nothing tells any more whether it was one platform's: follow the tag.
        return Refresh(Freshness.MISSING, current, "the pinned manifest is gone")
    if not latest.is_index or resolver.manifest(reference, pinned).is_index:
        return Refresh(Freshness.STALE, current)
    # An image manifest pinned where the tag names an index: one platform's pin.
    if not latest.children_known:
        raise ResolveError(
            f"{pinned} is one platform's manifest, and this resolver cannot see which"
            " manifests the new index holds; use --resolver registry to refresh it"
        )
    platform = wanted or resolver.platform(reference, pinned)
    if platform is None:
        raise ResolveError(
            f"cannot tell which platform {pinned} is for, so it cannot be kept per-platform;"
            " name the platform with FROM --platform, or pin the index"
        )
    child = latest.child_for(platform)
    if child is None:
        raise NotFoundError(
            f"not found: platform {platform} in the index that tag {reference.tracked_tag}"
            f" of {reference.repository} points to now"
        )
    return Refresh(Freshness.STALE, child, f"kept per-platform ({platform})")


def _with_platform_check(
    resolver: Resolver, reference: ImageReference, digest: str, wanted: Platform | None
) -> Refresh:
    if wanted is None:
        return Refresh(Freshness.CURRENT, digest)
    manifest = resolver.manifest(reference, digest)
    if not manifest.is_index:
        return Refresh(Freshness.CURRENT, digest)
    if manifest.child_for(wanted) is None:
        return Refresh(
            Freshness.CURRENT,
            digest,
            f"the pinned index has no {wanted} manifest",
            platform_missing=True,
        )
    return Refresh(Freshness.CURRENT, digest, f"the pinned index has {wanted}")
