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
from pinner.yaml_scalars import (
    Found,
    compose_or_fail,
    entries,
    image_string,
    lookup,
    members,
    sites_of,
)
from pinner.yaml_variables import Through

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
    """The sites of a GitLab CI file, and its local includes (as written, with lines).

    An image written as one variable (``image: $BUILD_IMAGE``) that ``variables:``
    of the job (or of a job it extends) or of the file sets to a literal is
    pinned where it is set, as a Dockerfile's ARG default is: an override of
    the variable then replaces image and digest together."""
    roots = compose_or_fail(path, text)
    found: list[Found] = []
    through = Through(text, _WHOLE_VARIABLE, _any_use)
    for root in roots:
        jobs = dict(entries(root))
        for holder in _holders(root):
            for node, kind, skip in _images(holder):
                name = through.variable(node)
                definition = _definition(name, holder, jobs, root) if name else None
                if definition is None:
                    found.append((node, kind, skip))
                else:
                    through.add(definition, name or "", node, kind)
    found += through.definitions()
    includes = [each for root in roots for each in _local_includes(lookup(root, "include"))]
    kind = SiteKind.GITLAB_IMAGE
    sites = sites_of(path, text, roots, found, through.classify(_classify), kind, through.uses())
    return sorted(sites + through.skipped(path), key=lambda site: site.start), includes


# A value that is $NAME or ${NAME}, and any use of NAME in the file.
_WHOLE_VARIABLE = r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})"


def _any_use(name: str) -> str:
    return rf"\$(?:{name}\b|\{{{name}\}})"


def _definition(
    name: str | None, holder: Node, jobs: dict[str, Node], root: Node
) -> ScalarNode | None:
    """The literal ``variables:`` value that ``$name`` takes in ``holder``: the
    job's own, a job's it extends (in this file), else the file's."""
    seen: set[int] = set()
    pending = [holder] if holder is not root else []
    while pending:
        job = pending.pop(0)
        if id(job) in seen:
            continue
        seen.add(id(job))
        value = _variable(lookup(job, "variables"), name or "")
        if value is not None:
            return value
        extends = lookup(job, "extends")
        names = [extends] if isinstance(extends, ScalarNode) else members(extends)
        for parent in names:
            if isinstance(parent, ScalarNode) and str(parent.value) in jobs:
                pending.append(jobs[str(parent.value)])
    return _variable(lookup(root, "variables"), name or "")


def _variable(variables: Node | None, name: str) -> ScalarNode | None:
    """``NAME: value`` or ``NAME: {value: ...}``, when it is a literal string."""
    value = lookup(variables, name)
    if isinstance(value, MappingNode):
        value = lookup(value, "value")
    string = image_string(value)
    return string if string is not None and "$" not in str(string.value) else None


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
