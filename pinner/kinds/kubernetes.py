"""Kubernetes manifests -> sites (pure).

In every YAML document with ``apiVersion`` and ``kind`` (a multi-document
file, a ``List``'s items), the ``image`` of every container in
``containers``, ``initContainers`` and ``ephemeralContainers`` of a Pod
spec: a Pod's ``spec``, a ``template.spec`` (Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job...) and a CronJob's
``jobTemplate.spec.template.spec``. Helm chart templates are not YAML until
rendered: their ``image:`` lines are reported, never edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from ruamel.yaml.nodes import Node, ScalarNode, SequenceNode

from pinner.site import Site, SiteKind, Verdict, literal_unless
from pinner.yaml_scalars import compose_or_fail, lookup, scalar_site

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_HELM_IMAGE = re.compile(r"^[ \t-]*image:[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)
# A value is an image unless it holds a template or variable filled in later.
_classify = literal_unless(
    ("{{", "$"),
    "a template or variable ({{ }}, $VAR) is filled in at deploy time;"
    " write the image out to pin it",
)


def may_be_manifest(text: str) -> bool:
    """Worth parsing: only text that holds both ``apiVersion`` and ``image:``."""
    return "apiVersion" in text and "image:" in text


def is_helm_template(path: str, text: str) -> bool:
    return "{{" in text and "templates" in PurePosixPath(path.replace("\\", "/")).parts


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The file kind's surface: the sites, and no other file named."""
    return scan_manifest(path, text), []


def scan_manifest(path: str, text: str) -> list[Site]:
    """Every container image of every workload in the file, in file order."""
    if is_helm_template(path, text):
        return _helm_sites(path, text)
    found: dict[int, ScalarNode] = {}
    for root in compose_or_fail(path, text):
        for image in _images(root):
            found.setdefault(id(image), image)
    sites = [
        scalar_site(path, text, node, SiteKind.K8S_IMAGE, _classify) for node in found.values()
    ]
    return sorted(sites, key=lambda site: site.start)


def _images(document: Node, depth: int = 0) -> Iterator[ScalarNode]:
    if depth > 4 or lookup(document, "apiVersion") is None:
        return
    kind = _text(lookup(document, "kind"))
    if kind.endswith("List"):
        items = lookup(document, "items")
        for item in items.value if isinstance(items, SequenceNode) else []:
            yield from _images(item, depth + 1)
        return
    spec = lookup(document, "spec")
    for pod_spec in (
        spec if kind == "Pod" else None,
        lookup(lookup(spec, "template"), "spec"),
        lookup(lookup(lookup(lookup(spec, "jobTemplate"), "spec"), "template"), "spec"),
    ):
        for field in _CONTAINER_LISTS:
            containers = lookup(pod_spec, field)
            for container in containers.value if isinstance(containers, SequenceNode) else []:
                image = lookup(container, "image")
                if isinstance(image, ScalarNode) and _text(image):
                    yield image


def _text(node: Node | None) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else ""


def _helm_sites(path: str, text: str) -> list[Site]:
    """Each ``image:`` line of a Helm template, left alone with the reason."""
    sites = []
    for match in _HELM_IMAGE.finditer(text):
        start, end = match.start(1), match.end(1)
        line_start = text.rfind("\n", 0, start) + 1
        sites.append(
            Site(
                path=path,
                line=text.count("\n", 0, start) + 1,
                column=start - line_start + 1,
                start=start,
                end=end,
                kind=SiteKind.K8S_IMAGE,
                text=match.group(1),
                verdict=Verdict.VARIABLE,
                reason="a Helm chart template: not YAML until rendered, never edited;"
                " pin the image in the chart's values",
            )
        )
    return sites
