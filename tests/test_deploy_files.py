"""Kubernetes manifests, Helm templates and GitLab CI, and a repository that
mixes every file kind, against the real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinner.kinds.kubernetes import scan_manifest
from pinner.site import Verdict
from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry


def test_helm_templates_are_reported_and_never_edited(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    # Pinned already: pinner reads the values file too, and looks nothing up.
    pinned = f"image:\n  repository: nginx\n  tag: '1.25@sha256:{'0' * 64}'\n"
    (chart / "values.yaml").write_text(pinned)
    template = chart / "templates" / "deployment.yaml"
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers:\n"
        '        - image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        "        - image: busybox:1.36\n"
        "{{- if .Values.debug }}\n        - image: alpine:3.19\n{{- end }}\n"
    )
    template.write_text(text)

    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert template.read_text() == text
    sites = [s for s in json.loads(result.stdout)["sites"] if s["file"].endswith("deployment.yaml")]
    assert [(s["line"], s["status"]) for s in sites] == [
        (7, "skipped"),
        (8, "skipped"),
        (10, "skipped"),
    ]
    assert all("Helm chart template" in s["reason"] for s in sites)
    assert [s.verdict for s in scan_manifest(str(template), text)] == [Verdict.VARIABLE] * 3


def test_kubernetes_manifests_are_found_by_their_text_and_pinned(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.index("k8s/web", "1")
    pusher.image("k8s/job", "2")
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    manifest = deploy / "web.yaml"
    text = (
        "\ufeffapiVersion: apps/v1\r\nkind: Deployment\r\nspec:\r\n  template:\r\n    spec:\r\n"
        f"      containers:\r\n        - name: web\r\n          image: '{host}/k8s/web:1'\r\n"
        "---\r\napiVersion: batch/v1\r\nkind: CronJob\r\nspec:\r\n  jobTemplate:\r\n    spec:\r\n"
        f"      template:\r\n        spec:\r\n          containers:\r\n            - image: {host}/k8s/job:2\r\n"
    )
    manifest.write_bytes(text.encode())
    (deploy / "settings.yaml").write_text("image: not-a-manifest:1\n")

    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 1  # settings.yaml is no manifest: not read as one
    web, job = skopeo_digest(f"{host}/k8s/web:1"), skopeo_digest(f"{host}/k8s/job:2")
    expected = text.replace("web:1'", f"web:1@{web}'").replace("job:2\r", f"job:2@{job}\r")
    assert manifest.read_bytes() == expected.encode()
    assert (deploy / "settings.yaml").read_text() == "image: not-a-manifest:1\n"


def test_gitlab_ci_and_its_local_includes(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name in ("python", "postgres", "lint"):
        pusher.image(f"gl/{name}", "1")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - local: /ci/lint.yml\n  - remote: https://example.invalid/x.yml\n"
        f"image: {host}/gl/python:1\n"
        f"test:\n  services:\n    - name: {host}/gl/postgres:1\n      alias: db\n"
        "  script: [make]\n"
        "build:\n  image: $CI_REGISTRY_IMAGE/builder:$CI_COMMIT_SHA\n  script: [make]\n"
    )
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "lint.yml").write_text(f"lint:\n  image: {{name: '{host}/gl/lint:1'}}\n")

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    main = (tmp_path / ".gitlab-ci.yml").read_text()
    for name in ("python", "postgres"):
        assert f"{host}/gl/{name}:1@{skopeo_digest(f'{host}/gl/{name}:1')}" in main
    assert "image: $CI_REGISTRY_IMAGE/builder:$CI_COMMIT_SHA\n" in main
    lint = skopeo_digest(f"{host}/gl/lint:1")
    assert (tmp_path / "ci" / "lint.yml").read_text() == (
        f"lint:\n  image: {{name: '{host}/gl/lint:1@{lint}'}}\n"
    )
    assert "CI/CD variable" in run_pinner("check", cwd=tmp_path).stdout


def test_a_repository_of_every_kind_is_pinned_in_one_run(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    names = ["frontend", "base", "db", "runner", "action", "k8s", "gitlab"]
    for name in names:
        pusher.image(f"mix/{name}", "1")
    ref = {name: f"{host}/mix/{name}:1" for name in names}
    files = {
        "Dockerfile": f"# syntax={ref['frontend']}\nFROM {ref['base']}\n",
        "compose.yaml": f"services:\n  db:\n    image: {ref['db']}\n",
        ".github/workflows/ci.yml": (
            f"on: push\njobs:\n  t:\n    runs-on: x\n    container: {ref['runner']}\n"
        ),
        "tools/action.yml": f"runs:\n  using: docker\n  image: docker://{ref['action']}\n",
        "k8s/app.yaml": (
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
            f"    - name: a\n      image: {ref['k8s']}\n"
        ),
        ".gitlab-ci.yml": f"job:\n  image: {ref['gitlab']}\n  script: [x]\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    first = run_pinner("pin", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    digests = {name: skopeo_digest(ref[name]) for name in names}
    everything = "".join((tmp_path / path).read_text() for path in files)
    for name in names:
        assert f"{ref[name]}@{digests[name]}" in everything, name
    assert everything.count("@sha256:") == len(names)
    second = run_pinner("pin", cwd=tmp_path)
    assert (second.returncode, second.stderr.strip()) == (0, "nothing to pin")
    stale = run_pinner("check", "--stale", "--format", "json", cwd=tmp_path)
    assert stale.returncode == 0, stale.stderr
    statuses = {s["kind"]: s["status"] for s in json.loads(stale.stdout)["sites"]}
    assert statuses == dict.fromkeys(
        [
            "syntax",
            "from",
            "compose-image",
            "gha-container",
            "gha-docker-uses",
            "k8s-image",
            "gitlab-image",
        ],
        "current",
    )


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("ci/*.yml", "ci/test.yml", True),
        ("ci/*.yml", "ci/sub/test.yml", False),
        ("ci/**.yml", "ci/sub/test.yml", True),
        ("/ci/**/*.yml", "ci/a/b/test.yml", True),
        ("ci/test.yml", "ci/test.yml", True),
        ("ci/test.yml", "ci/test.yaml", False),
        ("ci/*.yml", "other/ci/test.yml", False),
    ],
)
def test_gitlab_include_wildcards(pattern: str, path: str, matches: bool) -> None:
    from pinner.kinds.gitlab_ci import include_matches

    assert include_matches(pattern, path) is matches


def test_gitlab_includes_by_wildcard_and_named_alone(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name in ("root", "wild", "deep", "local", "nested"):
        pusher.image(f"glinc/{name}", "1", content=name)
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - 'ci/*.yml'\n  - local: /jobs/build.yml\n"
        f"lint:\n  image: {host}/glinc/root:1\n"
    )
    (tmp_path / "ci" / "sub").mkdir(parents=True)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "ci" / "test.yml").write_text(f"test:\n  image: {host}/glinc/wild:1\n")
    # Not matched by ci/*.yml: an ordinary YAML file, which names no manifest.
    (tmp_path / "ci" / "sub" / "deep.yml").write_text(f"deep:\n  image: {host}/glinc/deep:1\n")
    (tmp_path / "jobs" / "build.yml").write_text(
        f"include: {{local: jobs/more.yml}}\nbuild:\n  image: {host}/glinc/local:1\n"
    )
    (tmp_path / "jobs" / "more.yml").write_text(f"more:\n  image: {host}/glinc/nested:1\n")
    texts = {p: p.read_text() for p in tmp_path.rglob("*.yml")}

    # Named alone, as pre-commit names a changed file: still a GitLab file.
    for named in ("ci/test.yml", "jobs/more.yml"):
        alone = run_pinner("pin", "--dry-run", named, cwd=tmp_path)
        assert alone.returncode == 0, alone.stderr
        assert "@sha256:" in alone.stdout, named
    deep_alone = run_pinner("check", "ci/sub/deep.yml", cwd=tmp_path)
    assert deep_alone.returncode == 0  # no GitLab file, no manifest: nothing read

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    for path, text in texts.items():
        name = text.split("/glinc/")[1].split(":")[0]
        reference = f"{host}/glinc/{name}:1"
        pinned = name != "deep"
        expected = text.replace(reference, f"{reference}@{skopeo_digest(reference)}")
        assert path.read_text() == (expected if pinned else text), path
