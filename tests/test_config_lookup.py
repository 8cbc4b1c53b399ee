"""Which configuration governs which path, and how paths and images are
matched against it, as a user meets it on the command line."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

from pinner.cli import main
from tests.conftest import run_pinner
from tests.support.users import as_root, call_as_nobody


def _repository(root: Path) -> Path:
    """A git repository whose .pinner.yaml excludes legacy/, with one unpinned
    image in legacy/ and one in app/."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".pinner.yaml").write_text("exclude: legacy/**\n")
    for folder in ("legacy", "app", "sub"):
        (root / folder).mkdir()
    (root / "legacy" / "Dockerfile").write_text("FROM legacy:1\n")
    (root / "app" / "Dockerfile").write_text("FROM app:1\n")
    return root


def test_a_path_given_with_dots_is_matched_against_exclude(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    result = run_pinner("check", "..", cwd=root / "sub")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/Dockerfile:1: app:1 has no digest" in result.stdout
    assert "legacy" not in result.stdout


def test_a_repository_named_from_elsewhere_uses_its_own_configuration(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".pinner.yaml").write_text("ignore: [app]\n")  # must not apply to repo/
    result = run_pinner("check", str(root), cwd=elsewhere)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{root}/app/Dockerfile:1: app:1 has no digest" in result.stdout
    assert "legacy" not in result.stdout


def test_each_path_uses_the_configuration_of_its_repository(tmp_path: Path) -> None:
    first = _repository(tmp_path / "first")
    second = tmp_path / "second"
    second.mkdir()
    (second / ".pinner.yaml").write_text("ignore: [other]\n")
    (second / "Dockerfile").write_text("FROM other:1\nFROM legacy:1\n")
    result = run_pinner("check", "--format", "json", str(first), str(second), cwd=tmp_path)
    import json

    sites = {(s["file"], s["line"]): s["status"] for s in json.loads(result.stdout)["sites"]}
    assert sites == {
        (f"{first}/app/Dockerfile", 1): "unpinned",
        (f"{second}/Dockerfile", 1): "skipped",  # ignored by second's configuration
        (f"{second}/Dockerfile", 2): "unpinned",  # first's exclude is not second's
    }


def test_config_option_governs_every_path(tmp_path: Path) -> None:
    _repository(tmp_path / "repo")
    # Patterns are relative to the folder of the file that holds them.
    (tmp_path / "all.yaml").write_text("exclude: [repo/app/**]\n")
    result = run_pinner("check", "--config", str(tmp_path / "all.yaml"), "repo", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "repo/legacy/Dockerfile:1: legacy:1 has no digest"
    assert "app" not in result.stdout


def test_an_ignore_pattern_matches_every_spelling_of_the_image(tmp_path: Path) -> None:
    # Were the reference not ignored, pin would ask Docker Hub, which no test
    # reaches, and exit 2.
    (tmp_path / ".pinner.yaml").write_text("ignore: [tester/app]\nretries: 0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM docker.io/tester/app:1\nFROM index.docker.io/tester/app:2\nFROM tester/app\n"
    )
    result = run_pinner("pin", "--verbose", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("matches 'tester/app' under ignore") == 3


@as_root
def test_a_file_in_a_folder_that_may_not_be_searched_is_one_line_and_exit_2(
    shared_tmp: Path,
) -> None:
    locked = shared_tmp / "locked"
    locked.mkdir()
    (locked / "Dockerfile").write_text("FROM python:3.12\n")
    locked.chmod(0o700)  # root's: nobody may not look inside

    def check_as_nobody() -> str:
        os.chdir(shared_tmp)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", "locked/Dockerfile"])
        return f"{code}\n{err.getvalue()}"

    code, *errors = call_as_nobody(check_as_nobody).splitlines()
    assert code == "2"
    assert errors == ["locked/Dockerfile: cannot read: Permission denied"]
