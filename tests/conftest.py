from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import (
    REGISTRY_BINARY,
    Pusher,
    RunningRegistry,
    running_registry,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def scan_cache_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run of pinner in the tests keeps its scan cache in a folder of the
    test session's own, never in the user's; the runs share it, as a user's
    runs do."""
    before = os.environ.get("PINNER_CACHE_DIR")
    os.environ["PINNER_CACHE_DIR"] = str(tmp_path_factory.mktemp("scan-cache"))
    yield
    if before is None:
        del os.environ["PINNER_CACHE_DIR"]
    else:
        os.environ["PINNER_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A real docker-registry on a free loopback port, plain HTTP, deletes enabled."""
    assert Path(REGISTRY_BINARY).exists(), "install the Debian package docker-registry"
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder that other users can reach (pytest's own is root's alone)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="pinner-shared-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pusher(registry: RunningRegistry) -> Pusher:
    return Pusher(registry.url)


def run_pinner(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "pinner", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
    )


def run_python(
    code: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports this checkout's pinner,
    with a bare environment (``env`` added): to see what a run loads."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", **(env or {})},
    )


def start_pinner(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start the real command line in the background, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "pinner", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
