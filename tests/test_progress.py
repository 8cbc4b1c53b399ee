from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pinner.report.progress import TerminalProgress
from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry
from tests.support.terminal import run_on_terminal


def test_draws_a_bar_and_clears_it() -> None:
    stream = io.StringIO()
    progress = TerminalProgress(stream, minimum=2)
    progress.start(4)
    for _ in range(4):
        progress.advance()
    progress.finish()
    text = stream.getvalue()
    assert "\rlooking up images [" in text
    assert text.rstrip("\r\033[K").endswith("4/4")
    assert text.endswith("\r\033[K")


def test_stays_silent_for_a_short_run() -> None:
    stream = io.StringIO()
    progress = TerminalProgress(stream, minimum=10)
    progress.start(3)
    for _ in range(3):
        progress.advance()
    progress.finish()
    assert stream.getvalue() == ""


@pytest.mark.registry
def test_a_long_run_shows_progress_on_a_terminal_only(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    lines = []
    for number in range(12):
        pusher.image(f"progress/app{number}", "1")
        lines.append(f"FROM {registry.host}/progress/app{number}:1 AS s{number}\n")
    (tmp_path / "Dockerfile").write_text("".join(lines))
    code, terminal = run_on_terminal(tmp_path, "stderr", "pin", "--dry-run")
    assert code == 0
    assert "looking up images [" in terminal and "12/12" in terminal
    piped = subprocess.run(
        [sys.executable, "-m", "pinner", "pin", "--dry-run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert piped.returncode == 0
    assert "looking up images" not in piped.stderr
