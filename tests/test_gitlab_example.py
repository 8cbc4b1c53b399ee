"""examples/gitlab-refresh.yml's script, run as GitLab's runner runs it:
against a local bare repository and a small fake of GitLab's merge-request
API, checking what was pushed and what was sent, and that the token went
into a header only."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

TOKEN = "glpat-Secret-Token-42"


class _FakeGitLab(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, object]]] = []
    open_ones: ClassVar[list[dict[str, object]]] = []

    def _answer(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> dict[str, object]:
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length)) if length else None
        entry = {
            "method": self.command,
            "path": self.path,
            "token": self.headers.get("PRIVATE-TOKEN"),  # header names are case-blind
            "authorization": self.headers.get("Authorization"),
            "json": sent,
        }
        self.requests.append(entry)
        return entry

    def do_GET(self) -> None:
        self._record()
        self._answer(self.open_ones)

    def do_POST(self) -> None:
        self._record()
        self.open_ones.append({"iid": 7})
        self._answer({"iid": 7})

    def do_PUT(self) -> None:
        self._record()
        self._answer({"iid": 7})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gitlab() -> Iterator[str]:
    _FakeGitLab.requests, _FakeGitLab.open_ones = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitLab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    finally:
        server.shutdown()


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _run_job(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    job = yaml.safe_load((REPO_ROOT / "examples" / "gitlab-refresh.yml").read_text())[
        "refresh-digests"
    ]
    script = work.parent / "job.sh"
    script.write_text("\n".join(job["script"]) + "\n")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=work,
        env={**os.environ, **job["variables"], **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_gitlab_example_pushes_and_opens_then_updates_a_merge_request(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path, gitlab: str
) -> None:
    host = registry.host
    old, _ = pusher.image("gitlab/app", "1", content="old")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    (work / "Dockerfile").write_text(f"FROM {host}/gitlab/app:1@{old}\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "pinned")
    _git(work, "push", "-q", "origin", "HEAD:main")
    new, _ = pusher.image("gitlab/app", "1", content="new")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO_ROOT),
        "CI_SERVER_HOST": "gitlab.invalid",
        "CI_PROJECT_PATH": "group/app",
        "CI_PROJECT_ID": "42",
        "CI_DEFAULT_BRANCH": "main",
        "CI_API_V4_URL": gitlab,
        "PINNER_PUSH_TOKEN": TOKEN,
        "PINNER_PUSH_URL": str(origin),
    }

    first = _run_job(work, env)

    assert first.returncode == 0, first.stdout + first.stderr
    pushed = _git(origin, "show", "pinner/refresh-digests:Dockerfile")
    assert pushed == f"FROM {host}/gitlab/app:1@{new}\n"
    assert new == skopeo_digest(f"{host}/gitlab/app:1")
    get, post = _FakeGitLab.requests
    assert (get["method"], post["method"]) == ("GET", "POST")
    assert (
        get["path"]
        == "/api/v4/projects/42/merge_requests?source_branch=pinner%2Frefresh-digests&state=opened"
    )
    assert post["path"] == "/api/v4/projects/42/merge_requests"
    report = (work / "pinner-report.md").read_text()
    assert post["json"] == {
        "source_branch": "pinner/refresh-digests",
        "target_branch": "main",
        "title": "Refresh pinned image digests",
        "description": report,
        "remove_source_branch": True,
    }
    assert "\n" in report and new[:19] in report
    for request in (get, post):
        assert (request["token"], request["authorization"]) == (TOKEN, None)
        assert TOKEN not in str(request["path"])
    # The token is in no URL, remote, option or log line.
    assert TOKEN not in first.stdout + first.stderr
    assert TOKEN not in _git(work, "config", "--list")

    # The next week: the tag moved again, and the open merge request is updated.
    _git(work, "switch", "-q", "main")
    newer, _ = pusher.image("gitlab/app", "1", content="newer")
    second = _run_job(work, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _git(origin, "show", "pinner/refresh-digests:Dockerfile") == (
        f"FROM {host}/gitlab/app:1@{newer}\n"
    )
    put = _FakeGitLab.requests[-1]
    assert (put["method"], put["path"]) == ("PUT", "/api/v4/projects/42/merge_requests/7")
    assert put["json"] == {
        "title": "Refresh pinned image digests",
        "description": (work / "pinner-report.md").read_text(),
    }


def test_the_push_takes_the_token_from_a_credential_helper(tmp_path: Path) -> None:
    """The helper the example gives git answers with the variable's token, so
    that neither the remote's URL nor a push option ever holds it."""
    import re

    job = yaml.safe_load((REPO_ROOT / "examples" / "gitlab-refresh.yml").read_text())
    [push] = [line for line in job["refresh-digests"]["script"] if " push " in line]
    found = re.search(r"credential\.helper='([^']+)'", push)
    assert found is not None
    assert "PINNER_PUSH_TOKEN" not in push.split("push", 1)[1]  # not in the URL or options
    filled = subprocess.run(
        ["git", "-c", f"credential.helper={found.group(1)}", "credential", "fill"],
        input="protocol=https\nhost=gitlab.invalid\n\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PINNER_PUSH_TOKEN": TOKEN, "GIT_TERMINAL_PROMPT": "0"},
        cwd=tmp_path,
        check=True,
    )
    assert f"password={TOKEN}" in filled.stdout.splitlines()
    assert "username=oauth2" in filled.stdout.splitlines()
