"""GitLab CI files -> sites, and the local files they include (pure).

``.gitlab-ci.yml`` names images in the top-level ``image`` and ``services``,
in ``default``, and in every job: ``image`` (a string, or a mapping with
``name``) and ``services`` (strings, or mappings with ``name``). Local
``include:`` files are read too. Variables (``$CI_REGISTRY_IMAGE``) are
filled in by the pipeline: such references are skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pinner.site import Site, SiteKind, literal_unless
from pinner.yaml_scalars import Found, compose_or_fail, entries, image_string, lookup, sites_of

# Top-level keys that are not jobs.
_GLOBAL_KEYWORDS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
    }
)
# A value is an image unless it holds a template or variable filled in later.
_classify = literal_unless(
    ("$",),
    "a CI/CD variable is filled in by the pipeline; write the image out to pin it",
)


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The sites of a GitLab CI file, and its local includes (as written, with lines)."""
    roots = compose_or_fail(path, text)
    found = [image for root in roots for holder in _holders(root) for image in _images(holder)]
    includes = [each for root in roots for each in _local_includes(lookup(root, "include"))]
    return sites_of(path, text, roots, found, _classify, SiteKind.GITLAB_IMAGE), includes


def _holders(root: Node) -> Iterator[Node]:
    """The mappings that may say ``image`` and ``services``: the file, default, jobs."""
    if not isinstance(root, MappingNode):
        return
    yield root
    default = lookup(root, "default")
    if default is not None:
        yield default
    for name, job in entries(root):
        # Hidden jobs (.template) too: other jobs extend them.
        if name not in _GLOBAL_KEYWORDS and isinstance(job, MappingNode):
            yield job


def _images(holder: Node) -> Iterator[Found]:
    """``image: x`` or ``image: {name: x}``, and the same for each of ``services``."""
    image = image_string(lookup(holder, "image"), "name")
    if image is not None:
        yield image, SiteKind.GITLAB_IMAGE, 0
    services = lookup(holder, "services")
    for service in services.value if isinstance(services, SequenceNode) else []:
        named = image_string(service, "name")
        if named is not None:
            yield named, SiteKind.GITLAB_SERVICE, 0


def _local_includes(include: Node | None) -> list[tuple[str, int]]:
    """``include: path``, ``include: [path, {local: path}]``, wildcards
    (``ci/*.yml``, ``ci/**.yml``) too; remote, project and template includes
    are not files of this repository."""
    items = include.value if isinstance(include, SequenceNode) else [include]
    found = []
    for item in items:
        node = lookup(item, "local") if isinstance(item, MappingNode) else item
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            value = node.value
            if value and "://" not in value and "$" not in value:
                found.append((value.lstrip("/"), node.start_mark.line + 1))
    return found


def include_matches(pattern: str, path: str) -> bool:
    """Whether a local include names ``path`` (relative to the repository
    root, with ``/``): GitLab's wildcards, ``*`` within a folder and ``**``
    across folders."""
    expression = "".join(
        ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
        for part in re.split(r"(\*\*|\*)", pattern.lstrip("/"))
    )
    return re.fullmatch(expression, path) is not None
