"""GitHub Actions workflows and action metadata: every image they name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinner.kinds.github_actions import scan_action, scan_workflow
from pinner.site import SiteKind, Verdict
from tests.conftest import run_pinner
from tests.support.pinning import expand_pins, pin_text
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

JOB = "jobs:\n  j:\n    runs-on: ubuntu-latest\n"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            JOB + "    container: node:20\n",
            JOB + "    container: node:20@PIN(node:20)\n",
            id="container-string",
        ),
        pytest.param(
            JOB + "    container:\n      image: 'node:20'\n",
            JOB + "    container:\n      image: 'node:20@PIN(node:20)'\n",
            id="container-mapping",
        ),
        pytest.param(
            JOB + '    services:\n      db: {image: "postgres:16"}\n',
            JOB + '    services:\n      db: {image: "postgres:16@PIN(postgres:16)"}\n',
            id="service-flow",
        ),
        pytest.param(
            JOB + "    steps:\n      - uses: docker://alpine:3.19  # run it\n",
            JOB + "    steps:\n      - uses: docker://alpine:3.19@PIN(alpine:3.19)  # run it\n",
            id="docker-uses",
        ),
        pytest.param(
            JOB.replace("\n", "\r\n") + "    steps:\r\n      - uses: docker://busybox\r\n",
            JOB.replace("\n", "\r\n")
            + "    steps:\r\n      - uses: docker://busybox:latest@PIN(busybox:latest)\r\n",
            id="untagged-crlf",
        ),
    ],
)
def test_workflow_fix(src: str, expected: str) -> None:
    assert pin_text(src, kind="github-workflow") == expand_pins(expected)


@pytest.mark.parametrize(
    ("src", "verdict", "reason"),
    [
        pytest.param(
            JOB + "    container: ${{ matrix.image }}\n",
            Verdict.VARIABLE,
            "GitHub Actions expression",
            id="expression",
        ),
        pytest.param(
            JOB + "    steps:\n      - uses: docker://ghcr.io/o/t:${{ github.sha }}\n",
            Verdict.VARIABLE,
            "known only when the workflow runs",
            id="expression-in-uses",
        ),
        pytest.param(
            JOB + "    container: node:20 # pinner: ignore\n",
            Verdict.IGNORED,
            "pinner: ignore",
            id="ignored",
        ),
    ],
)
def test_workflow_noop(src: str, verdict: Verdict, reason: str) -> None:
    assert pin_text(src, kind="github-workflow") == src
    [site] = scan_workflow("w.yml", src)
    assert site.verdict is verdict and reason in site.reason


def test_actions_and_runs_are_not_images() -> None:
    src = JOB + "    steps:\n      - uses: actions/checkout@v4\n      - run: docker pull x:1\n"
    assert scan_workflow("w.yml", src) == []


@pytest.mark.parametrize(
    ("src", "pinned"),
    [
        ("runs:\n  using: docker\n  image: docker://debian:12\n", True),
        ("runs:\n  using: docker\n  image: Dockerfile\n", False),
        ("runs:\n  using: node20\n  main: index.js\n", False),
    ],
)
def test_action_metadata(src: str, pinned: bool) -> None:
    sites = scan_action("action.yml", src)
    assert [s.kind for s in sites] == ([SiteKind.GHA_DOCKER_USES] if pinned else [])
    if pinned:
        assert pin_text(src, kind="github-action") == src.replace(
            "debian:12", "debian:12" + expand_pins("@PIN(debian:12)")
        )


@pytest.mark.registry
def test_workflows_and_actions_are_found_and_pinned(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name in ("runner", "db", "tool", "linter"):
        pusher.image(f"gha/{name}", "1")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    workflow = workflows / "ci.yml"
    expression = "${{ matrix.image }}"
    workflow.write_bytes(
        (
            "\ufeffon: push\r\njobs:\r\n  test:\r\n    runs-on: ubuntu-latest\r\n"
            f"    container: {host}/gha/runner:1\r\n"
            f"    services:\r\n      db:\r\n        image: '{host}/gha/db:1'\r\n"
            f"      other:\r\n        image: {expression}\r\n"
            f"    steps:\r\n      - uses: actions/checkout@v4\r\n"
            f"      - uses: docker://{host}/gha/tool:1\r\n"
        ).encode()
    )
    action = tmp_path / "lint" / "action.yml"
    action.parent.mkdir()
    action.write_text(f"runs:\n  using: docker\n  image: docker://{host}/gha/linter:1\n")

    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    kinds = sorted((s["file"], s["kind"], s["status"]) for s in report["sites"])
    assert kinds == [
        (".github/workflows/ci.yml", "gha-container", "added"),
        (".github/workflows/ci.yml", "gha-docker-uses", "added"),
        (".github/workflows/ci.yml", "gha-service", "added"),
        (".github/workflows/ci.yml", "gha-service", "skipped"),
        ("lint/action.yml", "gha-docker-uses", "added"),
    ]
    text = workflow.read_bytes().decode()
    for name in ("runner", "db", "tool"):
        digest = skopeo_digest(f"{host}/gha/{name}:1")
        assert f"{host}/gha/{name}:1@{digest}" in text
    assert text.startswith("\ufeff") and text.count("\r\n") == 13
    assert f"image: {expression}\r\n" in text
    linter = skopeo_digest(f"{host}/gha/linter:1")
    assert action.read_text().endswith(f"docker://{host}/gha/linter:1@{linter}\n")
    assert run_pinner("check", cwd=tmp_path).returncode == 0
