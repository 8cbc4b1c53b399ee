"""Benchmark: pinning a repository against registries 25 ms away, pinner vs pindock.

Run by hand, from the repository root, as root (it starts dockerd):

    .venv/bin/python bench/registry_bench.py

It starts three real registries (docker-registry) on loopback, each behind a
proxy that adds 25 ms to every request and every answer, pushes 120 images
(single-platform and multi-platform, Docker and OCI media types), writes a
repository of 300 Dockerfiles and compose files that name them, and pins a
fresh copy of it with each tool:

- ``pinner pin`` (registry resolver),
- ``pinner pin --resolver docker`` (through a Docker Engine the script starts),
- ``pindock run`` (installed from PyPI into this benchmark's own virtual
  environment, ``bench/.venv-pindock``, never into the project's).

It prints wall time (best of three runs, each on a fresh copy), manifest and
token requests per unique reference (counted by the proxies and the token
service), and whether every reference got the digest skopeo reports.
Targets: the registry resolver takes at most half of pindock's wall time, and
makes exactly one manifest request per unique reference.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.support.dockerd import running_dockerd  # noqa: E402
from tests.support.fault_proxy import FaultProxy, fault_proxy  # noqa: E402
from tests.support.registry import Pusher, running_registry, skopeo_digest  # noqa: E402
from tests.support.token_issuer import (  # noqa: E402
    LoopbackPKI,
    TokenIssuer,
    token_auth_config,
    token_issuer,
)

HOSTS = 3
IMAGES = 120
FILES = 300
DELAY = 0.025
PINDOCK_VENV = REPO_ROOT / "bench" / ".venv-pindock"


@dataclass
class Run:
    tool: str
    seconds: float
    manifest_requests: int
    token_requests: int
    correct: int
    total: int
    returncode: int


def pindock() -> Path:
    binary = PINDOCK_VENV / "bin" / "pindock"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PINDOCK_VENV)], check=True)
        pip = [str(PINDOCK_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "pindock"], check=True)
    return binary


def push_images(storage: Path, host: int) -> list[tuple[str, str]]:
    """Push this host's share of the images through an open registry on ``storage``;
    return (repository, tag) pairs. The benchmark then serves the storage with
    token authentication."""
    pushed = []
    with running_registry(storage.parent / f"open-{host}", storage=storage) as registry:
        pusher = Pusher(registry.url)
        for number in range(host, IMAGES, HOSTS):
            repository, tag = f"bench/app{number}", f"1.{number}"
            if number % 4 == 0:
                pusher.index(repository, tag, media="oci")
            elif number % 4 == 1:
                pusher.index(repository, tag, media="docker")
            else:
                pusher.image(repository, tag, media="oci" if number % 2 else "docker")
            pushed.append((repository, tag))
    return pushed


def write_repository(root: Path, references: list[str]) -> None:
    chooser = random.Random(7)
    order = references * 5  # every image is named five times
    chooser.shuffle(order)
    picks = iter(order)
    for number in range(FILES):
        folder = root / f"service{number:03d}"
        folder.mkdir(parents=True)
        if number % 3 == 2:
            first, second = next(picks), next(picks)
            (folder / "compose.yaml").write_text(
                f"services:\n  app:\n    image: {first}  # the app\n"
                f"  sidecar:\n    image: '{second}'\n"
            )
        else:
            base, tool = next(picks), next(picks)
            (folder / "Dockerfile").write_text(
                f"FROM {base} AS build\nCOPY --from={tool} /bin/tool /bin/tool\n"
                "RUN make\nFROM build\n"
            )


def expected_digests(references: list[str]) -> dict[str, str]:
    return {reference: skopeo_digest(reference) for reference in references}


def score(root: Path, digests: dict[str, str]) -> tuple[int, int]:
    correct = total = 0
    for path in root.rglob("*"):
        if path.is_file():
            for reference, digest in re.findall(
                r"(127\.0\.0\.1:\d+/\S+?)@(sha256:[0-9a-f]{64})", path.read_text()
            ):
                total += 1
                correct += digests.get(reference) == digest
    return correct, total


def timed(
    tool: str,
    command: list[str],
    source: Path,
    proxies: list[FaultProxy],
    issuer: TokenIssuer,
    digests: dict[str, str],
    env: dict[str, str],
) -> Run:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{tool.split()[0]}-"))
    shutil.copytree(source, work, dirs_exist_ok=True)
    for proxy in proxies:
        proxy.counts.clear()
    issuer.requests.clear()
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=work, capture_output=True, text=True, env={**os.environ, **env}
    )
    seconds = time.perf_counter() - started
    manifests = sum(p.counts["HEAD manifest"] + p.counts["GET manifest"] for p in proxies)
    tokens = len(issuer.requests)
    correct, total = score(work, digests)
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr)[-2000:]
        print(f"{tool} exited {completed.returncode}: {output}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return Run(tool, seconds, manifests, tokens, correct, total, completed.returncode)


def scenario(auth: bool, pindock_binary: Path | None) -> tuple[int, list[Run]]:
    """Set the registries up (with token authentication or open) and run each tool."""
    pinner = str(Path(sys.executable).with_name("pinner"))
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pinner-bench-")))
        pki = LoopbackPKI(scratch / "pki")
        # A plain-HTTP token service: the registries are loopback HTTP, for which
        # pinner and the Docker Engine accept one.
        issuer = stack.enter_context(token_issuer(pki, tls=False))
        proxies = []
        references = []
        for number in range(HOSTS):
            storage = scratch / f"storage{number}"
            pushed = push_images(storage, number)
            registry = stack.enter_context(
                running_registry(
                    scratch / f"registry{number}",
                    storage=storage,
                    auth=token_auth_config(issuer, pki) if auth else "",
                )
            )
            proxy = stack.enter_context(fault_proxy(registry.host, delay=DELAY))
            proxies.append(proxy)
            references += [f"{proxy.host}/{repository}:{tag}" for repository, tag in pushed]
        daemon = stack.enter_context(running_dockerd(scratch / "dockerd"))
        source = scratch / "repository"
        write_repository(source, references)
        digests = expected_digests(references)
        env = {"DOCKER_HOST": daemon.host, "DOCKER_CONFIG": str(scratch / "no-docker-config")}
        commands = {
            "pinner (registry)": [pinner, "pin", "-q"],
            "pinner (docker)": [pinner, "pin", "-q", "--resolver", "docker"],
        }
        if pindock_binary is not None:
            commands["pindock"] = [str(pindock_binary), "run", "-C", "."]
        # Best of three, each on a fresh copy: the first run of anything on a
        # just-started machine pays for cold caches.
        runs = [
            min(
                (timed(tool, command, source, proxies, issuer, digests, env) for _ in range(3)),
                key=lambda run: run.seconds,
            )
            for tool, command in commands.items()
        ]
    return len(set(references)), runs


def table(title: str, unique: int, runs: list[Run]) -> None:
    print(f"### {title}\n")
    print(
        f"{FILES} files, {unique} unique references on {HOSTS} registry hosts,"
        f" {DELAY * 1000:.0f} ms added each way.\n"
    )
    print(
        "| tool | wall time | manifest requests per unique reference"
        " | token requests per unique reference | correct digests | exit |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.tool} | {run.seconds:.2f} s | {run.manifest_requests / unique:.2f}"
            f" | {run.token_requests / unique:.2f} | {run.correct}/{run.total}"
            f" | {run.returncode} |"
        )
    print()


def main() -> int:
    pindock_binary = pindock()
    unique, open_runs = scenario(auth=False, pindock_binary=pindock_binary)
    table("Open registries", unique, open_runs)
    # pindock refuses a token service on a loopback (private) address, so the
    # scenario with token authentication compares pinner's two resolvers only.
    unique_auth, auth_runs = scenario(auth=True, pindock_binary=None)
    table("Registries that want Bearer tokens", unique_auth, auth_runs)
    registry_run, pindock_run = open_runs[0], open_runs[2]
    fast = registry_run.seconds <= pindock_run.seconds / 2
    one_each = all(
        run.manifest_requests == count
        for run, count in ((open_runs[0], unique), (auth_runs[0], unique_auth))
    )
    print(
        f"registry resolver at most half of pindock's time: {'yes' if fast else 'NO'}"
        f" ({registry_run.seconds / pindock_run.seconds:.0%} of it)"
    )
    print(f"exactly one manifest request per unique reference: {'yes' if one_each else 'NO'}")
    return 0 if fast and one_each else 1


if __name__ == "__main__":
    sys.exit(main())
