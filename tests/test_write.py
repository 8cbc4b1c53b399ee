"""The write contract on a real file system: nothing lost, nothing taken away."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from pinner import write
from pinner.write import ChangedWhileRunningError, WriteError, replace_if_unchanged
from tests.support.users import as_root, call_as_nobody, nobody

OLD = b"\xef\xbb\xbfFROM a\r\n"
NEW = b"\xef\xbb\xbfFROM a@sha256:x\r\n"


def test_keeps_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    target.chmod(0o640)
    replace_if_unchanged(target, OLD, NEW)
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


def test_a_symlink_stays_a_link_to_the_rewritten_file(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(OLD)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real)
    replace_if_unchanged(link, OLD, NEW)
    assert link.is_symlink()
    assert real.read_bytes() == NEW


def test_a_file_that_changed_since_it_was_read_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD + b"RUN edited\r\n")
    with pytest.raises(ChangedWhileRunningError, match="changed while pinner ran"):
        replace_if_unchanged(target, OLD, NEW)
    assert target.read_bytes() == OLD + b"RUN edited\r\n"
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


def test_a_file_deleted_since_it_was_read_is_not_brought_back(tmp_path: Path) -> None:
    with pytest.raises(ChangedWhileRunningError):
        replace_if_unchanged(tmp_path / "Dockerfile", OLD, NEW)
    assert os.listdir(tmp_path) == []


def test_an_edit_just_before_the_rename_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window between comparing the bytes and renaming: an editor saves then.
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    real_new_temporary = write.new_temporary

    def new_temporary_then_edit(folder: Path, prefix: str, suffix: str = "") -> tuple[int, str]:
        time.sleep(0.01)  # a later modification time than the one read
        with target.open("ab") as handle:
            handle.write(b"RUN edited\r\n")
        return real_new_temporary(folder, prefix, suffix)

    monkeypatch.setattr(write, "new_temporary", new_temporary_then_edit)
    with pytest.raises(ChangedWhileRunningError):
        replace_if_unchanged(target, OLD, NEW)
    assert target.read_bytes() == OLD + b"RUN edited\r\n"
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


@as_root
def test_root_keeps_another_users_owner_group_and_mode(tmp_path: Path) -> None:
    user = nobody()
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    os.chown(target, user.pw_uid, user.pw_gid)
    target.chmod(0o640)
    replace_if_unchanged(target, OLD, NEW)
    status = target.stat()
    assert (status.st_uid, status.st_gid) == (user.pw_uid, user.pw_gid)
    assert stat.S_IMODE(status.st_mode) == 0o640
    assert target.read_bytes() == NEW


def test_a_hard_linked_file_stays_one_file_under_every_name(tmp_path: Path) -> None:
    first = tmp_path / "Dockerfile"
    first.write_bytes(OLD)
    second = tmp_path / "other" / "Dockerfile"
    second.parent.mkdir()
    os.link(first, second)
    inode = first.stat().st_ino
    replace_if_unchanged(second, OLD, NEW)
    assert first.read_bytes() == NEW == second.read_bytes()
    assert first.stat().st_ino == second.stat().st_ino == inode
    assert first.stat().st_nlink == 2
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile", "other"]


def test_an_edit_racing_an_in_place_write_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hard-linked file is written in place; an editor saves right after
    # pinner compared the bytes.
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    os.link(target, tmp_path / "Dockerfile.link")
    real_read_all = write._read_all

    def read_then_edit(descriptor: int) -> bytes:
        data = real_read_all(descriptor)
        time.sleep(0.01)  # a later modification time than the one read
        with target.open("ab") as handle:
            handle.write(b"RUN edited\r\n")
        return data

    monkeypatch.setattr(write, "_read_all", read_then_edit)
    with pytest.raises(ChangedWhileRunningError):
        replace_if_unchanged(target, OLD, NEW)
    assert target.read_bytes() == OLD + b"RUN edited\r\n"
    assert (tmp_path / "Dockerfile.link").read_bytes() == OLD + b"RUN edited\r\n"


@as_root
def test_root_keeps_the_owner_of_a_hard_linked_file(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    os.link(target, tmp_path / "Dockerfile.link")
    os.chown(target, nobody().pw_uid, nobody().pw_gid)
    target.chmod(0o604)
    replace_if_unchanged(tmp_path / "Dockerfile.link", OLD, NEW)
    status = target.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (
        nobody().pw_uid,
        nobody().pw_gid,
        0o604,
    )
    assert target.read_bytes() == NEW


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_file_without_write_bits_is_never_rewritten_even_by_root(
    tmp_path: Path, mode: int
) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    target.chmod(mode)
    with pytest.raises(WriteError, match=r"^read-only: the file has no write permission bits"):
        replace_if_unchanged(target, OLD, NEW)
    target.chmod(0o644)
    assert target.read_bytes() == OLD


def test_an_interrupted_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)

    def interrupted(source: str, destination: object) -> None:
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C at the last moment

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replace_if_unchanged(target, OLD, NEW)
    assert target.read_bytes() == OLD
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


def test_a_second_writer_waits_for_the_first_and_then_sees_its_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(OLD)
    held = threading.Event()
    release = threading.Event()
    real_read_all = write._read_all

    def slow_read_all(descriptor: int) -> bytes:
        data = real_read_all(descriptor)
        if threading.current_thread().name == "first":
            held.set()
            release.wait(5)
        return data

    outcome: dict[str, BaseException | None] = {}

    def first() -> None:
        try:
            replace_if_unchanged(target, OLD, NEW)
            outcome["first"] = None
        except BaseException as error:  # handed to the test thread
            outcome["first"] = error

    monkeypatch.setattr(write, "_read_all", slow_read_all)
    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert held.wait(5)
    # The first writer holds the lock: the second must wait, then find the
    # first writer's bytes, not the ones it read.
    timer = threading.Timer(0.2, release.set)
    timer.start()
    with pytest.raises(ChangedWhileRunningError):
        replace_if_unchanged(target, OLD, OLD + b"RUN second\r\n")
    thread.join(5)
    timer.join()
    assert outcome == {"first": None}
    assert target.read_bytes() == NEW


def _write_as_nobody(target: Path, old: bytes, new: bytes) -> str:
    def attempt() -> str:
        try:
            replace_if_unchanged(target, old, new)
        except WriteError as error:
            return error.message
        return "written"

    return call_as_nobody(attempt)


@as_root
def test_a_folder_without_write_permission_is_named_with_what_to_fix(
    shared_tmp: Path,
) -> None:
    # Root writes anywhere: nobody writes here, a file it may write in a folder it may not.
    target = shared_tmp / "Dockerfile"
    target.write_bytes(OLD)
    os.chown(target, nobody().pw_uid, nobody().pw_gid)
    answer = _write_as_nobody(target, OLD, NEW)
    assert answer == (
        f"could not write: the folder {shared_tmp} is not writable, and pinner replaces a file"
        " by writing a temporary file beside it and renaming it; make the folder writable"
    )
    assert target.read_bytes() == OLD
    assert sorted(os.listdir(shared_tmp)) == ["Dockerfile"]


@as_root
def test_a_user_who_cannot_give_the_file_away_writes_it_in_place(shared_tmp: Path) -> None:
    # root's file, writable by all, in a folder all may write: nobody cannot
    # chown a new file to root, so a rename would take the file from root.
    shared_tmp.chmod(0o777)
    target = shared_tmp / "Dockerfile"
    target.write_bytes(OLD)
    target.chmod(0o666)
    assert _write_as_nobody(target, OLD, NEW) == "written"
    assert target.read_bytes() == NEW
    assert (target.stat().st_uid, target.stat().st_gid) == (0, 0)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666
    assert sorted(os.listdir(shared_tmp)) == ["Dockerfile"]


def test_a_temporary_file_is_new_and_its_owners_alone(tmp_path: Path) -> None:
    made = [write.new_temporary(tmp_path, ".Dockerfile.", ".pinner") for _ in range(50)]
    try:
        paths = {path for _, path in made}
        assert len(paths) == 50
        for path in paths:
            name = os.path.basename(path)
            assert name.startswith(".Dockerfile.") and name.endswith(".pinner")
            assert os.path.dirname(path) == str(tmp_path)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        for descriptor, _ in made:
            os.close(descriptor)
