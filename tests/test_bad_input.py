"""Bad input: one clear line per file, exit 2, nothing damaged, the rest pinned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry

pytestmark = pytest.mark.registry


def _alias_bomb(image: str) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines += ["services:", "  web:", f"    image: {image}", "    labels: *a9"]
    return "\n".join(lines) + "\n"


def _pin_without_dac_override(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run ``pinner pin .``; as root, without the capabilities that let root read
    any file whatever its mode, so that a mode-000 file is really unreadable."""
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pinner", "pin", "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_bad_files_are_reported_and_left_alone(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    digest, _ = pusher.image("bad-input/app", "1")
    image = f"{registry.host}/bad-input/app:1"
    tree = tmp_path / "tree"
    tree.mkdir()
    files: dict[str, bytes] = {
        "good/Dockerfile": f"FROM {image}\n".encode(),
        "bomb/compose.yaml": _alias_bomb(image).encode(),
        "broken/compose.yaml": b"services:\n  web:\n    image: [unclosed\n  db: x\n",
        "latin1/Dockerfile": f"# caf\xe9\nFROM {image}\n".encode("latin-1"),
        "binary/Dockerfile": bytes(range(256)) * 4,
        "huge/Dockerfile": (b"RUN echo " + b"x" * 90 + b"\n") * 52_000 + f"FROM {image}\n".encode(),
    }
    for name, data in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    (tree / "loop").mkdir()
    (tree / "loop" / "Dockerfile").symlink_to(tree / "loop" / "Dockerfile")
    (tree / "loop" / "back").symlink_to(tree)
    (tree / "dangling").mkdir()
    (tree / "dangling" / "Dockerfile").symlink_to(tree / "nowhere")
    os.mkfifo(tree / "fifo.Dockerfile")
    (tree / "locked").mkdir()
    (tree / "locked" / "Dockerfile").write_text(f"FROM {image}\n")
    (tree / "locked" / "Dockerfile").chmod(0)

    result = _pin_without_dac_override(tree)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "pinned" not in line]
    expected_starts = {
        "broken/compose.yaml:4: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence from line 3)",
        "latin1/Dockerfile:1: not UTF-8 text (byte 0xe9)",
        "binary/Dockerfile: binary file",
        "loop/Dockerfile: cannot read",
        "dangling/Dockerfile: cannot read",
        "fifo.Dockerfile: not a regular file",
        "locked/Dockerfile: cannot read: Permission denied",
    }
    for start in expected_starts:
        assert sum(line.startswith(start) for line in errors) == 1, (start, result.stderr)
    (tree / "locked" / "Dockerfile").chmod(0o600)
    assert (tree / "locked" / "Dockerfile").read_text() == f"FROM {image}\n"
    for name in ("broken/compose.yaml", "latin1/Dockerfile", "binary/Dockerfile"):
        assert (tree / name).read_bytes() == files[name], name
    assert (tree / "good/Dockerfile").read_text() == f"FROM {image}@{digest}\n"
    assert f"    image: {image}@{digest}\n" in (tree / "bomb/compose.yaml").read_text()
    huge = (tree / "huge/Dockerfile").read_bytes()
    assert huge == files["huge/Dockerfile"][:-1] + f"@{digest}\n".encode()
