from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pinner.resolve.auth import Credentials, DockerConfigCredentials
from pinner.resolve.challenge import parse_challenge


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: object) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))


def test_docker_hub_credentials_live_under_the_index_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = base64.b64encode(b"hubuser:hubsecret").decode()
    _config(tmp_path, monkeypatch, {"auths": {"https://index.docker.io/v1/": {"auth": auth}}})
    credentials = DockerConfigCredentials()
    assert credentials.for_host("registry-1.docker.io") == Credentials("hubuser", "hubsecret")
    assert credentials.for_host("ghcr.io") is None


def test_identity_tokens_and_hosts_with_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, {"auths": {"registry.lan:5000": {"identitytoken": "tok"}}})
    found = DockerConfigCredentials().for_host("registry.lan:5000")
    assert found == Credentials(identity_token="tok")


def test_no_config_means_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert DockerConfigCredentials().for_host("ghcr.io") is None


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Credentials("user", "pa55word", "id-token"))
    assert "pa55word" not in text and "id-token" not in text
    assert Credentials("u", "p").basic() == "Basic " + base64.b64encode(b"u:p").decode()


@pytest.mark.parametrize(
    ("header", "scheme", "params"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/python:pull"',
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/python:pull",
            },
        ),
        ('Basic realm="Registry Realm"', "basic", {"realm": "Registry Realm"}),
        ('bearer realm="a\\"b", service=x', "bearer", {"realm": 'a"b', "service": "x"}),
    ],
)
def test_parse_challenge(header: str, scheme: str, params: dict[str, str]) -> None:
    challenge = parse_challenge(header)
    assert challenge is not None
    assert (challenge.scheme, challenge.params) == (scheme, params)


def test_an_empty_challenge_is_none() -> None:
    assert parse_challenge("  ") is None
