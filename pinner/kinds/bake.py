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

A target's ``args`` set its Dockerfile's ARGs: where the Dockerfile makes
an image of one (``ARG BASE`` and ``FROM ${BASE}``, or ``FROM python:${PY}``)
under the rule of a global ARG's default, the digest goes after the value
in ``args``; where the value is a bake ``variable`` (``"${BASE}"`` or
``BASE``) used only so, after that variable's ``default``. This reads the
target's Dockerfile, so a bake file's scan is never kept in the scan cache.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pinner.files import FileError, read_text
from pinner.hcl import Block, Value, parse_hcl
from pinner.jsonc import JsonNode, parse_jsonc
from pinner.named_contexts import NamedContext
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
    args: tuple[_Context, ...] = ()  # each ARG it sets, as a context is set


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The ``docker-image://`` contexts and the image ``args`` of every
    target; no file followed."""
    comment = "//" if _is_json(text) else "#"
    sites = []
    seen: set[int] = set()
    targets = _targets(path, text)
    sites += _arg_sites(path, text, targets, comment)
    for target in targets:
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


def _arg_sites(path: str, text: str, targets: list[_Target], comment: str) -> list[Site]:
    """The values of ``args`` that make an image in the target's Dockerfile,
    or the defaults of the variables they name."""
    from pinner.kinds.dockerfile import image_arguments

    folder = os.path.dirname(path)
    variables = _variables(path, text)
    through: dict[str, list[tuple[str, str | None]]] = {}  # variable -> (prefix, problem)
    sites: list[Site] = []
    for target in targets:
        dockerfile = os.path.join(folder, target.context, target.dockerfile)
        try:
            images = image_arguments(dockerfile, read_text(Path(dockerfile), dockerfile))
        except FileError:
            continue  # no Dockerfile to read: nothing says which args are images
        for arg in target.args:
            if arg.name not in images:
                continue
            prefix, problem = images[arg.name]
            variable = _variable_named(arg.value)
            if variable is not None and variable in variables:
                through.setdefault(variable, []).append((prefix, problem))
                continue
            classified = _arg_classified(arg, prefix, problem)
            sites.append(
                site_at(path, text, arg.start, arg.end, SiteKind.BAKE_ARG, classified, comment)
            )
    for name, uses in through.items():
        default = variables[name]
        prefixes = {prefix for prefix, _ in uses}
        problems = [problem for _, problem in uses if problem]
        mentions = _mentions(text, name)
        if problems:
            classified = _skip(problems[0])
        elif len(prefixes) > 1:
            classified = _skip(f"variable {name} makes different images")
        elif mentions > len(uses):
            classified = _skip(f"variable {name} is also used for more than image args")
        else:
            classified = _arg_classified(default, prefixes.pop(), None)
        sites.append(
            site_at(path, text, default.start, default.end, SiteKind.BAKE_ARG, classified, comment)
        )
    return sites


def _mentions(text: str, name: str) -> int:
    """How many times the file uses variable ``name``: not as a key, nor in
    its own ``variable "name"``."""
    word = re.escape(name)
    not_uses = re.compile(rf'variable\s+"{word}"|"?\b{word}\b"?\s*(?:=(?!=)|:)')
    return len(re.findall(rf"\b{word}\b", not_uses.sub("", text)))


def _variable_named(value: str) -> str | None:
    found = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)", value)
    return (found.group(1) or found.group(2)) if found else None


def _arg_classified(arg: _Context, prefix: str, problem: str | None) -> Classified:
    if problem is not None:
        return _skip(problem)
    if not arg.plain or "$" in arg.value:
        return _skip("an interpolation is filled in when bake runs; write the value out")
    verdict, reason, found = classify_literal(prefix + arg.value)
    return verdict, reason, found, None


def _skip(reason: str) -> Classified:
    return Verdict.VARIABLE, reason, None, None


def _variables(path: str, text: str) -> dict[str, _Context]:
    """Each bake ``variable`` with a literal string default."""
    found: dict[str, _Context] = {}
    if _is_json(text):
        variables = parse_jsonc(path, text).get("variable")
        for key, body in variables.members if variables and variables.kind == "object" else ():
            default = body.get("default")
            if default is not None and default.kind == "string":
                found[str(key.value)] = _Context(
                    str(key.value),
                    key.line,
                    str(default.value),
                    default.start,
                    default.end,
                    default.plain,
                )
        return found
    for block in parse_hcl(path, text).blocks:
        value = block.get("default") if block.type == "variable" and block.labels else None
        if value is not None and value.kind == "string":
            name = block.labels[0]
            found[name] = _Context(
                name, block.line, value.text, value.start, value.end, value.plain
            )
    return found


def _classify(context: _Context, reference: str) -> Classified:
    if not context.plain:
        reason = "an interpolation (${...}) or escape is filled in when bake runs"
        return Verdict.VARIABLE, f"{reason}; write the image out to pin it", None, None
    verdict, reason, found = classify_literal(reference)
    return verdict, reason, found, None


def _targets(path: str, text: str) -> list[_Target]:
    raw = _json_targets(path, text) if _is_json(text) else _hcl_targets(path, text)
    return [_inherited(name, raw, set()) for name in raw]


class _Raw(NamedTuple):
    """A target as written: what it sets, and the targets it inherits from."""

    line: int
    settings: dict[str, str]  # context, dockerfile
    contexts: list[_Context]
    parents: list[str]
    args: list[_Context]


def _inherited(name: str, raw: dict[str, _Raw], seen: set[str]) -> _Target:
    """A target with what it inherits (its own settings win)."""
    own = raw[name]
    merged: dict[str, str] = {}
    contexts: list[_Context] = []
    args: list[_Context] = []
    for parent in own.parents:
        if parent in raw and parent not in seen:
            base = _inherited(parent, raw, seen | {name})
            merged |= {"context": base.context, "dockerfile": base.dockerfile}
            contexts += base.contexts
            args += base.args
    merged |= own.settings
    return _Target(
        name,
        own.line,
        merged.get("context", "."),
        merged.get("dockerfile", "Dockerfile"),
        _overridden(contexts, own.contexts),
        _overridden(args, own.args),
    )


def _overridden(inherited: list[_Context], own: list[_Context]) -> tuple[_Context, ...]:
    names = {context.name for context in own}
    return tuple(own) + tuple(context for context in inherited if context.name not in names)


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
        args = list(_hcl_contexts(block, "args"))
        parents = [item.text for item in _hcl_list(block.get("inherits"))]
        found[block.labels[0]] = _Raw(block.line, settings, contexts, parents, args)
    return found


def _hcl_contexts(block: Block, attribute: str = "contexts") -> Iterator[_Context]:
    """The string values of a mapping attribute; a bare variable name as its name."""
    contexts = block.get(attribute)
    for key, line, value in contexts.members if contexts is not None else ():
        if value.kind == "string":
            yield _Context(key, line, value.text, value.start, value.end, value.plain)
        elif value.kind == "other" and _variable_named(value.text) is not None:
            yield _Context(key, line, value.text, value.start, value.end, False)


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
        args = list(_json_contexts(target.get("args")))
        inherits = target.get("inherits")
        parents = [
            str(item.value)
            for item in (
                inherits.items if inherits is not None and inherits.kind == "array" else []
            )
        ]
        found[str(name.value)] = _Raw(name.line, settings, contexts, parents, args)
    return found


def _json_contexts(contexts: JsonNode | None) -> Iterator[_Context]:
    if contexts is None or contexts.kind != "object":
        return
    for key, value in contexts.members:
        if value.kind == "string":
            yield _Context(
                str(key.value), key.line, str(value.value), value.start, value.end, value.plain
            )
