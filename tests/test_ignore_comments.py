from __future__ import annotations

import pytest

from pinner.kinds.compose import scan_compose
from pinner.kinds.dockerfile import scan_dockerfile
from pinner.site import Verdict


@pytest.mark.parametrize(
    ("src", "verdicts"),
    [
        pytest.param("# pinner: ignore\nFROM a:1\nFROM b:1\n", ["ignored", "pin"], id="above"),
        pytest.param("#pinner:ignore\nfrom a:1\n", ["ignored"], id="tight"),
        pytest.param("# pinner: ignore\n\nFROM a:1\n", ["pin"], id="not-directly-above"),
        pytest.param("FROM a:1 # pinner: ignore\n", ["pin"], id="not-on-the-line"),
        pytest.param(
            "FROM scratch\n# pinner: ignore\nCOPY --from=a:1 / /\nCOPY --from=b:1 / /\n",
            ["scratch", "ignored", "pin"],
            id="copy",
        ),
        pytest.param(
            "# pinner: ignore\nARG BASE=python:3.12\nFROM $BASE\n", ["ignored"], id="arg-default"
        ),
    ],
)
def test_dockerfile_ignore_comment(src: str, verdicts: list[str]) -> None:
    assert [site.verdict.value for site in scan_dockerfile("Dockerfile", src)] == verdicts


@pytest.mark.parametrize(
    ("src", "ignored"),
    [
        pytest.param("services:\n  a:\n    image: x:1  # pinner: ignore\n", True, id="on"),
        pytest.param("services:\n  a:\n    # pinner: ignore\n    image: x:1\n", True, id="above"),
        pytest.param("services:\n  a:\n    image: x:1  # keep\n", False, id="other-comment"),
        pytest.param("services:  # pinner: ignore\n  a:\n    image: x:1\n", False, id="far"),
    ],
)
def test_compose_ignore_comment(src: str, ignored: bool) -> None:
    [site] = scan_compose("compose.yaml", src)
    assert (site.verdict is Verdict.IGNORED) is ignored
