"""References through a global ARG: which ones one digest can serve (pure).

``ARG ALPINE_VERSION=3.18`` with ``FROM alpine:${ALPINE_VERSION}`` is pinned
by writing the digest after the ARG's default, once, however many FROMs use
it; but only when that is safe: one literal default, declared once before the
first FROM, never declared again in a stage (where RUN would see the digest),
and every use of the ARG the same trailing expansion after the same prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from pinner.expansion import DOCKERFILE_ADVICE, TrailingExpansion
from pinner.kinds.dockerfile.lexer import Instruction, LexedDockerfile
from pinner.kinds.dockerfile.words import Word, unquote
from pinner.site import SiteKind

_ARG_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?\Z", re.DOTALL)


class Use(NamedTuple):
    """Where an instruction names an image: the word as BuildKit reads it,
    with the offset in the file of each of its characters."""

    kind: SiteKind
    word: Word
    line: int  # 0-based
    instruction_line: int  # 0-based first line of the instruction
    platform: str = ""

    @property
    def value(self) -> str:
        return self.word.value

    @property
    def start(self) -> int:
        return self.word.start

    @property
    def end(self) -> int:
        return self.word.end


class ArgDeclaration(NamedTuple):
    name: str
    value: str | None  # the default as BuildKit reads it; None: declared without one
    word: Word | None  # where each character of the default stands in the file
    line: int  # 0-based
    in_stage: bool
    instruction_line: int
    stage: str = ""  # the stage it is declared in: its name, or its number

    @property
    def literal(self) -> bool:
        """A default that is one literal word: no expansion, no white space."""
        value, word = self.value, self.word
        return (
            bool(value)
            and word is not None
            and not word.expands
            and (value or "").split() == [value]
        )


class ArgUse(NamedTuple):
    use: Use
    expansion: TrailingExpansion


def declarations(
    lexed: LexedDockerfile, instruction: Instruction, in_stage: bool, stage: str = ""
) -> Iterator[ArgDeclaration]:
    """``ARG A=1 B="2".3 C``: each name with its default as BuildKit reads it
    (quotes and escapes taken off, a value continued on the next line joined)."""
    for token in lexed.tokens(instruction):
        match = _ARG_TOKEN.match(token.text)
        if match is None:
            continue
        name, raw = match.group(1), match.group(2)
        word = None
        if raw is not None:
            skip = len(name) + 1
            word = unquote(raw, token.offsets()[skip:], lexed.escape)
        value = None if raw is None else (word.value if word is not None else raw)
        yield ArgDeclaration(name, value, word, token.line, in_stage, instruction.first_line, stage)


def arg_problem(
    lexed: LexedDockerfile,
    name: str,
    group: list[ArgUse],
    declared: list[ArgDeclaration],
    given: bool = False,
) -> str | None:
    """Why one digest after ARG ``name``'s default cannot serve ``group``, with
    what to do about it where that is not what the file already does; or None.
    ``given``: the value comes from outside (a bake target's ``args``), so the
    default does not matter."""
    problem = _problem(lexed, name, group, declared, given)
    if problem is None:
        return None
    reason, advise = problem
    whole = all(not arg_use.expansion.prefix for arg_use in group)
    if not advise:
        return reason
    if whole:  # the file already names the whole image in one variable
        if reason.endswith("has no default value"):
            return f"{reason}; give it one: ARG {name}=python:3.12"
        return reason
    return f"{reason}; {DOCKERFILE_ADVICE}"


def _problem(
    lexed: LexedDockerfile,
    name: str,
    group: list[ArgUse],
    declared: list[ArgDeclaration],
    given: bool,
) -> tuple[str, bool] | None:
    """The reason, and whether naming the whole image in one variable would help."""
    reason = _reason(lexed, name, group, declared, given)
    if reason is None:
        return None
    redeclared = "declared again in stage" in reason
    return reason, not redeclared


def _reason(
    lexed: LexedDockerfile,
    name: str,
    group: list[ArgUse],
    declared: list[ArgDeclaration],
    given: bool,
) -> str | None:
    global_ones = [d for d in declared if not d.in_stage]
    in_stage = [d for d in declared if d.in_stage]
    if any(arg_use.use.kind is not SiteKind.FROM for arg_use in group):
        return f"${name} is not set by an ARG inside the stage"
    if not global_ones:
        return f"${name} is not set by an ARG before the first FROM"
    if len(global_ones) > 1:
        return f"ARG {name} is declared {len(global_ones)} times before the first FROM"
    if not given and global_ones[0].value is None:
        return f"ARG {name} has no default value"
    if not given and not global_ones[0].literal:
        return f"the default of ARG {name} is not a literal image"
    if in_stage:
        again = in_stage[0]
        return (
            f"ARG {name} is declared again in stage {again.stage} on line {again.line + 1},"
            " where RUN would see the digest; give the variable that stage uses another name"
        )
    if len({arg_use.expansion.prefix for arg_use in group}) > 1:
        return f"ARG {name} is shared by different images"
    other = _other_use_line(lexed, name, group)
    if other is not None:
        return f"ARG {name} is also used on line {other}"
    return None


def _other_use_line(lexed: LexedDockerfile, name: str, group: list[ArgUse]) -> int | None:
    """The line of a use of ``$name`` that is not one of the group's, if any."""
    spans = [(u.use.start, u.use.end) for u in group]
    pattern = re.compile(rf"\$\{{?{name}(?![A-Za-z0-9_])")
    for instruction in lexed.instructions:
        for number in instruction.part_lines:
            for match in pattern.finditer(lexed.contents[number]):
                offset = lexed.starts[number] + match.start()
                if not any(begin <= offset < end for begin, end in spans):
                    return number + 1
    return None
