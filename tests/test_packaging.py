"""The distribution is this project, under a name that is ours, and every
install instruction installs it and nothing else."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT


def test_the_wheel_is_pin_bases_with_the_pinner_command(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "pinner", source / "pinner", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    assert wheel.name.startswith("pin_bases-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "Name: pin-bases\n" in archive.read(metadata).decode()
        assert "pinner = pinner.cli:main" in archive.read(entry_points).decode()
    assert "pinner/cli.py" in names and not any(n.startswith("tests/") for n in names)


def _install_lines(text: str) -> list[str]:
    return re.findall(r"(?:pip|pipx) install[^\n]*", text)


def test_every_install_instruction_installs_this_project() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    workflow_text = (REPO_ROOT / "examples" / "refresh-digests.yml").read_text()
    gitlab_text = (REPO_ROOT / "examples" / "gitlab-refresh.yml").read_text()
    lines = _install_lines(readme) + _install_lines(gitlab_text)
    assert lines
    for line in lines:
        assert not re.search(r"install\s+['\"]?pinner\b", line), line
        local = line.endswith(("pip install .", "pip install -e ."))
        assert local or "pin-bases @ git+" in line or line.endswith('--quiet "$PINNER"'), line
    # The GitHub workflow installs nothing itself: the action installs its own checkout.
    assert _install_lines(workflow_text) == []
    gitlab = yaml.safe_load(gitlab_text)
    pinned = gitlab["refresh-digests"]["variables"]["PINNER"]
    assert re.fullmatch(r"pin-bases @ git\+https://\S+@[0-9a-f]{40}", pinned)
    assert "pin-bases @ git+<this repository's URL>@<tag or full commit SHA>" in readme
