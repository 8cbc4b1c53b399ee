"""Run pinner with stdout or stderr on a pseudo-terminal, as a person at a shell would."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def run_on_terminal(
    cwd: Path, stream: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``pinner ARGS`` with ``stream`` ("stdout" or "stderr") on a terminal and
    the other discarded; return the exit code and what the terminal showed."""
    leader, follower = pty.openpty()
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: follower}
    process = subprocess.Popen(
        [sys.executable, "-m", "pinner", *args],
        cwd=cwd,
        stdout=streams["stdout"],
        stderr=streams["stderr"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed: Linux says EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    code = process.wait(timeout=120)
    os.close(leader)
    return code, b"".join(chunks).decode()
