"""The ``# syntax=`` parser directive names the BuildKit frontend image."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinner.kinds.dockerfile import scan_dockerfile
from pinner.site import SiteKind, Verdict
from tests.conftest import run_pinner
from tests.support.pinning import expand_pins, pin_text
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

HEX = "0" * 64


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "# syntax=docker/dockerfile:1\nFROM scratch\n",
            "# syntax=docker/dockerfile:1@PIN(docker/dockerfile:1)\nFROM scratch\n",
            id="plain",
        ),
        pytest.param(
            "#syntax = docker/dockerfile:1.7  \r\nFROM scratch\r\n",
            "#syntax = docker/dockerfile:1.7@PIN(docker/dockerfile:1.7)  \r\nFROM scratch\r\n",
            id="spacing-crlf",
        ),
        pytest.param(
            "\ufeff# SYNTAX=docker/dockerfile:1\nFROM scratch\n",
            "\ufeff# SYNTAX=docker/dockerfile:1@PIN(docker/dockerfile:1)\nFROM scratch\n",
            id="bom-case",
        ),
        pytest.param(
            "# escape=`\n# check=skip=all\n# syntax=docker/dockerfile:1\nFROM scratch\n",
            "# escape=`\n# check=skip=all\n"
            "# syntax=docker/dockerfile:1@PIN(docker/dockerfile:1)\nFROM scratch\n",
            id="after-other-directives",
        ),
    ],
)
def test_syntax_fix(src: str, expected: str) -> None:
    assert pin_text(src) == expand_pins(expected)
    assert pin_text(expand_pins(expected)) == expand_pins(expected)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("\n# syntax=docker/dockerfile:1\nFROM scratch\n", id="after-a-blank-line"),
        pytest.param(
            "# a comment\n# syntax=docker/dockerfile:1\nFROM scratch\n", id="after-comment"
        ),
        pytest.param("FROM scratch\n# syntax=docker/dockerfile:1\n", id="after-instruction"),
        pytest.param("# check=skip=all\nFROM scratch\n", id="check-is-not-an-image"),
        pytest.param("# escape=`\nFROM scratch\n", id="escape-is-not-an-image"),
    ],
)
def test_syntax_noop(src: str) -> None:
    assert pin_text(src) == src
    assert not [s for s in scan_dockerfile("Dockerfile", src) if s.kind is SiteKind.SYNTAX]


def test_a_pinned_frontend_is_pinned() -> None:
    src = f"# syntax=docker/dockerfile:1@sha256:{HEX}\nFROM scratch\n"
    [site] = [s for s in scan_dockerfile("Dockerfile", src) if s.kind is SiteKind.SYNTAX]
    assert (site.verdict, site.line, site.column) == (Verdict.PINNED, 1, 10)


@pytest.mark.registry
def test_the_frontend_is_pinned_against_the_registry(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.index("docker/dockerfile", "1")
    dockerfile = tmp_path / "Dockerfile"
    text = f"# syntax={registry.host}/docker/dockerfile:1\r\nFROM scratch\r\n"
    dockerfile.write_bytes(text.encode())
    check = run_pinner("check", cwd=tmp_path)
    assert check.returncode == 1
    assert f"Dockerfile:1: {registry.host}/docker/dockerfile:1 has no digest" in check.stdout

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    digest = skopeo_digest(f"{registry.host}/docker/dockerfile:1")
    assert dockerfile.read_bytes() == text.replace(":1\r", f":1@{digest}\r", 1).encode()
