"""CircleCI configuration (``.circleci/config.yml``) -> sites (pure).

Images are named in the ``docker:`` list of every job and executor: each
entry's ``image`` (the first is where the steps run, the others are
services). Parameters (``<< pipeline.parameters.tag >>``,
``<< parameters.image >>``) and environment variables are filled in when the
pipeline runs: such values are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import Node

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import (
    Found,
    compose_or_fail,
    entries,
    image_string,
    lookup,
    members,
    sites_of,
)

_classify = literal_unless(
    ("<<", "$"),
    "a pipeline parameter (<< parameters.x >>) or variable is filled in when the pipeline"
    " runs; write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every image of every job and executor, in file order; no file followed."""
    roots = compose_or_fail(path, text)
    found = [image for root in roots for image in _images(root)]
    return sites_of(path, text, roots, found, _classify, SiteKind.CIRCLECI_IMAGE), []


def _images(root: Node) -> Iterator[Found]:
    for section in ("jobs", "executors"):
        for _, holder in entries(lookup(root, section)):
            for entry in members(lookup(holder, "docker")):
                image = image_string(lookup(entry, "image"))
                if image is not None:
                    yield image, SiteKind.CIRCLECI_IMAGE, 0
