"""Compose file text -> sites (pure).

The file is composed into a node tree (ruamel.yaml), never loaded and dumped:
each ``image:`` scalar's marks give its exact character span, so the digest
is spliced into the text and comments, quoting, key order, indentation and
document markers stay as they were. A value under an anchor is one node, so
services that share it through aliases or merge keys share one edit.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import NamedTuple

from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pinner.expansion import COMPOSE_ADVICE, trailing_expansion
from pinner.kinds import may_be_compose
from pinner.named_contexts import NamedContext, named_context
from pinner.reference import ImageReference
from pinner.site import Site, SiteKind, Verdict, classify_literal, literal_unless
from pinner.yaml_scalars import (
    compose_or_fail,
    compose_yaml,
    lookup,
    scalar_site,
    unread_images,
)


class _ImageNode:
    """An image scalar, and the services that name it (and of those, build it)."""

    __slots__ = ("built", "node", "services")

    def __init__(self, node: ScalarNode) -> None:
        self.node = node
        self.services: list[str] = []
        self.built: list[str] = []


class ComposeScan(NamedTuple):
    sites: list[Site]
    # Other compose files this one names (top-level include:, extends: file:),
    # as written, with the 1-based line that names each.
    references: list[tuple[str, int]]


def looks_like_compose(text: str) -> bool:
    """True when the text is YAML with a mapping that has ``services`` or
    ``include`` (a file named otherwise, which the scan then reads as compose)."""
    if not may_be_compose(text):
        return False
    try:
        roots = compose_yaml(text)
    except (YAMLError, RecursionError):
        return False
    return any(_is_compose(root) for root in roots)


def scan_compose(path: str, text: str) -> list[Site]:
    """Every ``services.<name>.image`` in a compose file, in file order.

    Raises :class:`FileError` naming the line when the text is not YAML.
    """
    return scan_compose_file(path, text).sites


def scan_compose_file(path: str, text: str) -> ComposeScan:
    """The sites of a compose file and the other compose files it names.

    Raises :class:`FileError` naming the line when the text is not YAML.
    """
    roots = compose_or_fail(path, text)
    return ComposeScan(_sites(path, text, roots), _references(roots))


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The file kind's surface: the sites, and the compose files it names."""
    found = scan_compose_file(path, text)
    return found.sites, found.references


def _is_compose(root: Node) -> bool:
    return _services(root) is not None or lookup(root, "include") is not None


def _references(roots: list[Node]) -> list[tuple[str, int]]:
    """``include:`` entries (a path, or a mapping whose ``path`` is one or a
    list) and every service's ``extends: {file: ...}``."""
    found: list[tuple[str, int]] = []

    def add(node: Node | None) -> None:
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value:
            found.append((node.value, node.start_mark.line + 1))
        elif isinstance(node, SequenceNode):
            for item in node.value:
                add(item)

    for root in roots:
        include = lookup(root, "include")
        for entry in include.value if isinstance(include, SequenceNode) else []:
            add(lookup(entry, "path") if isinstance(entry, MappingNode) else entry)
        for _, service in _services(root) or []:
            extends = lookup(service, "extends")
            if isinstance(extends, MappingNode):
                add(lookup(extends, "file"))
    return found


def _sites(path: str, text: str, roots: list[Node]) -> list[Site]:
    images: dict[int, _ImageNode] = {}
    for root in roots:
        for name, service in _services(root) or []:
            image = lookup(service, "image")
            if not isinstance(image, ScalarNode):
                continue
            entry = images.setdefault(id(image), _ImageNode(image))
            entry.services.append(name)
            if lookup(service, "build") is not None:
                entry.built.append(name)
    sites = [
        scalar_site(
            path, text, entry.node, SiteKind.COMPOSE_IMAGE, functools.partial(_classify, entry)
        )
        for entry in images.values()
    ]
    sites += unread_images(path, text, roots, set(images), SiteKind.COMPOSE_IMAGE)
    sites += [
        scalar_site(path, text, node, SiteKind.COMPOSE_CONTEXT, _classify_context, skip)
        for root in roots
        for _, _, build in _builds(root)
        for _, node, skip in _additional_contexts(build)
    ]
    sites += _inline_dockerfiles(path, text, roots)
    return sorted(sites, key=lambda site: site.start)


def _inline_dockerfiles(path: str, text: str, roots: list[Node]) -> list[Site]:
    """The images of each ``build.dockerfile_inline``; the names its build's
    ``additional_contexts`` give are contexts there too."""
    from pinner.kinds.inline_dockerfile import inline_sites

    sites = []
    for root in roots:
        for _, _, build in _builds(root):
            inline = lookup(build, "dockerfile_inline")
            if not isinstance(inline, ScalarNode) or not inline.value:
                continue
            contexts = {
                name: f"{path.rsplit('/', 1)[-1]}:{node.start_mark.line + 1}"
                for name, node, _ in _additional_contexts(build, images_only=False)
            }
            sites += [named_context(site, contexts) for site in inline_sites(path, text, inline)]
    return sites


DOCKER_IMAGE = "docker-image://"


def named_contexts(path: str, text: str) -> list[NamedContext]:
    """Each built service's Dockerfile, with the names its
    ``build.additional_contexts`` give: there ``FROM name`` is the context."""
    shown = path.rsplit("/", 1)[-1]
    found = []
    for root in compose_yaml(text):
        for _, _, build in _builds(root):
            context = _string(lookup(build, "context")) or "."
            dockerfile = _string(lookup(build, "dockerfile")) or "Dockerfile"
            where = os.path.normpath(os.path.join(context, dockerfile))
            for name, node, _ in _additional_contexts(build, images_only=False):
                found.append(NamedContext(where, name, f"{shown}:{node.start_mark.line + 1}"))
    return found


def _builds(root: Node) -> Iterator[tuple[str, MappingNode, MappingNode]]:
    for name, service in _services(root) or []:
        build = lookup(service, "build")
        if isinstance(build, MappingNode):
            yield name, service, build


def _additional_contexts(
    build: Node, images_only: bool = True
) -> Iterator[tuple[str, ScalarNode, int]]:
    """``additional_contexts`` as a mapping or a list of ``name=value``: each
    name, its value's node, and where in the value the context begins; with
    ``images_only``, only ``docker-image://`` contexts, from where the image
    begins."""
    contexts = lookup(build, "additional_contexts")
    pairs: list[tuple[str, ScalarNode, int]] = []
    if isinstance(contexts, MappingNode):
        pairs = [
            (str(key.value), value, 0)
            for key, value in contexts.value
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)
        ]
    elif isinstance(contexts, SequenceNode):
        for item in contexts.value:
            if isinstance(item, ScalarNode) and "=" in str(item.value):
                name = str(item.value).split("=", 1)[0]
                pairs.append((name, item, len(name) + 1))
    for name, node, skip in pairs:
        is_image = str(node.value)[skip:].startswith(DOCKER_IMAGE)
        if not images_only:
            yield name, node, skip
        elif is_image:
            yield name, node, skip + len(DOCKER_IMAGE)


def _string(node: Node | None) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) and node.value else None


_classify_context = literal_unless(
    ("$",), "a variable is filled in when compose runs; write the image out to pin it"
)


def _services(root: Node | None) -> list[tuple[str, MappingNode]] | None:
    if not isinstance(root, MappingNode):
        return None
    services = lookup(root, "services")
    if not isinstance(services, MappingNode):
        return None
    return [
        (str(key.value), value)
        for key, value in services.value
        if isinstance(key, ScalarNode) and isinstance(value, MappingNode)
    ]


def _classify(
    entry: _ImageNode, value: str, start: int, end: int
) -> tuple[Verdict, str, ImageReference | None, int | None]:
    services = ", ".join(entry.services)
    if entry.built:
        why = (
            f"service {', '.join(entry.built)} builds this image locally (build: and image:)"
            if len(entry.built) == len(entry.services)
            else f"shared by built ({', '.join(entry.built)}) and pulled services ({services})"
        )
        reference = classify_literal(value)[2] if "$" not in value else None
        return Verdict.IGNORED, why, reference, None
    if "$" not in value:
        verdict, reason, reference = classify_literal(value)
        return verdict, reason, reference, None
    if "$$" in value:
        return Verdict.VARIABLE, "'$$' is a literal '$', which no image name has", None, None
    expansion = trailing_expansion(value, COMPOSE_ADVICE)
    if isinstance(expansion, str):
        return Verdict.VARIABLE, expansion, None, None
    if expansion.default is None:
        return (
            Verdict.VARIABLE,
            f"${{{expansion.name}}} has no default in the file; write"
            f" ${{{expansion.name}:-IMAGE}} to pin the default",
            None,
            None,
        )
    verdict, reason, reference = classify_literal(expansion.prefix + expansion.default)
    return verdict, reason, reference, start + expansion.default_start + len(expansion.default)
