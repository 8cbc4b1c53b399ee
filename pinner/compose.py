"""Compose file text -> sites (pure).

The file is composed into a node tree (ruamel.yaml), never loaded and dumped:
each ``image:`` scalar's marks give its exact character span, so the digest
is spliced into the text and comments, quoting, key order, indentation and
document markers stay as they were. A value under an anchor is one node, so
services that share it through aliases or merge keys share one edit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pinner.discover import may_be_compose
from pinner.expansion import COMPOSE_ADVICE, trailing_expansion
from pinner.files import FileError
from pinner.reference import ImageReference
from pinner.site import IGNORE_COMMENT, Site, SiteKind, Verdict, classify_literal

BOM = "\ufeff"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_MERGE_DEPTH = 16


@dataclass
class _ImageNode:
    node: ScalarNode
    services: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ComposeScan:
    sites: list[Site]
    # Other compose files this one names (top-level include:, extends: file:),
    # as written, with the 1-based line that names each.
    references: list[tuple[str, int]]


def looks_like_compose(text: str) -> bool:
    """True when the text is a YAML mapping with a ``services`` key."""
    return scan_if_compose("compose.yaml", text) is not None


def scan_if_compose(path: str, text: str) -> ComposeScan | None:
    """The scan of a text that is a compose file (a YAML mapping with
    ``services`` or ``include``), or None for any other text; parsed once."""
    if not may_be_compose(text):
        return None
    try:
        roots = _compose(text)
    except (YAMLError, RecursionError):
        return None
    if not any(_is_compose(root) for root in roots):
        return None
    return ComposeScan(_sites(path, text, roots), _references(roots))


def scan_compose(path: str, text: str) -> list[Site]:
    """Every ``services.<name>.image`` in a compose file, in file order.

    Raises :class:`FileError` naming the line when the text is not YAML.
    """
    return scan_compose_file(path, text).sites


def scan_compose_file(path: str, text: str) -> ComposeScan:
    """The sites of a compose file and the other compose files it names.

    Raises :class:`FileError` naming the line when the text is not YAML.
    """
    try:
        roots = _compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "not YAML"
        if error.problem and error.context and error.context_mark is not None:
            problem += f" ({error.context} from line {error.context_mark.line + 1})"
        raise FileError(path, f"invalid YAML: {problem}; left unchanged", line) from None
    except (YAMLError, RecursionError) as error:
        raise FileError(path, f"invalid YAML: {type(error).__name__}; left unchanged") from None
    return ComposeScan(_sites(path, text, roots), _references(roots))


def _is_compose(root: Node) -> bool:
    return _services(root) is not None or _lookup(root, "include") is not None


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
        include = _lookup(root, "include")
        for entry in include.value if isinstance(include, SequenceNode) else []:
            add(_lookup(entry, "path") if isinstance(entry, MappingNode) else entry)
        for _, service in _services(root) or []:
            extends = _lookup(service, "extends")
            if isinstance(extends, MappingNode):
                add(_lookup(extends, "file"))
    return found


def _sites(path: str, text: str, roots: list[Node]) -> list[Site]:
    images: dict[int, _ImageNode] = {}
    for root in roots:
        for name, service in _services(root) or []:
            image = _lookup(service, "image")
            if not isinstance(image, ScalarNode):
                continue
            entry = images.setdefault(id(image), _ImageNode(image))
            entry.services.append(name)
            if _lookup(service, "build") is not None:
                entry.built.append(name)
    shift = len(BOM) if text.startswith(BOM) else 0
    sites = [_site(path, text, entry, shift) for entry in images.values()]
    return sorted(sites, key=lambda site: site.start)


def _compose(text: str, *, pure: bool = False) -> list[Node]:
    """The documents' node trees. The marks count characters of the text
    after a byte-order mark, which the two parsers treat differently.

    The C parser reads YAML 1.1, which refuses some YAML 1.2 that compose
    files use (``{image: nginx:1.25}``: a colon in a flow plain scalar); what
    it refuses, the pure-Python parser reads, and its errors are the ones
    reported."""
    body = text[len(BOM) :] if text.startswith(BOM) else text
    if not pure:
        try:
            return list(_yaml(False).compose_all(body))
        except (YAMLError, RecursionError):
            pass
    return list(_yaml(True).compose_all(body))


@functools.lru_cache(maxsize=2)
def _yaml(pure: bool) -> YAML:
    # Making a YAML object costs more than composing a small file; scanning is
    # single-threaded, so one serves every file. The safe composer gives
    # character-index marks and skips the round-trip comment handling; its C
    # parser (ruamel.yaml.clib, where installed) gives the same marks as the
    # pure-Python one (the tests compare them) several times faster.
    return YAML(typ="safe", pure=pure)


def _services(root: Node | None) -> list[tuple[str, MappingNode]] | None:
    if not isinstance(root, MappingNode):
        return None
    services = _lookup(root, "services")
    if not isinstance(services, MappingNode):
        return None
    return [
        (str(key.value), value)
        for key, value in services.value
        if isinstance(key, ScalarNode) and isinstance(value, MappingNode)
    ]


def _lookup(mapping: Node, key: str, depth: int = 0) -> Node | None:
    """The value of ``key``, looking through merge keys (``<<: *base``) as YAML does."""
    if not isinstance(mapping, MappingNode) or depth > _MAX_MERGE_DEPTH:
        return None
    for key_node, value in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return value  # type: ignore[no-any-return]
    for key_node, value in mapping.value:
        if key_node.tag == _MERGE_TAG or getattr(key_node, "value", None) == "<<":
            merged = value.value if isinstance(value, SequenceNode) else [value]
            for source in merged:
                found = _lookup(source, key, depth + 1)
                if found is not None:
                    return found
    return None


def _site(path: str, text: str, entry: _ImageNode, shift: int) -> Site:
    node = entry.node
    value = str(node.value)
    # Count back from the end mark: the start mark of an anchored scalar is its anchor.
    quoted = node.style in ("'", '"')
    end = node.end_mark.index + shift - (1 if quoted else 0)
    start = max(end - len(value), 0)
    verdict, reason, reference, insert_at = _classify(text, node, entry, start, end, value)
    if _marked_ignore(text, start, end):
        verdict, reason, insert_at = Verdict.IGNORED, "marked '# pinner: ignore'", None
    line_start = text.rfind("\n", 0, start) + 1
    column = start - line_start + 1 - (shift if line_start == 0 else 0)
    return Site(
        path=path,
        line=node.start_mark.line + 1,
        column=column,
        start=start,
        end=start + len(value),
        kind=SiteKind.COMPOSE_IMAGE,
        text=value,
        verdict=verdict,
        reference=reference,
        reason=reason,
        insert_at=insert_at,
    )


def _marked_ignore(text: str, start: int, end: int) -> bool:
    """``# pinner: ignore`` after the value on its line, or on the line above."""
    line_end = text.find("\n", end)
    rest = text[end : len(text) if line_end == -1 else line_end]
    if "#" in rest and IGNORE_COMMENT.search(rest[rest.index("#") :]):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if line_start == 0:
        return False
    above = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
    return above.lstrip().startswith("#") and IGNORE_COMMENT.search(above) is not None


def _classify(
    text: str, node: ScalarNode, entry: _ImageNode, start: int, end: int, value: str
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
    if node.style in ("|", ">"):
        return Verdict.IGNORED, "a block scalar; write the image on the image: line", None, None
    if text[start:end] != value:
        return (
            Verdict.IGNORED,
            "the value is spread over lines or uses escapes; write it plainly to pin it",
            None,
            None,
        )
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
