"""Benchmark: the offline check, measured against Python's own start-up.

Run by hand: ``.venv/bin/python bench/check_many.py``. It writes 300 pinned
Dockerfiles and compose files into a temporary git repository and times,
best of 21 runs each, the commands taking turns, in one run of this script:

- ``python -c "import typer"`` with the same interpreter (the floor: Python
  and the CLI library pinner is built on),
- ``pinner --version``,
- ``pinner check`` over the 300 files, unchanged since the last run (its
  scan cache warm, as for a pre-commit hook run after run), and without the
  scan cache (``PINNER_NO_CACHE=1``: every file scanned).

Targets, as ratios (absolute times differ from machine to machine):
``pinner --version`` at most 1.3 x the floor, ``pinner check`` at most
1.5 x ``pinner --version``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERSION_RATIO = 1.3
CHECK_RATIO = 1.5
RUNS = 21
FILES = 300
DIGEST = "sha256:" + "ab" * 32

DOCKERFILE = """\
# syntax=docker/dockerfile:1@{digest}
ARG BASE=python:3.12-slim@{digest}
FROM --platform=$BUILDPLATFORM golang:1.22@{digest} AS build{n}
RUN --mount=type=cache,target=/root/.cache go build ./...
FROM ${{BASE}}
COPY --from=build{n} /out /out
COPY --from=ghcr.io/example/tool:1.{n}@{digest} /tool /tool
"""
COMPOSE = """\
services:
  web{n}:
    image: nginx:1.25@{digest}  # front
  db:
    image: "postgres:16@{digest}"
"""


def best_interleaved(
    commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, runs: int = RUNS
) -> dict[str, float]:
    """The best time of each command, the commands taking turns run after run:
    a moment when the machine is slower costs them all alike."""
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env) in commands.items():
            started = time.perf_counter()
            completed = subprocess.run(command, cwd=cwd, capture_output=True, env=env)
            timings[name].append(time.perf_counter() - started)
            if completed.returncode != 0:
                raise SystemExit(f"{command}: {completed.stderr.decode()}")
    return {name: min(times) for name, times in timings.items()}


def main() -> int:
    pinner = shutil.which("pinner") or str(Path(sys.executable).with_name("pinner"))
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as cache_folder:
        root = Path(folder)
        for number in range(FILES):
            service = root / f"service{number}"
            service.mkdir()
            if number % 3:
                (service / "Dockerfile").write_text(DOCKERFILE.format(digest=DIGEST, n=number))
            else:
                (service / "compose.yaml").write_text(COMPOSE.format(digest=DIGEST, n=number))
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "."], cwd=root, check=True)
        # As users run it: bytecode written (a shell that forbids it would
        # make every edited module compile on each run), and a scan cache of
        # the benchmark's own.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PINNER_CACHE_DIR"] = str(Path(cache_folder))
        # Warm: the files unchanged since the last run (a pre-commit hook's
        # usual case); cold: every file scanned, as on the first run.
        times = best_interleaved(
            {
                "floor": ([sys.executable, "-c", "import typer"], env),
                "version": ([pinner, "--version"], env),
                "check": ([pinner, "check"], env),
                "cold": ([pinner, "check"], {**env, "PINNER_NO_CACHE": "1"}),
            },
            root,
        )
        floor, version, check, cold = (times[k] for k in ("floor", "version", "check", "cold"))
    version_ok = version <= VERSION_RATIO * floor
    check_ok = check <= CHECK_RATIO * version
    print(f"| command | best of {RUNS} | ratio | target | |")
    print("| --- | --- | --- | --- | --- |")
    print(f'| python -c "import typer" | {floor * 1000:.0f} ms | 1.00 | | |')
    print(
        f"| pinner --version | {version * 1000:.0f} ms | {version / floor:.2f} x the floor"
        f" | <= {VERSION_RATIO} x | {'ok' if version_ok else 'NOT MET'} |"
    )
    print(
        f"| pinner check ({FILES} files, unchanged since the last run) | {check * 1000:.0f} ms"
        f" | {check / version:.2f} x --version | <= {CHECK_RATIO} x"
        f" | {'ok' if check_ok else 'NOT MET'} |"
    )
    print(
        f"| pinner check ({FILES} files, no scan cache) | {cold * 1000:.0f} ms"
        f" | {cold / version:.2f} x --version | | |"
    )
    return 0 if version_ok and check_ok else 1


if __name__ == "__main__":
    sys.exit(main())
