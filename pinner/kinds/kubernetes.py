"""Kubernetes-style manifests -> sites (pure).

In every YAML document with ``apiVersion`` and ``kind`` (a multi-document
file, a ``List``'s items), a string under a key named ``image``, wherever it
is, is an image: the containers of Pods and of every workload's template,
and as well the resources of operators and CI systems that run images
(Tekton's steps, sidecars and ``stepTemplate``, Argo Workflows' templates,
``PodTemplate``, KEDA's ``ScaledJob``, a ``Prometheus``'s ``spec.image``).
That is Renovate's rule, and what users of many operators expect. A
``ConfigMap``'s or ``Secret``'s data is not an image, nor a
``CustomResourceDefinition``'s schema; ``metadata`` never names one. A
mapping under ``image:`` (``repository``, ``tag``) is reported as not read.
Helm chart templates are not YAML until rendered: their ``image:`` lines are
reported, never edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pinner.site import Site, SiteKind, Verdict, literal_unless
from pinner.yaml_scalars import Found, compose_or_fail, image_string, lookup, mappings, sites_of

_NOT_IMAGES = frozenset({"ConfigMap", "Secret", "CustomResourceDefinition"})
_HELM_IMAGE = re.compile(r"^[ \t-]*image:[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)
# A value is an image unless it holds a template, parameter or variable filled in later.
_classify = literal_unless(
    ("{{", "$"),
    "a template, parameter or variable ({{ }}, $(params.x), $VAR) is filled in later;"
    " write the image out to pin it",
)


def is_helm_template(path: str, text: str) -> bool:
    return "{{" in text and "templates" in PurePosixPath(path.replace("\\", "/")).parts


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The file kind's surface: the sites, and no other file named."""
    return scan_manifest(path, text), []


def scan_manifest(path: str, text: str) -> list[Site]:
    """Every image of every resource in the file, in file order."""
    if is_helm_template(path, text):
        return _helm_sites(path, text)
    roots = compose_or_fail(path, text)
    found = [image for root in roots for image in _images(root)]
    manifests = [root for root in roots if lookup(root, "apiVersion") is not None]
    return sites_of(path, text, manifests, found, _classify, SiteKind.K8S_IMAGE)


def _images(document: Node, depth: int = 0) -> Iterator[Found]:
    if depth > 4 or lookup(document, "apiVersion") is None:
        return
    kind = _text(lookup(document, "kind"))
    if kind.endswith("List"):
        items = lookup(document, "items")
        for item in items.value if isinstance(items, SequenceNode) else []:
            yield from _images(item, depth + 1)
        return
    if kind in _NOT_IMAGES:
        return
    site_kind = _site_kind(_text(lookup(document, "apiVersion")))
    for mapping in mappings(value for key, value in _pairs(document) if key != "metadata"):
        for key, value in _pairs(mapping):
            image = image_string(value) if key == "image" else None
            if image is not None:
                yield image, site_kind, 0


def _site_kind(api_version: str) -> SiteKind:
    group = api_version.split("/", 1)[0]
    if group == "tekton.dev" or group.endswith(".tekton.dev"):
        return SiteKind.TEKTON_STEP
    if group == "argoproj.io":
        return SiteKind.ARGO_IMAGE
    return SiteKind.K8S_IMAGE


def _pairs(node: Node) -> list[tuple[str, Node]]:
    if not isinstance(node, MappingNode):
        return []
    return [(str(key.value), value) for key, value in node.value if isinstance(key, ScalarNode)]


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
                " pin the image in the chart's values.yaml beside Chart.yaml, which pinner reads",
            )
        )
    return sites
