"""GitHub Actions workflows and action metadata -> sites (pure).

A workflow names images in ``jobs.<id>.container`` (a string, or a mapping
with ``image``), ``jobs.<id>.services.<id>.image`` and
``steps[*].uses: docker://image``; an action's metadata (``action.yml``) in
``runs.image: docker://image`` when ``runs.using`` is ``docker``, and in
``runs.steps[*].uses: docker://image`` of a composite action.
``uses: owner/repo@ref`` is an action, not an image; a value with a
``${{ }}`` expression is known only when the workflow runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import Node, ScalarNode, SequenceNode

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import (
    Found,
    compose_or_fail,
    entries,
    image_string,
    lookup,
    sites_of,
)
from pinner.yaml_variables import Through

DOCKER_SCHEME = "docker://"
# A value is an image unless it holds a template or variable filled in later.
_classify = literal_unless(
    ("${{",),
    "a GitHub Actions expression (${{ }}) is known only when the workflow runs;"
    " write the image out to pin it",
)


def scan_workflow(path: str, text: str) -> list[Site]:
    """Every image a workflow names, in file order (an anchored value once).

    A container or service image written as ``${{ env.IMAGE }}``, where the
    job's or the workflow's ``env:`` sets ``IMAGE`` to a literal, is pinned
    where it is set (unless the workflow uses ``IMAGE`` for more)."""
    roots = compose_or_fail(path, text)
    found: list[Found] = []
    through = Through(text, _ENV_EXPRESSION, _any_env_use)
    for root in roots:
        for job, (node, kind, skip) in _workflow_images(root):
            name = through.variable(node) if kind is not SiteKind.GHA_DOCKER_USES else None
            definition = _env(job, root, name) if name else None
            if definition is None:
                found.append((node, kind, skip))
            else:
                through.add(definition, name or "", node, kind)
    found += through.definitions()
    classify = through.classify(_classify)
    sites = sites_of(path, text, roots, found, classify, SiteKind.GHA_CONTAINER, through.uses())
    return sorted(sites + through.skipped(path), key=lambda site: site.start)


# ${{ env.NAME }}, the whole value; and any use of NAME: in an expression, or
# in a step's shell, where env: is in the environment.
_ENV_EXPRESSION = r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}"


def _any_env_use(name: str) -> str:
    return rf"\benv\.{name}\b|\$\{{?{name}\b"


def _env(job: Node, root: Node, name: str | None) -> ScalarNode | None:
    """The literal the job's ``env:``, else the workflow's, sets ``name`` to."""
    for holder in (job, root):
        value = lookup(lookup(holder, "env"), name or "")
        if value is not None:
            string = image_string(value)
            return string if string is not None and "$" not in str(string.value) else None
    return None


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The workflow kind's surface: the sites, and no other file named."""
    return scan_workflow(path, text), []


def scan_metadata(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The action kind's surface: the sites, and no other file named."""
    return scan_action(path, text), []


def scan_action(path: str, text: str) -> list[Site]:
    """The image of a Docker container action, and the ``docker://`` steps of a
    composite action, if its metadata names any."""
    roots = compose_or_fail(path, text)
    found: list[Found] = []
    builds: list[Node] = []  # runs.image: Dockerfile, which pinner reads as a Dockerfile
    for root in roots:
        runs = lookup(root, "runs")
        using, image = _text(lookup(runs, "using")), lookup(runs, "image")
        if using == "docker" and isinstance(image, ScalarNode):
            if _docker(image):
                found.append((image, SiteKind.GHA_DOCKER_USES, len(DOCKER_SCHEME)))
            else:
                builds.append(image)
        if using == "composite":
            found += _docker_steps(lookup(runs, "steps"))
    kind = SiteKind.GHA_DOCKER_USES
    return sites_of(path, text, roots, found, _classify, kind, understood=builds)


def _workflow_images(root: Node) -> Iterator[tuple[Node, Found]]:
    """Each image, with the job that names it."""
    for _, job in entries(lookup(root, "jobs")):
        image = image_string(lookup(job, "container"), "image")
        if image is not None:
            yield job, (image, SiteKind.GHA_CONTAINER, 0)
        for _, service in entries(lookup(job, "services")):
            image = image_string(lookup(service, "image"))
            if image is not None:
                yield job, (image, SiteKind.GHA_SERVICE, 0)
        for found in _docker_steps(lookup(job, "steps")):
            yield job, found


def _docker_steps(steps: Node | None) -> Iterator[Found]:
    """``uses: docker://image`` of each step (``uses: owner/repo@ref`` is an action)."""
    for step in steps.value if isinstance(steps, SequenceNode) else []:
        uses = lookup(step, "uses")
        if isinstance(uses, ScalarNode) and _docker(uses):
            yield uses, SiteKind.GHA_DOCKER_USES, len(DOCKER_SCHEME)


def _docker(node: ScalarNode) -> bool:
    return _text(node).startswith(DOCKER_SCHEME)


def _text(node: Node | None) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else ""
