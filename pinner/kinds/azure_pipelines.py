"""Azure Pipelines (``azure-pipelines.yml``) -> sites (pure).

Images are named by ``resources.containers[].image`` and by ``container:``
of the pipeline or of a job (in ``jobs``, or ``stages[].jobs``), a string
or a mapping with ``image``. A ``container:`` string that names one of
``resources.containers`` (its ``container:`` alias) is that resource, pinned
where it is defined; so are the values of a job's ``services:``, which name
container resources. Expressions and variables (``${{ }}``, ``$(tag)``,
``$[ ]``) are filled in when the pipeline runs: skipped with the reason.
Templates a file uses are not followed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from pinner.site import Classified, Site, SiteKind, Verdict, literal_unless
from pinner.yaml_scalars import (
    Found,
    compose_or_fail,
    entries,
    image_string,
    lookup,
    members,
    sites_of,
)

_literal = literal_unless(
    ("$",),
    "an expression or variable (${{ }}, $(var)) is filled in when the pipeline runs;"
    " write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every image the pipeline names, in file order; no file followed."""
    roots = compose_or_fail(path, text)
    sites: list[Site] = []
    for root in roots:
        aliases = _aliases(root)
        images, services = list(_images(root)), list(_services(root))
        kind = SiteKind.AZURE_CONTAINER
        image_or_alias = functools.partial(_classify, aliases, False)
        alias = functools.partial(_classify, aliases, True)
        understood = [node for node, _, _ in services]
        sites += sites_of(path, text, [root], images, image_or_alias, kind, understood=understood)
        sites += sites_of(path, text, [], services, alias, kind)
    return sorted(sites, key=lambda site: site.start), []


def _classify(
    aliases: dict[str, int], resource_only: bool, value: str, start: int, end: int
) -> Classified:
    """An image, or the name of a container resource (a service's always is)."""
    if value in aliases:
        reason = (
            f"names the container resource '{value}' (line {aliases[value]}),"
            " pinned where it is defined"
        )
        return Verdict.IGNORED, reason, None, None
    if resource_only:
        reason = f"a job's services name container resources, and '{value}' is none of this file's"
        return Verdict.IGNORED, reason, None, None
    return _literal(value, start, end)


def _aliases(root: Node) -> dict[str, int]:
    """The names of ``resources.containers``, with the line of each."""
    found = {}
    for resource in members(lookup(lookup(root, "resources"), "containers")):
        alias = lookup(resource, "container")
        if isinstance(alias, ScalarNode) and alias.value:
            found[str(alias.value)] = alias.start_mark.line + 1
    return found


def _images(root: Node) -> Iterator[Found]:
    for resource in members(lookup(lookup(root, "resources"), "containers")):
        image = image_string(lookup(resource, "image"))
        if image is not None:
            yield image, SiteKind.AZURE_CONTAINER, 0
    for holder in _holders(root):
        container = image_string(lookup(holder, "container"), "image")
        if container is not None:
            yield container, SiteKind.AZURE_CONTAINER, 0


def _services(root: Node) -> Iterator[Found]:
    for holder in _holders(root):
        for _, service in entries(lookup(holder, "services")):
            named = image_string(service)
            if named is not None:
                yield named, SiteKind.AZURE_CONTAINER, 0


def _holders(root: Node) -> Iterator[Node]:
    """The pipeline, and every job (in ``jobs``, or each of ``stages``)."""
    yield root
    for job in members(lookup(root, "jobs")):
        if isinstance(job, MappingNode):
            yield job
    for stage in members(lookup(root, "stages")):
        for job in members(lookup(stage, "jobs")):
            if isinstance(job, MappingNode):
                yield job
