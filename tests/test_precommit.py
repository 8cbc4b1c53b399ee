"""The pre-commit hooks, run by the real pre-commit.

The hook environment is installed once into a pre-commit home the tests keep
(``pre-commit try-repo`` installs into a new temporary home on every call),
then real commits run the hooks; the offline check runs in a network
namespace with no network at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pinner.kinds import kind_of
from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry

pytestmark = pytest.mark.registry

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "pinner tests",
    "GIT_AUTHOR_EMAIL": "tests@pinner.invalid",
    "GIT_COMMITTER_NAME": "pinner tests",
    "GIT_COMMITTER_EMAIL": "tests@pinner.invalid",
}
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _run(
    command: list[str], cwd: Path, home: Path | None = None, *, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_IDENTITY}
    if home is not None:
        env["PRE_COMMIT_HOME"] = str(home)
    # pre-commit's git hook finds pre-commit on PATH: put this interpreter's first.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=900, env=env, check=check
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The project as it is in the work tree, committed: (path, commit)."""
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
    _run(["git", "init", "-q"], destination, check=True)
    _run(["git", "add", "-A"], destination, check=True)
    _run(["git", "commit", "-q", "-m", "pinner under test"], destination, check=True)
    commit = _run(["git", "rev-parse", "HEAD"], destination, check=True).stdout.strip()
    return destination, commit


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _work_repo(path: Path, hook_repo: tuple[Path, str], hook: str) -> None:
    repo, commit = hook_repo
    _run(["git", "init", "-q"], path, check=True)
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {commit}\n    hooks:\n      - id: {hook}\n"
    )


def test_pin_bases_fails_the_first_commit_and_the_second_passes(
    hook_repo: tuple[Path, str],
    precommit_home: Path,
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
) -> None:
    digest, _ = pusher.image("hooks/app", "1")
    _work_repo(tmp_path, hook_repo, "pin-bases")
    _run([*PRE_COMMIT, "install"], tmp_path, precommit_home, check=True)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/hooks/app:1\n")
    (tmp_path / "README").write_text("FROM not/a-dockerfile:1\n")
    _run(["git", "add", "-A"], tmp_path, check=True)

    first = _run(["git", "commit", "-m", "add a Dockerfile"], tmp_path, precommit_home)

    assert first.returncode != 0, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout + first.stderr
    assert dockerfile.read_text() == f"FROM {registry.host}/hooks/app:1@{digest}\n"
    assert (tmp_path / "README").read_text() == "FROM not/a-dockerfile:1\n"
    log = _run(["git", "log", "--oneline"], tmp_path)
    assert log.returncode != 0 or log.stdout == ""  # nothing was committed

    _run(["git", "add", "-A"], tmp_path, check=True)
    second = _run(["git", "commit", "-m", "add a Dockerfile"], tmp_path, precommit_home)
    assert second.returncode == 0, second.stdout + second.stderr
    shown = _run(["git", "show", "HEAD:Dockerfile"], tmp_path, check=True)
    assert shown.stdout == f"FROM {registry.host}/hooks/app:1@{digest}\n"


def test_pin_bases_check_fails_on_an_unpinned_file_without_network(
    hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path
) -> None:
    _work_repo(tmp_path, hook_repo, "pin-bases-check")
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16\n")
    _run(["git", "add", "-A"], tmp_path, check=True)
    _run([*PRE_COMMIT, "install-hooks"], tmp_path, precommit_home, check=True)

    # A network namespace of its own: not even loopback is up.
    offline = ["unshare", "--net", *PRE_COMMIT, "run", "pin-bases-check", "--all-files"]
    unpinned = _run(offline, tmp_path, precommit_home)

    assert unpinned.returncode == 1, unpinned.stdout + unpinned.stderr
    assert "compose.yaml:3: postgres:16 has no digest" in unpinned.stdout
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  db:\n    image: postgres:16@sha256:{'0' * 64}\n"
    )
    _run(["git", "add", "-A"], tmp_path, check=True)
    pinned = _run(offline, tmp_path, precommit_home)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr


def test_try_repo_runs_the_check_hook(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = hook_repo
    _run(["git", "init", "-q"], tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    _run(["git", "add", "-A"], tmp_path, check=True)
    result = _run([*PRE_COMMIT, "try-repo", str(repo), "pin-bases-check", "--all-files"], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dockerfile:1: python:3.12 has no digest" in result.stdout


def test_try_repo_pin_bases_modifies_then_passes(
    hook_repo: tuple[Path, str], registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    repo, _ = hook_repo
    digest, _ = pusher.image("hooks/try", "1")
    _run(["git", "init", "-q"], tmp_path, check=True)
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  app:\n    image: {registry.host}/hooks/try:1\n")
    _run(["git", "add", "-A"], tmp_path, check=True)
    try_repo = [*PRE_COMMIT, "try-repo", str(repo), "pin-bases", "--all-files"]

    first = _run(try_repo, tmp_path)

    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert compose.read_text() == (
        f"services:\n  app:\n    image: {registry.host}/hooks/try:1@{digest}\n"
    )
    _run(["git", "add", "-A"], tmp_path, check=True)
    second = _run(try_repo, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr


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
        "Dockerfile-dev",
        "Dockerfile_prod",
        "Containerfile-ci",
        "api.containerfile",
        "api.Containerfile",
        "web.compose.yaml",
        "web.compose.yml",
        "Dockerfile.bak",
        "Dockerfile.orig",
        "compose.yaml.rej",
        "Dockerfile~",
        "Dockerfile.swp",
        "DockerfileX",
        "dockerfile.txt",
        "compose.json",
        ".github/workflows/ci.yml",
        ".github/workflows/release.yaml",
        ".github/workflows/notes.md",
        ".github/ci.yml",
        "action.yml",
        "action.yaml",
        "my-action.yml",
        ".devcontainer/devcontainer.json",
        ".devcontainer/python/devcontainer.json",
        ".devcontainer/a/b/devcontainer.json",
        ".devcontainer.json",
        "devcontainer.json",
        "package.json",
        "web.container",
        "data.volume",
        "app.image",
        "app.image.bak",
        "web.service",
        ".circleci/config.yml",
        "bitbucket-pipelines.yml",
        ".woodpecker/build.yaml",
        "docker-bake.hcl",
        "docker-bake.override.json",
        "bake.hcl",
        "Kustomization",
        "kustomization.yaml",
        "values-prod.yaml",
    ],
)
def test_hook_file_patterns_match_discovery(name: str) -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    patterns = {hook["id"]: (hook["files"], hook["exclude"]) for hook in hooks}
    assert set(patterns) == {"pin-bases", "pin-bases-check"}
    for files, exclude in patterns.values():
        for path in (name, f"deploy/{name}"):
            matched = re.search(files, path) is not None and not re.search(exclude, path)
            assert matched is (kind_of(path) is not None), (files, path)


@pytest.mark.parametrize("hook", ["pin-bases", "pin-bases-check"])
def test_the_hooks_honour_the_configured_exclude(
    hook: str, hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path
) -> None:
    _work_repo(tmp_path, hook_repo, hook)
    (tmp_path / ".pinner.yaml").write_text("exclude: [legacy/**]\n")
    (tmp_path / "legacy").mkdir()
    legacy = tmp_path / "legacy" / "Dockerfile"
    legacy.write_text("FROM python:2.7\n")
    _run(["git", "add", "-A"], tmp_path, check=True)
    # No network: the hook must not even try to look python:2.7 up.
    run = ["unshare", "--net", *PRE_COMMIT, "run", hook, "--all-files"]

    result = _run(run, tmp_path, precommit_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert legacy.read_text() == "FROM python:2.7\n"


def test_a_gitlab_include_changed_alone_is_pinned_by_the_hook(
    hook_repo: tuple[Path, str],
    precommit_home: Path,
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
) -> None:
    """pre-commit names only the changed file: ci/test.yml, which the
    repository's .gitlab-ci.yml includes through a wildcard."""
    digest, _ = pusher.image("hooks/gitlab", "1")
    _work_repo(tmp_path, hook_repo, "pin-bases")
    (tmp_path / ".gitlab-ci.yml").write_text(
        f"include: 'ci/*.yml'\nlint:\n  image: {registry.host}/hooks/gitlab:1@{digest}\n"
    )
    (tmp_path / "ci").mkdir()
    _run(["git", "add", "-A"], tmp_path, check=True)
    _run(["git", "commit", "-q", "--no-verify", "-m", "pipeline"], tmp_path, check=True)
    included = tmp_path / "ci" / "test.yml"
    included.write_text(f"test:\n  image: {registry.host}/hooks/gitlab:1\n  script: [pytest]\n")
    _run(["git", "add", "-A"], tmp_path, check=True)

    result = _run([*PRE_COMMIT, "run", "pin-bases"], tmp_path, precommit_home)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    assert included.read_text() == (
        f"test:\n  image: {registry.host}/hooks/gitlab:1@{digest}\n  script: [pytest]\n"
    )
