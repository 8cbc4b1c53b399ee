"""docker bake files (``docker-bake.hcl``, ``docker-bake.json`` and their
``.override`` files) -> sites, and the named build contexts their targets
give their Dockerfiles (pure).

A target's ``contexts`` map names to build contexts. A value
``docker-image://REF`` is an image: it is pinned there, after ``REF``. Every
name is a named context of the target's Dockerfile (``context`` and
``dockerfile``, by default ``.`` and ``Dockerfile``): a ``FROM name``,
``COPY --from=name`` or ``RUN --mount from=name`` there means the context,
never the image of that name, so pinner never looks it up (see
:func:`named_contexts`). ``inherits`` is followed within the file. Values
with an interpolation (``${TAG}``) are known only when bake runs: skipped
with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

from pinner.hcl import Block, Value, parse_hcl
from pinner.jsonc import JsonNode, parse_jsonc
from pinner.site import Classified, Site, SiteKind, Verdict, classify_literal, site_at

DOCKER_IMAGE = "docker-image://"


class _Context(NamedTuple):
    name: str
    line: int
    value: str  # as written
    start: int  # of the value's text
    end: int
    plain: bool


class _Target(NamedTuple):
    name: str
    line: int
    context: str
    dockerfile: str
    contexts: tuple[_Context, ...]


class NamedContext(NamedTuple):
    dockerfile: str  # relative to the bake file's folder
    name: str
    where: str  # file:line that names it


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The ``docker-image://`` contexts of every target; no file followed."""
    comment = "//" if _is_json(text) else "#"
    sites = []
    seen: set[int] = set()
    for target in _targets(path, text):
        for context in target.contexts:
            if context.start in seen or not context.value.startswith(DOCKER_IMAGE):
                continue
            seen.add(context.start)
            start = context.start + len(DOCKER_IMAGE)
            classified = _classify(context, text[start : context.end])
            sites.append(
                site_at(path, text, start, context.end, SiteKind.BAKE_CONTEXT, classified, comment)
            )
    return sorted(sites, key=lambda site: site.start), []


def named_contexts(path: str, text: str) -> list[NamedContext]:
    """Each target's Dockerfile, with the names its contexts give."""
    shown = os.path.basename(path)
    return [
        NamedContext(
            os.path.normpath(os.path.join(target.context, target.dockerfile)),
            context.name,
            f"{shown}:{context.line}",
        )
        for target in _targets(path, text)
        for context in target.contexts
    ]


def _is_json(text: str) -> bool:
    """A bake file in JSON is an object; one in HCL never starts with a brace."""
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def _classify(context: _Context, reference: str) -> Classified:
    if not context.plain:
        reason = "an interpolation (${...}) or escape is filled in when bake runs"
        return Verdict.VARIABLE, f"{reason}; write the image out to pin it", None, None
    verdict, reason, found = classify_literal(reference)
    return verdict, reason, found, None


def _targets(path: str, text: str) -> list[_Target]:
    raw = _json_targets(path, text) if _is_json(text) else _hcl_targets(path, text)
    return [_inherited(name, raw, set()) for name in raw]


# A target as written: its line, attributes it sets, and those it inherits from.
_Raw = tuple[int, dict[str, str], list[_Context], list[str], bool]


def _inherited(name: str, raw: dict[str, _Raw], seen: set[str]) -> _Target:
    """A target with what it inherits (its own settings win)."""
    line, settings, contexts, parents, has_contexts = raw[name]
    merged: dict[str, str] = {}
    inherited: list[_Context] = []
    for parent in parents:
        if parent in raw and parent not in seen:
            base = _inherited(parent, raw, seen | {name})
            merged |= {"context": base.context, "dockerfile": base.dockerfile}
            inherited += base.contexts
    merged |= settings
    own = {context.name for context in contexts}
    all_contexts = tuple(contexts) + tuple(c for c in inherited if c.name not in own)
    return _Target(
        name,
        line,
        merged.get("context", "."),
        merged.get("dockerfile", "Dockerfile"),
        all_contexts if has_contexts or inherited else (),
    )


def _hcl_targets(path: str, text: str) -> dict[str, _Raw]:
    found: dict[str, _Raw] = {}
    for block in parse_hcl(path, text).blocks:
        if block.type != "target" or not block.labels:
            continue
        settings = {
            key: value.text
            for key in ("context", "dockerfile")
            if (value := block.get(key)) is not None and value.kind == "string" and value.plain
        }
        contexts = list(_hcl_contexts(block))
        parents = [item.text for item in _hcl_list(block.get("inherits"))]
        found[block.labels[0]] = (block.line, settings, contexts, parents, bool(contexts))
    return found


def _hcl_contexts(block: Block) -> Iterator[_Context]:
    contexts = block.get("contexts")
    for key, line, value in contexts.members if contexts is not None else ():
        if value.kind == "string":
            yield _Context(key, line, value.text, value.start, value.end, value.plain)


def _hcl_list(value: Value | None) -> list[Value]:
    return [item for item in value.items if item.kind == "string"] if value is not None else []


def _json_targets(path: str, text: str) -> dict[str, _Raw]:
    found: dict[str, _Raw] = {}
    targets = parse_jsonc(path, text).get("target")
    for name, target in targets.members if targets is not None and targets.kind == "object" else ():
        settings = {
            key: str(value.value)
            for key in ("context", "dockerfile")
            if (value := target.get(key)) is not None and value.kind == "string"
        }
        contexts = list(_json_contexts(target.get("contexts")))
        inherits = target.get("inherits")
        parents = [
            str(item.value)
            for item in (
                inherits.items if inherits is not None and inherits.kind == "array" else []
            )
        ]
        found[str(name.value)] = (name.line, settings, contexts, parents, bool(contexts))
    return found


def _json_contexts(contexts: JsonNode | None) -> Iterator[_Context]:
    if contexts is None or contexts.kind != "object":
        return
    for key, value in contexts.members:
        if value.kind == "string":
            yield _Context(
                str(key.value), key.line, str(value.value), value.start, value.end, value.plain
            )
