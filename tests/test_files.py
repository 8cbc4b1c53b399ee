from __future__ import annotations

import os
from pathlib import Path

import pytest

from pinner.files import MAX_FILE_BYTES, FileError, decode, read_text
from tests.support.users import as_root, call_as_nobody


@as_root
def test_permission_denied_is_one_clear_line(shared_tmp: Path) -> None:
    # Root reads any file whatever its mode: the reader is nobody.
    path = shared_tmp / "Dockerfile"
    path.write_text("FROM scratch\n")
    path.chmod(0o600)

    def read_as_nobody() -> str:
        try:
            read_text(path, "Dockerfile")
        except FileError as error:
            return str(error)
        return "read"

    assert call_as_nobody(read_as_nobody) == "Dockerfile: cannot read: Permission denied"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    os.mkfifo(path)
    with pytest.raises(FileError, match="not a regular file"):
        read_text(path, "Dockerfile")


def test_a_huge_file_is_skipped_unread(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FileError, match="larger than 64 MiB"):
        read_text(path, "Dockerfile")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"FROM a\n\xff\n", "Dockerfile:2: not UTF-8 text (byte 0xff); left unchanged"),
        (b"\x00\x01", "Dockerfile: binary file (contains NUL bytes); left unchanged"),
    ],
)
def test_decode_errors(data: bytes, message: str) -> None:
    with pytest.raises(FileError) as raised:
        decode("Dockerfile", data)
    assert str(raised.value) == message


def test_decode_keeps_bom_and_line_endings() -> None:
    assert decode("D", b"\xef\xbb\xbfFROM a\r\n") == "\ufeffFROM a\r\n"
