"""Bitbucket Pipelines (``bitbucket-pipelines.yml``) -> sites (pure).

Images are named by the top-level ``image``, by every ``step``'s ``image``
(wherever the step stands: ``default``, ``branches``, ``pull-requests``,
``tags``, ``custom``, inside ``parallel`` and ``stage``, or among the
anchored ``definitions``), and by ``definitions.services.<name>.image``;
``image`` is a string or a mapping with ``name`` (and credentials). A
variable (``$IMAGE``) is filled in when the pipeline runs: skipped with the
reason. Pipes (``pipe:``) are not read.
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
    mappings,
    sites_of,
)

_classify = literal_unless(
    ("$",),
    "a variable is filled in when the pipeline runs; write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every image the pipelines name, in file order; no file followed."""
    roots = compose_or_fail(path, text)
    found = [image for root in roots for image in _images(root)]
    return sites_of(path, text, roots, found, _classify, SiteKind.BITBUCKET_IMAGE), []


def _images(root: Node) -> Iterator[Found]:
    yield from _image_of(root)
    for _, service in entries(lookup(lookup(root, "definitions"), "services")):
        yield from _image_of(service)
    yield from _steps(root)


def _image_of(holder: Node | None) -> Iterator[Found]:
    image = image_string(lookup(holder, "image"), "name")
    if image is not None:
        yield image, SiteKind.BITBUCKET_IMAGE, 0


def _steps(root: Node) -> Iterator[Found]:
    """The image of every mapping under a ``step`` key, however deep."""
    for mapping in mappings([root]):
        for name, value in entries(mapping):
            if name == "step":
                yield from _image_of(value)
