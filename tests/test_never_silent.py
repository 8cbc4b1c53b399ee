"""Never silent about what a file holds: duplicate keys, references pinner
has to skip (findings with --strict), text it cannot take, and messages
that keep to one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

HEX = "0" * 64

DUPLICATES = [
    pytest.param(
        "compose.yaml",
        "services:\n  web:\n    image: {ref}\n    ports: ['80']\n    image: {ref}\n",
        5,
        "image",
        id="compose-service",
    ),
    pytest.param(
        "deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n"
        "    - name: a\n      image: {ref}\n      image: {ref}\n",
        8,
        "image",
        id="kubernetes-container",
    ),
    pytest.param(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  build:\n    runs-on: x\n    container: {ref}\n"
        "    steps: []\n  build:\n    runs-on: y\n",
        7,
        "build",
        id="workflow-job",
    ),
    pytest.param(
        ".gitlab-ci.yml",
        "test:\n  image: {ref}\n  script: [x]\ntest:\n  script: [y]\n",
        4,
        "test",
        id="gitlab-job",
    ),
    pytest.param(
        "compose.yaml",
        "services: {{web: {{image: {ref}, image: {ref}}}}}\n",
        1,
        "image",
        id="flow-mapping",
    ),
]


@pytest.mark.parametrize(("name", "template", "line", "key"), DUPLICATES)
def test_a_duplicate_key_is_a_file_error_and_the_file_is_left(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    name: str,
    template: str,
    line: int,
    key: str,
) -> None:
    pusher.image("dup/app", "1")
    ref = f"{registry.host}/dup/app:1"
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = template.format(ref=ref).replace("\n", "\r\n")  # CRLF, as a Windows editor saves
    path.write_bytes(text.encode())
    (tmp_path / "Dockerfile").write_text(f"FROM {ref}\n")  # everything else is still done

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 2
    assert path.read_bytes() == text.encode()
    expected = f"{name}:{line}: duplicate key '{key}'"
    [error] = [line for line in result.stderr.splitlines() if "duplicate" in line]
    assert error.startswith(expected)
    assert (tmp_path / "Dockerfile").read_text() == f"FROM {ref}@{skopeo_digest(ref)}\n"


def test_an_anchor_used_twice_is_no_duplicate(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        f"x-base: &base {{image: 'nginx:1@sha256:{HEX}', restart: always}}\n"
        "services:\n  a: *base\n  b:\n    <<: *base\n    restart: 'no'\n"
    )
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


SKIPPED = (
    "ARG TAG\n"
    "FROM python:$TAG\n"  # a variable without a default
    f"FROM python:3.12@sha256:{HEX}\n"
)


def test_skipped_references_are_findings_only_when_strict(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(SKIPPED)
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: |\n      nginx:1.25\n")

    plain = run_pinner("check", cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout
    assert plain.stdout.splitlines()[-1] == "all 1 reference pinned"

    strict = run_pinner("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    lines = strict.stdout.splitlines()
    assert lines[0].startswith("Dockerfile:2: skipped python:$TAG: ")
    assert lines[1].startswith("compose.yaml:3: skipped nginx:1.25\\n: a block scalar")
    assert lines[1].endswith("(a finding: strict)")
    assert lines[-1] == "2 references skipped, findings under strict"
    quiet = run_pinner("check", "--strict", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 1 and quiet.stdout.count("a finding: strict") == 2

    as_json = json.loads(run_pinner("check", "--strict", "--format", "json", cwd=tmp_path).stdout)
    assert as_json["summary"]["strict_findings"] == 2
    assert as_json["summary"]["exit_code"] == 1
    markdown = run_pinner("check", "--strict", "--format", "markdown", cwd=tmp_path).stdout
    assert "#### Skipped, and findings under strict" in markdown

    (tmp_path / ".pinner.yaml").write_text("strict: true\n")
    assert run_pinner("check", cwd=tmp_path).returncode == 1


def test_strict_pin_pins_what_it_can_and_exits_1(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.image("strict/app", "1")
    ref = f"{registry.host}/strict/app:1"
    (tmp_path / "Dockerfile").write_text(f"ARG TAG\nFROM {ref}\nFROM {ref}-$TAG\n")

    result = run_pinner("pin", "--strict", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert f"FROM {ref}@{skopeo_digest(ref)}\n" in (tmp_path / "Dockerfile").read_text()
    assert "(a finding: strict)" in result.stderr
    assert run_pinner("pin", cwd=tmp_path).returncode == 0


def test_a_form_feed_in_a_yaml_comment_names_the_line(tmp_path: Path) -> None:
    text = "services:\n  web:\n    # a page break\x0c here\n    image: nginx:1.25\n"
    (tmp_path / "compose.yaml").write_text(text)
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "compose.yaml:3: invalid YAML: character #x000c is not allowed in YAML; left unchanged\n"
    )
    assert (tmp_path / "compose.yaml").read_text() == text


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_utf16_and_utf32_are_named(tmp_path: Path, encoding: str, name: str) -> None:
    # Python writes the BOM itself for utf-16 and utf-32; for utf-16-be it is the text's.
    text = "FROM python:3.12\n" if encoding in ("utf-16", "utf-32") else "\ufeffFROM python:3.12\n"
    data = text.encode(encoding)
    (tmp_path / "Dockerfile").write_bytes(data)
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"Dockerfile: {name} text is not supported (save it as UTF-8); left unchanged\n"
    )
    assert (tmp_path / "Dockerfile").read_bytes() == data


def test_help_names_every_kind_of_file(tmp_path: Path) -> None:
    for command in ((), ("pin",), ("update",), ("check",), ("report",)):
        shown = " ".join(run_pinner(*command, "--help", cwd=tmp_path).stdout.split())
        assert "Dockerfiles and compose files" not in shown, command
        assert "Kubernetes" in shown and "GitLab CI" in shown, command


def test_a_named_file_that_is_no_kind_is_said_with_verbose(tmp_path: Path) -> None:
    (tmp_path / "settings.yml").write_text("web:\n  image: example/web:1\n")
    quiet = run_pinner("check", "settings.yml", cwd=tmp_path)
    assert (quiet.returncode, quiet.stderr) == (0, "")
    verbose = run_pinner("check", "-v", "settings.yml", cwd=tmp_path)
    assert "settings.yml: not read: none of the kinds pinner reads" in verbose.stdout
    as_json = json.loads(
        run_pinner("check", "--format", "json", "settings.yml", cwd=tmp_path).stdout
    )
    assert as_json["unread_files"] == ["settings.yml"]
