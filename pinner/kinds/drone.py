"""Drone (``.drone.yml``) and Woodpecker (``.woodpecker.yml``,
``.woodpecker/*.yml``) pipelines -> sites (pure).

Both name images in the ``image`` of each step and service. A Drone file
holds one pipeline per YAML document (``kind: pipeline``); Woodpecker's
``steps`` and ``services`` are a list or a mapping of names to steps (and
older files say ``pipeline:``; ``clone:`` steps name images too). Variables
(``${DRONE_TAG}``, ``$CI_COMMIT_TAG``) are filled in when the pipeline
runs: skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import Node

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import Found, compose_or_fail, image_string, lookup, members, sites_of

_classify = literal_unless(
    ("$",),
    "a variable is filled in when the pipeline runs; write the image out to pin it",
)
_DRONE_SECTIONS = ("steps", "services")
_WOODPECKER_SECTIONS = ("steps", "services", "pipeline", "clone")


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every step's and service's image in a Drone file; no file followed."""
    return _scan(path, text, _DRONE_SECTIONS, SiteKind.DRONE_IMAGE), []


def scan_woodpecker(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every step's and service's image in a Woodpecker file; no file followed."""
    return _scan(path, text, _WOODPECKER_SECTIONS, SiteKind.WOODPECKER_IMAGE), []


def _scan(path: str, text: str, sections: tuple[str, ...], kind: SiteKind) -> list[Site]:
    roots = compose_or_fail(path, text)
    found = [image for root in roots for image in _images(root, sections, kind)]
    return sites_of(path, text, roots, found, _classify, kind)


def _images(root: Node, sections: tuple[str, ...], kind: SiteKind) -> Iterator[Found]:
    for section in sections:
        for step in members(lookup(root, section)):
            image = image_string(lookup(step, "image"))
            if image is not None:
                yield image, kind, 0
