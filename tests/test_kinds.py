"""Each file kind's rules, from realistic files: what is pinned, with which
site kind, and what is left alone with which reason (pure, no registry)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinner.kinds import BY_NAME, kind_of
from pinner.site import SiteKind, Verdict
from tests.support.pinning import scan_as

# kind, text, [(line, site kind, verdict, part of the reason)]
CASES = [
    pytest.param(
        "devcontainer",
        '{\n  // dev\n  "image": "mcr.microsoft.com/devcontainers/go:1",\n}\n',
        [(3, SiteKind.DEVCONTAINER_IMAGE, Verdict.PIN, "")],
        id="devcontainer",
    ),
    pytest.param(
        "devcontainer",
        '{"image": "${localEnv:IMAGE}", "build": {"dockerfile": "Dockerfile"}}',
        [(1, SiteKind.DEVCONTAINER_IMAGE, Verdict.VARIABLE, "dev container variable")],
        id="devcontainer-variable",
    ),
    pytest.param(
        "devcontainer",
        '{"image": "mcr.microsoft.com\\/devcontainers/go:1"}',
        [(1, SiteKind.DEVCONTAINER_IMAGE, Verdict.NOT_PLAIN, "escapes")],
        id="devcontainer-escaped",
    ),
    pytest.param(
        "devcontainer",
        '{\n  // pinner: ignore\n  "image": "mcr.microsoft.com/devcontainers/go:1"\n}',
        [(3, SiteKind.DEVCONTAINER_IMAGE, Verdict.IGNORED, "pinner: ignore")],
        id="devcontainer-ignored",
    ),
    pytest.param(
        "devcontainer",
        '{"image": "a/b:1", "customizations": {"x": [{"image": "c/d:1"}]}}',
        [
            (1, SiteKind.DEVCONTAINER_IMAGE, Verdict.PIN, ""),
            (1, SiteKind.DEVCONTAINER_IMAGE, Verdict.NOT_READ, "not read"),
        ],
        id="devcontainer-nested-image-key",
    ),
    pytest.param(
        "circleci",
        "jobs:\n  a:\n    docker:\n      - image: cimg/go:1.22\n"
        "      - image: cimg/postgres:<< parameters.pg >>\n",
        [
            (4, SiteKind.CIRCLECI_IMAGE, Verdict.PIN, ""),
            (5, SiteKind.CIRCLECI_IMAGE, Verdict.VARIABLE, "pipeline parameter"),
        ],
        id="circleci",
    ),
    pytest.param(
        "bitbucket",
        "image:\n  name: python:3.12\n  username: $U\npipelines:\n  custom:\n    x:\n"
        "      - step:\n          image: $IMAGE\n          script: [a]\n",
        [
            (2, SiteKind.BITBUCKET_IMAGE, Verdict.PIN, ""),
            (8, SiteKind.BITBUCKET_IMAGE, Verdict.VARIABLE, "variable"),
        ],
        id="bitbucket",
    ),
    pytest.param(
        "drone",
        "kind: pipeline\nsteps:\n- name: a\n  image: golang:1.22\nservices:\n- name: b\n"
        "  image: redis:${V}\n",
        [
            (4, SiteKind.DRONE_IMAGE, Verdict.PIN, ""),
            (7, SiteKind.DRONE_IMAGE, Verdict.VARIABLE, "variable"),
        ],
        id="drone",
    ),
    pytest.param(
        "woodpecker",
        "pipeline:\n  build:\n    image: golang:1.22\n",
        [(3, SiteKind.WOODPECKER_IMAGE, Verdict.PIN, "")],
        id="woodpecker-old-pipeline-key",
    ),
    pytest.param(
        "azure-pipelines",
        "resources:\n  containers:\n  - container: b\n    image: ubuntu:22.04\n"
        "container: b\njobs:\n- job: x\n  container: node:20\n  services: {r: redis}\n",
        [
            (4, SiteKind.AZURE_CONTAINER, Verdict.PIN, ""),
            (5, SiteKind.AZURE_CONTAINER, Verdict.IGNORED, "names the container resource 'b'"),
            (8, SiteKind.AZURE_CONTAINER, Verdict.PIN, ""),
            (9, SiteKind.AZURE_CONTAINER, Verdict.IGNORED, "'redis' is none of this file's"),
        ],
        id="azure",
    ),
    pytest.param(
        "cloudbuild",
        "steps:\n- name: gcr.io/cloud-builders/gcloud\n- name: ${_IMAGE}\nimages: [x/y:1]\n",
        [
            (2, SiteKind.CLOUDBUILD_STEP, Verdict.PIN, ""),
            (3, SiteKind.CLOUDBUILD_STEP, Verdict.VARIABLE, "substitution"),
        ],
        id="cloudbuild",
    ),
    pytest.param(
        "quadlet",
        "[Container]\nImage=quay.io/a/b:1\n[Image]\nImage = docker://ghcr.io/a/c:2 \n"
        "[Container]\nImage=oci-archive:/tmp/a.tar\nImage=web.build\nImage=registry.example/%i:1\n"
        "Image=nginx:1.25\nImage=quay.io/a/b:1 \\\n  more\n[Service]\nImage=quay.io/not/read:1\n",
        [
            (2, SiteKind.QUADLET_IMAGE, Verdict.PIN, ""),
            (4, SiteKind.QUADLET_IMAGE, Verdict.PIN, ""),
            (6, SiteKind.QUADLET_IMAGE, Verdict.IGNORED, "oci-archive: transport"),
            (7, SiteKind.QUADLET_IMAGE, Verdict.IGNORED, "another quadlet unit"),
            (8, SiteKind.QUADLET_IMAGE, Verdict.VARIABLE, "systemd specifier"),
            (9, SiteKind.QUADLET_IMAGE, Verdict.VARIABLE, "a short name"),
            (10, SiteKind.QUADLET_IMAGE, Verdict.NOT_PLAIN, "continued"),
        ],
        id="quadlet",
    ),
    pytest.param(
        "kubernetes",
        "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n  - image: $(params.i)\n"
        "  - image: alpine:3.19\n",
        [
            (5, SiteKind.TEKTON_STEP, Verdict.VARIABLE, "$(params.x)"),
            (6, SiteKind.TEKTON_STEP, Verdict.PIN, ""),
        ],
        id="tekton",
    ),
    pytest.param(
        "kubernetes",
        "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nspec:\n  workflowSpec:\n"
        "    templates:\n    - container:\n        image: '{{workflow.parameters.i}}'\n",
        [(7, SiteKind.ARGO_IMAGE, Verdict.VARIABLE, "template")],
        id="argo",
    ),
    pytest.param(
        "kubernetes",
        "apiVersion: example.com/v1\nkind: App\nmetadata: {name: a}\nspec:\n  image:\n"
        "    repository: example/app\n    tag: '1'\n---\napiVersion: v1\nkind: Secret\n"
        "stringData:\n  image: example/app:1\n",
        [
            (5, SiteKind.K8S_IMAGE, Verdict.NOT_READ, "a mapping under image:"),
            (12, SiteKind.K8S_IMAGE, Verdict.NOT_READ, "a value under image:"),
        ],
        id="not-read",
    ),
    pytest.param(
        "github-workflow",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n    - uses: some/action@v1\n"
        "      with: {image: 'alpine:3'}\n",
        [(7, SiteKind.GHA_CONTAINER, Verdict.NOT_READ, "not read")],
        id="workflow-input-named-image",
    ),
    pytest.param(
        "github-action",
        "runs:\n  using: composite\n  steps:\n  - uses: docker://alpine:3.19\n",
        [(4, SiteKind.GHA_DOCKER_USES, Verdict.PIN, "")],
        id="composite-action",
    ),
    pytest.param(
        "compose",
        "x-unused:\n  image: nginx:1.25\nservices:\n  a:\n    image: redis:7\n",
        [
            (2, SiteKind.COMPOSE_IMAGE, Verdict.NOT_READ, "not read"),
            (5, SiteKind.COMPOSE_IMAGE, Verdict.PIN, ""),
        ],
        id="compose-extension-field",
    ),
]


@pytest.mark.parametrize(("kind", "text", "expected"), CASES)
def test_sites_of_each_kind(
    kind: str, text: str, expected: list[tuple[int, SiteKind, Verdict, str]]
) -> None:
    sites = scan_as(kind, "file", text)
    assert [(s.line, s.kind, s.verdict) for s in sites] == [e[:3] for e in expected]
    for site, (*_, reason) in zip(sites, expected, strict=True):
        assert reason in site.reason, (site.reason, reason)
        assert "\n" not in site.reason


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (".devcontainer/devcontainer.json", "devcontainer"),
        (".devcontainer.json", "devcontainer"),
        (".devcontainer/python/devcontainer.json", "devcontainer"),
        ("devcontainer.json", None),
        (".circleci/config.yml", "circleci"),
        ("ci/.circleci/config.yaml", "circleci"),
        ("bitbucket-pipelines.yml", "bitbucket"),
        (".drone.yml", "drone"),
        (".woodpecker.yml", "woodpecker"),
        (".woodpecker/test.yaml", "woodpecker"),
        ("azure-pipelines.yml", "azure-pipelines"),
        ("cloudbuild.yaml", "cloudbuild"),
        ("cloudbuild.yml", "cloudbuild"),
        ("deploy/web.container", "quadlet"),
        ("web.image", "quadlet"),
        ("data.volume", "quadlet"),
        ("web.container.orig", None),
        (".github/workflows/ci.yml", "github-workflow"),
        ("config.yml", "kubernetes"),
    ],
)
def test_each_kind_is_found_under_its_usual_names(path: str, kind: str | None) -> None:
    found = kind_of(path)
    assert (found.value if found else None) == kind
    if kind is not None:
        assert BY_NAME[kind] is found


def test_a_form_feed_or_a_duplicate_key_in_jsonc_names_the_line() -> None:
    from pinner.files import FileError

    with pytest.raises(FileError) as raised:
        scan_as("devcontainer", "f", '{\n "image": "a:1",\n "image": "b:1"\n}')
    assert (raised.value.line, raised.value.message) == (
        3,
        "duplicate key 'image' (first on line 2); left unchanged",
    )
    with pytest.raises(FileError) as raised:
        scan_as("devcontainer", "f", '{\n "image": "a:1" /* never closed\n}')
    assert raised.value.line == 2 and "never closed" in raised.value.message


def test_a_disk_image_named_like_a_quadlet_unit_is_no_error(tmp_path: Path) -> None:
    from tests.conftest import run_pinner

    (tmp_path / "vm.image").write_bytes(b"\x00QFI\xfb\x00\x00\x00binary")
    (tmp_path / "notes.volume").write_text("not a unit\n")
    (tmp_path / "web.container").write_text("[Container]\nImage=quay.io/a/b:1\n")
    result = run_pinner("check", "-v", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    assert "web.container:2: quay.io/a/b:1 has no digest" in result.stdout
    named = run_pinner("check", "-v", "vm.image", "notes.volume", cwd=tmp_path)
    assert (named.returncode, named.stderr) == (0, "")
    assert "vm.image: not read" in named.stdout and "notes.volume: not read" in named.stdout
