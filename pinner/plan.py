"""Sites and resolutions -> edits (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pinner.edit import Edit
from pinner.resolve.batch import Resolution
from pinner.resolve.errors import ResolveError
from pinner.site import Site, Verdict


@dataclass(frozen=True)
class PlannedPin:
    site: Site
    digest: str
    edit: Edit
    added_latest: bool  # the reference had no tag; ":latest" is written with the digest


@dataclass(frozen=True)
class FailedLookup:
    site: Site
    error: ResolveError


def plan_pins(
    sites: Iterable[Site], resolutions: Mapping[str, Resolution]
) -> tuple[list[PlannedPin], list[FailedLookup]]:
    """One insertion of ``@sha256:...`` right after each reference that needs a pin."""
    pins: list[PlannedPin] = []
    failures: list[FailedLookup] = []
    for site in sites:
        if site.verdict is not Verdict.PIN or site.reference is None:
            continue
        resolution = resolutions[site.reference.lookup_key]
        if isinstance(resolution, ResolveError):
            failures.append(FailedLookup(site, resolution))
            continue
        untagged = site.reference.tag is None
        suffix = (":latest" if untagged else "") + "@" + resolution
        pins.append(
            PlannedPin(
                site, resolution, Edit(site.digest_offset, site.digest_offset, suffix), untagged
            )
        )
    return pins, failures
