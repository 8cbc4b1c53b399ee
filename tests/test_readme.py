"""The README's two fresh-machine commands stay true."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)


def test_readme_names_the_demo_and_test_commands() -> None:
    blocks = [block.strip() for block in _shell_blocks()]
    assert "scripts/demo" in blocks
    assert "scripts/test" in blocks


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^scripts/test\b", ci, flags=re.MULTILINE)


@pytest.mark.registry
def test_demo_command_prints_the_diff_it_made() -> None:
    result = subprocess.run(
        ["scripts/demo"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    diff_lines = [line for line in result.stdout.splitlines() if line.startswith("+FROM ")]
    assert len(diff_lines) == 3
    assert all(re.search(r"@sha256:[0-9a-f]{64}", line) for line in diff_lines)
    assert "alpine:latest@sha256:" in result.stdout
    assert "pinned 4 references in 1 file" in result.stdout
    assert result.stdout.rstrip().endswith("nothing to pin")
