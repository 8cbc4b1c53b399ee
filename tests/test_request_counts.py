"""One manifest request per unique reference; tokens batched, never one per site."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_pinner, start_pinner
from tests.support.fault_proxy import Fault, FaultProxy, fault_proxy
from tests.support.registry import Pusher, running_registry
from tests.support.token_issuer import (
    LoopbackPKI,
    TokenIssuer,
    token_auth_config,
    token_issuer,
)

pytestmark = pytest.mark.registry

REPOSITORIES = 10


@pytest.fixture(scope="module")
def token_proxy(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FaultProxy, TokenIssuer]]:
    """A registry that wants Bearer tokens (from a loopback HTTP token service),
    behind a counting proxy."""
    scratch = tmp_path_factory.mktemp("counted")
    pki = LoopbackPKI(scratch / "pki")
    storage = scratch / "storage"
    with running_registry(scratch / "open", storage=storage) as open_registry:
        pusher = Pusher(open_registry.url)
        for number in range(REPOSITORIES):
            pusher.image(f"counted/app{number}", "1")
    with (
        token_issuer(pki, tls=False) as issuer,
        running_registry(
            scratch / "token", storage=storage, auth=token_auth_config(issuer, pki)
        ) as registry,
        fault_proxy(registry.host) as proxy,
    ):
        yield proxy, issuer


def test_each_unique_reference_costs_one_manifest_request(
    token_proxy: tuple[FaultProxy, TokenIssuer], tmp_path: Path
) -> None:
    proxy, issuer = token_proxy
    proxy.counts.clear()
    issuer.requests.clear()
    for copy in range(3):
        folder = tmp_path / f"service{copy}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(
            "".join(f"FROM {proxy.host}/counted/app{n}:1 AS s{n}\n" for n in range(REPOSITORIES))
        )
        (folder / "compose.yaml").write_text(
            f"services:\n  a:\n    image: {proxy.host}/counted/app0:1\n"
        )

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert proxy.counts["HEAD manifest"] == REPOSITORIES
    assert proxy.counts["GET manifest"] == 0
    # One token request carries every repository's scope.
    assert len(issuer.requests) == 1
    assert sorted(issuer.requests[0]["scope"]) == sorted(
        f"repository:counted/app{n}:pull" for n in range(REPOSITORIES)
    )


def test_a_missing_repository_in_the_batch_is_reported_and_the_rest_pinned(
    token_proxy: tuple[FaultProxy, TokenIssuer], tmp_path: Path
) -> None:
    proxy, issuer = token_proxy
    issuer.requests.clear()
    (tmp_path / "Dockerfile").write_text(
        f"FROM {proxy.host}/counted/app1:1 AS a\nFROM {proxy.host}/counted/nope:1\n"
    )
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 2
    assert "not found: tag 1 of" in result.stderr
    assert f"{proxy.host}/counted/app1:1@sha256:" in (tmp_path / "Dockerfile").read_text()


def test_a_slow_token_service_holds_up_only_its_own_registry(tmp_path: Path) -> None:
    """While one registry's token service keeps pinner waiting, another
    registry's lookups go ahead; the stalled one then gets its token and pins."""
    pki = LoopbackPKI(tmp_path / "pki")
    storage = tmp_path / "storage"
    with running_registry(tmp_path / "push", storage=storage) as push_registry:
        pusher = Pusher(push_registry.url)
        pusher.image("slow/app", "1")
        pusher.image("quick/app", "1")
    with (
        token_issuer(pki, tls=False) as issuer,
        fault_proxy(issuer.url.removeprefix("http://").removesuffix("/token")) as token_front,
        running_registry(
            tmp_path / "token",
            storage=storage,
            auth=token_auth_config(issuer, pki, realm=f"http://{token_front.host}/token"),
        ) as wants_tokens,
        running_registry(tmp_path / "open", storage=storage) as open_registry,
        fault_proxy(open_registry.host) as open_front,
    ):
        token_front.add(Fault("stall", path="^/token"))
        project = tmp_path / "project"
        project.mkdir()
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(
            f"FROM {wants_tokens.host}/slow/app:1 AS slow\nFROM {open_front.host}/quick/app:1\n"
        )
        process = start_pinner("pin", cwd=project)
        try:
            deadline = time.monotonic() + 20
            stalled = looked_up = False
            while not (stalled and looked_up) and time.monotonic() < deadline:
                assert process.poll() is None
                stalled = stalled or token_front.in_flight == 1
                looked_up = open_front.counts["HEAD manifest"] == 1
                time.sleep(0.02)
        finally:
            token_front.stop_stalls.set()
            _, stderr = process.communicate(timeout=60)
    assert stalled, "the token request never reached the token service"
    assert looked_up, "the other registry's lookup waited for the stalled token service"
    assert process.returncode == 0, stderr
    text = dockerfile.read_text()
    assert f"{wants_tokens.host}/slow/app:1@sha256:" in text
    assert f"{open_front.host}/quick/app:1@sha256:" in text
