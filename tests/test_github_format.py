"""``--format github``: one workflow-command annotation per finding, escaped
as GitHub documents, for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinner.report.github import annotation, escape_data, escape_property
from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, free_port, skopeo_digest


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50% done", "50%25 done", "50%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_an_annotation_with_every_property() -> None:
    line = annotation("error", "x\ny", file="a,b:c.yml", line=3, column=7, title="t: 1")
    assert line == "::error file=a%2Cb%3Ac.yml,line=3,col=7,title=t%3A 1::x%0Ay"
    assert annotation("notice", "done") == "::notice::done"


def test_check_warns_for_each_unpinned_reference(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nFROM scratch\n")
    (tmp_path / "bad, name.Dockerfile").write_bytes(b"FROM \xff\n")
    result = run_pinner("check", "--format", "github", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "::error file=bad%2C name.Dockerfile,line=1,title=pinner%3A cannot read::"
        "not UTF-8 text (byte 0xff); left unchanged",
        "::warning file=Dockerfile,line=1,col=6,title=pinner%3A unpinned::python:3.12 has no digest",
    ]


@pytest.mark.registry
def test_pin_and_update_give_notices_and_errors(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("gh/app", "1", content="old")
    (tmp_path / ".pinner.yaml").write_text("retries: 0\nconnect-timeout: 2\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {host}/gh/app:1@{old}\nFROM {host}/gh/new:1\n"
        f"FROM 127.0.0.1:{free_port()}/gh/down:1\n"
    )
    pusher.image("gh/new", "1")
    new, _ = pusher.image("gh/app", "1", content="new")

    pinned = run_pinner("pin", "--format", "github", cwd=tmp_path)
    assert pinned.returncode == 2
    lines = pinned.stdout.splitlines()
    assert lines[0] == (
        f"::notice file=Dockerfile,line=2,col=6,title=pinner%3A added::pinned {host}/gh/new:1"
        f" to {skopeo_digest(f'{host}/gh/new:1')}"
    )
    assert lines[1].startswith("::error file=Dockerfile,line=3,col=6,title=pinner%3A error::")
    assert "unreachable" in lines[1]

    updated = run_pinner("update", "--format", "github", "Dockerfile", cwd=tmp_path)
    [moved] = [line for line in updated.stdout.splitlines() if "updated" in line]
    assert moved.startswith("::notice file=Dockerfile,line=1,col=6,title=pinner%3A updated::")
    assert f"{old} -> {new}" in moved


@pytest.mark.registry
def test_report_and_resolve_in_github_format(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    digest, _ = pusher.image("gh/tool", "latest")
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/gh/tool\n")

    report = run_pinner("report", "--format", "github", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(
        "::notice file=Dockerfile,line=1,title=pinner report%3A floating-tag::"
    )

    resolved = run_pinner(
        "resolve", "--format", "github", f"{host}/gh/tool", f"{host}/gh/none:1", cwd=tmp_path
    )
    assert resolved.returncode == 2
    assert resolved.stdout.splitlines()[0] == (
        f"::notice title=pinner resolve::{host}/gh/tool:latest@{digest}"
    )
    assert resolved.stdout.splitlines()[1].startswith("::error title=pinner resolve::")
