"""Reading files as text without losing a byte of what was there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024


class FileError(Exception):
    """A file pinner cannot take as text; it is left as it is."""

    def __init__(
        self, path: str, message: str, line: int | None = None, *, not_text: bool = False
    ) -> None:
        super().__init__(path, message, line)
        self.path = path
        self.message = message
        self.line = line
        self.not_text = not_text  # binary, or text in another encoding than UTF-8

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


def decode(path: str, data: bytes) -> str:
    """Decode UTF-8, keeping a BOM and every line ending as characters of the text."""
    encoding = _wide_encoding(data)
    if encoding is not None:
        message = f"{encoding} text is not supported (save it as UTF-8); left unchanged"
        raise FileError(path, message, not_text=True)
    if b"\0" in data:
        raise FileError(path, "binary file (contains NUL bytes); left unchanged", not_text=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        message = f"not UTF-8 text (byte 0x{byte:02x}); left unchanged"
        raise FileError(path, message, line, not_text=True) from None


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32, by the byte-order mark the text starts with."""
    return next((name for bom, name in _WIDE_BOMS if data.startswith(bom)), None)


def read_text(path: Path, shown_as: str) -> str:
    # Opened without waiting (a FIFO would block a plain open) and judged by
    # what was opened, not by a name that may have changed in between.
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise FileError(shown_as, f"cannot read: {error.strerror or error}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise FileError(shown_as, "not a regular file; skipped")
        if status.st_size > MAX_FILE_BYTES:
            raise FileError(shown_as, f"larger than {MAX_FILE_BYTES // 2**20} MiB; skipped")
        chunks = []
        while chunk := os.read(descriptor, max(status.st_size + 1, 65536)):
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_FILE_BYTES:
                raise FileError(shown_as, f"larger than {MAX_FILE_BYTES // 2**20} MiB; skipped")
    except OSError as error:
        raise FileError(shown_as, f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    return decode(shown_as, b"".join(chunks))
