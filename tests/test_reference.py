from __future__ import annotations

import pytest

from pinner.reference import InvalidReferenceError, is_sha256_digest, parse_reference

HEX = "a" * 64


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        pytest.param("python", "docker.io/library/python", None, None, id="bare"),
        pytest.param("python:3.12-slim", "docker.io/library/python", "3.12-slim", None, id="tag"),
        pytest.param(
            f"python@sha256:{HEX}", "docker.io/library/python", None, f"sha256:{HEX}", id="digest"
        ),
        pytest.param(
            f"python:3.12@sha256:{HEX}",
            "docker.io/library/python",
            "3.12",
            f"sha256:{HEX}",
            id="tag-and-digest",
        ),
        pytest.param("myorg/app", "docker.io/myorg/app", None, None, id="hub-org"),
        pytest.param("library/python:3", "docker.io/library/python", "3", None, id="hub-library"),
        pytest.param("docker.io/python", "docker.io/library/python", None, None, id="hub-domain"),
        pytest.param(
            "index.docker.io/library/python", "docker.io/library/python", None, None, id="index"
        ),
        pytest.param(
            "registry-1.docker.io/library/python:3",
            "docker.io/library/python",
            "3",
            None,
            id="registry-1",
        ),
        pytest.param("localhost:5000/a", "localhost:5000/a", None, None, id="localhost-port"),
        pytest.param("localhost/a:1", "localhost/a", "1", None, id="localhost"),
        pytest.param(
            "registry.example.com:5000/a/b/c:v1",
            "registry.example.com:5000/a/b/c",
            "v1",
            None,
            id="host-port-nested",
        ),
        pytest.param("[::1]:5000/a:1", "[::1]:5000/a", "1", None, id="ipv6"),
        pytest.param("registry:5000/x", "registry:5000/x", None, None, id="port-makes-host"),
        pytest.param("ghcr.io/org/app:v1", "ghcr.io/org/app", "v1", None, id="ghcr"),
        pytest.param(
            "quay.io/a__b/c.d-e--f:x", "quay.io/a__b/c.d-e--f", "x", None, id="separators"
        ),
        pytest.param("a:" + "t" * 128, "docker.io/library/a", "t" * 128, None, id="tag-128"),
        pytest.param("a:_x.Y-z", "docker.io/library/a", "_x.Y-z", None, id="tag-chars"),
    ],
)
def test_parse_valid(text: str, repository: str, tag: str | None, digest: str | None) -> None:
    reference = parse_reference(text)
    assert reference.original == text
    assert str(reference) == text
    assert reference.repository == repository
    assert reference.tag == tag
    assert reference.digest == digest


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("Python:3", "lower case", id="upper-case"),
        pytest.param("python:", "tag ''", id="empty-tag"),
        pytest.param("python:" + "t" * 129, "at most 128", id="tag-129"),
        pytest.param("python:-x", "invalid", id="tag-dash"),
        pytest.param("python@sha256:abc", "64 lower-case hex", id="short-digest"),
        pytest.param("python@sha256:" + "A" * 64, "64 lower-case hex", id="upper-digest"),
        pytest.param("python@nope", "malformed", id="no-algorithm"),
        pytest.param("a//b", "empty component", id="empty-component"),
        pytest.param("a/b_-c", "invalid", id="bad-separator"),
        pytest.param("-a", "invalid", id="leading-dash"),
        pytest.param("py thon", "white space", id="space"),
        pytest.param("bad_host.io:x/a", "registry host", id="bad-host"),
        pytest.param("a" * 256, "longer than 255", id="too-long"),
    ],
)
def test_parse_invalid(text: str, problem: str) -> None:
    with pytest.raises(InvalidReferenceError) as raised:
        parse_reference(text)
    assert repr(text) in str(raised.value)
    assert problem in str(raised.value)


def test_docker_hub_spellings_are_one_image() -> None:
    spellings = [
        "python:3.12",
        "library/python:3.12",
        "docker.io/library/python:3.12",
        "docker.io/python:3.12",
        "index.docker.io/library/python:3.12",
        "registry-1.docker.io/library/python:3.12",
    ]
    keys = {parse_reference(text).lookup_key for text in spellings}
    assert keys == {"docker.io/library/python:3.12"}
    assert {parse_reference(text).api_host for text in spellings} == {"registry-1.docker.io"}


def test_untagged_tracks_latest() -> None:
    reference = parse_reference("alpine")
    assert reference.tracked_tag == "latest"
    assert reference.lookup_key == parse_reference("alpine:latest").lookup_key


def test_other_registry_api_host_is_the_domain() -> None:
    assert parse_reference("127.0.0.1:5000/a:1").api_host == "127.0.0.1:5000"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (f"sha256:{HEX}", True),
        ("sha256:" + "0" * 63, False),
        ("sha256:" + "0" * 65, False),
        ("sha256:" + "G" * 64, False),
        ("sha512:" + "0" * 64, False),
        (f"sha256:{HEX}\nextra", False),
        ("", False),
    ],
)
def test_is_sha256_digest(value: str, valid: bool) -> None:
    assert is_sha256_digest(value) is valid
