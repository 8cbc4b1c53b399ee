"""Split Dockerfile text into instructions with character offsets.

dockerfile-parse reports line ranges but joins continuation lines, treats
heredoc bodies as instructions and loses column offsets, so pinner keeps its
own small lexer (checked against dockerfile-parse in the tests). Every token
keeps its offset in the original text, so an edit can be spliced in without
touching a single other byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

BOM = "\ufeff"
_DIRECTIVE = re.compile(r"\s*#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*\Z")
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Line:
    """A physical line: ``start`` is its offset in the text; ``content`` has no line break."""

    number: int  # 0-based
    start: int
    content: str


@dataclass(frozen=True)
class Token:
    """A white-space separated word of an instruction.

    ``start`` is the offset of its first character in the text. A token that a
    continuation splits over two lines is not ``contiguous``: no single span
    of the text holds it.
    """

    text: str
    start: int
    line: int  # 0-based line of the first character
    contiguous: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, ONBUILD unwrapped into ``onbuild``
    tokens: tuple[Token, ...]  # arguments, without the keyword(s)
    first_line: int  # 0-based
    last_line: int  # 0-based, the last line of the instruction itself
    onbuild: bool = False


@dataclass(frozen=True)
class HeredocBody:
    instruction: Instruction
    lines: tuple[Line, ...]


@dataclass
class LexedDockerfile:
    escape: str
    lines: list[Line]
    instructions: list[Instruction] = field(default_factory=list)
    heredocs: list[HeredocBody] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    """Split on ``\\n`` only; a ``\\r`` before it is not part of the content."""
    lines: list[Line] = []
    start = 0
    length = len(text)
    number = 0
    while start < length:
        newline = text.find("\n", start)
        stop = length if newline == -1 else newline
        content = text[start:stop]
        if content.endswith("\r"):
            content = content[:-1]
        lines.append(Line(number, start, content))
        number += 1
        start = stop + 1
    return lines


def lex(text: str) -> LexedDockerfile:
    lines = split_lines(text)
    if lines and lines[0].content.startswith(BOM):
        first = lines[0]
        lines[0] = Line(0, first.start + 1, first.content[1:])
    lexed = LexedDockerfile(_escape_directive(lines), lines)
    index = 0
    while index < len(lines):
        stripped = lines[index].content.lstrip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        instruction, index = _read_instruction(lines, index, lexed.escape)
        lexed.instructions.append(instruction)
        if instruction.keyword in _HEREDOC_INSTRUCTIONS:
            index = _skip_heredocs(lexed, instruction, index)
    return lexed


def _escape_directive(lines: list[Line]) -> str:
    # Parser directives count only at the very top, before any other line.
    for line in lines:
        match = _DIRECTIVE.match(line.content)
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            return match.group(2)
    return "\\"


def _continues(content: str, escape: str) -> bool:
    return content.rstrip().endswith(escape)


def _read_instruction(lines: list[Line], index: int, escape: str) -> tuple[Instruction, int]:
    """Read the instruction starting at ``lines[index]``; return it and the next index."""
    parts = [lines[index]]
    last = index
    continuing = _continues(lines[index].content, escape)
    while continuing and last + 1 < len(lines):
        last += 1
        stripped = lines[last].content.lstrip()
        # BuildKit drops comment and blank lines inside a continuation.
        if stripped and not stripped.startswith("#"):
            parts.append(lines[last])
            continuing = _continues(lines[last].content, escape)
    tokens = list(_tokens(parts, escape))
    keyword = tokens[0].text.upper()
    arguments = tokens[1:]
    onbuild = keyword == "ONBUILD" and bool(arguments)
    if onbuild:
        keyword = arguments[0].text.upper()
        arguments = arguments[1:]
    return Instruction(keyword, tuple(arguments), index, last, onbuild), last + 1


def _tokens(parts: list[Line], escape: str) -> Iterator[Token]:
    carried: Token | None = None  # a word cut by the escaped line break
    for line in parts:
        content = line.content
        end = content.rstrip().rfind(escape) if _continues(content, escape) else len(content)
        words = [
            Token(match.group(), line.start + match.start(), line.number)
            for match in re.finditer(r"\S+", content[:end])
        ]
        if carried is not None:
            if words and words[0].start == line.start:
                first = words.pop(0)
                carried = Token(carried.text + first.text, carried.start, carried.line, False)
            words.insert(0, carried)
            carried = None
        if words and end < len(content) and end > 0 and not content[end - 1].isspace():
            carried = words.pop()
        yield from words
    if carried is not None:
        yield carried


def _skip_heredocs(lexed: LexedDockerfile, instruction: Instruction, index: int) -> int:
    """Skip the heredoc bodies the instruction opens; return the next line index."""
    words = " ".join(token.text for token in instruction.tokens)
    for match in _HEREDOC.finditer(words):
        strip_tabs, delimiter = match.group(1) == "-", match.group(3)
        body: list[Line] = []
        while index < len(lexed.lines):
            line = lexed.lines[index]
            index += 1
            candidate = line.content.lstrip("\t") if strip_tabs else line.content
            if candidate == delimiter:
                break
            body.append(line)
        lexed.heredocs.append(HeredocBody(instruction, tuple(body)))
    return index
