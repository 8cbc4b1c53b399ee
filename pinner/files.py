"""Reading files as text without losing a byte of what was there."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class FileError(Exception):
    """A file pinner cannot take as text; it is left as it is."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


def decode(path: str, data: bytes) -> str:
    """Decode UTF-8, keeping a BOM and every line ending as characters of the text."""
    if b"\0" in data:
        raise FileError(path, "binary file (contains NUL bytes); left unchanged")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise FileError(path, f"not UTF-8 text (byte 0x{byte:02x}); left unchanged", line) from None


def read_text(path: Path, shown_as: str) -> str:
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise FileError(shown_as, "not a regular file; skipped")
        size = status.st_size
        if size > MAX_FILE_BYTES:
            raise FileError(shown_as, f"larger than {MAX_FILE_BYTES // 2**20} MiB; skipped")
        data = path.read_bytes()
    except OSError as error:
        raise FileError(shown_as, f"cannot read: {error.strerror or error}") from None
    return decode(shown_as, data)
