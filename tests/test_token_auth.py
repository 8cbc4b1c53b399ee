"""A registry that demands Bearer tokens, over TLS with a test CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, running_registry
from tests.support.token_issuer import (
    SERVICE,
    LoopbackPKI,
    TokenIssuer,
    token_auth_config,
    token_issuer,
)

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LoopbackPKI:
    return LoopbackPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Push images through an open registry; the token registry then serves its storage."""
    workdir = tmp_path_factory.mktemp("open-registry")
    with running_registry(workdir) as open_registry:
        pusher = Pusher(open_registry.url)
        single, _ = pusher.image("private/app", "1.0", media="oci")
        index, _ = pusher.index("private/multi", "2.0", media="docker")
    return open_registry.storage, {"private/app:1.0": single, "private/multi:2.0": index}


@pytest.fixture(scope="module")
def secured(
    pki: LoopbackPKI, images: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningRegistry, TokenIssuer]]:
    storage, _ = images
    with (
        token_issuer(pki) as issuer,
        running_registry(
            tmp_path_factory.mktemp("token-registry"),
            storage=storage,
            tls=(pki.server_cert, pki.server_key),
            auth=token_auth_config(issuer, pki),
            ca_bundle=pki.ca_pem,
        ) as registry,
    ):
        yield registry, issuer


def test_registry_refuses_anonymous_requests(
    secured: tuple[RunningRegistry, TokenIssuer], pki: LoopbackPKI
) -> None:
    registry, issuer = secured
    response = requests.head(
        f"{registry.url}/v2/private/app/manifests/1.0", verify=str(pki.ca_pem), timeout=10
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer realm="{issuer.url}"')


def test_pins_through_the_bearer_token_flow(
    secured: tuple[RunningRegistry, TokenIssuer],
    pki: LoopbackPKI,
    images: tuple[Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    registry, issuer = secured
    _, digests = images
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM {registry.host}/private/app:1.0 AS app\n"
        f"FROM {registry.host}/private/multi:2.0\n"
        f"FROM {registry.host}/private/app:1.0\n"
    )
    issuer.requests.clear()

    result = run_pinner("pin", cwd=tmp_path, env={"REQUESTS_CA_BUNDLE": str(pki.ca_pem)})

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == (
        f"FROM {registry.host}/private/app:1.0@{digests['private/app:1.0']} AS app\n"
        f"FROM {registry.host}/private/multi:2.0@{digests['private/multi:2.0']}\n"
        f"FROM {registry.host}/private/app:1.0@{digests['private/app:1.0']}\n"
    )
    scopes = sorted(scope for query in issuer.requests for scope in query["scope"])
    assert scopes == ["repository:private/app:pull", "repository:private/multi:pull"]
    assert all(query["service"] == [SERVICE] for query in issuer.requests)
    assert "Bearer" not in result.stderr + result.stdout


def test_an_untrusted_certificate_is_an_error(
    secured: tuple[RunningRegistry, TokenIssuer], tmp_path: Path
) -> None:
    registry, _ = secured
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/private/app:1.0\n")
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 2
    assert dockerfile.read_text() == f"FROM {registry.host}/private/app:1.0\n"
    assert "Dockerfile:1:" in result.stderr
    assert "certificate" in result.stderr
