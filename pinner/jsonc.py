"""JSON with comments and trailing commas (dev containers' ``devcontainer.json``,
VS Code's settings) -> a tree whose every value keeps its character span (pure).

Python's ``json`` loses positions and refuses comments; a digest can only be
spliced where the text's offsets are known. This reader keeps them: each
value is a :class:`JsonNode` with ``start`` and ``end`` offsets in the text
(for a string, of its characters between the quotes) and its 1-based line.
``//`` and ``/* */`` comments and a comma before ``}`` or ``]`` are taken,
as the dev container tools take them.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from pinner.files import FileError
from pinner.offset_reader import OffsetReader


class JsonNode(NamedTuple):
    kind: str  # object, array, string, number, true, false, null
    value: object  # str for a string; list of (key, node) for an object; list of nodes
    start: int  # of a string: its first character after the quote
    end: int  # of a string: the closing quote
    line: int  # 1-based
    plain: bool = True  # a string written without escapes: its text in the file is its value

    def get(self, key: str) -> JsonNode | None:
        """The value of ``key`` in an object (the last, where it is given twice)."""
        if self.kind != "object":
            return None
        found = None
        for name, node in self.members:
            if name.value == key:
                found = node
        return found

    @property
    def members(self) -> list[tuple[JsonNode, JsonNode]]:
        assert self.kind == "object"
        return self.value  # type: ignore[return-value]

    @property
    def items(self) -> list[JsonNode]:
        assert self.kind == "array"
        return self.value  # type: ignore[return-value]


class _Reader(OffsetReader):
    language = "JSON"

    def value(self, depth: int = 0) -> JsonNode:
        if depth > 200:
            raise self.fail("nested too deeply")
        self.skip()
        if self.at >= len(self.text):
            raise self.fail("the text ends where a value was expected")
        char = self.text[self.at]
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return self.string()
        return self.scalar()

    def object(self, depth: int) -> JsonNode:
        start, line = self.at, self.line()
        self.at += 1
        members: list[tuple[JsonNode, JsonNode]] = []
        seen: dict[object, int] = {}
        while True:
            self.skip()
            if self.text.startswith("}", self.at):
                self.at += 1
                return JsonNode("object", members, start, self.at, line)
            if self.at >= len(self.text) or self.text[self.at] != '"':
                raise self.fail("expected a quoted key or '}'")
            key = self.string()
            if key.value in seen:
                first = seen[key.value]
                message = f"duplicate key '{key.value}' (first on line {first}); left unchanged"
                raise FileError(self.path, message, key.line)
            seen[key.value] = key.line
            self.skip()
            if not self.text.startswith(":", self.at):
                raise self.fail(f"expected ':' after the key '{key.value}'")
            self.at += 1
            members.append((key, self.value(depth + 1)))
            if not self.comma("}"):
                raise self.fail("expected ',' or '}'")

    def array(self, depth: int) -> JsonNode:
        start, line = self.at, self.line()
        self.at += 1
        items: list[JsonNode] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.at):
                self.at += 1
                return JsonNode("array", items, start, self.at, line)
            items.append(self.value(depth + 1))
            if not self.comma("]"):
                raise self.fail("expected ',' or ']'")

    def string(self) -> JsonNode:
        line = self.line()
        start = self.at + 1
        at = start
        text = self.text
        while True:
            quote = text.find('"', at)
            newline = text.find("\n", at, quote if quote != -1 else len(text))
            if quote == -1 or newline != -1:
                raise self.fail("a string that is never closed")
            backslashes = len(text[at:quote]) - len(text[at:quote].rstrip("\\"))
            if backslashes % 2 == 0:
                break
            at = quote + 1
        raw = text[start:quote]
        try:
            value = json.loads(f'"{raw}"') if "\\" in raw else raw
        except ValueError:
            raise self.fail("a string with a bad escape") from None
        self.at = quote + 1
        return JsonNode("string", value, start, quote, line, plain="\\" not in raw)

    def scalar(self) -> JsonNode:
        start, line = self.at, self.line()
        end = start
        while end < len(self.text) and self.text[end] not in " \t\r\n,]}/":
            end += 1
        word = self.text[start:end]
        if word in ("true", "false", "null"):
            self.at = end
            return JsonNode(word, word, start, end, line)
        try:
            number = json.loads(word)
        except ValueError:
            raise self.fail(f"unexpected {word[:20]!r}") from None
        if not isinstance(number, int | float):
            raise self.fail(f"unexpected {word[:20]!r}")
        self.at = end
        return JsonNode("number", number, start, end, line)


def parse_jsonc(path: str, text: str) -> JsonNode:
    """The document's tree; :class:`FileError` naming the line when it is not
    JSON with comments, or an object holds a key twice."""
    reader = _Reader(path, text)
    document = reader.value()
    reader.skip()
    if reader.at != len(text):
        raise reader.fail("more text after the document")
    return document
