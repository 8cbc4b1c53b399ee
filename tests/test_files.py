from __future__ import annotations

from pathlib import Path

import pytest

from pinner.files import MAX_FILE_BYTES, FileError, decode, read_text


def test_permission_denied_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads any file whatever its mode, so the refusal is simulated.
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(FileError) as raised:
        read_text(path, "Dockerfile")
    assert str(raised.value) == "Dockerfile: cannot read: Permission denied"


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
