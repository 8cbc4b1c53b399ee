"""Benchmark: `pinner check` over 300 pinned files (target: under 0.15 s).

Run by hand: ``.venv/bin/python bench/check_many.py``. It writes 300 pinned
Dockerfiles and compose files into a temporary folder and times the whole
command, start-up included, best of seven runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.15
FILES = 300
DIGEST = "sha256:" + "ab" * 32

DOCKERFILE = """\
# syntax=docker/dockerfile:1
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


def main() -> int:
    pinner = shutil.which("pinner") or str(Path(sys.executable).with_name("pinner"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for number in range(FILES):
            service = root / f"service{number}"
            service.mkdir()
            if number % 3:
                (service / "Dockerfile").write_text(DOCKERFILE.format(digest=DIGEST, n=number))
            else:
                (service / "compose.yaml").write_text(COMPOSE.format(digest=DIGEST, n=number))
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            completed = subprocess.run([pinner, "check"], cwd=root, capture_output=True)
            timings.append(time.perf_counter() - started)
            if completed.returncode != 0:
                print(completed.stderr.decode(), file=sys.stderr)
                return 2
    best = min(timings)
    verdict = "ok" if best < TARGET_SECONDS else "TOO SLOW"
    print("| command | files | best of 7 | median | target | |")
    print("| --- | --- | --- | --- | --- | --- |")
    median = sorted(timings)[len(timings) // 2]
    print(
        f"| pinner check | {FILES} | {best:.3f} s | {median:.3f} s"
        f" | < {TARGET_SECONDS:.2f} s | {verdict} |"
    )
    return 0 if best < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
