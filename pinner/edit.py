"""Edits: splice new text into a file's text, and show the difference (pure).

Writing the result is the job of :mod:`pinner.write`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Edit(NamedTuple):
    """Replace ``text[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits, from the end backwards so offsets stay valid."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end), reverse=True)
    previous_start = len(text) + 1
    for edit in ordered:
        if edit.end > previous_start or edit.start > edit.end:
            raise ValueError(f"overlapping or inverted edit at offset {edit.start}")
        text = text[: edit.start] + edit.replacement + text[edit.end :]
        previous_start = edit.start
    return text


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff as ``git diff`` prints it: ``a/`` and ``b/`` before relative names."""
    import difflib

    old, new = (path, path) if path.startswith("/") else (f"a/{path}", f"b/{path}")
    if any(char.isspace() for char in path):
        # GNU patch reads a name up to a tab: without one, it stops at the space.
        old, new = old + "\t", new + "\t"
    lines = difflib.unified_diff(_diff_lines(before), _diff_lines(after), old, new)
    return "".join(lines)


def _diff_lines(text: str) -> Sequence[str]:
    # str.splitlines would also split on form feeds and other separators.
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()[:-1]
    if last:
        lines.append(last + "\n\\ No newline at end of file\n")
    return lines
