"""TLS set up once per run, and registries trusted the way Docker trusts them
(``/etc/docker/certs.d/<host>/``), against real TLS registries."""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinner.reference import parse_reference
from pinner.resolve.registry import RegistryResolver
from pinner.resolve.tls import Trust, TrustError
from pinner.resolve.transport import RetryPolicy
from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, running_registry, skopeo_digest
from tests.support.token_issuer import LoopbackPKI

pytestmark = pytest.mark.registry

IMAGES = 12


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LoopbackPKI:
    return LoopbackPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Images pushed through an open registry; the TLS registries serve its storage."""
    with running_registry(tmp_path_factory.mktemp("open")) as open_registry:
        pusher = Pusher(open_registry.url)
        digests = {f"tls/app{n}:1": pusher.image(f"tls/app{n}", "1")[0] for n in range(IMAGES)}
    return open_registry.storage, digests


@pytest.fixture(scope="module")
def tls_registries(
    pki: LoopbackPKI, storage: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningRegistry]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                running_registry(
                    tmp_path_factory.mktemp(f"tls{n}"),
                    storage=storage[0],
                    tls=(pki.server_cert, pki.server_key),
                    ca_bundle=pki.ca_pem,
                )
            )
            for n in range(4)
        ]


class _Counted:
    """Counts what costs: certificates loaded into contexts, and TLS handshakes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loads = 0
        self.handshakes = 0
        real_load = ssl.SSLContext.load_verify_locations
        real_default = ssl.SSLContext.load_default_certs
        real_wrap = ssl.SSLContext.wrap_socket

        def load(context: ssl.SSLContext, *args: object, **kwargs: object) -> None:
            self.loads += 1
            real_load(context, *args, **kwargs)  # type: ignore[arg-type]

        def default(context: ssl.SSLContext, *args: object) -> None:
            self.loads += 1
            real_default(context, *args)  # type: ignore[arg-type]

        def wrap(context: ssl.SSLContext, *args: object, **kwargs: object) -> ssl.SSLSocket:
            self.handshakes += 1
            return real_wrap(context, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", load)
        monkeypatch.setattr(ssl.SSLContext, "load_default_certs", default)
        monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap)


def test_one_context_per_trust_setting_across_many_lookups_on_several_hosts(
    tls_registries: list[RunningRegistry],
    storage: tuple[Path, dict[str, str]],
    pki: LoopbackPKI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, digests = storage
    # Three hosts trusted through the bundle, one through its certs.d folder.
    certs = tmp_path / "certs.d"
    (certs / tls_registries[3].host).mkdir(parents=True)
    (certs / tls_registries[3].host / "ca.crt").write_bytes(pki.ca_pem.read_bytes())
    trust = Trust(certs, environ={"REQUESTS_CA_BUNDLE": str(pki.ca_pem)})
    counted = _Counted(monkeypatch)
    resolver = RegistryResolver(jobs=8, trust=trust, policy=RetryPolicy(attempts=1))
    references = [
        parse_reference(f"{registry.host}/{image}")
        for registry in tls_registries
        for image in digests
    ]
    try:
        resolver.prepare(references)
        answers = {str(ref): resolver.resolve(ref) for ref in references}
        # A second round on fresh connections (the pools are emptied) reuses the contexts.
        resolver._transport.client.close()
        again = {str(ref): resolver.resolve(ref) for ref in references}
    finally:
        resolver.close()

    assert (
        answers
        == again
        == {
            f"{registry.host}/{image}": digest
            for registry in tls_registries
            for image, digest in digests.items()
        }
    )
    assert trust.contexts_made == 2  # the bundle; the certs.d folder
    assert counted.loads == 3  # the bundle twice (once per context), the folder's ca.crt once
    assert counted.handshakes >= 3 * len(tls_registries)  # a probe and two pools per host


def _certs_dir(folder: Path, host: str, pki: LoopbackPKI, *, client: bool) -> Path:
    """A Docker-style certs.d folder for ``host``: the CA, and a client certificate."""
    certs = folder / "certs.d"
    (certs / host).mkdir(parents=True)
    (certs / host / "ca.crt").write_bytes(pki.ca_pem.read_bytes())
    if client:
        issued = pki.ca.issue_cert("pinner-client")
        issued.cert_chain_pems[0].write_to_path(str(certs / host / "client.cert"))
        issued.private_key_pem.write_to_path(str(certs / host / "client.key"))
    return certs


def test_a_registry_that_requires_a_client_certificate_through_certs_d(
    pki: LoopbackPKI, storage: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, digests = storage
    client = pki.ca.issue_cert("pinner-client-check")
    client_pem, client_key = tmp_path / "c.pem", tmp_path / "c.key"
    client.cert_chain_pems[0].write_to_path(str(client_pem))
    client.private_key_pem.write_to_path(str(client_key))
    with running_registry(
        tmp_path / "mtls",
        storage=storage[0],
        tls=(pki.server_cert, pki.server_key),
        ca_bundle=pki.ca_pem,
        client_cas=pki.ca_pem,
        client_cert=(client_pem, client_key),
    ) as registry:
        project = tmp_path / "project"
        project.mkdir()
        certs = _certs_dir(tmp_path, registry.host, pki, client=True)
        (project / ".pinner.yaml").write_text(f"certs-dir: {certs}\nretries: 0\n")
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(f"FROM {registry.host}/tls/app0:1\n")
        environment = {name: "" for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}

        pinned = run_pinner("pin", cwd=project, env=environment)

        assert pinned.returncode == 0, pinned.stderr
        oracle = skopeo_digest(
            f"{registry.host}/tls/app0:1", "--cert-dir", str(certs / registry.host)
        )
        assert dockerfile.read_text() == f"FROM {registry.host}/tls/app0:1@{oracle}\n"
        assert oracle == digests["tls/app0:1"]

        # Without the client certificate the registry refuses the handshake.
        (certs / registry.host / "client.cert").unlink()
        (certs / registry.host / "client.key").unlink()
        dockerfile.write_text(f"FROM {registry.host}/tls/app1:1\n")
        refused = run_pinner("pin", cwd=project, env=environment)
        assert refused.returncode == 2
        assert f"Dockerfile:1: {registry.host}/tls/app1:1: unreachable: {registry.host}" in (
            refused.stderr
        )
        assert dockerfile.read_text() == f"FROM {registry.host}/tls/app1:1\n"


def test_a_ca_neither_in_the_system_store_nor_in_certs_d_is_not_trusted(
    tls_registries: list[RunningRegistry], tmp_path: Path
) -> None:
    registry = tls_registries[0]
    (tmp_path / ".pinner.yaml").write_text(f"certs-dir: {tmp_path / 'none'}\nretries: 0\n")
    (tmp_path / "Dockerfile").write_text(f"FROM {registry.host}/tls/app0:1\n")
    result = run_pinner("pin", cwd=tmp_path, env={"REQUESTS_CA_BUNDLE": "", "SSL_CERT_FILE": ""})
    assert result.returncode == 2
    assert "the TLS certificate is not trusted (put the CA that signed it in" in result.stderr
    assert "/etc/docker/certs.d/<host>/ca.crt" in result.stderr


def test_a_client_certificate_without_its_key_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "registry.example:5000"
    folder.mkdir()
    (folder / "client.cert").write_text("not used")
    trust = Trust(tmp_path, environ={})
    with pytest.raises(TrustError, match=r"client\.cert has no client\.key beside it"):
        trust.context_for("registry.example:5000")
    assert isinstance(trust.context_for("other.example"), ssl.SSLContext)  # others unharmed


def test_hosts_without_a_folder_share_the_default_context(tmp_path: Path) -> None:
    trust = Trust(tmp_path, environ={})
    assert trust.context_for("a.example") is trust.context_for("b.example:5000")
    assert trust.contexts_made == 1
    assert os.listdir(tmp_path) == []
