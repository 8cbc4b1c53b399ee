"""One file of each kind, found by discovery under its usual name and pinned
against the real registry, every digest checked with skopeo; the JSON and
INI kinds' edits race a user's edit and keep another user's file theirs."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run_pinner, start_pinner
from tests.support.fault_proxy import fault_proxy
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest
from tests.support.users import as_root, nobody

pytestmark = pytest.mark.registry

# path: text, with {h} for the registry host; every {h}/kinds/<name>:<tag> is pinned.
FILES = {
    ".devcontainer/devcontainer.json": '\ufeff{\r\n  // dev\r\n  "image": "{h}/kinds/dev:1",\r\n}\r\n',
    ".devcontainer/py/devcontainer.json": '{"image": "{h}/kinds/devpy:1"}\n',
    ".circleci/config.yml": "jobs:\n  a:\n    docker:\n      - image: {h}/kinds/circle:1\n",
    "bitbucket-pipelines.yml": "image:\n  name: {h}/kinds/bitbucket:1\npipelines: {}\n",
    ".drone.yml": "---\nkind: pipeline\nsteps:\n- name: a\n  image: '{h}/kinds/drone:1'\n",
    ".woodpecker/ci.yml": "steps:\n  a:\n    image: {h}/kinds/woodpecker:1\r\n",
    "azure-pipelines.yml": "container: {h}/kinds/azure:1\nsteps: []\n",
    "cloudbuild.yaml": "steps:\n- name: {h}/kinds/cloudbuild:1\n",
    "deploy/tekton.yaml": "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n"
    "  - image: {h}/kinds/tekton:1\n",
    "deploy/argo.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n"
    "  - script:\n      image: {h}/kinds/argo:1\n",
    "deploy/prometheus.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
    "spec:\n  image: {h}/kinds/operator:1\n",
    "systemd/web.container": "[Container]\nImage={h}/kinds/quadlet:1\n",
    "systemd/data.volume": "[Volume]\nImage=docker://{h}/kinds/quadletvolume:1\n",
    "lint/action.yml": "runs:\n  using: composite\n  steps:\n  - uses: docker://{h}/kinds/composite:1\n",
}


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_every_kind_is_found_and_pinned(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    _git(tmp_path, "init", "-q")
    texts = {}
    for path, template in FILES.items():
        name = template.split("/kinds/")[1].split(":")[0]
        pusher.image(f"kinds/{name}", "1", content=name)
        texts[path] = template.replace("{h}", host)
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(texts[path].encode())

    check = run_pinner("check", cwd=tmp_path)
    assert check.returncode == 1
    assert check.stdout.splitlines()[-1] == f"{len(FILES)} unpinned"

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    for path, text in texts.items():
        name = text.split("/kinds/")[1].split(":")[0]
        reference = f"{host}/kinds/{name}:1"
        expected = text.replace(reference, f"{reference}@{skopeo_digest(reference)}")
        assert (tmp_path / path).read_bytes() == expected.encode(), path
    assert run_pinner("check", cwd=tmp_path).returncode == 0


# The kinds with writers of their own (JSON with comments, INI lines, a
# digest key of its own, HCL): before, the same edited while pinner runs,
# and the edited text once pinned ({r}: the repository, {d}: its digest).
EDITED = [
    pytest.param(
        ".devcontainer/devcontainer.json",
        '{{\r\n  "image": "{r}:1"\r\n}}\r\n',
        '{{\r\n  // edited\r\n  "image": "{r}:1"\r\n}}\r\n',
        '{{\r\n  // edited\r\n  "image": "{r}:1@{d}"\r\n}}\r\n',
        id="devcontainer",
    ),
    pytest.param(
        "units/app.container",
        "\ufeff[Container]\r\nImage={r}:1\r\n",
        "\ufeff# edited\r\n[Container]\r\nImage={r}:1\r\n",
        "\ufeff# edited\r\n[Container]\r\nImage={r}:1@{d}\r\n",
        id="quadlet",
    ),
    pytest.param(
        "chart/values.yaml",
        "\ufeffimage:\r\n  repository: {r}\r\n  tag: '1'\r\n  digest: ''\r\n",
        "\ufeff# edited\r\nimage:\r\n  repository: {r}\r\n  tag: '1'\r\n  digest: ''\r\n",
        "\ufeff# edited\r\nimage:\r\n  repository: {r}\r\n  tag: '1'\r\n  digest: '{d}'\r\n",
        id="helm-digest-key",
    ),
    pytest.param(
        "kustomization.yaml",
        "\ufeffimages:\r\n- name: x\r\n  newName: {r}\r\n  newTag: '1'\r\n",
        "\ufeff# edited\r\nimages:\r\n- name: x\r\n  newName: {r}\r\n  newTag: '1'\r\n",
        "\ufeff# edited\r\nimages:\r\n- name: x\r\n  newName: {r}\r\n  newTag: '1@{d}'\r\n",
        id="kustomize",
    ),
    pytest.param(
        "docker-bake.hcl",
        '\ufefftarget "a" {{\r\n  contexts = {{ b = "docker-image://{r}:1" }}\r\n}}\r\n',
        '\ufeff# edited\r\ntarget "a" {{\r\n  contexts = {{ b = "docker-image://{r}:1" }}\r\n}}\r\n',
        '\ufeff# edited\r\ntarget "a" {{\r\n  contexts = {{ b = "docker-image://{r}:1@{d}" }}\r\n}}\r\n',
        id="bake",
    ),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.startswith("chart/"):
        (path.parent / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize(("name", "before", "after", "pinned"), EDITED)
def test_an_edit_made_while_pinning_is_kept(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    name: str,
    before: str,
    after: str,
    pinned: str,
) -> None:
    digest, _ = pusher.image("kinds/assembled", "1", content="assembled")
    with fault_proxy(registry.host, delay=0.4) as proxy:
        reference = f"{proxy.host}/kinds/assembled"
        path = _write(tmp_path, name, before.format(r=reference))
        process = start_pinner("pin", cwd=tmp_path)
        deadline = time.monotonic() + 30
        while not sum(proxy.counts.values()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        path.write_bytes(after.format(r=reference).encode())
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert path.read_bytes() == pinned.format(r=reference, d=digest).encode()
    assert digest == skopeo_digest(f"{registry.host}/kinds/assembled:1")


@as_root
@pytest.mark.parametrize(("name", "before", "after", "pinned"), EDITED)
def test_another_users_file_stays_theirs(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    name: str,
    before: str,
    after: str,
    pinned: str,
) -> None:
    digest, _ = pusher.image("kinds/assembled", "1", content="assembled")
    reference = f"{registry.host}/kinds/assembled"
    path = _write(tmp_path, name, after.format(r=reference))
    user = nobody()
    os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(0o640)

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    status = path.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (
        user.pw_uid,
        user.pw_gid,
        0o640,
    )
    assert path.read_bytes() == pinned.format(r=reference, d=digest).encode()
