"""Credentials from the Docker config, for the registry resolver, against real
registries that demand them; and where credentials must never go."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_pinner, run_python
from tests.support.registry import Pusher, htpasswd_config, running_registry
from tests.support.scripted_server import Reply, Request, scripted_server
from tests.support.token_issuer import LoopbackPKI, token_auth_config, token_issuer

pytestmark = pytest.mark.registry

USER, SECRET = "pinner-bot", "s3cr3t-Kx9-never-print-me"
IDENTITY_TOKEN = "idtok-Qz7-never-print-me-either"
SECRETS = (
    SECRET,
    IDENTITY_TOKEN,
    base64.b64encode(f"{USER}:{SECRET}".encode()).decode(),
)


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A registry that wants Basic auth; yields (host, digest of private/app:1)."""
    workdir = tmp_path_factory.mktemp("basic-registry")
    with running_registry(workdir, auth=htpasswd_config(workdir, {USER: SECRET})) as registry:
        digest, _ = Pusher(registry.url, auth=(USER, SECRET)).image("private/app", "1")
        yield registry.host, digest


def _docker_config(folder: Path, config: dict[str, object]) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return {"DOCKER_CONFIG": str(folder)}


def _auth_entry(user: str = USER, secret: str = SECRET) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{secret}".encode()).decode()}


def _helper(folder: Path, name: str, host: str) -> dict[str, str]:
    """A docker-credential-<name> program that knows one server's credentials."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / f"docker-credential-{name}"
    program.write_text(
        "#!/bin/sh\n"
        '[ "$1" = get ] || exit 1\n'
        "read server\n"
        f'if [ "$server" = "{host}" ]; then\n'
        f'  printf \'{{"ServerURL":"%s","Username":"{USER}","Secret":"{SECRET}"}}\' "$server"\n'
        "else\n"
        "  echo 'credentials not found in native keychain'; exit 1\n"
        "fi\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def _pin(tmp_path: Path, image: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\n")
    return run_pinner("pin", cwd=tmp_path, env=env)


def test_basic_auth_with_the_auths_entry(basic_registry: tuple[str, str], tmp_path: Path) -> None:
    host, digest = basic_registry
    env = _docker_config(tmp_path / "docker", {"auths": {host: _auth_entry()}})
    work = tmp_path / "work"
    work.mkdir()
    result = _pin(work, f"{host}/private/app:1", env)
    assert result.returncode == 0, result.stderr
    assert (work / "Dockerfile").read_text() == f"FROM {host}/private/app:1@{digest}\n"
    assert_no_secret(result.stdout, result.stderr)


def test_a_netrc_entry_for_the_host_does_not_replace_dockers_credentials(
    basic_registry: tuple[str, str], tmp_path: Path
) -> None:
    # requests would send a ~/.netrc entry instead of the Authorization
    # header pinner sets (Artifactory users keep one for the same host).
    host, digest = basic_registry
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(f"machine {host.rsplit(':', 1)[0]} login other password wrong\n")
    (home / ".netrc").chmod(0o600)
    env = _docker_config(tmp_path / "docker", {"auths": {host: _auth_entry()}})
    work = tmp_path / "work"
    work.mkdir()
    result = _pin(work, f"{host}/private/app:1", {**env, "HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert (work / "Dockerfile").read_text() == f"FROM {host}/private/app:1@{digest}\n"


def test_without_credentials_access_is_denied(
    basic_registry: tuple[str, str], tmp_path: Path
) -> None:
    host, _ = basic_registry
    env = _docker_config(tmp_path / "docker", {"auths": {}})
    result = _pin(tmp_path, f"{host}/private/app:1", env)
    assert result.returncode == 2
    assert f"denied: {host} requires credentials for {host}/private/app" in result.stderr


def test_a_wrong_password_is_denied_and_never_shown(
    basic_registry: tuple[str, str], tmp_path: Path
) -> None:
    host, _ = basic_registry
    env = _docker_config(tmp_path / "docker", {"auths": {host: _auth_entry(secret="nope")}})
    result = _pin(tmp_path, f"{host}/private/app:1", env)
    assert result.returncode == 2
    assert "denied:" in result.stderr
    assert "nope" not in result.stderr


@pytest.mark.parametrize("key", ["credHelpers", "credsStore"])
def test_credential_helpers(basic_registry: tuple[str, str], tmp_path: Path, key: str) -> None:
    host, digest = basic_registry
    value: object = {host: "pinnertest"} if key == "credHelpers" else "pinnertest"
    env = {
        **_docker_config(tmp_path / "docker", {"auths": {}, key: value}),
        **_helper(tmp_path / "bin", "pinnertest", host),
    }
    work = tmp_path / "work"
    work.mkdir()
    result = _pin(work, f"{host}/private/app:1", env)
    assert result.returncode == 0, result.stderr
    assert (work / "Dockerfile").read_text() == f"FROM {host}/private/app:1@{digest}\n"
    assert_no_secret(result.stdout, result.stderr)


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str, LoopbackPKI, list[dict[str, list[str]]]]]:
    """A TLS registry whose token service wants credentials."""
    pki = LoopbackPKI(tmp_path_factory.mktemp("pki"))
    open_dir = tmp_path_factory.mktemp("open")
    with running_registry(open_dir) as open_registry:
        digest, _ = Pusher(open_registry.url).image("team/app", "1")
    with (
        token_issuer(
            pki, users={USER: SECRET}, identity_tokens=frozenset({IDENTITY_TOKEN})
        ) as issuer,
        running_registry(
            tmp_path_factory.mktemp("token"),
            storage=open_registry.storage,
            tls=(pki.server_cert, pki.server_key),
            auth=token_auth_config(issuer, pki),
            ca_bundle=pki.ca_pem,
        ) as registry,
    ):
        yield registry.host, digest, pki, issuer.requests


@pytest.mark.parametrize(
    ("entry", "who"),
    [
        pytest.param(_auth_entry(), f"user:{USER}", id="password"),
        pytest.param({"identitytoken": IDENTITY_TOKEN}, "identity-token", id="identity-token"),
    ],
)
def test_bearer_tokens_with_credentials(
    token_registry: tuple[str, str, LoopbackPKI, list[dict[str, list[str]]]],
    tmp_path: Path,
    entry: dict[str, str],
    who: str,
) -> None:
    host, digest, pki, requests = token_registry
    requests.clear()
    env = {
        **_docker_config(tmp_path / "docker", {"auths": {host: entry}}),
        "REQUESTS_CA_BUNDLE": str(pki.ca_pem),
    }
    work = tmp_path / "work"
    work.mkdir()
    (work / "Dockerfile").write_text(
        f"FROM {host}/team/app:1 AS a\nFROM {host}/team/app:1@sha256:{'0' * 64} AS b\n"
    )
    result = run_pinner("update", cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    # Stage b's made-up digest is not in the repository: it follows the tag again.
    assert (work / "Dockerfile").read_text() == (
        f"FROM {host}/team/app:1@{digest} AS a\nFROM {host}/team/app:1@{digest} AS b\n"
    )
    assert [query["_who"] for query in requests] == [[who]]  # one token, reused
    assert_no_secret(result.stdout, result.stderr)


def test_anonymous_token_requests_are_refused(
    token_registry: tuple[str, str, LoopbackPKI, list[dict[str, list[str]]]], tmp_path: Path
) -> None:
    host, _, pki, _ = token_registry
    env = {**_docker_config(tmp_path / "d", {}), "REQUESTS_CA_BUNDLE": str(pki.ca_pem)}
    result = _pin(tmp_path, f"{host}/team/app:1", env)
    assert result.returncode == 2
    assert "denied: the token service for" in result.stderr


def test_credentials_never_go_to_another_host_or_follow_a_redirect(
    basic_registry: tuple[str, str], tmp_path: Path
) -> None:
    host, _ = basic_registry

    def elsewhere(request: Request) -> Reply:
        return Reply(401, {"WWW-Authenticate": 'Basic realm="elsewhere"'})

    with scripted_server(elsewhere) as other, scripted_server(elsewhere) as target:

        def redirecting(request: Request) -> Reply:
            if "Authorization" not in request.headers:
                return Reply(401, {"WWW-Authenticate": 'Basic realm="r"'})
            return Reply(307, {"Location": f"{target.url}{request.path}"})

        with scripted_server(redirecting) as redirector:
            env = _docker_config(
                tmp_path / "docker",
                {"auths": {host: _auth_entry(), redirector.host: _auth_entry()}},
            )
            (tmp_path / "Dockerfile").write_text(
                f"FROM {other.host}/x/app:1\nFROM {redirector.host}/x/app:1\n"
            )
            result = run_pinner("pin", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert other.requests and target.requests
    assert all("Authorization" not in r.headers for r in other.requests + target.requests)
    assert any("Authorization" in r.headers for r in redirector.requests)
    assert_no_secret(result.stdout, result.stderr)


def test_a_plain_http_token_realm_is_refused_for_a_tls_registry(tmp_path: Path) -> None:
    pki = LoopbackPKI(tmp_path / "pki")

    def realm(request: Request) -> Reply:
        return Reply(200, {"Content-Type": "application/json"}, b'{"token": "t"}')

    with scripted_server(realm) as token_service:

        def registry(request: Request) -> Reply:
            challenge = f'Bearer realm="{token_service.url}/token",service="s"'
            return Reply(401, {"WWW-Authenticate": challenge})

        with scripted_server(registry, tls=(pki.server_cert, pki.server_key)) as tls_registry:
            env = {
                **_docker_config(
                    tmp_path / "docker", {"auths": {tls_registry.host: _auth_entry()}}
                ),
                "REQUESTS_CA_BUNDLE": str(pki.ca_pem),
            }
            result = _pin(tmp_path, f"{tls_registry.host}/x/app:1", env)
    assert result.returncode == 2
    assert "names a token service over http (not HTTPS)" in result.stderr
    assert token_service.requests == []


def test_no_docker_config_means_no_credentials_and_no_sdk_import(tmp_path: Path) -> None:
    """With no file for the SDK to read, the SDK is never imported (the hook's
    usual case on a developer's machine without docker login)."""
    code = (
        "import sys; from pinner.resolve.auth import DockerConfigCredentials;"
        " print(DockerConfigCredentials().for_host('registry.example'), 'docker' in sys.modules)"
    )
    env = {"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path / "none")}
    answer = run_python(code, env=env)
    assert answer.stdout.split() == ["None", "False"]
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text('{"auths": {}}')
    answer = run_python(code, env=env)
    assert answer.stdout.split() == ["None", "True"]  # a config: the SDK reads it
