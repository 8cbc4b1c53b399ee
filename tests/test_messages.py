"""Messages that say what to do, on the stream a user expects, with the exit
code documented; reports that never claim what was not checked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.fault_proxy import Fault, fault_proxy
from tests.support.registry import Pusher, RunningRegistry, free_port

pytestmark = pytest.mark.registry

HEX = "0" * 64


def test_markdown_offline_says_freshness_was_not_checked(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12@sha256:{HEX}\nFROM scratch\n")
    result = run_pinner("check", "--format", "markdown", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert (
        "All 1 image references are pinned; freshness not checked (run `pinner check --stale`)."
        in result.stdout
    )
    assert "current" not in result.stdout


def test_markdown_with_no_file_says_so(tmp_path: Path) -> None:
    result = run_pinner("check", "--format", "markdown", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "No file of the kinds pinner reads under `.`." in result.stdout


def test_markdown_with_a_registry_down_claims_nothing(tmp_path: Path) -> None:
    (tmp_path / ".pinner.yaml").write_text("retries: 0\nconnect-timeout: 2\n")
    (tmp_path / "Dockerfile").write_text(f"FROM 127.0.0.1:{free_port()}/down/app:1@sha256:{HEX}\n")
    result = run_pinner("check", "--stale", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 2
    assert "current" not in result.stdout
    assert "Nothing to change in what could be checked" in result.stdout
    assert "#### Could not be checked" in result.stdout
    assert "unreachable" in result.stderr


@pytest.mark.parametrize("output", ["json", "markdown", "text"])
def test_a_bad_configuration_still_gives_one_report(tmp_path: Path, output: str) -> None:
    (tmp_path / ".pinner.yaml").write_text("jobs: many\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    result = run_pinner("check", "--format", output, cwd=tmp_path)
    assert result.returncode == 2
    problem = ".pinner.yaml:1: 'jobs' must be a whole number from 1 to 256"
    assert result.stderr.startswith("pinner: ") and problem in result.stderr
    if output == "json":
        document = json.loads(result.stdout)
        assert document["summary"]["exit_code"] == 2
        assert [e["message"] for e in document["file_errors"]] == [
            "'jobs' must be a whole number from 1 to 256"
        ]
    elif output == "markdown":
        assert "#### Could not be checked" in result.stdout


def test_json_names_the_reference_wherever_it_is_known(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "# pinner: ignore\nFROM python:3.12\nFROM alpine@sha256:" + HEX + "\n"
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    build: .\n    image: registry.example/app:2\n"
    )
    document = json.loads(run_pinner("check", "--format", "json", cwd=tmp_path).stdout)
    by_text = {site["text"]: site for site in document["sites"]}
    assert by_text["python:3.12"]["reference"] == "python:3.12"
    assert by_text["python:3.12"]["verdict"] == "ignored"
    assert by_text["registry.example/app:2"]["reference"] == "registry.example/app:2"
    assert by_text["registry.example/app:2"]["tag"] == "2"
    digest_only = by_text[f"alpine@sha256:{HEX}"]
    assert (digest_only["tag"], digest_only["image"]) == (None, "docker.io/library/alpine")


def test_short_options_and_a_usage_error(tmp_path: Path) -> None:
    version = run_pinner("-V", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, run_pinner("--version", cwd=tmp_path).stdout)
    assert version.stdout.startswith("pinner ")
    helped = run_pinner("check", "-h", cwd=tmp_path)
    assert helped.returncode == 0 and "--force-exclude" in helped.stdout
    both = run_pinner("check", "--quiet", "--verbose", cwd=tmp_path)
    assert both.returncode == 2 and both.stdout == ""
    assert "--quiet and --verbose cannot go together" in both.stderr


def _docker_config(tmp_path: Path, text: str) -> dict[str, str]:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    (folder / "config.json").write_text(text)
    return {"DOCKER_CONFIG": str(folder)}


def _pin_where_credentials_are_asked_for(
    pusher: Pusher, registry: RunningRegistry, tmp_path: Path, config_json: str
) -> tuple[str, subprocess.CompletedProcess[str], dict[str, str]]:
    """Pin an image from a registry that answers 401 with a Basic challenge, so
    that pinner reads the Docker config given; return the host pinned from."""
    pusher.image("msg/app", "1")
    env = _docker_config(tmp_path, config_json)
    with fault_proxy(registry.host) as proxy:
        challenge = {"WWW-Authenticate": 'Basic realm="test"'}
        proxy.add(*(Fault("status", path="/manifests/", status=401, headers=challenge),) * 2)
        project = tmp_path / "project"
        project.mkdir()
        (project / "Dockerfile").write_text(f"FROM {proxy.host}/msg/app:1\n")
        result = run_pinner("pin", cwd=project, env=env)
    assert (project / "Dockerfile").read_text() == f"FROM {proxy.host}/msg/app:1\n"
    return proxy.host, result, env


def test_a_malformed_docker_config_is_one_warning(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host, result, env = _pin_where_credentials_are_asked_for(
        pusher, registry, tmp_path, '{"auths": {'
    )

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    warnings = [line for line in lines if line.startswith("pinner: warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"pinner: warning: {config} is not valid JSON (")
    assert warnings[0].endswith("); its credentials are not used")
    assert (
        f"Dockerfile:1: {host}/msg/app:1: denied: {host} requires credentials for"
        f" {host}/msg/app (if you have an account there: docker login {host})"
    ) in lines
    assert "Traceback" not in result.stderr and "UserWarning" not in result.stderr


def test_a_missing_credential_helper_is_one_line(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host, result, _ = _pin_where_credentials_are_asked_for(
        pusher, registry, tmp_path, '{"credsStore": "desktop"}'
    )

    assert "UserWarning" not in result.stderr and "site-packages" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "pinner: warning: the credential helper docker-credential-desktop named in the Docker"
        f" config is not installed; asking {host} without credentials"
    ]
    assert result.returncode == 2  # the registry wanted credentials pinner does not have
    assert f"docker login {host}" in result.stderr


def test_a_skip_message_names_the_stage_that_declares_the_arg_again(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE=python:3.12\nFROM ${BASE} AS build\nARG BASE\nRUN echo $BASE\n"
    )
    result = run_pinner("check", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        "Dockerfile:2: skipped ${BASE}: ARG BASE is declared again in stage 'build' on line 3,"
        " where RUN would see the digest; give the variable that stage uses another name"
    )
