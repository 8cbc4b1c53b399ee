"""GitHub Actions workflows and action metadata -> sites (pure).

A workflow names images in ``jobs.<id>.container`` (a string, or a mapping
with ``image``), ``jobs.<id>.services.<id>.image`` and
``steps[*].uses: docker://image``; an action's metadata (``action.yml``) in
``runs.image: docker://image`` when ``runs.using`` is ``docker``.
``uses: owner/repo@ref`` is an action, not an image; a value with a
``${{ }}`` expression is known only when the workflow runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ruamel.yaml.nodes import Node, ScalarNode, SequenceNode

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import compose_or_fail, entries, lookup, scalar_site

DOCKER_SCHEME = "docker://"
# A value is an image unless it holds a template or variable filled in later.
_classify = literal_unless(
    ("${{",),
    "a GitHub Actions expression (${{ }}) is known only when the workflow runs;"
    " write the image out to pin it",
)


def scan_workflow(path: str, text: str) -> list[Site]:
    """Every image a workflow names, in file order (an anchored value once)."""
    found: dict[int, tuple[ScalarNode, SiteKind, int]] = {}
    for root in compose_or_fail(path, text):
        for node, kind, skip in _workflow_images(root):
            found.setdefault(id(node), (node, kind, skip))
    return _sites(path, text, found.values())


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The workflow kind's surface: the sites, and no other file named."""
    return scan_workflow(path, text), []


def scan_metadata(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The action kind's surface: the sites, and no other file named."""
    return scan_action(path, text), []


def scan_action(path: str, text: str) -> list[Site]:
    """The image of a Docker container action, if its metadata names one."""
    found = []
    for root in compose_or_fail(path, text):
        runs = lookup(root, "runs")
        using, image = lookup(runs, "using"), lookup(runs, "image")
        if _text(using) == "docker" and _text(image).startswith(DOCKER_SCHEME):
            assert isinstance(image, ScalarNode)
            found.append((image, SiteKind.GHA_DOCKER_USES, len(DOCKER_SCHEME)))
    return _sites(path, text, found)


def _workflow_images(root: Node) -> Iterator[tuple[ScalarNode, SiteKind, int]]:
    for _, job in entries(lookup(root, "jobs")):
        container = lookup(job, "container")
        image = container if isinstance(container, ScalarNode) else lookup(container, "image")
        if isinstance(image, ScalarNode) and _text(image):
            yield image, SiteKind.GHA_CONTAINER, 0
        for _, service in entries(lookup(job, "services")):
            image = lookup(service, "image")
            if isinstance(image, ScalarNode) and _text(image):
                yield image, SiteKind.GHA_SERVICE, 0
        steps = lookup(job, "steps")
        for step in steps.value if isinstance(steps, SequenceNode) else []:
            uses = lookup(step, "uses")
            if isinstance(uses, ScalarNode) and _text(uses).startswith(DOCKER_SCHEME):
                yield uses, SiteKind.GHA_DOCKER_USES, len(DOCKER_SCHEME)


def _sites(path: str, text: str, found: Iterable[tuple[ScalarNode, SiteKind, int]]) -> list[Site]:
    sites = [scalar_site(path, text, node, kind, _classify, skip) for node, kind, skip in found]
    return sorted(sites, key=lambda site: site.start)


def _text(node: Node | None) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else ""
