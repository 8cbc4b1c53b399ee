"""Benchmark: pinning a repository against nine TLS registries 25 ms away,
pinner against pindock, wall time and CPU time in one run.

Run by hand, from the repository root, as root (it adds host names to
/etc/hosts and, for the second trust setup, a CA to the system store, and
removes both afterwards):

    .venv/bin/python bench/registry_bench.py
    .venv/bin/python bench/registry_bench.py --try report -j 32   # one command line
    .venv/bin/python bench/registry_bench.py --profile out.prof   # pin -q, or what follows

``--try`` runs one pinner command line, best of three, in the first trust
setup; ``BENCH_WRAP`` prefixes it (a sampling profiler, say). ``--bump``
pins the repository once, then times ``pinner update --bump minor``
against a plain ``pinner update`` on it, taking turns (a third of the
images has a newer tag on its track): target at most 2 x.

It starts nine real registries (docker-registry) on loopback, each behind a
proxy that speaks TLS, answers to a host name of its own
(``hub.pinner-bench.test``, ``reg1.pinner-bench.test``...) and adds 25 ms to
every request and every answer. ``hub`` (the Docker Hub look-alike) and
``reg1`` want Bearer tokens from a token service at
``auth.pinner-bench.test``. It pushes 120 images (single- and multi-platform,
Docker and OCI media types), writes a repository of 300 Dockerfiles and
compose files that name them, and pins a fresh copy of it with

- ``pinner pin`` (the registry resolver),
- ``pindock run`` (installed from PyPI into ``bench/.venv-pindock``),

in two trust setups: the test CA named by ``REQUESTS_CA_BUNDLE`` (and
``SSL_CERT_FILE``, which pindock, a Go program, reads), and the test CA in
the system store. It prints wall time and CPU time (user + system) of the
best of three runs, each on a fresh copy, manifest and token requests per
unique reference, and whether every reference got the digest skopeo reports.

Targets: pinner's wall time at most 0.3 x pindock's in both setups, exactly
one manifest request per unique reference, pinner's CPU time under 0.6 s;
``pinner report`` on the same files at most 2 x a cold ``pinner pin``.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.support.fault_proxy import FaultProxy, fault_proxy  # noqa: E402
from tests.support.registry import Pusher, running_registry, skopeo_digest  # noqa: E402
from tests.support.token_issuer import (  # noqa: E402
    LoopbackPKI,
    TokenIssuer,
    token_auth_config,
    token_issuer,
)

DOMAIN = "pinner-bench.test"
HOST_NAMES = ["hub", *(f"reg{n}" for n in range(1, 9))]
TOKEN_HOSTS = {"hub", "reg1"}
IMAGES = 120
FILES = 300
DELAY = 0.025
PINDOCK_VENV = REPO_ROOT / "bench" / ".venv-pindock"
SYSTEM_CA = Path("/usr/local/share/ca-certificates/pinner-bench.crt")
HOSTS_FILE = Path("/etc/hosts")
MARK = "# pinner registry benchmark"
_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
BUMP_RATIO = 2.0  # update --bump minor against a plain update of the same pinned files
WALL_RATIO = 0.3
REPORT_RATIO = 2.0  # pinner report against a cold pinner pin of the same files
CPU_SECONDS = 0.6


@dataclass
class Run:
    tool: str
    wall: float
    cpu: float
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


@contextmanager
def host_names(names: list[str]) -> Iterator[None]:
    """The benchmark's host names in /etc/hosts, all on 127.0.0.1, for the run only."""
    original = HOSTS_FILE.read_text()
    lines = "".join(f"127.0.0.1 {name} {MARK}\n" for name in names)
    HOSTS_FILE.write_text(original.rstrip("\n") + "\n" + lines)
    try:
        yield
    finally:
        kept = [line for line in HOSTS_FILE.read_text().splitlines(True) if MARK not in line]
        HOSTS_FILE.write_text("".join(kept))


@contextmanager
def in_system_store(ca: Path) -> Iterator[None]:
    shutil.copyfile(ca, SYSTEM_CA)
    subprocess.run(["update-ca-certificates"], check=True, capture_output=True)
    try:
        yield
    finally:
        SYSTEM_CA.unlink(missing_ok=True)
        subprocess.run(["update-ca-certificates", "--fresh"], check=True, capture_output=True)


def push_images(storage: Path, index: int) -> list[tuple[str, str]]:
    """Push this host's share of the images through an open registry on ``storage``."""
    pushed = []
    with running_registry(storage.parent / f"open-{index}", storage=storage) as registry:
        pusher = Pusher(registry.url)
        for number in range(index, IMAGES, len(HOST_NAMES)):
            repository, tag = f"bench/app{number}", f"1.{number}"
            if number % 4 == 0:
                pusher.index(repository, tag, media="oci")
            elif number % 4 == 1:
                pusher.index(repository, tag, media="docker")
            else:
                pusher.image(repository, tag, media="oci" if number % 2 else "docker")
            pushed.append((repository, tag))
            if number % 3 == 0:
                # A newer tag on the same track, for --bump to find and check.
                digest = pusher.session.get(
                    f"{registry.url}/v2/{repository}/manifests/{tag}",
                    headers={"Accept": _ACCEPT},
                ).headers["Docker-Content-Digest"]
                pusher.tag(repository, digest, f"1.{number + 1000}")
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


def score(root: Path, digests: dict[str, str]) -> tuple[int, int]:
    correct = total = 0
    for path in root.rglob("*"):
        if path.is_file():
            for reference, digest in re.findall(
                rf"([a-z0-9]+\.{re.escape(DOMAIN)}:\d+/[^\s'\"@]+)@(sha256:[0-9a-f]{{64}})",
                path.read_text(),
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
    log = work.with_suffix(".log")
    with log.open("w") as output_file:
        started = time.perf_counter()
        # Output to a file, not a pipe nobody reads while the tool runs.
        process = subprocess.Popen(
            command, cwd=work, stdout=output_file, stderr=subprocess.STDOUT, env=env
        )
        # wait4 gives the child's own CPU time, user and system.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(errors="replace")
    log.unlink()
    manifests = sum(p.counts["HEAD manifest"] + p.counts["GET manifest"] for p in proxies)
    correct, total = score(work, digests)
    if returncode != 0:
        print(f"{tool} exited {returncode}: {output[-2000:]}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(tool, wall, cpu, manifests, len(issuer.requests), correct, total, returncode)


def best_of_three(*arguments: object) -> Run:
    # Each on a fresh copy; the first run of anything pays for cold caches.
    runs = [timed(*arguments) for _ in range(3)]  # type: ignore[arg-type]
    return min(runs, key=lambda run: run.wall)


def table(title: str, unique: int, runs: list[Run]) -> None:
    print(f"#### {title}\n")
    print(
        "| tool | wall time | CPU time | manifest requests per unique reference"
        " | token requests | correct digests | exit |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.tool} | {run.wall:.2f} s | {run.cpu:.2f} s"
            f" | {run.manifest_requests / unique:.2f} | {run.token_requests}"
            f" | {run.correct}/{run.total} | {run.returncode} |"
        )
    print()


def main() -> int:
    if os.geteuid() != 0:
        print("registry_bench: run as root (it edits /etc/hosts)", file=sys.stderr)
        return 2
    pindock_binary = str(pindock())
    pinner = str(Path(sys.executable).with_name("pinner"))
    names = [f"{name}.{DOMAIN}" for name in [*HOST_NAMES, "auth"]]
    results = []
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pinner-bench-")))
        stack.enter_context(host_names(names))
        pki = LoopbackPKI(scratch / "pki", names=tuple(names))
        issuer = stack.enter_context(token_issuer(pki))
        realm = issuer.url.replace("127.0.0.1", f"auth.{DOMAIN}")
        proxies, references = [], []
        for index, name in enumerate(HOST_NAMES):
            storage = scratch / f"storage{index}"
            pushed = push_images(storage, index)
            auth = token_auth_config(issuer, pki, realm) if name in TOKEN_HOSTS else ""
            registry = stack.enter_context(
                running_registry(scratch / f"registry{index}", storage=storage, auth=auth)
            )
            tls = (pki.server_cert, pki.server_key)
            proxy = stack.enter_context(fault_proxy(registry.host, delay=DELAY, tls=tls))
            proxies.append(proxy)
            host = f"{name}.{DOMAIN}:{proxy.host.rsplit(':', 1)[1]}"
            references += [f"{host}/{repository}:{tag}" for repository, tag in pushed]
        source = scratch / "repository"
        write_repository(source, references)
        digests = {reference: skopeo_digest(reference) for reference in references}
        unique = len(set(references))
        base_env = {
            key: value
            for key, value in os.environ.items()
            # Bytecode written, as users run it (see check_many.py).
            if key
            not in (
                "REQUESTS_CA_BUNDLE",
                "SSL_CERT_FILE",
                "CURL_CA_BUNDLE",
                "PYTHONDONTWRITEBYTECODE",
            )
        }
        base_env["DOCKER_CONFIG"] = str(scratch / "no-docker-config")
        commands = {
            "pinner": [pinner, "pin", "-q"],
            "pindock": [pindock_binary, "run", "-C", "."],
            "pinner report": [pinner, "report", "--format", "json"],
        }
        if len(sys.argv) > 1 and sys.argv[1] == "--try":
            # One pinner command line against the same setup, best of three:
            # registry_bench.py --try report --format json -j 32
            env = {**base_env, "REQUESTS_CA_BUNDLE": str(pki.ca_pem)}
            tried = [*os.environ.get("BENCH_WRAP", "").split(), pinner, *sys.argv[2:]]
            before = time.process_time()
            print(best_of_three("pinner", tried, source, proxies, issuer, digests, env))
            print(f"the proxies' CPU time in three runs: {time.process_time() - before:.2f} s")
            return 0
        if len(sys.argv) > 1 and sys.argv[1] == "--bump":
            # update --bump minor against a plain update, on the files pinned once,
            # best of three each, taking turns.
            env = {**base_env, "REQUESTS_CA_BUNDLE": str(pki.ca_pem)}
            subprocess.run([pinner, "pin", "-q"], cwd=source, env=env, check=True)
            commands = {
                "pinner update": [pinner, "update", "-q"],
                "pinner update --bump minor": [pinner, "update", "-q", "--bump", "minor"],
            }
            found: dict[str, list[Run]] = {tool: [] for tool in commands}
            for _ in range(3):
                for tool, command in commands.items():
                    found[tool].append(timed(tool, command, source, proxies, issuer, {}, env))
            plain, bumping = (min(runs, key=lambda run: run.wall) for runs in found.values())
            print(
                f"| command | wall time | CPU time | exit |\n| --- | --- | --- | --- |\n"
                f"| {plain.tool} | {plain.wall:.2f} s | {plain.cpu:.2f} s | {plain.returncode} |\n"
                f"| {bumping.tool} | {bumping.wall:.2f} s | {bumping.cpu:.2f} s"
                f" | {bumping.returncode} |\n"
            )
            ratio = bumping.wall / plain.wall
            verdict = "ok" if ratio <= BUMP_RATIO else "NOT MET"
            print(f"- update --bump minor {ratio:.2f} x a plain update: {verdict}")
            return 0 if ratio <= BUMP_RATIO else 1
        if len(sys.argv) > 1 and sys.argv[1] == "--profile":
            # Where pinner's time goes: one run under cProfile, stats to the file
            # named; the command line after it, or pin -q.
            profile = [sys.executable, "-m", "cProfile", "-o", sys.argv[2], "-m", "pinner"]
            env = {**base_env, "REQUESTS_CA_BUNDLE": str(pki.ca_pem)}
            arguments = sys.argv[3:] or ["pin", "-q"]
            print(timed("pinner", [*profile, *arguments], source, proxies, issuer, digests, env))
            return 0
        bundle_env = {**base_env, "REQUESTS_CA_BUNDLE": str(pki.ca_pem)}
        bundle_env["SSL_CERT_FILE"] = str(pki.ca_pem)
        setups = [("The CA through REQUESTS_CA_BUNDLE (and SSL_CERT_FILE)", bundle_env, False)]
        setups.append(("The CA in the system store", base_env, True))
        for title, env, system in setups:
            with in_system_store(pki.ca_pem) if system else ExitStack():
                runs = [
                    best_of_three(tool, command, source, proxies, issuer, digests, env)
                    for tool, command in commands.items()
                ]
            results.append((title, runs))
    print(
        f"{FILES} files, {unique} unique references on {len(HOST_NAMES)} registry hosts"
        f" over TLS (Bearer tokens on {len(TOKEN_HOSTS)}), {DELAY * 1000:.0f} ms added each way.\n"
    )
    verdicts = []
    for title, runs in results:
        table(title, unique, runs)
        mine, theirs, report = runs
        verdicts += [
            (
                f"{title}: pinner report {report.wall / mine.wall:.2f} x a cold pinner pin",
                report.wall <= REPORT_RATIO * mine.wall,
            ),
            (
                f"{title}: pinner's wall time {mine.wall / theirs.wall:.2f} x pindock's",
                mine.wall <= WALL_RATIO * theirs.wall,
            ),
            (
                f"{title}: one manifest request per unique reference",
                mine.manifest_requests == unique,
            ),
            (f"{title}: pinner's CPU time {mine.cpu:.2f} s", mine.cpu < CPU_SECONDS),
            (f"{title}: every digest right", mine.correct == mine.total == 2 * FILES),
        ]
    for text, ok in verdicts:
        print(f"- {text}: {'ok' if ok else 'NOT MET'}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
