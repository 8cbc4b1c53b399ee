"""Another user than root, for tests of ownership and permissions.

Root reads and writes anything, so a test of what an ordinary user meets
runs its code as ``nobody`` in a forked child (the interpreter may live
where nobody cannot start it, so a fresh one is not an option)."""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable

import pytest

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


def nobody() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody")


def call_as_nobody(function: Callable[[], str]) -> str:
    """Call ``function`` in a child process running as nobody; return what it
    returned, or the ``repr`` of what it raised."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(reader)
        try:
            user = nobody()
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            answer = function()
        except BaseException as error:  # reported to the parent
            answer = repr(error)
        finally:
            os.write(writer, answer.encode())
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return answer
