from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pinner import kinds
from pinner.discover import _started, discover, start_listing
from pinner.kinds import FileKind


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM scratch\n")


def _found(root: Path, *paths: str) -> dict[str, FileKind | None]:
    candidates, problems = discover([str(root / p) for p in paths] if paths else [str(root)])
    assert problems == []
    return {os.path.relpath(candidate.path, root): candidate.kind for candidate in candidates}


def test_walk_picks_dockerfiles_and_compose_files_by_name(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "Dockerfile",
        "Containerfile",
        "svc/Dockerfile.prod",
        "svc/Containerfile.dev",
        "svc/api.Dockerfile",
        "svc/worker.dockerfile",
        "compose.yml",
        "compose.yaml",
        "deploy/compose.prod.yaml",
        "deploy/docker-compose.yml",
        "deploy/docker-compose.override.yaml",
        "notes.txt",
        "Dockerfile-old/README",
        "node_modules/pkg/Dockerfile",
        "vendor/x/Dockerfile",
        ".git/Dockerfile",
        "env/Dockerfile",
    )
    (tmp_path / "env" / "pyvenv.cfg").write_text("")
    assert _found(tmp_path) == {
        "Containerfile": kinds.DOCKERFILE,
        "Dockerfile": kinds.DOCKERFILE,
        "compose.yaml": kinds.COMPOSE,
        "compose.yml": kinds.COMPOSE,
        "deploy/compose.prod.yaml": kinds.COMPOSE,
        "deploy/docker-compose.override.yaml": kinds.COMPOSE,
        "deploy/docker-compose.yml": kinds.COMPOSE,
        "svc/Containerfile.dev": kinds.DOCKERFILE,
        "svc/Dockerfile.prod": kinds.DOCKERFILE,
        "svc/api.Dockerfile": kinds.DOCKERFILE,
        "svc/worker.dockerfile": kinds.DOCKERFILE,
    }


def test_git_work_tree_takes_tracked_and_untracked_but_not_ignored(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _touch(tmp_path, "Dockerfile", "app/compose.yaml", "build/Dockerfile", "vendor/Dockerfile")
    (tmp_path / ".gitignore").write_text("build/\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "Dockerfile"], check=True)
    (tmp_path / "gone").mkdir()
    _touch(tmp_path, "gone/Dockerfile")
    subprocess.run(["git", "-C", str(tmp_path), "add", "gone/Dockerfile"], check=True)
    (tmp_path / "gone" / "Dockerfile").unlink()
    assert _found(tmp_path) == {
        "Dockerfile": kinds.DOCKERFILE,
        "app/compose.yaml": kinds.COMPOSE,
        # Tracked or not, a vendored file git would track is the user's to pin.
        "vendor/Dockerfile": kinds.DOCKERFILE,
    }


def test_a_listing_started_early_is_what_discovery_finds(tmp_path: Path) -> None:
    """git started while modules load (twice for a folder named twice) gives
    the very files a listing started by discovery gives, and is used once."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _touch(tmp_path, "Dockerfile", "app/compose.yaml", "build/Dockerfile")
    (tmp_path / ".gitignore").write_text("build/\n")
    expected = _found(tmp_path)

    start_listing([str(tmp_path), str(tmp_path)])
    (tmp_path / "late.Dockerfile").write_text("FROM scratch\n")  # after git has listed, maybe

    found = _found(tmp_path)
    assert set(expected) <= set(found) <= {*expected, "late.Dockerfile"}
    assert _started == {}


def test_files_named_are_taken_whatever_their_name(tmp_path: Path) -> None:
    _touch(tmp_path, "build.txt", "stack-compose.yml", "weird")
    assert _found(tmp_path, "build.txt", "stack-compose.yml", "weird") == {
        "build.txt": None,
        "stack-compose.yml": kinds.COMPOSE,
        "weird": None,
    }


def test_the_same_file_twice_is_taken_once(tmp_path: Path) -> None:
    _touch(tmp_path, "Dockerfile")
    (tmp_path / "link.Dockerfile").symlink_to(tmp_path / "Dockerfile")
    candidates, _ = discover([str(tmp_path / "Dockerfile"), str(tmp_path)])
    assert len(candidates) == 1


def test_a_file_with_two_hard_links_is_taken_once(tmp_path: Path) -> None:
    """Read and written once: two edits of one file would race each other."""
    _touch(tmp_path, "Dockerfile")
    (tmp_path / "copy.Dockerfile").hardlink_to(tmp_path / "Dockerfile")
    candidates, _ = discover([str(tmp_path)])
    assert [c.shown_as for c in candidates] == [str(tmp_path / "Dockerfile")]


def test_a_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "up").symlink_to(tmp_path)
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "Dockerfile")
    candidates, problems = discover([str(tmp_path)])
    assert [c.path.name for c in candidates] == ["Dockerfile"]
    assert problems == []


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    _, problems = discover([str(tmp_path / "nope")])
    assert [str(p) for p in problems] == [f"{tmp_path / 'nope'}: no such file or folder"]


@pytest.mark.parametrize("name", ["Dockerfile", "compose.yaml"])
def test_discovery_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _touch(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    candidates, _ = discover([])
    assert [c.shown_as for c in candidates] == [name]


def test_names_are_matched_as_each_glob_would_match_them() -> None:
    """The table's rows are matched as one expression: the same answers as the
    globs the README names, one by one."""
    import fnmatch

    compose_globs = (
        *("compose.yml", "compose.yaml", "compose.*.yml", "compose.*.yaml"),
        *("*.compose.yml", "*.compose.yaml", "docker-compose*.yml", "docker-compose*.yaml"),
    )
    dockerfile_globs = (
        *("Dockerfile", "dockerfile", "Containerfile", "Dockerfile[-._]*", "Containerfile[-._]*"),
        *("*.Dockerfile", "*.dockerfile", "*.Containerfile", "*.containerfile"),
    )
    names = [
        *(
            "Dockerfile",
            "dockerfile",
            "DOCKERFILE",
            "Dockerfile.dev",
            "Dockerfile-x",
            "Dockerfilex",
        ),
        *("Dockerfile_", "a.Dockerfile", ".Dockerfile", "x.dockerfile", "Containerfile.arm"),
        *("compose.yml", "compose.yaml", "compose.prod.yml", "compose..yaml", "x.compose.yml"),
        *("docker-compose.yml", "docker-compose.override.yaml", "docker-compose", "compose.json"),
        *("Dockerfile\nx", "compose.yaml\n", "notes.txt", "[Dockerfile]", "Dockerfile.bak"),
        *("other.yml", "deploy.yaml", "compose.yml~"),
    ]
    for name in names:
        if name.endswith((".bak", ".orig", ".rej", ".swp", "~")):
            expected = None
        elif any(fnmatch.fnmatchcase(name, pattern) for pattern in compose_globs):
            expected = kinds.COMPOSE
        elif any(fnmatch.fnmatchcase(name, pattern) for pattern in dockerfile_globs):
            expected = kinds.DOCKERFILE
        elif name.endswith((".yml", ".yaml")):
            expected = kinds.KUBERNETES
        else:
            expected = None
        for path in (name, f"deep/er/{name}"):
            assert kinds.kind_of(path) is expected, path
