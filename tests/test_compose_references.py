"""Compose files that include or extend others, followed against the real
registry; and what pinner says when it finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry


def test_extends_and_include_are_followed_each_once(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name in ("common", "included", "nested"):
        pusher.image(f"refs/{name}", "1")
    (tmp_path / "compose.yaml").write_text(
        "include:\n"
        "  - ops/included.yaml\n"
        "  - path: [ops/included.yaml]\n"
        "services:\n"
        "  web:\n"
        "    extends:\n"
        "      file: common-services.yml\n"
        "      service: base\n"
        "  worker:\n"
        "    extends: {file: ./common-services.yml, service: base}\n"
    )
    (tmp_path / "common-services.yml").write_text(
        f"services:\n  base:\n    image: {host}/refs/common:1\n"
    )
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "included.yaml").write_text(
        f"include: [nested/more.yaml]\nservices:\n  job:\n    image: '{host}/refs/included:1'\n"
    )
    (tmp_path / "ops" / "nested").mkdir()
    (tmp_path / "ops" / "nested" / "more.yaml").write_text(
        f"services:\n  more:\n    image: {host}/refs/nested:1\n"
    )

    check = run_pinner("check", "--format", "json", "compose.yaml", cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    files = sorted(site["file"] for site in json.loads(check.stdout)["sites"])
    assert files == ["common-services.yml", "ops/included.yaml", "ops/nested/more.yaml"]

    pinned = run_pinner("pin", cwd=tmp_path)

    assert pinned.returncode == 0, pinned.stderr
    for path, name in (
        ("common-services.yml", "common"),
        ("ops/included.yaml", "included"),
        ("ops/nested/more.yaml", "nested"),
    ):
        digest = skopeo_digest(f"{host}/refs/{name}:1")
        assert f"{host}/refs/{name}:1@{digest}" in (tmp_path / path).read_text(), path
    assert run_pinner("check", cwd=tmp_path).returncode == 0


def test_a_missing_or_outside_reference_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "shared.yaml").write_text("services:\n  x:\n    image: redis:7\n")
    (project / "compose.yaml").write_text(
        "include:\n  - gone.yaml\n  - ../shared.yaml\nservices:\n  a:\n    image: scratch\n"
    )
    result = run_pinner("check", cwd=project)
    assert result.returncode == 2
    assert "gone.yaml: no such file (named on compose.yaml:2)" in result.stderr
    assert "../shared.yaml: outside . (named on compose.yaml:3); not followed" in result.stderr


def test_nothing_found_is_said_and_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("FROM python:3.12\n")
    result = run_pinner("check", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "no file of the kinds pinner reads under .\n",
        "",
    )
    pin = run_pinner("pin", "docs", cwd=tmp_path)
    assert pin.returncode == 2  # a path that does not exist is an error
    (tmp_path / "docs").mkdir()
    pin = run_pinner("pin", "docs", cwd=tmp_path)
    assert (pin.returncode, pin.stderr) == (0, "no file of the kinds pinner reads under docs\n")


def test_force_exclude_applies_exclude_to_named_files(tmp_path: Path) -> None:
    (tmp_path / ".pinner.yaml").write_text("exclude: [legacy/**]\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text("FROM python:2.7\n")
    named = run_pinner("check", "legacy/Dockerfile", cwd=tmp_path)
    assert named.returncode == 1  # named files are taken, as a user asked for them
    forced = run_pinner("check", "--force-exclude", "legacy/Dockerfile", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
