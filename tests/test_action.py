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
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", path.read_text(), re.MULTILINE)
    for action, comment in uses:
        assert re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", action), action
        # The exact version the commit is, for a reviewer: v5.6.0, never v5.
        assert re.match(r"\s*# v\d+\.\d+\.\d+\b", comment), (action, comment)


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


def _run_action(
    workdir: Path, action_path: Path, given: dict[str, str], temp: Path
) -> subprocess.CompletedProcess[str]:
    """Run the action's steps as the runner does; every step but the last must
    pass, and the last one's run is returned."""
    action = yaml.safe_load((action_path / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    steps = action["runs"]["steps"]
    for number, step in enumerate(steps, 1):
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
        if number == len(steps):
            return completed
        assert completed.returncode == 0, (step["name"], completed.stdout, completed.stderr)
    raise AssertionError("the action has no steps")


@pytest.mark.registry
def test_the_action_refreshes_a_stale_pin(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    action_path, workdir, temp = _action_and_repository(tmp_path)
    old, _ = pusher.image("action/app", "1", content="old")
    dockerfile = workdir / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/action/app:1@{old}\n")
    _commit(workdir)
    new, _ = pusher.image("action/app", "1", content="new")

    run = _run_action(workdir, action_path, {"python": sys.executable}, temp)

    assert run.returncode == 0, run.stdout + run.stderr
    assert new == skopeo_digest(f"{registry.host}/action/app:1")
    assert dockerfile.read_text() == f"FROM {registry.host}/action/app:1@{new}\n"
    outputs = _outputs(temp)
    assert outputs == {
        "report": str(temp / "pinner-report.md"),
        "changed": "true",
        "changed-files": "Dockerfile",
        "exit-code": "0",
    }
    assert "::notice file=Dockerfile,line=1,col=6,title=pinner%3A updated::" in run.stdout
    # Installed from the lock, every version as it says.
    venv = temp / "pinner-venv" / "bin" / "python"
    frozen = subprocess.run(
        [str(venv), "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout.lower()
    normalised = frozen.replace("_", "-").replace(".", "-")
    for name, version in _locked().items():
        assert f"{name}=={version.replace('.', '-')}" in normalised, name
    summary = (temp / "summary").read_text()
    assert summary.startswith("### pinner update: image digests")
    assert f"| `{registry.host}/action/app:1` |" in summary and "| updated |" in summary


def _action_and_repository(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The action as a workflow checks it out, a repository, the runner's temp."""
    action_path = tmp_path / "action"
    action_path.mkdir()
    for name in (
        "action.yml",
        "action-requirements.txt",
        "action-requirements.in",
        "pyproject.toml",
        "README.md",
    ):
        shutil.copy(REPO_ROOT / name, action_path / name)
    shutil.copytree(
        REPO_ROOT / "pinner", action_path / "pinner", ignore=shutil.ignore_patterns("__pycache__")
    )
    workdir = tmp_path / "repository"
    workdir.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workdir, check=True)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return action_path, workdir, temp


def _commit(workdir: Path) -> None:
    for command in (["add", "-A"], ["commit", "-qm", "pinned"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *command],
            cwd=workdir,
            check=True,
        )


def _outputs(temp: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: name=value, or name<<DELIMITER lines."""
    lines = (temp / "output").read_text().splitlines()
    outputs: dict[str, str] = {}
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines[0] != delimiter:
                value.append(lines.pop(0))
            lines.pop(0)
            outputs[name] = "\n".join(value)
        else:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


def _locked() -> dict[str, str]:
    """name -> version of every requirement the action's lock installs here."""
    from packaging.markers import Marker

    locked = {}
    for line in (REPO_ROOT / "action-requirements.txt").read_text().splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        requirement, _, marker = line.rstrip(" \\").partition(";")
        name, version = requirement.strip().split("==")
        if not marker.strip() or Marker(marker.strip()).evaluate():
            locked[name.lower()] = version
    return locked


def test_the_lock_satisfies_the_declared_ranges() -> None:
    from packaging.requirements import Requirement

    # pyproject.toml's dependencies: the quoted lines of its first list.
    text = (REPO_ROOT / "pyproject.toml").read_text()
    listed = text.split("dependencies = [", 1)[1].split("\n]", 1)[0]
    declared = [Requirement(found) for found in re.findall(r'^\s*"([^"]+)",', listed, re.M)]
    assert len(declared) >= 5
    locked = _locked()
    for requirement in declared:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = requirement.name.lower().replace(".", "-").replace("_", "-")
        assert name in locked, name
        assert requirement.specifier.contains(locked[name], prereleases=True), (name, locked[name])
    for line in (REPO_ROOT / "action-requirements.txt").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            assert line.rstrip().endswith("\\"), line  # every pin is followed by its hashes


@pytest.mark.registry
def test_a_failed_lookup_fails_the_step_after_the_report(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    action_path, workdir, temp = _action_and_repository(tmp_path)
    digest, _ = pusher.image("action/ok", "1")
    (workdir / ".pinner.yaml").write_text("retries: 0\nconnect-timeout: 2\n")
    (workdir / "Dockerfile").write_text(
        f"FROM {registry.host}/action/ok:1\nFROM {registry.host}/action/absent:1\n"
    )
    _commit(workdir)

    run = _run_action(workdir, action_path, {"python": sys.executable, "command": "pin"}, temp)

    assert run.returncode == 2
    outputs = _outputs(temp)
    assert (outputs["exit-code"], outputs["changed"]) == ("2", "true")
    assert "### pinner pin" in (temp / "summary").read_text()
    assert (
        "::error file=Dockerfile,line=2,col=6,title=pinner%3A error::"
        f"{registry.host}/action/absent:1: not found"
    ) in run.stdout
    assert f"action/ok:1@{digest}" in (workdir / "Dockerfile").read_text()

    relaxed = _run_action(
        workdir,
        action_path,
        {"python": sys.executable, "command": "pin", "fail-on-error": "false"},
        temp,
    )
    assert relaxed.returncode == 0


@pytest.mark.registry
def test_text_format_and_a_file_changed_before_pinner_ran(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    action_path, workdir, temp = _action_and_repository(tmp_path)
    digest, _ = pusher.image("action/text", "1")
    dockerfile = workdir / "Dockerfile"
    dockerfile.write_text("FROM scratch\n")
    _commit(workdir)
    # An earlier step of the job changes the file pinner then pins.
    dockerfile.write_text(f"FROM {registry.host}/action/text:1\n")

    run = _run_action(
        workdir, action_path, {"python": sys.executable, "command": "pin", "format": "text"}, temp
    )

    assert run.returncode == 0, run.stdout + run.stderr
    outputs = _outputs(temp)
    assert (outputs["changed"], outputs["changed-files"]) == ("true", "Dockerfile")
    report = (temp / "pinner-report.txt").read_text()
    assert f"Dockerfile:1: pinned {registry.host}/action/text:1 to {digest}" in report
    assert "pinned 1 reference in 1 file" in report
    assert report in (temp / "summary").read_text()
