"""The README's demo: pin a sample Dockerfile against a local registry.

Starts docker-registry on a free loopback port, pushes a single-platform and
a multi-platform image to it, writes a Dockerfile that names them, runs
``pinner pin --dry-run`` (the diff), then ``pinner pin`` and shows the file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.registry import Pusher, running_registry


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pinner-demo-") as scratch:
        workdir = Path(scratch)
        with running_registry(workdir / "registry") as registry:
            pusher = Pusher(registry.url)
            pusher.index("library/python", "3.12-slim", media="oci", content="demo")
            pusher.image("tools/golang", "1.22", content="demo")
            pusher.image("library/alpine", "latest", content="demo")
            pusher.index("docker/dockerfile", "1", content="demo")
            project = workdir / "project"
            project.mkdir()
            dockerfile = project / "Dockerfile"
            dockerfile.write_text(
                f"# syntax={registry.host}/docker/dockerfile:1\n"
                f"FROM --platform=$BUILDPLATFORM {registry.host}/tools/golang:1.22 AS build\n"
                "RUN go build -o /app .\n\n"
                f"FROM {registry.host}/library/python:3.12-slim\n"
                "COPY --from=build /app /app\n\n"
                f"FROM {registry.host}/library/alpine AS debug\n"
            )
            pinner = [sys.executable, "-m", "pinner"]
            print(f"$ pinner pin --dry-run Dockerfile   (registry on {registry.host})", flush=True)
            dry = subprocess.run(
                [*pinner, "pin", "--dry-run", "Dockerfile"], cwd=project, stderr=subprocess.STDOUT
            )
            print("\n$ pinner pin Dockerfile", flush=True)
            real = subprocess.run(
                [*pinner, "pin", "Dockerfile"], cwd=project, stderr=subprocess.STDOUT
            )
            print("\n$ cat Dockerfile", flush=True)
            print(dockerfile.read_text(), end="", flush=True)
            print("\n$ pinner pin --check Dockerfile   (nothing left to do: exit 0)", flush=True)
            again = subprocess.run(
                [*pinner, "pin", "--check", "Dockerfile"], cwd=project, stderr=subprocess.STDOUT
            )
            return max(dry.returncode, real.returncode, again.returncode)


if __name__ == "__main__":
    raise SystemExit(main())
