from __future__ import annotations

import time

import pytest

from pinner.files import FileError
from pinner.kinds.compose import looks_like_compose, scan_compose
from pinner.site import SiteKind, Verdict
from tests.support.pinning import expand_pins, pin_text

HEX = "0" * 64


def pin_compose(text: str) -> str:
    return pin_text(text, compose=True)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "services:\n  web:\n    image: nginx:1.25\n",
            "services:\n  web:\n    image: nginx:1.25@PIN(nginx:1.25)\n",
            id="plain",
        ),
        pytest.param(
            "services:\n  web:\n    image: 'nginx:1.25'\n",
            "services:\n  web:\n    image: 'nginx:1.25@PIN(nginx:1.25)'\n",
            id="single-quoted",
        ),
        pytest.param(
            'services:\n  web:\n    image: "nginx:1.25"\n',
            'services:\n  web:\n    image: "nginx:1.25@PIN(nginx:1.25)"\n',
            id="double-quoted",
        ),
        pytest.param(
            "services:\n  web: {image: nginx:1.25, ports: ['80:80']}\n",
            "services:\n  web: {image: nginx:1.25@PIN(nginx:1.25), ports: ['80:80']}\n",
            id="flow-mapping",
        ),
        pytest.param(
            "services:\n  web:\n    image: nginx:1.25   # the web server\n    ports: [80]\n",
            "services:\n  web:\n    image: nginx:1.25@PIN(nginx:1.25)   # the web server\n    ports: [80]\n",
            id="trailing-comment",
        ),
        pytest.param(
            "x-base: &base\n  image: python:3.12\n  restart: always\nservices:\n"
            "  a:\n    <<: *base\n  b:\n    <<: *base\n    command: [x]\n",
            "x-base: &base\n  image: python:3.12@PIN(python:3.12)\n  restart: always\nservices:\n"
            "  a:\n    <<: *base\n  b:\n    <<: *base\n    command: [x]\n",
            id="merge-key",
        ),
        pytest.param(
            "x-img: &img redis:7\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n",
            "x-img: &img redis:7@PIN(redis:7)\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n",
            id="alias",
        ),
        pytest.param(
            "services:\n  a:\n    <<: [*x, *y]\n",
            None,
            id="undefined-alias-is-an-error",
        ),
        pytest.param(
            "services:\n  app:\n    image: ghcr.io/org/app:${APP_VERSION:-release}\n",
            "services:\n  app:\n    image: ghcr.io/org/app:${APP_VERSION:-release@PIN(ghcr.io/org/app:release)}\n",
            id="interpolation-default",
        ),
        pytest.param(
            'services:\n  app:\n    image: "${IMAGE-postgres:16}"\n',
            'services:\n  app:\n    image: "${IMAGE-postgres:16@PIN(postgres:16)}"\n',
            id="interpolation-dash",
        ),
        pytest.param(
            "\ufeff---\r\nservices:\r\n  db:\r\n    image: postgres:16\r\n...\r\n",
            "\ufeff---\r\nservices:\r\n  db:\r\n    image: postgres:16@PIN(postgres:16)\r\n...\r\n",
            id="bom-crlf-markers",
        ),
        pytest.param(
            "services:\n  cache:\n    image: memcached\n",
            "services:\n  cache:\n    image: memcached:latest@PIN(memcached:latest)\n",
            id="untagged",
        ),
    ],
)
def test_compose_fix(src: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(FileError):
            scan_compose("compose.yaml", src)
        return
    assert pin_compose(src) == expand_pins(expected)
    assert pin_compose(expand_pins(expected)) == expand_pins(expected)


@pytest.mark.parametrize(
    ("src", "verdict", "reason"),
    [
        pytest.param(
            "services:\n  app:\n    build: .\n    image: myorg/app:dev\n",
            Verdict.IGNORED,
            "builds this image locally",
            id="built",
        ),
        pytest.param(
            "x: &b\n  build: .\nservices:\n  app:\n    <<: *b\n    image: myorg/app:dev\n",
            Verdict.IGNORED,
            "builds this image locally",
            id="built-through-merge",
        ),
        pytest.param(
            "services:\n  app:\n    image: ${IMAGE}\n",
            Verdict.VARIABLE,
            "no default",
            id="bare-var",
        ),
        pytest.param(
            "services:\n  app:\n    image: $REG/app:$TAG\n",
            Verdict.VARIABLE,
            "several",
            id="several",
        ),
        pytest.param(
            "services:\n  app:\n    image: app:${TAG?set TAG}\n",
            Verdict.VARIABLE,
            "no default image",
            id="required",
        ),
        pytest.param(
            "services:\n  app:\n    image: |\n      nginx:1.25\n",
            Verdict.NOT_PLAIN,
            "block scalar",
            id="block",
        ),
        pytest.param(
            f"services:\n  app:\n    image: nginx:1.25@sha256:{HEX}\n",
            Verdict.PINNED,
            "",
            id="pinned",
        ),
        pytest.param(
            "services:\n  app:\n    image: app$$x:1\n", Verdict.VARIABLE, "literal '$'", id="dollar"
        ),
        pytest.param(
            'services:\n  app:\n    image: "nginx\\x3a1.25"\n',
            Verdict.NOT_PLAIN,
            "escapes",
            id="escape",
        ),
        pytest.param(
            "services:\n  app:\n    image: docker.io/library\n      /nginx:1.25\n",
            Verdict.NOT_PLAIN,
            "spread over lines",
            id="multiline-plain",
        ),
    ],
)
def test_compose_noop(src: str, verdict: Verdict, reason: str) -> None:
    assert pin_compose(src) == src
    [site] = scan_compose("compose.yaml", src)
    assert site.verdict is verdict
    assert reason in site.reason


def test_build_without_image_has_no_site() -> None:
    assert scan_compose("compose.yaml", "services:\n  app:\n    build: .\n") == []


def test_site_position() -> None:
    [site] = scan_compose("c.yaml", "\ufeffservices:\n  a:\n    image: 'x:1'\n")
    assert (site.kind, site.line, site.column, site.text) == (SiteKind.COMPOSE_IMAGE, 3, 13, "x:1")


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(FileError) as raised:
        scan_compose("compose.yaml", "services:\n  a:\n    image: [unclosed\n  b: x\n")
    assert str(raised.value).startswith("compose.yaml:")
    assert "invalid YAML" in str(raised.value)
    assert raised.value.line is not None


def test_alias_bomb_is_not_expanded() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 12):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines += ["services:", "  web:", "    image: nginx:1.25", "    labels: *a11"]
    text = "\n".join(lines) + "\n"
    started = time.monotonic()
    sites = scan_compose("compose.yaml", text)
    assert time.monotonic() - started < 5
    assert [site.text for site in sites] == ["nginx:1.25"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  a:\n    image: x\n", True),
        ("version: '3'\nservices: {}\n", True),
        ("FROM python:3.12\n", False),
        ("services:\n  - a\n", False),
        ("not: [valid\nservices:\n", False),
    ],
)
def test_looks_like_compose(text: str, expected: bool) -> None:
    assert looks_like_compose(text) is expected
