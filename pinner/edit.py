"""Edits: splice new text into a file's text (pure), show a diff, write atomically."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edit:
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
    lines = difflib.unified_diff(_diff_lines(before), _diff_lines(after), old, new)
    return "".join(lines)


def _diff_lines(text: str) -> Sequence[str]:
    # str.splitlines would also split on form feeds and other separators.
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()[:-1]
    if last:
        lines.append(last + "\n\\ No newline at end of file\n")
    return lines


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file's content in one rename, keeping its mode.

    The new content goes to a temporary file in the same folder first, so an
    interrupted run leaves either the old file or the new one, never half.
    A symbolic link is followed: the file it points to is replaced.
    """
    import tempfile

    target = path.resolve()
    mode = target.stat().st_mode & 0o7777
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".pinner"
    )
    try:
        # No fsync: the rename is what makes an interrupted run safe, and an
        # fsync per file would cost more than every other step of a large run.
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
