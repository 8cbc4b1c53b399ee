"""Named build contexts: the names a docker bake target's ``contexts`` or a
compose build's ``additional_contexts`` give the Dockerfile it builds. There,
``FROM name``, ``COPY --from=name`` and ``RUN --mount from=name`` mean the
context, never the image of that name, so pinner never looks them up (pure).
"""

from __future__ import annotations

from typing import NamedTuple

from pinner.reference import InvalidReferenceError, parse_reference
from pinner.site import Site, SiteKind, Verdict


class NamedContext(NamedTuple):
    dockerfile: str  # relative to the folder of the file that gives it
    name: str
    where: str  # file:line that names it


_CONTEXT_SITES = (SiteKind.FROM, SiteKind.COPY_FROM, SiteKind.MOUNT_FROM)


def named_context(site: Site, contexts: dict[str, str]) -> Site:
    """A Dockerfile's site that names a build context given to it, left alone."""
    if site.kind not in _CONTEXT_SITES or site.verdict not in (Verdict.PIN, Verdict.PINNED):
        return site
    where = contexts.get(site.text)
    if where is None and site.reference is not None:
        where = next(
            (
                place
                for name, place in contexts.items()
                if _same_image(name, site.reference.lookup_key)
            ),
            None,
        )
    if where is None:
        return site
    return site._replace(verdict=Verdict.NAMED_CONTEXT, reason=f"named context ({where})")


def _same_image(name: str, lookup_key: str) -> bool:
    try:
        return parse_reference(name).lookup_key == lookup_key
    except InvalidReferenceError:
        return False
