from __future__ import annotations

from pathlib import Path

from pinner import __version__
from tests.conftest import run_pinner


def test_version(tmp_path: Path) -> None:
    result = run_pinner("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"pinner {__version__}\n"


def test_help_has_examples(tmp_path: Path) -> None:
    result = run_pinner("pin", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--dry-run" in result.stdout
    assert "pinner pin --check" in result.stdout


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pinner("pin", "--frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr


def test_nothing_to_do_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 0
    assert "skipped scratch" not in result.stderr
    verbose = run_pinner("pin", "--verbose", cwd=tmp_path)
    assert verbose.returncode == 0
    assert "Dockerfile:1: skipped scratch: scratch is the empty image" in verbose.stderr


def test_invalid_reference_is_exit_two_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nFROM Python:3\n")
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 2
    assert "Dockerfile:2: invalid image reference 'Python:3'" in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == "FROM scratch\nFROM Python:3\n"
