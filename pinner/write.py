"""Writing a user's file: the one way pinner ever changes one.

The contract: the file is replaced only while it still holds the bytes pinner
read (an edit made while pinner ran is never lost, and two pinner processes
never undo each other's work); it keeps its mode, owner, group and hard
links; a file without any write bit is never rewritten; and an interrupted
run leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LOCK_WAIT_SECONDS = 5.0


class WriteError(Exception):
    """The file was left as it is; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChangedWhileRunningError(WriteError):
    """The file no longer holds the bytes pinner read: someone edited it."""

    def __init__(self) -> None:
        super().__init__("changed while pinner ran; left as it is (run pinner again)")


def replace_if_unchanged(path: Path, expected: bytes, data: bytes) -> None:
    """Make the file at ``path`` hold ``data``, if it still holds ``expected``.

    A symbolic link is kept and the file it points to is rewritten. Raises
    :class:`ChangedWhileRunningError` when the file changed since it was read,
    and :class:`WriteError` for every other reason it was not written.
    """
    target = path.resolve()
    try:
        with _locked(target) as (descriptor, status):
            if status.st_mode & 0o222 == 0:
                raise WriteError(
                    "read-only: the file has no write permission bits; pinner leaves such"
                    " files alone (make it writable to pin it)"
                )
            if _read_all(descriptor) != expected:
                raise ChangedWhileRunningError()
            if status.st_nlink > 1:
                # A rename would split the names apart; only an in-place write
                # keeps one file behind all of them.
                _rewrite_in_place(target, descriptor, status, data)
            elif not _replace_by_rename(target, descriptor, status, data):
                _rewrite_in_place(target, descriptor, status, data)
    except OSError as error:
        raise WriteError(f"cannot write: {error.strerror or error}") from None


@contextmanager
def _locked(target: Path) -> Iterator[tuple[int, os.stat_result]]:
    """Open the file and hold an exclusive lock on it, so that another pinner
    process compares and writes only after this one is done.

    The lock is on the inode; once a rename has replaced it, the lock would
    guard a file no longer there, so the inode is checked after locking."""
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS
    while True:
        try:
            descriptor = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ChangedWhileRunningError() from None
        try:
            _lock(descriptor, deadline)
            status = os.fstat(descriptor)
            if _same_file(target, status):
                yield descriptor, status
                return
        finally:
            os.close(descriptor)  # also releases the lock


def _lock(descriptor: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise WriteError(
                    "another process holds a lock on the file; left as it is"
                ) from None
            time.sleep(0.01)
        except OSError as error:
            if error.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                return  # a file system without locks: the byte comparison still holds
            raise


def _same_file(target: Path, status: os.stat_result) -> bool:
    try:
        now = os.stat(target)
    except FileNotFoundError:
        raise ChangedWhileRunningError() from None
    return (now.st_dev, now.st_ino) == (status.st_dev, status.st_ino)


def _read_all(descriptor: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(descriptor, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _unchanged_since(target: Path, descriptor: int, status: os.stat_result) -> bool:
    """Nothing wrote to the file since ``status`` was taken, and it is still there."""
    now = os.fstat(descriptor)
    same_content = (now.st_size, now.st_mtime_ns) == (status.st_size, status.st_mtime_ns)
    return same_content and _same_file(target, now)


def _replace_by_rename(target: Path, descriptor: int, status: os.stat_result, data: bytes) -> bool:
    """Write a temporary file beside the target and rename it over the target.

    Returns False, writing nothing, when the new file could not be given the
    old one's owner and group (only root may give a file away): the caller
    then writes in place, which keeps them."""
    try:
        handle, temporary = new_temporary(target.parent, f".{target.name}.", ".pinner")
    except PermissionError:
        raise WriteError(
            f"could not write: the folder {target.parent} is not writable, and pinner"
            " replaces a file by writing a temporary file beside it and renaming it;"
            " make the folder writable"
        ) from None
    try:
        with os.fdopen(handle, "wb") as new:
            new.write(data)
            new.flush()
            mine = os.fstat(new.fileno())
            if (mine.st_uid, mine.st_gid) != (status.st_uid, status.st_gid):
                try:
                    os.fchown(new.fileno(), status.st_uid, status.st_gid)
                except PermissionError:
                    Path(temporary).unlink(missing_ok=True)
                    return False
            # After chown, which clears set-user-ID and set-group-ID bits.
            os.fchmod(new.fileno(), stat.S_IMODE(status.st_mode))
        # No fsync: the rename is what makes an interrupted run safe, and an
        # fsync per file would cost more than every other step of a large run.
        if not _unchanged_since(target, descriptor, status):
            raise ChangedWhileRunningError()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def new_temporary(folder: Path, prefix: str, suffix: str = "") -> tuple[int, str]:
    """A new file in ``folder`` that no one else has opened, readable by its
    owner alone, as ``tempfile.mkstemp`` makes (whose import, through
    shutil and random, costs more than a small run's writing)."""
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _rewrite_in_place(target: Path, descriptor: int, status: os.stat_result, data: bytes) -> None:
    """Overwrite the file's bytes through the inode it already is.

    The new text is the old one with digests inserted or replaced, so it is
    never shorter: writing first and truncating after never leaves the file
    with less than its old content, even if the process dies in between."""
    writer = os.open(target, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        opened = os.fstat(writer)
        if (opened.st_dev, opened.st_ino) != (status.st_dev, status.st_ino):
            raise ChangedWhileRunningError()
        if not _unchanged_since(target, descriptor, status):
            raise ChangedWhileRunningError()
        view = memoryview(data)
        offset = 0
        while offset < len(data):
            offset += os.pwrite(writer, view[offset:], offset)
        os.ftruncate(writer, len(data))
    finally:
        os.close(writer)
