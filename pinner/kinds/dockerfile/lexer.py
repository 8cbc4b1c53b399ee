"""Split Dockerfile text into instructions with character offsets.

pinner keeps its own small lexer rather than take instruction line ranges
from dockerfile-parse, which ends an instruction at a blank line inside a
continuation, reads heredoc bodies as instructions, misses a keyword behind a
byte-order mark and gives no column offsets. Where dockerfile-parse is right,
the tests check that both agree. Every token keeps its offset in the original
text, so an edit can be spliced in without touching a single other byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

BOM = "\ufeff"
_DIRECTIVE = re.compile(r"\s*#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*\Z")
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_WORD = re.compile(r"\S+")
_FIRST_WORD = re.compile(r"\s*(\S+)")


class Line(NamedTuple):
    """A physical line: ``start`` is its offset in the text; ``content`` has no line break."""

    number: int  # 0-based
    start: int
    content: str


class Token(NamedTuple):
    """A white-space separated word of an instruction.

    ``start`` is the offset of its first character in the text. A token that a
    continuation splits over two lines is not ``contiguous``: no single span
    of the text holds it.
    """

    text: str
    start: int
    line: int  # 0-based line of the first character
    contiguous: bool = True
    pieces: tuple[tuple[int, int], ...] = ()  # (start, length) of each piece, when split

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def offsets(self) -> Sequence[int]:
        """The offset in the file of each character of ``text``."""
        if self.contiguous:
            return range(self.start, self.start + len(self.text))
        return [start + index for start, length in self.pieces for index in range(length)]


class Instruction:
    """One instruction; the lexer sets its keyword once it has read it."""

    __slots__ = ("arguments", "first_line", "keyword", "last_line", "onbuild", "part_lines")

    def __init__(self, keyword: str, part_lines: list[int], first_line: int, last_line: int):
        self.keyword = keyword  # upper case; for ``ONBUILD X`` the keyword is X, and onbuild
        self.part_lines = part_lines  # the lines that carry it, without comment and blank lines
        self.first_line = first_line  # 0-based
        self.last_line = last_line  # 0-based, the last line of the instruction itself
        self.onbuild = False
        self.arguments: tuple[Token, ...] | None = None  # filled in on first use

    def __repr__(self) -> str:
        return f"Instruction({self.keyword!r}, lines {self.first_line}-{self.last_line})"


class HeredocBody(NamedTuple):
    instruction: Instruction
    lines: tuple[Line, ...]


class LexedDockerfile:
    """The lines as two parallel lists (content without line break, start offset)."""

    __slots__ = ("contents", "escape", "heredocs", "instructions", "starts")

    def __init__(self, escape: str, contents: list[str], starts: list[int]) -> None:
        self.escape = escape
        self.contents = contents
        self.starts = starts
        self.instructions: list[Instruction] = []
        self.heredocs: list[HeredocBody] = []

    def line(self, number: int) -> Line:
        return Line(number, self.starts[number], self.contents[number])

    def parts(self, instruction: Instruction) -> tuple[Line, ...]:
        return tuple(self.line(number) for number in instruction.part_lines)

    def tokens(self, instruction: Instruction) -> tuple[Token, ...]:
        """The arguments, without the keyword (or ``ONBUILD`` and the keyword)."""
        if instruction.arguments is None:
            instruction.arguments = tuple(self.words(instruction))
        return instruction.arguments

    def words(self, instruction: Instruction) -> Iterator[Token]:
        """The arguments one by one, for callers that need only the first few."""
        words = _words(self.parts(instruction), self.escape)
        for _ in range(2 if instruction.onbuild else 1):
            next(words, None)
        return words


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """Split on ``\\n`` only; a ``\\r`` before it is not part of the content.

    A byte-order mark is not part of the first line's content either.
    """
    contents = text.split("\n")
    if contents[-1] == "":
        contents.pop()  # the empty remainder after a final line break is not a line
    starts = []
    start = 0
    for content in contents:
        starts.append(start)
        start += len(content) + 1
    contents = [content[:-1] if content.endswith("\r") else content for content in contents]
    if contents and contents[0].startswith(BOM):
        contents[0] = contents[0][1:]
        starts[0] += 1
    return contents, starts


class Directive(NamedTuple):
    """A parser directive at the top of the file: ``# name=value``."""

    name: str  # lower case
    value: str
    line: int  # 0-based
    start: int  # offset of the value in the text


def directives(lexed: LexedDockerfile) -> Iterator[Directive]:
    """The parser directives: only at the very top, before any instruction,
    comment or blank line, as BuildKit reads them."""
    for number, content in enumerate(lexed.contents):
        match = _DIRECTIVE.match(content)
        if match is None:
            return
        start = lexed.starts[number] + match.start(2)
        yield Directive(match.group(1).lower(), match.group(2), number, start)


def lex(text: str) -> LexedDockerfile:
    contents, starts = split_lines(text)
    lexed = LexedDockerfile(_escape_directive(contents), contents, starts)
    index = 0
    count = len(contents)
    while index < count:
        stripped = contents[index].lstrip()
        if not stripped or stripped[0] == "#":
            index += 1
            continue
        instruction, index = _read_instruction(lexed, index)
        lexed.instructions.append(instruction)
        if instruction.keyword in _HEREDOC_INSTRUCTIONS and any(
            "<<" in contents[number] for number in instruction.part_lines
        ):
            index = _skip_heredocs(lexed, instruction, index)
    return lexed


def _escape_directive(contents: list[str]) -> str:
    # Parser directives count only at the very top, before any other line.
    for content in contents:
        match = _DIRECTIVE.match(content)
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            return match.group(2)
    return "\\"


def _continues(content: str, escape: str) -> bool:
    return content.rstrip().endswith(escape)


def _read_instruction(lexed: LexedDockerfile, index: int) -> tuple[Instruction, int]:
    """Read the instruction starting at line ``index``; return it and the next index."""
    contents, escape = lexed.contents, lexed.escape
    part_lines = [index]
    last = index
    continuing = _continues(contents[index], escape)
    while continuing and last + 1 < len(contents):
        last += 1
        stripped = contents[last].lstrip()
        # BuildKit drops comment and blank lines inside a continuation.
        if stripped and stripped[0] != "#":
            part_lines.append(last)
            continuing = _continues(contents[last], escape)
    first_word = _FIRST_WORD.match(contents[index])
    keyword = first_word.group(1).upper() if first_word else ""
    instruction = Instruction(keyword, part_lines, index, last)
    if keyword.endswith(escape) or keyword == "ONBUILD":
        # ``FROM\`` continues the keyword itself: read it as BuildKit joins it.
        words = _words(lexed.parts(instruction), escape)
        instruction.keyword = next(words, Token("", 0, 0)).text.upper()
        if instruction.keyword == "ONBUILD":
            instruction.keyword = next(words, Token("", 0, 0)).text.upper()
            instruction.onbuild = True
    return instruction, last + 1


def _words(parts: tuple[Line, ...], escape: str) -> Iterator[Token]:
    """The words of the instruction's lines, lazily, so callers may stop early."""
    carried: Token | None = None  # a word that touches the escaped line break
    for line in parts:
        content = line.content
        cut = _continues(content, escape)
        end = content.rstrip().rfind(escape) if cut else len(content)
        for match in _WORD.finditer(content, 0, end):
            token = Token(match.group(), line.start + match.start(), line.number)
            if carried is not None:
                if match.start() == 0:  # no space on either side: one word
                    pieces = carried.pieces or ((carried.start, len(carried.text)),)
                    token = Token(
                        carried.text + token.text,
                        carried.start,
                        carried.line,
                        False,
                        (*pieces, (token.start, len(token.text))),
                    )
                else:
                    yield carried
                carried = None
            if cut and match.end() == end:
                carried = token
            else:
                yield token
        if carried is not None and end > 0 and not content[:end].strip():
            yield carried  # a line of white space only ends the word
            carried = None
    if carried is not None:
        yield carried


def _skip_heredocs(lexed: LexedDockerfile, instruction: Instruction, index: int) -> int:
    """Skip the heredoc bodies the instruction opens; return the next line index."""
    words = " ".join(lexed.contents[number] for number in instruction.part_lines)
    for match in _HEREDOC.finditer(words):
        strip_tabs, delimiter = match.group(1) == "-", match.group(3)
        body: list[Line] = []
        while index < len(lexed.contents):
            line = lexed.line(index)
            index += 1
            candidate = line.content.lstrip("\t") if strip_tabs else line.content
            if candidate == delimiter:
                break
            body.append(line)
        lexed.heredocs.append(HeredocBody(instruction, tuple(body)))
    return index
