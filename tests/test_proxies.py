"""Proxies named by the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as
curl and requests read them, read once per host and run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from pinner.resolve.transport import RetryPolicy, Transport, new_client
from tests.conftest import run_pinner
from tests.support.connect_proxy import connect_proxy
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.registry import Pusher, RunningRegistry, running_registry, skopeo_digest
from tests.support.token_issuer import LoopbackPKI

pytestmark = pytest.mark.registry

NAMES = ("proxied/one", "proxied/two", "proxied/three")


@pytest.fixture(scope="module")
def digests(pusher: Pusher, registry: RunningRegistry) -> dict[str, str]:
    for name in NAMES:
        pusher.index(name, "1", media="oci")
    return {name: skopeo_digest(f"{registry.host}/{name}:1") for name in NAMES}


@pytest.fixture
def forward_proxy(registry: RunningRegistry) -> Iterator[FaultProxy]:
    # Requests for a plain-HTTP registry reach an HTTP proxy in absolute form;
    # this one forwards them to the registry and counts them.
    with fault_proxy(registry.host) as running:
        yield running


def _pin(registry: RunningRegistry, tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("".join(f"FROM {registry.host}/{name}:1\n" for name in NAMES))
    result = run_pinner("pin", cwd=tmp_path, env=env)
    return result.returncode, result.stderr, dockerfile.read_text()


def _pinned(registry: RunningRegistry, digests: dict[str, str]) -> str:
    return "".join(f"FROM {registry.host}/{name}:1@{digests[name]}\n" for name in NAMES)


def test_lookups_go_through_the_proxy_the_environment_names(
    registry: RunningRegistry,
    digests: dict[str, str],
    forward_proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    env = {"HTTP_PROXY": f"http://{forward_proxy.host}", "NO_PROXY": "", "no_proxy": ""}
    code, stderr, text = _pin(registry, tmp_path, env)
    assert code == 0, stderr
    assert text == _pinned(registry, digests)
    looked_up = forward_proxy.counts["HEAD manifest"] + forward_proxy.counts["GET manifest"]
    assert looked_up == len(NAMES)


def test_no_proxy_sends_a_host_straight_to_the_registry(
    registry: RunningRegistry,
    digests: dict[str, str],
    forward_proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    host = registry.host.rsplit(":", 1)[0]
    env = {"HTTP_PROXY": f"http://{forward_proxy.host}", "NO_PROXY": host, "no_proxy": host}
    code, stderr, text = _pin(registry, tmp_path, env)
    assert code == 0, stderr
    assert text == _pinned(registry, digests)
    assert sum(forward_proxy.counts.values()) == 0


def test_the_environment_is_read_once_per_host(registry: RunningRegistry) -> None:
    port = registry.host.rsplit(":", 1)[1]
    transport = Transport(new_client(4), RetryPolicy(attempts=1))
    try:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            for _ in range(10):
                response = transport.request("GET", f"http://{host}/v2/")
                assert response.status_code == 200
    finally:
        transport.close()
    assert transport.client.proxy_lookups == 2


@pytest.fixture(scope="module")
def tls_registry(
    registry: RunningRegistry, digests: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningRegistry, LoopbackPKI]]:
    """A TLS registry serving the same images."""
    pki = LoopbackPKI(tmp_path_factory.mktemp("pki"))
    with running_registry(
        tmp_path_factory.mktemp("tls"),
        storage=registry.storage,
        tls=(pki.server_cert, pki.server_key),
        ca_bundle=pki.ca_pem,
    ) as running:
        yield running, pki


def _through(proxy: str, pki: LoopbackPKI, scheme: str = "http") -> dict[str, str]:
    """The environment of a run whose HTTPS goes through ``proxy`` (``login@host:port``)."""
    return {
        "HTTPS_PROXY": f"{scheme}://{proxy}",
        "NO_PROXY": "",
        "no_proxy": "",
        "REQUESTS_CA_BUNDLE": str(pki.ca_pem),
    }


def test_tls_lookups_are_tunnelled_through_the_proxy_with_its_login(
    tls_registry: tuple[RunningRegistry, LoopbackPKI], digests: dict[str, str], tmp_path: Path
) -> None:
    registry, pki = tls_registry
    with connect_proxy(login=("builder", "s3cret:/@")) as proxy:
        login = "builder:" + quote("s3cret:/@", safe="")
        code, stderr, text = _pin(registry, tmp_path, _through(f"{login}@{proxy.host}", pki))
    assert code == 0, stderr
    assert text == _pinned(registry, digests)
    assert proxy.tunnels and set(proxy.tunnels) == {registry.host}
    assert proxy.refused == proxy.others == []
    assert "s3cret" not in stderr


def test_a_proxy_that_refuses_the_tunnel_is_said_and_nothing_is_written(
    tls_registry: tuple[RunningRegistry, LoopbackPKI], tmp_path: Path
) -> None:
    registry, pki = tls_registry
    with connect_proxy(login=("builder", "right")) as proxy:
        env = _through(f"builder:wrong@{proxy.host}", pki)
        code, stderr, text = _pin(registry, tmp_path, env)
    assert code == 2
    assert proxy.refused and not proxy.tunnels
    assert text == "".join(f"FROM {registry.host}/{name}:1\n" for name in NAMES)
    assert (
        f"unreachable: {registry.host}: the proxy refused the tunnel"
        " (407 Proxy Authentication Required)"
    ) in stderr
    assert "wrong" not in stderr


def test_tls_lookups_go_through_a_proxy_itself_reached_over_tls(
    tls_registry: tuple[RunningRegistry, LoopbackPKI], digests: dict[str, str], tmp_path: Path
) -> None:
    registry, pki = tls_registry
    tls = (pki.server_cert, pki.server_key)
    with connect_proxy(login=("builder", "pw"), tls=tls) as proxy:
        env = _through(f"builder:pw@{proxy.host}", pki, scheme="https")
        code, stderr, text = _pin(registry, tmp_path, env)
    assert code == 0, stderr
    assert text == _pinned(registry, digests)  # TLS with the registry inside TLS with the proxy
    assert proxy.tunnels and set(proxy.tunnels) == {registry.host}
    assert proxy.refused == proxy.others == []
