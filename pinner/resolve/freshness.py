"""Is a pinned digest still what its tag points to? And if not, what replaces it?

A reference pinned to one platform's manifest (a child of the tag's index)
stays per-platform: it is refreshed to the same platform's manifest in the
new index, and never moved to another platform: where the tag no longer
offers that platform, the pin is left and reported.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinner.reference import ImageReference
from pinner.resolve.errors import NotFoundError, ResolveError
from pinner.resolve.manifest import Manifest, Platform
from pinner.resolve.protocol import Resolver


class Freshness(enum.Enum):
    CURRENT = "current"  # the tag still points to the pinned digest
    STALE = "stale"  # the tag moved; ``digest`` is where the pin should move
    MISSING = "missing"  # the pinned digest is gone; ``digest`` is the tag's, if any
    TAG_GONE = "tag-gone"  # the tag is gone, the pinned digest is still there
    PLATFORM_MISSING = "platform-missing"  # the pin has nothing for FROM --platform
    PLATFORM_GONE = "platform-gone"  # the tag no longer offers the pinned platform
    PRESENT = "present"  # a digest-only reference whose manifest exists


@dataclass(frozen=True)
class Refresh:
    freshness: Freshness
    digest: str | None  # what the reference should be pinned to now, if anything
    note: str = ""  # per-platform pins, platforms, what is gone


def refresh(resolver: Resolver, reference: ImageReference, wanted: Platform | None) -> Refresh:
    """Compare the pinned digest with what the tag points to now."""
    pinned = reference.digest
    assert pinned is not None, "only pinned references are refreshed"
    if reference.tag is None:
        return _digest_only(resolver, reference, pinned)
    tag = reference.tracked_tag
    try:
        current = resolver.resolve(reference)
    except NotFoundError:
        if resolver.exists(reference, pinned):
            return Refresh(
                Freshness.TAG_GONE,
                None,
                f"tag {tag} is gone; the pinned manifest is still there, so builds work,"
                " but it can no longer be refreshed",
            )
        return Refresh(
            Freshness.MISSING,
            None,
            f"the pinned manifest and tag {tag} are both gone: a build will fail",
        )
    if current == pinned:
        return _check_platform(resolver, reference, pinned, wanted)
    latest = resolver.manifest(reference, current)
    child_platform = latest.platform_of(pinned) if latest.is_index else None
    if child_platform is not None:
        if wanted is not None and not child_platform.matches(wanted):
            return _mismatch(child_platform, wanted)
        return Refresh(Freshness.CURRENT, pinned, f"pinned to the {child_platform} manifest")
    try:
        old = resolver.manifest(reference, pinned)
    except NotFoundError:
        # Nothing tells any more whether it was one platform's: follow the tag.
        return Refresh(Freshness.MISSING, current, "the pinned manifest is gone")
    if old.is_index:
        return _index_moved(resolver, reference, latest, wanted)
    return _platform_pin_moved(resolver, reference, old, latest, wanted)


def _digest_only(resolver: Resolver, reference: ImageReference, pinned: str) -> Refresh:
    if resolver.exists(reference, pinned):
        return Refresh(Freshness.PRESENT, pinned, "the pinned manifest exists; no tag to follow")
    return Refresh(
        Freshness.MISSING, None, "the pinned manifest is gone, and no tag names a replacement"
    )


def _index_moved(
    resolver: Resolver, reference: ImageReference, latest: Manifest, wanted: Platform | None
) -> Refresh:
    """A pinned index whose tag moved: follow the tag, unless the new image lacks
    the platform the ``FROM`` builds for."""
    if wanted is not None and not _offers(resolver, reference, latest, wanted):
        return Refresh(
            Freshness.PLATFORM_GONE,
            None,
            f"tag {reference.tracked_tag} now points to {latest.digest}, which has no"
            f" {wanted} manifest; the pin is kept",
        )
    return Refresh(Freshness.STALE, latest.digest)


def _platform_pin_moved(
    resolver: Resolver,
    reference: ImageReference,
    old: Manifest,
    latest: Manifest,
    wanted: Platform | None,
) -> Refresh:
    """A pinned image manifest whose tag moved: move it to the same platform's
    manifest, or leave it when the tag no longer offers that platform."""
    platform = wanted or resolver.platform(reference, old.digest)
    if platform is None:
        raise ResolveError(
            f"cannot tell which platform {old.digest} is for, so it cannot be kept per-platform;"
            " name the platform with FROM --platform, or pin the index"
        )
    tag = reference.tracked_tag
    if latest.is_index and not latest.children_known:
        raise ResolveError(
            f"{old.digest} is one platform's manifest, and this resolver cannot see which"
            " manifests the new index holds; use --resolver registry to refresh it"
        )
    if latest.is_index:
        child = latest.child_for(platform)
        if child is None:
            return _gone(tag, latest.digest, platform, "an index without a")
        return Refresh(Freshness.STALE, child, f"kept per-platform ({platform})")
    new_platform = resolver.platform(reference, latest.digest)
    if new_platform is None:
        raise ResolveError(
            f"cannot tell which platform {latest.digest}, where tag {tag} points now, is for;"
            f" the pin ({platform}) is kept"
        )
    if not new_platform.matches(platform):
        return _gone(tag, latest.digest, platform, f"a single {new_platform} manifest, no")
    return Refresh(Freshness.STALE, latest.digest)


def _gone(tag: str, digest: str, platform: Platform, what: str) -> Refresh:
    return Refresh(
        Freshness.PLATFORM_GONE,
        None,
        f"tag {tag} now points to {what} {platform} manifest ({digest}); the {platform} pin"
        " is kept",
    )


def _offers(
    resolver: Resolver, reference: ImageReference, manifest: Manifest, wanted: Platform
) -> bool:
    if manifest.is_index:
        return not manifest.children_known or manifest.child_for(wanted) is not None
    platform = resolver.platform(reference, manifest.digest)
    return platform is None or platform.matches(wanted)


def _check_platform(
    resolver: Resolver, reference: ImageReference, digest: str, wanted: Platform | None
) -> Refresh:
    """The tag still points to the pin: does the pin have the ``FROM --platform``?"""
    if wanted is None:
        return Refresh(Freshness.CURRENT, digest)
    manifest = resolver.manifest(reference, digest)
    if manifest.is_index and not manifest.children_known:
        note = f"this resolver cannot see inside the index, so {wanted} was not checked"
        return Refresh(Freshness.CURRENT, digest, note)
    if manifest.is_index:
        if manifest.child_for(wanted) is None:
            return Refresh(
                Freshness.PLATFORM_MISSING, None, f"the pinned index has no {wanted} manifest"
            )
        return Refresh(Freshness.CURRENT, digest, f"the pinned index has {wanted}")
    platform = resolver.platform(reference, digest)
    if platform is not None and not platform.matches(wanted):
        return _mismatch(platform, wanted)
    return Refresh(Freshness.CURRENT, digest)


def _mismatch(platform: Platform, wanted: Platform) -> Refresh:
    return Refresh(
        Freshness.PLATFORM_MISSING,
        None,
        f"pinned to the {platform} manifest, but FROM --platform names {wanted}",
    )
