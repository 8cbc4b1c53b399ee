"""Benchmark: the pre-commit hook's common case, pinner against pindock.

Run by hand, from the repository root, as root (it adds host names to
/etc/hosts for the run, as registry_bench.py does):

    .venv/bin/python bench/hook_bench.py

The case: a commit touches one Dockerfile with three new references, on two
local registries behind TLS, one of them asking for Bearer tokens. Each tool
pins a fresh copy of that one file (``pinner pin --force-exclude Dockerfile``, the
command the ``pin-bases`` hook runs; ``pindock run``), best of seven, the
two taking turns, in one run of this script; every digest is checked with
skopeo.

pinner runs as pre-commit installs it: a virtual environment of its own
(``bench/.venv-hook``) with the action's hash-locked dependencies and pinner
installed from this checkout, not editable (an editable install adds an
import finder to every start).

Targets, as ratios and bounds measured in one run: pinner's wall time at
most 2 x pindock's; pinner's CPU time (user + system) under 0.25 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_bench import (
    DOMAIN,
    Run,
    host_names,
    pindock,
    timed,
)

from tests.support.fault_proxy import fault_proxy
from tests.support.registry import Pusher, running_registry, skopeo_digest
from tests.support.token_issuer import (
    LoopbackPKI,
    token_auth_config,
    token_issuer,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
HOOK_VENV = REPO_ROOT / "bench" / ".venv-hook"
WALL_RATIO = 2.0
CPU_SECONDS = 0.25
ROUNDS = 7


def installed_pinner() -> str:
    """pinner from this checkout, installed as pre-commit installs a hook."""
    python = HOOK_VENV / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps"]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HOOK_VENV)], check=True)
        lock = REPO_ROOT / "action-requirements.txt"
        subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run(
        [*pip, "--no-build-isolation", "--force-reinstall", str(REPO_ROOT)],
        check=True,
        cwd=HOOK_VENV,  # not the checkout: its own pinner/ would shadow the installed one
    )
    return str(HOOK_VENV / "bin" / "pinner")


def main() -> int:
    if os.geteuid() != 0:
        print("hook_bench: run as root (it edits /etc/hosts)", file=sys.stderr)
        return 2
    pinner = installed_pinner()
    names = [f"{name}.{DOMAIN}" for name in ("hub", "reg1", "auth")]
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pinner-hook-")))
        stack.enter_context(host_names(names))
        pki = LoopbackPKI(scratch / "pki", names=tuple(names))
        issuer = stack.enter_context(token_issuer(pki))
        realm = issuer.url.replace("127.0.0.1", f"auth.{DOMAIN}")
        proxies, references = [], []
        for index, (name, tokens) in enumerate((("hub", True), ("reg1", False))):
            storage = scratch / f"storage{index}"
            with running_registry(scratch / f"open-{index}", storage=storage) as open_registry:
                pusher = Pusher(open_registry.url)
                pusher.index("hook/base", "1")
                pusher.image("hook/tool", "2")
            auth = token_auth_config(issuer, pki, realm) if tokens else ""
            registry = stack.enter_context(
                running_registry(scratch / f"registry{index}", storage=storage, auth=auth)
            )
            tls = (pki.server_cert, pki.server_key)
            proxy = stack.enter_context(fault_proxy(registry.host, tls=tls))
            proxies.append(proxy)
            host = f"{name}.{DOMAIN}:{proxy.host.rsplit(':', 1)[1]}"
            references += [f"{host}/hook/base:1", f"{host}/hook/tool:2"]
        source = scratch / "repository"
        source.mkdir()
        base, tool, other, _ = references
        (source / "Dockerfile").write_text(
            f"FROM {base} AS build\nCOPY --from={tool} /bin/tool /bin/tool\nRUN make\n"
            f"FROM {other}\nCOPY --from=build /out /out\n"
        )
        digests = {reference: skopeo_digest(reference) for reference in references[:3]}
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "PYTHONDONTWRITEBYTECODE")
        }
        env |= {
            "REQUESTS_CA_BUNDLE": str(pki.ca_pem),
            "SSL_CERT_FILE": str(pki.ca_pem),
            "DOCKER_CONFIG": str(scratch / "no-docker-config"),
            "PINNER_CACHE_DIR": str(scratch / "cache"),
        }
        commands = {
            "pinner": [pinner, "pin", "--force-exclude", "Dockerfile"],
            "pindock": [str(pindock()), "run", "-C", "."],
        }
        runs: dict[str, list[Run]] = {tool: [] for tool in commands}
        for _ in range(ROUNDS):  # the two take turns: a slow moment costs both
            for tool, command in commands.items():
                runs[tool].append(timed(tool, command, source, proxies, issuer, digests, env))
    best = {tool: min(found, key=lambda run: run.wall) for tool, found in runs.items()}
    print(
        "One Dockerfile, three new references on two TLS registries (Bearer tokens on one);"
        f" best of {ROUNDS}, the tools taking turns.\n"
    )
    print("| tool | wall time | CPU time | correct digests | exit |")
    print("| --- | --- | --- | --- | --- |")
    for run in best.values():
        print(
            f"| {run.tool} | {run.wall * 1000:.0f} ms | {run.cpu * 1000:.0f} ms"
            f" | {run.correct}/{run.total} | {run.returncode} |"
        )
    mine, theirs = best["pinner"], best["pindock"]
    verdicts = [
        (
            f"pinner's wall time {mine.wall / theirs.wall:.2f} x pindock's",
            mine.wall <= WALL_RATIO * theirs.wall,
        ),
        (f"pinner's CPU time {mine.cpu:.3f} s", mine.cpu < CPU_SECONDS),
        ("every digest right", mine.correct == mine.total == 3),
    ]
    print()
    for text, ok in verdicts:
        print(f"- {text}: {'ok' if ok else 'NOT MET'}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
