"""Helm chart values (``values.yaml``, ``values-*.yaml`` beside a
``Chart.yaml``) -> sites (pure).

A chart's templates join the image from its values, so the values are where
a digest can be pinned (the templates are never edited):

- a string ``image: repo:tag``: the digest goes after it, as anywhere;
- a mapping under any key whose name ends in ``image`` (any case) with
  ``repository`` and ``tag`` (or ``version``), and optionally ``registry``:
  the reference is ``registry/repository:tag``. The digest goes into the
  mapping's ``digest:`` value when it has one (Bitnami's charts ship
  ``digest: ""``, and their templates write ``repository@digest``);
  otherwise after the tag (``tag: "1.2.3@sha256:..."``), which templates
  that join ``repository:tag`` turn into a valid reference.

An empty tag means the chart's ``appVersion`` (``Chart.yaml``): with a
``digest:`` key, the digest of that version is written there; without one
the image is skipped with the reason. A tag written as a number is rendered
by Helm as a number (``tag: 1.10`` as ``1.1``): skipped until quoted.
Templates and variables (``{{ }}``, ``$VAR``) are skipped with the reason.
"""

from __future__ import annotations

import functools

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from pinner.reference import InvalidReferenceError, parse_reference
from pinner.site import Classified, Site, SiteKind, Verdict, literal_unless
from pinner.yaml_scalars import (
    compose_or_fail,
    compose_yaml,
    entries,
    image_string,
    is_plain,
    lookup,
    mappings,
    scalar_site,
    scalar_span,
    unread_images,
)

_MARKERS = ("{{", "$")
_classify_string = literal_unless(
    _MARKERS,
    "a template or variable ({{ }}, $VAR) is filled in when the chart is rendered;"
    " write the image out to pin it",
)
_NUMBERS = ("tag:yaml.org,2002:float", "tag:yaml.org,2002:int")


def scan(
    path: str, text: str, chart: str | None = None
) -> tuple[list[Site], list[tuple[str, int]]]:
    """Every image the values name, in file order; ``chart`` is the text of the
    ``Chart.yaml`` beside them, for its ``appVersion``."""
    roots = compose_or_fail(path, text)
    app_version = _app_version(chart)
    sites: list[Site] = []
    taken: set[int] = set()
    for mapping in mappings(roots):
        for key, value in entries(mapping):
            if key == "image" and image_string(value) is not None:
                assert isinstance(value, ScalarNode)
                taken.add(id(value))
                sites.append(scalar_site(path, text, value, SiteKind.HELM_IMAGE, _classify_string))
            elif key.lower().endswith("image") and isinstance(value, MappingNode):
                site = _map_site(path, text, value, app_version)
                if site is not None:
                    taken.add(id(value))
                    sites.append(site)
    sites += unread_images(path, text, roots, taken, SiteKind.HELM_IMAGE)
    return sorted(sites, key=lambda site: site.start), []


def _app_version(chart: str | None) -> str | None:
    if not chart:
        return None
    try:
        roots = compose_yaml(chart)
    except Exception:  # a Chart.yaml that is not YAML: Helm would refuse the chart
        return None
    version = lookup(roots[0], "appVersion") if roots else None
    if isinstance(version, ScalarNode) and version.value not in (None, ""):
        return str(version.value)
    return None


def _map_site(path: str, text: str, image: MappingNode, app_version: str | None) -> Site | None:
    """The site of ``{registry, repository, tag, digest}``, at its repository."""
    repository = lookup(image, "repository")
    if not isinstance(repository, ScalarNode) or not repository.value:
        return None
    tag = lookup(image, "tag")
    if tag is None:
        tag = lookup(image, "version")
    classify = functools.partial(
        _classify_map, text, lookup(image, "registry"), tag, lookup(image, "digest"), app_version
    )
    site = scalar_site(path, text, repository, SiteKind.HELM_IMAGE, classify)
    digest = lookup(image, "digest")
    at_digest = isinstance(digest, ScalarNode) and site.insert_at == scalar_span(text, digest)[1]
    return site._replace(digest_key=True) if at_digest else site


def _classify_map(
    text: str,
    registry: Node | None,
    tag: Node | None,
    digest: Node | None,
    app_version: str | None,
    repository: str,
    start: int,
    end: int,
) -> Classified:
    parts = [node for node in (registry, tag, digest) if isinstance(node, ScalarNode)]
    if any(not is_plain(text, node) for node in parts if node.value):
        return _skip(Verdict.NOT_PLAIN, "a value of the image is not written plainly")
    written = [repository, *(str(node.value or "") for node in parts)]
    if any(marker in value for value in written for marker in _MARKERS):
        return _skip(Verdict.VARIABLE, "a template or variable is filled in when rendered")
    if isinstance(tag, ScalarNode) and tag.tag in _NUMBERS:
        return _skip(
            Verdict.VARIABLE,
            f"the tag {tag.value} is written as a number, which Helm renders as one (1.10 as"
            " 1.1, 1000000 as 1e+06); quote it to pin it",
        )
    if digest is not None and not isinstance(digest, ScalarNode):
        return _skip(Verdict.NOT_PLAIN, "digest: is not a string")
    if isinstance(digest, ScalarNode) and not digest.value and digest.style not in ("'", '"'):
        return _skip(Verdict.NOT_PLAIN, 'digest: has no value; write digest: "" to pin it')
    tag_value = str(tag.value) if isinstance(tag, ScalarNode) and tag.value is not None else ""
    digest_value = str(digest.value) if isinstance(digest, ScalarNode) and digest.value else ""
    if "@" in tag_value:
        tag_value, _, digest_value = tag_value.partition("@")
    if not tag_value:
        if digest is None:
            return _skip(
                Verdict.VARIABLE,
                "the tag is empty, so the chart's appVersion is used: write the tag, or add"
                ' digest: "" to pin that version',
            )
        if app_version is None:
            return _skip(Verdict.VARIABLE, "the tag is empty and Chart.yaml has no appVersion")
        tag_value = app_version
    host = str(registry.value) + "/" if isinstance(registry, ScalarNode) and registry.value else ""
    written_reference = f"{host}{repository}:{tag_value}" + (
        f"@{digest_value}" if digest_value else ""
    )
    try:
        reference = parse_reference(written_reference)
    except InvalidReferenceError as error:
        return Verdict.INVALID, str(error), None, None
    verdict = Verdict.PINNED if reference.digest else Verdict.PIN
    if isinstance(digest, ScalarNode):
        insert_at = scalar_span(text, digest)[1]
    elif isinstance(tag, ScalarNode):
        insert_at = scalar_span(text, tag)[1]
    else:
        return _skip(Verdict.VARIABLE, "no tag to pin after")
    return verdict, "", reference, insert_at


def _skip(verdict: Verdict, reason: str) -> Classified:
    return verdict, reason, None, None
