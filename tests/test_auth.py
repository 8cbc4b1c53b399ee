from __future__ import annotations

import base64
import itertools
import json
import time
from pathlib import Path

import pytest

from pinner.resolve.auth import Authenticator, Credentials, DockerConfigCredentials, NoCredentials
from pinner.resolve.challenge import parse_challenge
from pinner.resolve.transport import RetryPolicy, Transport, new_client
from tests.support.scripted_server import Reply, Request, scripted_server


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


def test_a_token_is_reused_for_its_scope_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued = itertools.count(1)

    def realm(request: Request) -> Reply:
        body = json.dumps({"token": f"t{next(issued)}", "expires_in": 65}).encode()
        return Reply(200, {"Content-Type": "application/json"}, body)

    with scripted_server(realm) as service:
        challenge = parse_challenge(f'Bearer realm="{service.url}/token",service="s"')
        auth = Authenticator(Transport(new_client(1), RetryPolicy()), NoCredentials())
        scope = "repository:a/b:pull"
        first = auth.answer("127.0.0.1:1", "http://127.0.0.1:1", scope, challenge, "a/b")
        again = auth.answer("127.0.0.1:1", "http://127.0.0.1:1", scope, challenge, "a/b")
        assert first == again == "Bearer t1"
        assert len(service.requests) == 1
        now = time.monotonic()
        # 65 s of life, renewed 5 s early: still good at +59 s, renewed at +61 s.
        monkeypatch.setattr(time, "monotonic", lambda: now + 59)
        assert auth.cached("127.0.0.1:1", scope) == "Bearer t1"
        monkeypatch.setattr(time, "monotonic", lambda: now + 61)
        renewed = auth.answer("127.0.0.1:1", "http://127.0.0.1:1", scope, challenge, "a/b")
        assert renewed == "Bearer t2"
        assert len(service.requests) == 2
