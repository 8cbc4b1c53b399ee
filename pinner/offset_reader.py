"""What pinner's small readers that keep every value's character span (JSON
with comments, HCL) share: the position in the text, its line, comments and
white space, commas between members, and errors that name the file and line."""

from __future__ import annotations

from pinner.files import FileError


class OffsetReader:
    """Reads ``text`` from ``at`` on; a byte-order mark is not part of it."""

    language = ""  # as errors name it: "JSON", "HCL"
    line_comments: tuple[str, ...] = ("//",)

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.at = 1 if text.startswith("\ufeff") else 0

    def fail(self, problem: str) -> FileError:
        return FileError(
            self.path, f"invalid {self.language}: {problem}; left unchanged", self.line()
        )

    def line(self, at: int | None = None) -> int:
        """The 1-based line of ``at`` (the current position by default)."""
        return self.text.count("\n", 0, self.at if at is None else at) + 1

    def skip(self, newlines: bool = True) -> None:
        """White space and comments; line breaks too, unless ``newlines`` is False
        (where the language ends a statement at one)."""
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char in " \t\r" or (newlines and char == "\n"):
                self.at += 1
            elif text.startswith(self.line_comments, self.at):
                end = text.find("\n", self.at)
                self.at = len(text) if end == -1 else end
            elif text.startswith("/*", self.at):
                end = text.find("*/", self.at + 2)
                if end == -1:
                    raise self.fail("a comment that is never closed")
                self.at = end + 2
            else:
                return

    def comma(self, closing: str) -> bool:
        """After a member: a comma (a trailing one too), or the closing bracket next."""
        self.skip()
        if self.text.startswith(",", self.at):
            self.at += 1
            return True
        return self.text.startswith(closing, self.at)
