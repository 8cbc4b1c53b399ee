"""Google Cloud Build (``cloudbuild.yaml``) -> sites (pure).

Each step's ``name`` is the image the step runs. Substitutions
(``$PROJECT_ID``, ``${_TAG}``) are filled in when the build runs: skipped
with the reason. The top-level ``images`` are what the build pushes, not
images it pulls: they are not pinned.
"""

from __future__ import annotations

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import compose_or_fail, image_string, lookup, members, sites_of

_classify = literal_unless(
    ("$",),
    "a substitution is filled in when the build runs; write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every step's image, in file order; no file followed."""
    roots = compose_or_fail(path, text)
    found = [
        (image, SiteKind.CLOUDBUILD_STEP, 0)
        for root in roots
        for step in members(lookup(root, "steps"))
        if (image := image_string(lookup(step, "name"))) is not None
    ]
    return sites_of(path, text, roots, found, _classify, SiteKind.CLOUDBUILD_STEP), []
