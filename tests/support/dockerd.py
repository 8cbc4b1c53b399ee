"""A real Docker Engine for the tests: its own data root, socket and no networking.

``dockerd --iptables=false --ip6tables=false --bridge=none
--storage-driver=vfs`` runs on these machines as root; no container runs.
It reaches the test registries on loopback, which the Engine treats as
insecure (plain HTTP) registries by default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOCKERD = "/usr/sbin/dockerd"


@dataclass(frozen=True)
class RunningDaemon:
    host: str  # a DOCKER_HOST value
    log: Path


@contextmanager
def running_dockerd(workdir: Path) -> Iterator[RunningDaemon]:
    assert Path(DOCKERD).exists(), "install the Debian package docker.io"
    workdir.mkdir(parents=True, exist_ok=True)
    # Unix socket paths are short (108 bytes): keep the runtime folder short too.
    runtime = Path(f"/tmp/pinner-dockerd-{os.getpid()}-{time.monotonic_ns() % 10**6}")
    runtime.mkdir()
    socket = runtime / "docker.sock"
    log = workdir / "dockerd.log"
    command = [
        DOCKERD,
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
        "--storage-driver=vfs",
        f"--data-root={workdir / 'data'}",
        f"--exec-root={runtime / 'exec'}",
        f"--pidfile={runtime / 'docker.pid'}",
        f"--host=unix://{socket}",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_for(socket, process, log)
        yield RunningDaemon(f"unix://{socket}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(runtime, ignore_errors=True)


def _wait_for(socket: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    import docker

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dockerd exited: {log.read_text()[-3000:]}")
        if socket.exists():
            try:
                client = docker.DockerClient(base_url=f"unix://{socket}", timeout=5)
                client.ping()
                client.close()
                return
            except Exception:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"dockerd did not start: {log.read_text()[-3000:]}")
