"""pinner's GitHub Action, run the way the runner runs a composite action,
and the examples that practise what pinner preaches."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

ACTION = REPO_ROOT / "action.yml"
GITHUB_FILES = [ACTION, REPO_ROOT / "examples" / "refresh-digests.yml"]
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    zizmor = Path(sys.executable).with_name("zizmor")
    completed = subprocess.run(
        [str(zizmor), "--offline", "--format", "json", *map(str, GITHUB_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode in (0, 10, 11, 12, 13, 14), completed.stderr
    findings = json.loads(completed.stdout)
    serious = [
        finding
        for finding in findings
        if finding["determinations"]["severity"].lower() in ("medium", "high")
    ]
    assert serious == []


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda path: path.name)
def test_every_uses_names_a_full_commit(path: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)", path.read_text(), re.MULTILINE)
    for action in uses:
        assert re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", action), action


def test_the_example_workflow_uses_the_action_and_least_permissions() -> None:
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "refresh-digests.yml").read_text())
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["refresh"]
    assert set(job["permissions"]) == {"contents", "pull-requests"}
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    pinner = next(s for s in steps if s.get("id") == "pinner")
    assert pinner["uses"].split("@")[0].endswith("/pinner")
    assert pinner["with"] == {"command": "update", "format": "markdown"}
    assert not any("pip install" in s.get("run", "") for s in steps)


def _runner_env(value: str, inputs: dict[str, str], action_path: Path) -> str:
    """What the runner makes of ``${{ inputs.x }}`` and ``${{ github.action_path }}``."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(action_path)
        assert name.startswith("inputs."), name
        return inputs[name.removeprefix("inputs.")]

    return EXPRESSION.sub(expand, value)


def _run_action(workdir: Path, action_path: Path, given: dict[str, str], temp: Path) -> None:
    action = yaml.safe_load((action_path / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash" and not EXPRESSION.search(step["run"])
        env = {
            **os.environ,
            "RUNNER_TEMP": str(temp),
            "GITHUB_OUTPUT": str(temp / "output"),
            "GITHUB_STEP_SUMMARY": str(temp / "summary"),
            "GITHUB_ACTION_PATH": str(action_path),
        }
        env.update({k: _runner_env(str(v), inputs, action_path) for k, v in step["env"].items()})
        script = temp / "step.sh"
        script.write_text(step["run"])
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, (step["name"], completed.stdout, completed.stderr)


@pytest.mark.registry
def test_the_action_refreshes_a_stale_pin(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    action_path = tmp_path / "action"
    action_path.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, action_path / name)
    shutil.copytree(
        REPO_ROOT / "pinner", action_path / "pinner", ignore=shutil.ignore_patterns("__pycache__")
    )
    old, _ = pusher.image("action/app", "1", content="old")
    workdir = tmp_path / "repository"
    workdir.mkdir()
    dockerfile = workdir / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/action/app:1@{old}\n")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "pinned"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *command],
            cwd=workdir,
            check=True,
        )
    new, _ = pusher.image("action/app", "1", content="new")
    temp = tmp_path / "runner-temp"
    temp.mkdir()

    _run_action(workdir, action_path, {"python": sys.executable}, temp)

    assert new == skopeo_digest(f"{registry.host}/action/app:1")
    assert dockerfile.read_text() == f"FROM {registry.host}/action/app:1@{new}\n"
    outputs = dict(line.split("=", 1) for line in (temp / "output").read_text().splitlines())
    assert outputs == {
        "report": str(temp / "pinner-report.md"),
        "changed": "true",
        "exit-code": "0",
    }
    summary = (temp / "summary").read_text()
    assert summary.startswith("### pinner update: image digests")
    assert f"| `{registry.host}/action/app:1` |" in summary and "| updated |" in summary
