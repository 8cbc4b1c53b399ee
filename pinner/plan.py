"""Sites and what the registry said -> site results with their edits (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pinner.edit import Edit
from pinner.outcome import SiteResult, Status
from pinner.resolve.errors import ResolveError
from pinner.site import Site, Verdict

if TYPE_CHECKING:
    from pinner.bumps import Bump
    from pinner.resolve.freshness import Refresh

# Only pin, update and check --stale look anything up; the offline check
# needs offline() and left_alone() alone, and imports nothing of the resolvers.


def left_alone(site: Site) -> SiteResult:
    """The result for a site that is never looked up."""
    if site.verdict is Verdict.INVALID:
        return SiteResult(site, Status.ERROR, message=site.reason)
    return SiteResult(site, Status.SKIPPED, old_digest=_digest(site), message=site.reason)


def offline(site: Site) -> SiteResult:
    """What ``pinner check`` says without asking any registry."""
    if site.verdict is Verdict.PIN:
        return SiteResult(site, Status.UNPINNED, message="no digest")
    if site.verdict is Verdict.PINNED:
        return SiteResult(site, Status.PINNED, old_digest=_digest(site))
    return left_alone(site)


def pin(site: Site, resolution: str | ResolveError) -> SiteResult:
    """Insert ``@sha256:...`` (after ``:latest`` for an untagged reference)."""
    assert site.reference is not None
    if isinstance(resolution, ResolveError):
        return SiteResult(site, Status.ERROR, message=resolution.message)
    untagged = site.reference.tag is None and not site.digest_key
    # A digest: key of its own (Helm's digest: "") takes the digest alone.
    at = "" if site.digest_key else (":latest" if untagged else "") + "@"
    suffix = at + resolution
    offset = site.digest_offset
    return SiteResult(
        site,
        Status.ADDED,
        new_digest=resolution,
        edit=Edit(offset, offset, suffix),
        message=site.reason,  # where it stands for an image named elsewhere, says which
        added_latest=untagged,
    )


def update(site: Site, refreshed: Refresh | ResolveError) -> SiteResult:
    """Replace a digest whose tag has moved (or whose manifest is gone)."""
    from pinner.resolve.freshness import Freshness

    old = _digest(site)
    if isinstance(refreshed, ResolveError):
        return SiteResult(site, Status.ERROR, old_digest=old, message=refreshed.message)
    moves = refreshed.freshness in (Freshness.STALE, Freshness.MISSING)
    if not moves or refreshed.digest is None or refreshed.digest == old:
        return _reported(site, refreshed)
    assert old is not None
    offset = site.digest_offset
    edit = Edit(offset - len(old), offset, refreshed.digest)
    note = refreshed.note or _moved(site)
    return SiteResult(
        site, Status.UPDATED, old, refreshed.digest, edit, note, tag_digest=refreshed.tag_digest
    )


def bump(site: Site, found: Bump, writes: bool) -> SiteResult:
    """A pinned reference moved to a newer tag on its track and that tag's
    digest: the whole reference is written anew, in the user's spelling."""
    from pinner.outcome import BumpNote, Change

    reference = site.reference
    assert reference is not None and reference.tag is not None and reference.digest is not None
    name = reference.original.split("@")[0][: -len(reference.tag) - 1]
    edit = Edit(site.start, site.end, f"{name}:{found.tag}@{found.digest}") if writes else None
    change = Change(found.old_created, found.new_created, found.size_change, found.platform)
    return SiteResult(
        site,
        Status.BUMPED,
        reference.digest,
        found.digest,
        edit,
        f"tag {reference.tag} -> {found.tag}",
        change=change,
        bump=BumpNote(reference.tag, found.tag, found.passed_over),
    )


def stale_check(site: Site, refreshed: Refresh | ResolveError) -> SiteResult:
    """What ``pinner check --stale`` says of a pinned reference."""
    if isinstance(refreshed, ResolveError):
        return SiteResult(site, Status.ERROR, old_digest=_digest(site), message=refreshed.message)
    return _reported(site, refreshed)


def _reported(site: Site, refreshed: Refresh) -> SiteResult:
    """A pinned reference as it stands, without changing it."""
    from pinner.resolve.freshness import Freshness

    old = _digest(site)
    if refreshed.freshness is Freshness.PRESENT:
        return SiteResult(site, Status.SKIPPED, old, message=f"{site.reason}; {refreshed.note}")
    status = Status(refreshed.freshness.value)
    note = refreshed.note or (_moved(site) if status is Status.STALE else "")
    return SiteResult(
        site, status, old, refreshed.digest, message=note, tag_digest=refreshed.tag_digest
    )


def _moved(site: Site) -> str:
    assert site.reference is not None
    return f"tag {site.reference.tracked_tag} moved"


def _digest(site: Site) -> str | None:
    return site.reference.digest if site.reference is not None else None
