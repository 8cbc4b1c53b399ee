"""HCL as docker bake writes it (``docker-bake.hcl``) -> blocks and attributes
whose every value keeps its character span (pure).

A parser that loses positions cannot splice, so this reader is pinner's own
and reads only what bake files hold: blocks (``target "app" { ... }``),
attributes (``name = value``), strings with ``${...}`` interpolation and
escapes, heredocs (``<<EOT`` and ``<<-EOT``), lists, objects (``{ k = v }``,
``{ "k": v }``), and comments (``#``, ``//``, ``/* */``). Any other
expression (a call, arithmetic, a conditional) is kept as its span, never
looked into.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from pinner.offset_reader import OffsetReader


class Value(NamedTuple):
    kind: str  # string, heredoc, list, object, other
    start: int  # of a string: its first character after the quote
    end: int  # of a string: the closing quote
    line: int
    text: str = ""  # a string's value (where it is plain), or an expression's text
    plain: bool = False  # a string without interpolation or escapes: its text is its value
    items: tuple[Value, ...] = ()  # a list's
    members: tuple[tuple[str, int, Value], ...] = ()  # an object's: key, key's line, value


class Attribute(NamedTuple):
    name: str
    line: int
    value: Value


class Block(NamedTuple):
    type: str
    labels: tuple[str, ...]
    line: int
    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]

    def get(self, name: str) -> Value | None:
        return next((a.value for a in self.attributes if a.name == name), None)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class _Reader(OffsetReader):
    language = "HCL"
    line_comments = ("#", "//")

    def body(self, closing: str | None) -> tuple[tuple[Attribute, ...], tuple[Block, ...]]:
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        while True:
            self.skip()
            if self.at >= len(self.text):
                if closing is not None:
                    raise self.fail(f"expected '{closing}'")
                return tuple(attributes), tuple(blocks)
            if closing is not None and self.text.startswith(closing, self.at):
                self.at += 1
                return tuple(attributes), tuple(blocks)
            line = self.line()
            name = self.identifier()
            self.skip(newlines=False)
            if self.text.startswith("=", self.at) and not self.text.startswith("==", self.at):
                self.at += 1
                attributes.append(Attribute(name, line, self.value()))
                continue
            labels = []
            while self.text.startswith('"', self.at):
                labels.append(self.string().text)
                self.skip(newlines=False)
            if not self.text.startswith("{", self.at):
                raise self.fail(f"expected '=' or '{{' after {name}")
            self.at += 1
            inner_attributes, inner_blocks = self.body("}")
            blocks.append(Block(name, tuple(labels), line, inner_attributes, inner_blocks))

    def identifier(self) -> str:
        found = _IDENTIFIER.match(self.text, self.at)
        if found is None:
            raise self.fail(f"unexpected {self.text[self.at : self.at + 10]!r}")
        self.at = found.end()
        return found.group()

    def value(self, depth: int = 0) -> Value:
        if depth > 100:
            raise self.fail("nested too deeply")
        self.skip()
        text, at = self.text, self.at
        if at >= len(text):
            raise self.fail("the text ends where a value was expected")
        start = at
        if text[at] == '"':
            value = self.string()
        elif text.startswith("<<", at):
            value = self.heredoc()
        elif text[at] == "[":
            value = self.sequence(depth)
        elif text[at] == "{":
            value = self.mapping(depth)
        else:
            value = self.other()
        return self.rest_of_expression(value, start)

    def rest_of_expression(self, value: Value, start: int) -> Value:
        """A value followed by an operator is an expression: its span, unread."""
        self.skip(newlines=False)
        text = self.text
        if (
            self.at < len(text)
            and text[self.at] not in ",]}\r\n#"
            and not text.startswith(("//", "/*"), self.at)
        ):
            self.other()
            return Value("other", start, self.at, self.line(start), self.text[start : self.at])
        return value

    def string(self) -> Value:
        text, line = self.text, self.line()
        start = self.at + 1
        at, depth = start, 0
        while True:
            if at >= len(text) or (text[at] == "\n" and depth == 0):
                raise self.fail("a string that is never closed")
            char = text[at]
            if char == "\\":
                at += 2
            elif text.startswith("${", at) or text.startswith("%{", at):
                depth += 1
                at += 2
            elif char == "}" and depth:
                depth -= 1
                at += 1
            elif char == '"' and depth == 0:
                break
            else:
                at += 1
        raw = text[start:at]
        self.at = at + 1
        plain = "\\" not in raw and "${" not in raw and "%{" not in raw
        decoded = raw
        if "\\" in raw and "${" not in raw:
            try:
                decoded = json.loads(f'"{raw}"')
            except ValueError:
                decoded = raw
        return Value("string", start, at, line, decoded, plain)

    def heredoc(self) -> Value:
        found = _HEREDOC.match(self.text, self.at)
        if found is None:
            return self.other()
        line = self.line()
        indented, marker = found.group(1) == "-", found.group(2)
        closing = re.compile(rf"^[ \t]*{marker}[ \t]*\r?$" if indented else rf"^{marker}\r?$", re.M)
        end = closing.search(self.text, found.end())
        if end is None:
            raise self.fail(f"a heredoc that is never closed ({marker})")
        self.at = end.end()
        return Value("heredoc", found.end(), end.start(), line)

    def sequence(self, depth: int) -> Value:
        start, line = self.at, self.line()
        self.at += 1
        items: list[Value] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.at):
                self.at += 1
                return Value("list", start, self.at, line, items=tuple(items))
            items.append(self.value(depth + 1))
            if not self.comma("]"):
                raise self.fail("expected ',' or ']'")

    def mapping(self, depth: int) -> Value:
        start, line = self.at, self.line()
        self.at += 1
        members: list[tuple[str, int, Value]] = []
        while True:
            self.skip()
            if self.text.startswith("}", self.at):
                self.at += 1
                return Value("object", start, self.at, line, members=tuple(members))
            key_line = self.line()
            if self.text.startswith('"', self.at):
                key = self.string().text
            elif self.text.startswith("(", self.at):
                key = self.text[self.at : self.other_end()]
                self.at = self.other_end()
            else:
                key = self.identifier()
            self.skip(newlines=False)
            if not self.text.startswith(("=", ":"), self.at):
                raise self.fail(f"expected '=' or ':' after {key}")
            self.at += 1
            members.append((key, key_line, self.value(depth + 1)))
            self.skip()
            if self.text.startswith(",", self.at):
                self.at += 1

    def other(self) -> Value:
        start, line = self.at, self.line()
        self.at = self.other_end()
        if self.at == start:
            raise self.fail(f"unexpected {self.text[start : start + 10]!r}")
        return Value("other", start, self.at, line, self.text[start : self.at])

    def other_end(self) -> int:
        """Where an expression pinner does not read ends: at a comma, a closing
        bracket or the end of the line, outside brackets and strings."""
        text, at, stack = self.text, self.at, []
        while at < len(text):
            char = text[at]
            if char == '"':
                saved = self.at
                self.at = at
                self.string()
                at, self.at = self.at, saved
                continue
            if char in _CLOSERS:
                stack.append(_CLOSERS[char])
            elif stack and char == stack[-1]:
                stack.pop()
            elif not stack and (char in ",]}\n" or text.startswith(("//", "/*", "#"), at)):
                break
            at += 1
        return len(text[:at].rstrip(" \t\r")) if at <= len(text) else at


def parse_hcl(path: str, text: str) -> Block:
    """The file as one block (type ``""``); :class:`FileError` naming the line
    where it is not HCL that this reader takes."""
    reader = _Reader(path, text)
    attributes, blocks = reader.body(None)
    return Block("", (), 1, attributes, blocks)
