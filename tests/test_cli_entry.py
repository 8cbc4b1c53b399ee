"""The entry point reads the pre-commit hooks' usual command lines without
Typer (pinner/cli.py): each such line must make the very call Typer makes,
and every other line must go to Typer."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from pinner import cli, commands, typer_app
from tests.conftest import run_pinner, run_python

PLAIN_LINES = [
    ["pin"],
    ["pin", "Dockerfile"],
    ["pin", "--force-exclude", "Dockerfile", "compose.yaml"],  # the pin-bases hook
    ["check", "--quiet", "--force-exclude", "a/Dockerfile"],  # the pin-bases-check hook
    ["check"],
    ["check", "--stale", "-v", "."],
    ["check", "-q", "--strict", "--", "-odd-name"],
    ["update", "--dry-run", "x.yaml"],
    ["update", "--check", "--dry-run", "-q"],
    ["pin", "Dockerfile", "--check", "--verbose"],  # flags after paths, as click takes them
    ["pin", "-", "--strict"],  # "-" is a path to both
    ["pin", "--quiet", "--quiet", "--force-exclude"],
    ["update", "--", "--check"],  # after "--", a path
]

TYPER_LINES = [
    [],
    ["--version"],
    ["--help"],
    ["pin", "--help"],
    ["pin", "-h"],
    ["pin", "--jobs", "4", "Dockerfile"],
    ["pin", "-j4"],
    ["pin", "--format", "json"],
    ["pin", "--format=json"],
    ["pin", "-qv"],
    ["pin", "-q", "-v"],
    ["pin", "--stale"],  # check's flag, not pin's
    ["check", "--check"],  # pin's flag, not check's
    ["check", "--dry-run"],
    ["update", "--bump", "minor"],
    ["pin", "--also", "json:out.json"],
    ["pin", "--resolver", "docker"],
    ["pin", "--config", ".pinner.yaml"],
    ["pin", "--quie"],  # a typo: Typer says so
    ["report"],
    ["resolve", "python:3.12"],
    ["Pin"],
]


_SIGNATURE = inspect.signature(commands.run_files)


def _recorded_call(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> dict[str, object]:
    """The arguments run_files is called with, every default filled in."""
    calls: list[dict[str, object]] = []

    def record(*arguments: object, **options: object) -> None:
        bound = _SIGNATURE.bind(*arguments, **options)
        bound.apply_defaults()
        calls.append(dict(bound.arguments))
        raise SystemExit(0)

    monkeypatch.setattr(commands, "run_files", record)
    monkeypatch.setattr(commands, "start_listing", lambda paths: None)
    with pytest.raises(SystemExit):
        run()
    assert len(calls) == 1
    return calls[0]


@pytest.mark.parametrize("line", PLAIN_LINES, ids=" ".join)
def test_a_plain_line_makes_the_call_typer_makes(
    line: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = cli.plain_command(line)
    assert plain is not None
    read_here = _recorded_call(monkeypatch, lambda: cli.run_plain(plain))
    by_typer = _recorded_call(
        monkeypatch, lambda: typer_app.app(args=line, prog_name="pinner", standalone_mode=False)
    )
    assert read_here == by_typer


@pytest.mark.parametrize("line", TYPER_LINES, ids=" ".join)
def test_every_other_line_goes_to_typer(line: list[str]) -> None:
    assert cli.plain_command(line) is None


def test_the_hooks_lines_load_no_typer(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12@sha256:" + "a" * 64 + "\n")
    probe = (
        "import sys\n"
        "from pinner.cli import main\n"
        "code = main(['check', '--quiet', '--force-exclude', 'Dockerfile'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click')))\n"
    )
    completed = run_python(probe, cwd=tmp_path)
    assert completed.stdout.strip().splitlines()[-1] == "0 []"


def test_usage_errors_are_still_said_by_typer(tmp_path: Path) -> None:
    both = run_pinner("pin", "-q", "-v", "Dockerfile", cwd=tmp_path)
    typo = run_pinner("check", "--quie", cwd=tmp_path)
    assert both.returncode == typo.returncode == 2
    assert "--quiet and --verbose cannot go together" in both.stderr
    assert "No such option: --quie" in typo.stderr
    assert "Usage: pinner" in both.stderr and "Usage: pinner" in typo.stderr


def test_ctrl_c_before_the_run_takes_it_over_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(paths: list[str] | None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "start_listing", interrupted)
    assert cli.main(["check", "Dockerfile"]) == 130
    assert capsys.readouterr().err == "pinner: interrupted\n"
