"""The pre-commit hooks, run by the real pre-commit (``pre-commit try-repo``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pinner.discover import kind_by_name
from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry

pytestmark = pytest.mark.registry

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "pinner tests",
    "GIT_AUTHOR_EMAIL": "tests@pinner.invalid",
    "GIT_COMMITTER_NAME": "pinner tests",
    "GIT_COMMITTER_EMAIL": "tests@pinner.invalid",
}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=_env())


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **GIT_IDENTITY, **extra}


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as it is in the work tree, committed, so pre-commit installs the code
    under test (try-repo would make a new copy, and a new environment, on every call)."""
    destination = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    _git("init", "-q", cwd=destination)
    _git("add", "-A", cwd=destination)
    _git("commit", "-q", "-m", "pinner under test", cwd=destination)
    return destination


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(
    hook_repo: Path, home: Path, hook: str, work: Path, *, offline: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--all-files"]
    if offline:
        # A network namespace of its own: not even loopback is up.
        command = ["unshare", "--net", *command]
    return subprocess.run(
        command,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(PRE_COMMIT_HOME=str(home)),
    )


def test_pin_bases_fails_the_first_commit_and_the_second_passes(
    hook_repo: Path,
    precommit_home: Path,
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
) -> None:
    digest, _ = pusher.image("hooks/app", "1")
    _git("init", "-q", cwd=tmp_path)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/hooks/app:1\n")
    (tmp_path / "README").write_text("FROM not/a-dockerfile:1\n")
    _git("add", "-A", cwd=tmp_path)

    first = _try_repo(hook_repo, precommit_home, "pin-bases", tmp_path)

    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert dockerfile.read_text() == f"FROM {registry.host}/hooks/app:1@{digest}\n"
    assert (tmp_path / "README").read_text() == "FROM not/a-dockerfile:1\n"

    _git("add", "-A", cwd=tmp_path)
    second = _try_repo(hook_repo, precommit_home, "pin-bases", tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr


def test_pin_bases_check_fails_on_an_unpinned_file_without_network(
    hook_repo: Path, precommit_home: Path, tmp_path: Path
) -> None:
    # The hook environment is installed online first (pin-bases and
    # pin-bases-check share it); then the check runs with no network at all.
    _git("init", "-q", cwd=tmp_path)
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16\n")
    _git("add", "-A", cwd=tmp_path)
    online = _try_repo(hook_repo, precommit_home, "pin-bases-check", tmp_path)
    assert online.returncode == 1, online.stdout + online.stderr

    offline = _try_repo(hook_repo, precommit_home, "pin-bases-check", tmp_path, offline=True)

    assert offline.returncode == 1, offline.stdout + offline.stderr
    assert "compose.yaml:3: postgres:16 has no digest" in offline.stdout
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  db:\n    image: postgres:16@sha256:{'0' * 64}\n"
    )
    _git("add", "-A", cwd=tmp_path)
    pinned = _try_repo(hook_repo, precommit_home, "pin-bases-check", tmp_path, offline=True)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "Containerfile",
        "Dockerfile.prod",
        "Containerfile.dev",
        "api.Dockerfile",
        "worker.dockerfile",
        "compose.yml",
        "compose.yaml",
        "compose.prod.yaml",
        "docker-compose.yml",
        "docker-compose.override.yaml",
        "composer.yml",
        "README",
        "Dockerfile-old",
        "dockerfile",
        "mycompose.yaml",
    ],
)
def test_hook_file_patterns_match_discovery(name: str) -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    patterns = {hook["id"]: hook["files"] for hook in hooks}
    assert set(patterns) == {"pin-bases", "pin-bases-check"}
    for pattern in patterns.values():
        for path in (name, f"deploy/{name}"):
            matched = re.search(pattern, path) is not None
            assert matched is (kind_by_name(name) is not None), (pattern, path)
