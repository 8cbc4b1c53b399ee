"""YAML files -> node trees, and an image named by a scalar -> its site (pure).

Shared by every YAML file kind (compose files, GitHub Actions). The file is
composed into a node tree (ruamel.yaml), never loaded and dumped: a scalar's
marks give its exact character span, so a digest is spliced into the text
and comments, quoting, key order, indentation and document markers stay.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from pinner.files import FileError
from pinner.site import Classifier, Site, SiteKind, Verdict, marked_ignore, site_at

BOM = "\ufeff"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STRING_TAG = "tag:yaml.org,2002:str"
_MAX_MERGE_DEPTH = 16


def compose_yaml(text: str, *, pure: bool = False) -> list[Node]:
    """The documents' node trees. The marks count characters of the text
    after a byte-order mark, which the two parsers treat differently.

    The C parser reads YAML 1.1, which refuses some YAML 1.2 that these
    files use (``{image: nginx:1.25}``: a colon in a flow plain scalar); what
    it refuses, the pure-Python parser reads, and its errors are the ones
    reported."""
    body = text[len(BOM) :] if text.startswith(BOM) else text
    if not pure:
        try:
            return list(yaml_parser(False).compose_all(body))
        except (YAMLError, RecursionError):
            pass
    return list(yaml_parser(True).compose_all(body))


def compose_or_fail(path: str, text: str) -> list[Node]:
    """The node trees, or :class:`FileError` naming the line when the text is
    not YAML or a mapping holds a key twice."""
    try:
        roots = compose_yaml(text)
    except ReaderError as error:  # a character YAML does not allow, at a character index
        body_start = len(BOM) if text.startswith(BOM) else 0
        at = text.count("\n", 0, body_start + error.position) + 1
        problem = f"character #x{error.character:04x} is not allowed in YAML"
        raise FileError(path, f"invalid YAML: {problem}; left unchanged", at) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "not YAML"
        if error.problem and error.context and error.context_mark is not None:
            problem += f" ({error.context} from line {error.context_mark.line + 1})"
        raise FileError(path, f"invalid YAML: {problem}; left unchanged", line) from None
    except (YAMLError, RecursionError) as error:
        raise FileError(path, f"invalid YAML: {type(error).__name__}; left unchanged") from None
    refuse_duplicate_keys(path, roots)
    return roots


def refuse_duplicate_keys(path: str, roots: list[Node]) -> None:
    """:class:`FileError` naming the line of the second of two equal keys in one
    mapping: docker compose, kubectl and GitLab refuse such a file, and which
    value pinner would read is anyone's guess."""
    for mapping in mappings(roots):
        first_lines: dict[tuple[object, object], int] = {}
        for key, _ in mapping.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG or key.value == "<<":
                continue
            line = key.start_mark.line + 1
            first = first_lines.get((key.tag, key.value))
            if first is not None:
                message = f"duplicate key '{key.value}' (first on line {first}); left unchanged"
                raise FileError(path, message, line)
            first_lines[(key.tag, key.value)] = line


def mappings(roots: Iterable[Node]) -> Iterator[MappingNode]:
    """Every mapping in the trees, each once (an alias is not gone through again)."""
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, MappingNode):
            yield node
            pending.extend(value for _, value in node.value)


@functools.lru_cache(maxsize=2)
def yaml_parser(pure: bool) -> YAML:
    # Making a YAML object costs more than composing a small file; scanning is
    # single-threaded, so one serves every file. The safe composer gives
    # character-index marks and skips the round-trip comment handling; its C
    # parser (ruamel.yaml.clib, where installed) gives the same marks as the
    # pure-Python one (the tests compare them) several times faster.
    return YAML(typ="safe", pure=pure)


def lookup(mapping: Node | None, key: str, depth: int = 0) -> Node | None:
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
                found = lookup(source, key, depth + 1)
                if found is not None:
                    return found
    return None


def entries(mapping: Node | None) -> list[tuple[str, Node]]:
    """The ``(key, value)`` pairs of a mapping whose keys are scalars."""
    if not isinstance(mapping, MappingNode):
        return []
    return [(str(key.value), value) for key, value in mapping.value if isinstance(key, ScalarNode)]


def members(node: Node | None) -> list[Node]:
    """The values of a sequence, or of a mapping (Woodpecker's ``steps`` are either)."""
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [value for _, value in node.value]
    return []


def image_string(node: Node | None, name_key: str = "") -> ScalarNode | None:
    """A non-empty string scalar; with ``name_key``, also a mapping's value
    under it (``image: {name: python:3.12}``)."""
    if name_key and isinstance(node, MappingNode):
        node = lookup(node, name_key)
    if isinstance(node, ScalarNode) and node.tag == _STRING_TAG and node.value:
        return node
    return None


# An image node found by a kind's rules: the node, its site kind, and how many
# characters before the reference to pass over (``docker://``).
Found = tuple[ScalarNode, SiteKind, int]


def sites_of(
    path: str,
    text: str,
    roots: list[Node],
    found: Iterable[Found],
    classify: Classifier,
    unread_kind: SiteKind,
    understood: Iterable[Node] = (),
) -> list[Site]:
    """One site per image node (an anchored value once), and one never looked
    up for each other value under a key named ``image`` (``unread_kind``) but
    those the kind's rules ``understood`` as no image, in file order: what may
    be an image is never passed over in silence."""
    unique: dict[int, Found] = {}
    for item in found:
        unique.setdefault(id(item[0]), item)
    sites = [
        scalar_site(path, text, node, kind, classify, skip) for node, kind, skip in unique.values()
    ]
    taken = set(unique) | {id(node) for node in understood}
    sites += unread_images(path, text, roots, taken, unread_kind)
    return sorted(sites, key=lambda site: site.start)


def unread_images(
    path: str, text: str, roots: list[Node], taken: set[int], kind: SiteKind
) -> list[Site]:
    """A site, never looked up, for each value under a key named ``image``
    whose node is not in ``taken``: ``-v`` shows them, ``--strict`` counts them."""
    found: list[Site] = []
    for mapping in mappings(roots):
        for key, value in mapping.value:
            named_image = isinstance(key, ScalarNode) and str(key.value).lower() == "image"
            if not named_image or id(value) in taken:
                continue
            if isinstance(value, MappingNode) and any(id(v) in taken for _, v in value.value):
                continue  # image: {name: ...}, read through its name
            if isinstance(value, ScalarNode) and value.value in ("", None):
                continue
            what = {MappingNode: "a mapping", SequenceNode: "a list"}.get(type(value), "a value")
            reason = f"not read: {what} under image:, which pinner has no rule for here"
            found.append(_key_site(path, text, key, kind, reason))
    return found


def _key_site(path: str, text: str, key: ScalarNode, kind: SiteKind, reason: str) -> Site:
    """A site at a key, for a value pinner does not read: never looked up."""
    start = key.start_mark.index + (len(BOM) if text.startswith(BOM) else 0)
    end = start + len(str(key.value))
    return site_at(path, text, start, end, kind, (Verdict.NOT_READ, reason, None, None))


def scalar_span(text: str, node: ScalarNode) -> tuple[int, int]:
    """Where a scalar's value stands in the text (inside its quotes). Only
    where ``text[start:end]`` is the value can it be spliced (no block
    scalar, line break or escape)."""
    shift = len(BOM) if text.startswith(BOM) else 0
    # Count back from the end mark: the start mark of an anchored scalar is its anchor.
    quoted = node.style in ("'", '"')
    end = node.end_mark.index + shift - (1 if quoted else 0)
    return max(end - len(str(node.value)), 0), end


def is_plain(text: str, node: ScalarNode) -> bool:
    """The scalar's text in the file is its value, on one line."""
    start, end = scalar_span(text, node)
    return node.style not in ("|", ">") and text[start:end] == str(node.value)


def scalar_site(
    path: str,
    text: str,
    node: ScalarNode,
    kind: SiteKind,
    classify: Classifier,
    skip: int = 0,
) -> Site:
    """The site of an image named by ``node``'s value, less its first ``skip``
    characters (``docker://``)."""
    shift = len(BOM) if text.startswith(BOM) else 0
    value = str(node.value)
    start, end = scalar_span(text, node)
    if node.style in ("|", ">"):
        verdict, reason, reference, insert_at = (
            Verdict.NOT_PLAIN,
            "a block scalar; write the image on one line to pin it",
            None,
            None,
        )
    elif text[start:end] != value:
        verdict, reason, reference, insert_at = (
            Verdict.NOT_PLAIN,
            "the value is spread over lines or uses escapes; write it plainly to pin it",
            None,
            None,
        )
    else:
        verdict, reason, reference, insert_at = classify(value[skip:], start + skip, end)
    if marked_ignore(text, start, end):
        verdict, reason, insert_at = Verdict.IGNORED, "marked '# pinner: ignore'", None
    line_start = text.rfind("\n", 0, start) + 1
    column = start + skip - line_start + 1 - (shift if line_start == 0 else 0)
    return Site(
        path=path,
        line=node.start_mark.line + 1,
        column=column,
        start=start + skip,
        end=start + len(value),
        kind=kind,
        text=value[skip:],
        verdict=verdict,
        reference=reference,
        reason=reason,
        insert_at=insert_at,
    )
