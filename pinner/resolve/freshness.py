"""Is a pinned digest still what its tag points to? And if not, what replaces it?

A reference pinned to one image manifest stays per-platform: it is refreshed
to the same platform's manifest in the new index, and never moved to another
platform: where the tag no longer offers that platform, the pin is left and
reported. Once a tag has moved, the registry cannot tell a tag's own single
manifest from one platform's manifest someone pinned on purpose, so a tag
that turns into an index keeps such a pin per-platform too, and says so,
naming the index the tag points to and the manifest written.

A pinned index is refreshed only to an image that offers every platform the
pin must keep: those it covers now, or those the configuration's
``platforms:`` lists. Otherwise the pin is kept and reported
``platforms-dropped``.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

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
    PLATFORMS_DROPPED = "platforms-dropped"  # a refresh would lose platforms the pin must keep
    PRESENT = "present"  # a digest-only reference whose manifest exists


class Refresh(NamedTuple):
    freshness: Freshness
    digest: str | None  # what the reference should be pinned to now, if anything
    note: str = ""  # per-platform pins, platforms, what is gone
    tag_digest: str | None = None  # what the tag points to now, where it is not ``digest``


def refresh(
    resolver: Resolver,
    reference: ImageReference,
    wanted: Platform | None,
    keep: tuple[Platform, ...] = (),
) -> Refresh:
    """Compare the pinned digest with what the tag points to now. ``wanted`` is
    the ``FROM --platform``; ``keep`` the platforms a refreshed index must
    offer (none: those the pinned index offers)."""
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
        note = f"pinned to the {child_platform} manifest of the index tag {tag} points to"
        return Refresh(Freshness.CURRENT, pinned, note, tag_digest=current)
    try:
        old = resolver.manifest(reference, pinned)
    except NotFoundError:
        # Nothing tells any more whether it was one platform's: follow the tag.
        return Refresh(Freshness.MISSING, current, "the pinned manifest is gone")
    if old.is_index:
        return _index_moved(resolver, reference, old, latest, wanted, keep)
    return _platform_pin_moved(resolver, reference, old, latest, wanted)


def _digest_only(resolver: Resolver, reference: ImageReference, pinned: str) -> Refresh:
    if resolver.exists(reference, pinned):
        return Refresh(Freshness.PRESENT, pinned, "the pinned manifest exists; no tag to follow")
    return Refresh(
        Freshness.MISSING, None, "the pinned manifest is gone, and no tag names a replacement"
    )


def _index_moved(
    resolver: Resolver,
    reference: ImageReference,
    old: Manifest,
    latest: Manifest,
    wanted: Platform | None,
    keep: tuple[Platform, ...],
) -> Refresh:
    """A pinned index whose tag moved: follow the tag, unless the new image lacks
    the platform the ``FROM`` builds for, or a platform the pin must keep."""
    tag = reference.tracked_tag
    if wanted is not None:
        if not _offers(resolver, reference, latest, wanted):
            return Refresh(
                Freshness.PLATFORM_GONE,
                None,
                f"tag {tag} now points to {latest.digest}, which has no {wanted} manifest;"
                " the pin is kept",
                tag_digest=latest.digest,
            )
        return Refresh(Freshness.STALE, latest.digest)
    must = keep or platforms_of(resolver, reference, old)
    offered = platforms_of(resolver, reference, latest)
    if must is None or offered is None:
        # Nothing to compare with: the tag is followed, and the report says so.
        return Refresh(
            Freshness.STALE, latest.digest, f"tag {tag} moved; its platforms were not compared"
        )
    lost = [platform for platform in must if not any(p.matches(platform) for p in offered)]
    if not lost:
        return Refresh(Freshness.STALE, latest.digest)
    has = ", ".join(sorted({str(p) for p in offered})) or "no platform"
    source = "that platforms: in the configuration lists" if keep else "that the pin covers"
    return Refresh(
        Freshness.PLATFORMS_DROPPED,
        None,
        f"tag {tag} now points to {latest.digest}, which has only {has}: a refresh would drop"
        f" {', '.join(str(p) for p in lost)} {source}; the pin is kept. If this repository"
        " no longer builds for them, list the platforms it builds for under platforms: in"
        " .pinner.yaml",
        tag_digest=latest.digest,
    )


def platforms_of(
    resolver: Resolver, reference: ImageReference, manifest: Manifest
) -> tuple[Platform, ...] | None:
    """The platforms an image offers (an index's children, less attestations
    and other entries for no platform); None where the resolver cannot tell."""
    if manifest.is_index:
        if manifest.children_known:
            found = [platform for _, platform in manifest.children]
        elif manifest.offered:
            found = list(manifest.offered)
        else:
            return None
        return tuple(p for p in found if p is not None and p.os != "unknown")
    platform = resolver.platform(reference, manifest.digest)
    return None if platform is None else (platform,)


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
        note = (
            f"kept per-platform ({platform}): tag {tag} now points to the multi-platform index"
            f" {latest.digest}, and {child} is its {platform} manifest"
        )
        if wanted is None:
            note += (
                f"; the pin was one {platform} manifest, so it stays one. To follow the index"
                " instead, remove the digest and run pinner pin; to make the choice"
                f" explicit, name the platform: FROM --platform={platform}"
            )
        return Refresh(Freshness.STALE, child, note, tag_digest=latest.digest)
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
        tag_digest=digest,
    )


def _offers(
    resolver: Resolver, reference: ImageReference, manifest: Manifest, wanted: Platform
) -> bool:
    offered = platforms_of(resolver, reference, manifest)
    return offered is None or any(platform.matches(wanted) for platform in offered)


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
