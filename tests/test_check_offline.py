"""`pinner check` without --stale: offline, quick, and no HTTP client loaded."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_pinner, run_python

HEX = "a" * 64
NETWORK_MODULES = ("requests", "urllib3", "docker", "http.client", "urllib.request", "httpx")


def test_lists_every_unpinned_reference_and_exits_one(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM python:3.12@sha256:{HEX} AS a\nFROM 10.0.0.1:5000/app:1\nCOPY --from=nginx / /\n"
    )
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16\n")
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ""  # findings go to stdout, as linters write them
    assert result.stdout.splitlines() == [
        "Dockerfile:2: 10.0.0.1:5000/app:1 has no digest",
        "Dockerfile:3: nginx has no digest",
        "compose.yaml:3: postgres:16 has no digest",
        "3 unpinned",
    ]


def test_exits_zero_when_everything_is_pinned(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12@sha256:{HEX}\nFROM scratch\n")
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert run_pinner("check", "--format", "json", cwd=tmp_path).returncode == 0


def test_json_report_schema(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12@sha256:{HEX}\nFROM alpine\n")
    (tmp_path / "bad.Dockerfile").write_bytes(b"FROM \xff\n")
    result = run_pinner("check", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["version"] == 3
    assert (report["command"], report["mode"]) == ("check", "check")
    assert report["sites"][1] == {
        "file": "Dockerfile",
        "line": 2,
        "column": 6,
        "kind": "from",
        "text": "alpine",
        "reference": "alpine",
        "image": "docker.io/library/alpine",
        "tag": "latest",
        "old_digest": None,
        "new_digest": None,
        "tag_digest": None,
        "status": "unpinned",
        "verdict": "pin",
        "reason": "no digest",
        "platform": None,
        "bump": None,
        "change": None,
    }
    assert report["sites"][0]["old_digest"] == f"sha256:{HEX}"
    assert report["file_errors"] == [
        {
            "file": "bad.Dockerfile",
            "line": 1,
            "message": "not UTF-8 text (byte 0xff); left unchanged",
            "on": "read",
        }
    ]
    assert report["summary"]["unpinned"] == 1
    assert report["summary"]["pinned"] == 1
    assert report["summary"]["strict_findings"] == 0
    assert report["summary"]["exit_code"] == 2
    assert result.stderr.startswith("bad.Dockerfile:1: not UTF-8")


def test_check_loads_no_http_client_and_no_docker_sdk(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: redis:7\n")
    (tmp_path / ".pinner.yaml").write_text("ignore: [internal.example.com/*]\n")
    probe = (
        "import sys\n"
        "from pinner.cli import main\n"
        f"code = main(['check', {str(tmp_path)!r}])\n"
        f"loaded = sorted(m for m in sys.modules if m in {NETWORK_MODULES!r}"
        f" or m.split('.')[0] in {NETWORK_MODULES!r})\n"
        "print(code, loaded)\n"
    )
    completed = run_python(probe, cwd=tmp_path)
    assert completed.stdout.strip().splitlines()[-1] == "1 []"


def test_help_and_version_load_no_http_client(tmp_path: Path) -> None:
    for argv in (["--help"], ["--version"], ["update", "--help"]):
        probe = (
            "import sys\n"
            "from pinner.cli import main\n"
            f"main({argv!r})\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {NETWORK_MODULES!r}"
            f" or m in {NETWORK_MODULES!r}))\n"
        )
        completed = run_python(probe)
        assert completed.stdout.strip().splitlines()[-1] == "[]", argv
