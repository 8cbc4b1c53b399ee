"""Colour only on a terminal, and never with NO_COLOR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry
from tests.support.terminal import run_on_terminal

GREEN = "\033[32m"
YELLOW = "\033[33m"


@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_messages_are_coloured_on_a_terminal_unless_no_color(
    tmp_path: Path, env: dict[str, str], coloured: bool
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    code, shown = run_on_terminal(tmp_path, "stdout", "check", env=env)
    assert code == 1
    assert "python:3.12 has no digest" in shown
    assert (YELLOW in shown) is coloured


def test_nothing_is_coloured_when_piped(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    piped = subprocess.run(
        [sys.executable, "-m", "pinner", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert "has no digest" in piped.stdout
    assert "\033[" not in piped.stdout + piped.stderr


def test_json_on_a_terminal_is_plain(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    _, shown = run_on_terminal(tmp_path, "stdout", "check", "--format", "json")
    assert '"status": "unpinned"' in shown
    assert "\033[" not in shown


@pytest.mark.registry
@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "yes"}, False)])
def test_the_diff_is_coloured_on_a_terminal_unless_no_color(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    env: dict[str, str],
    coloured: bool,
) -> None:
    pusher.image("colour/app", "1")
    (tmp_path / "Dockerfile").write_text(f"FROM {registry.host}/colour/app:1\n")
    code, shown = run_on_terminal(tmp_path, "stdout", "pin", "--dry-run", env=env)
    assert code == 0
    assert f"+FROM {registry.host}/colour/app:1@sha256:" in shown
    assert (GREEN in shown) is coloured
