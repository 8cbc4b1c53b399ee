"""Images assembled from parts: Helm values and kustomize's images:, from
the rules (pure) to the real registry, skopeo the oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinner.kinds import helm_values
from pinner.site import SiteKind, Verdict
from tests.conftest import run_pinner
from tests.support.pinning import scan_as
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

HEX = "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "image:\n  repository: nginx\n  tag: '1.25'\n",
            [(2, Verdict.PIN, "nginx:1.25", "")],
            id="map",
        ),
        pytest.param(
            f"image:\n  registry: quay.io\n  repository: a/b\n  tag: v1\n  digest: sha256:{HEX}\n",
            [(3, Verdict.PINNED, f"quay.io/a/b:v1@sha256:{HEX}", "")],
            id="pinned-in-digest-key",
        ),
        pytest.param(
            "image:\n  repository: nginx\n  tag: ''\n",
            [(2, Verdict.VARIABLE, None, "appVersion is used")],
            id="empty-tag-without-digest-key",
        ),
        pytest.param(
            "image:\n  repository: nginx\n  tag: 1.10\n",
            [(2, Verdict.VARIABLE, None, "written as a number")],
            id="numeric-tag",
        ),
        pytest.param(
            "image:\n  repository: '{{ .Values.global.repo }}'\n  tag: '1'\n",
            [(2, Verdict.VARIABLE, None, "template")],
            id="template",
        ),
        pytest.param(
            "image:\n  repository: nginx\n  tag: '1.25'\n  digest:\n",
            [(2, Verdict.NOT_PLAIN, None, 'write digest: ""')],
            id="digest-without-value",
        ),
        pytest.param(
            "image:\n  name: nginx\n  pullPolicy: Always\n",
            [(1, Verdict.NOT_READ, None, "not read")],
            id="map-without-repository",
        ),
    ],
)
def test_helm_values_sites(text: str, expected: list[tuple[int, Verdict, str | None, str]]) -> None:
    sites = scan_as("helm-values", "values.yaml", text)
    found = [
        (s.line, s.verdict, s.reference.original if s.reference else None, s.reason) for s in sites
    ]
    assert [f[:3] for f in found] == [e[:3] for e in expected]
    for (*_, reason), (*_, part) in zip(found, expected, strict=True):
        assert part in reason
    assert all(site.kind is SiteKind.HELM_IMAGE for site in sites)


def test_an_empty_helm_tag_is_the_charts_app_version() -> None:
    text = "image:\n  repository: nginx\n  tag: ''\n  digest: ''\n"
    [site] = helm_values.scan("values.yaml", text, "apiVersion: v2\nname: x\nappVersion: 1.25.4\n")[
        0
    ]
    assert site.verdict is Verdict.PIN and site.digest_key
    assert site.reference is not None and site.reference.original == "nginx:1.25.4"
    [site] = helm_values.scan("values.yaml", text, "apiVersion: v2\nname: x\n")[0]
    assert site.verdict is Verdict.VARIABLE and "no appVersion" in site.reason


@pytest.mark.parametrize(
    ("entry", "verdict", "reference", "digest_key"),
    [
        ("- name: nginx\n  newTag: '1.25'\n", Verdict.PIN, "nginx:1.25", False),
        (
            "- name: a\n  newName: quay.io/b/c\n  newTag: v2\n  digest: ''\n",
            Verdict.PIN,
            "quay.io/b/c:v2",
            True,
        ),
        (
            f"- name: a\n  newTag: v2\n  digest: sha256:{HEX}\n",
            Verdict.PINNED,
            f"a:v2@sha256:{HEX}",
            True,
        ),
        (f"- name: a\n  newTag: v2@sha256:{HEX}\n", Verdict.PINNED, f"a:v2@sha256:{HEX}", False),
        (f"- name: a\n  digest: sha256:{HEX}\n", Verdict.DIGEST_ONLY, f"a@sha256:{HEX}", False),
        ("- name: a\n  newName: b\n", Verdict.IGNORED, None, False),
    ],
)
def test_kustomize_entries(
    entry: str, verdict: Verdict, reference: str | None, digest_key: bool
) -> None:
    [site] = scan_as("kustomize", "kustomization.yaml", "images:\n" + entry)
    assert site.verdict is verdict, site.reason
    assert (site.reference.original if site.reference else None) == reference
    assert site.digest_key is digest_key
    assert site.kind is SiteKind.KUSTOMIZE_IMAGE


@pytest.mark.registry
def test_helm_values_are_pinned_and_refreshed(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name in ("redis", "nginx", "app", "plain"):
        pusher.image(f"helm/{name}", "1", content=name)
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: '1'\n"
    )
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        '      - image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
    )
    values = (
        "\ufeffimage:\r\n"
        f"  registry: {host}\r\n  repository: helm/redis\r\n  tag: '1'\r\n  digest: \"\"\r\n"
        f'web:\r\n  image:\r\n    repository: {host}/helm/nginx\r\n    tag: "1"  # web\r\n'
        f"app:\r\n  image:\r\n    repository: {host}/helm/app\r\n    tag: ''\r\n    digest: ''\r\n"
        f"job:\r\n  image: {host}/helm/plain:1\r\n"
    )
    (chart / "values.yaml").write_bytes(values.encode())
    # Without a Chart.yaml beside it, a values.yaml is nobody's: not read.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "values.yaml").write_text(f"image: {host}/helm/plain:1\n")

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    digests = {n: skopeo_digest(f"{host}/helm/{n}:1") for n in ("redis", "nginx", "app", "plain")}
    expected = (
        values.replace('digest: ""', f'digest: "{digests["redis"]}"')
        .replace('tag: "1"  # web', f'tag: "1@{digests["nginx"]}"  # web')
        .replace("digest: ''", f"digest: '{digests['app']}'")
        .replace("plain:1\r\n", f"plain:1@{digests['plain']}\r\n")
    )
    assert (chart / "values.yaml").read_bytes() == expected.encode()
    assert (tmp_path / "other" / "values.yaml").read_text() == f"image: {host}/helm/plain:1\n"
    assert (
        "pin the image in the chart's values.yaml" in run_pinner("pin", "-v", cwd=tmp_path).stderr
    )

    new, _ = pusher.image("helm/redis", "1", content="redis, rebuilt")
    updated = run_pinner("update", "--format", "json", cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    assert f'digest: "{new}"' in (chart / "values.yaml").read_text()
    assert new == skopeo_digest(f"{host}/helm/redis:1")
    [moved] = [s for s in json.loads(updated.stdout)["sites"] if s["status"] == "updated"]
    assert (moved["kind"], moved["old_digest"], moved["new_digest"]) == (
        "helm-image",
        digests["redis"],
        new,
    )


@pytest.mark.registry
def test_kustomize_images_are_pinned_and_refreshed(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("kust/web", "1.25", content="web")
    pusher.image("kust/db", "16", content="db")
    text = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n"
        f"- name: nginx\n  newName: {host}/kust/web\n  newTag: '1.25'\n"
        f"- name: postgres\n  newName: {host}/kust/db\n  newTag: '16'\n  digest: ''\n"
        "- name: redis\n"
    )
    (tmp_path / "kustomization.yaml").write_text(text)

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    web, db = skopeo_digest(f"{host}/kust/web:1.25"), skopeo_digest(f"{host}/kust/db:16")
    assert (tmp_path / "kustomization.yaml").read_text() == text.replace(
        "newTag: '1.25'", f"newTag: '1.25@{web}'"
    ).replace("digest: ''", f"digest: '{db}'")

    newer, _ = pusher.image("kust/web", "1.25", content="web, rebuilt")
    assert run_pinner("update", cwd=tmp_path).returncode == 0
    assert f"newTag: '1.25@{newer}'" in (tmp_path / "kustomization.yaml").read_text()
    assert newer == skopeo_digest(f"{host}/kust/web:1.25")


GITLAB_VARIABLES = """\
variables:
  BUILD_IMAGE: {build}
  SHARED: {shared}
test:
  image: $BUILD_IMAGE
  services: [$BUILD_IMAGE]
lint:
  variables:
    BUILD_IMAGE: {{value: '{lint}', description: the linter}}
  image: ${{BUILD_IMAGE}}
.base:
  variables: {{TOOL: {tool}}}
tool:
  extends: .base
  image: $TOOL
shared:
  image: $SHARED
  script: [docker pull $SHARED]
"""


@pytest.mark.registry
def test_gitlab_variables_set_in_the_file_are_pinned_where_they_are_set(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    refs = {name: f"{host}/vars/{name}:1" for name in ("build", "lint", "tool", "shared")}
    for name in refs:
        pusher.image(f"vars/{name}", "1", content=name)
    text = GITLAB_VARIABLES.format(**refs)
    (tmp_path / ".gitlab-ci.yml").write_text(text)

    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    expected = text
    for name in ("build", "lint", "tool"):
        expected = expected.replace(refs[name], f"{refs[name]}@{skopeo_digest(refs[name])}")
    assert (tmp_path / ".gitlab-ci.yml").read_text() == expected
    sites = json.loads(result.stdout)["sites"]
    [shared] = [s for s in sites if s["text"] == "$SHARED"]
    assert shared["status"] == "skipped" and "also used on line 18" in shared["reason"]
    [build] = [s for s in sites if s["reference"] and "vars/build" in s["reference"]]
    assert build["reason"] == "the value of BUILD_IMAGE, the image of line 5, 6"


@pytest.mark.registry
def test_github_env_set_in_the_workflow_is_pinned_where_it_is_set(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    node, db = f"{host}/vars/node:20", f"{host}/vars/db:16"
    pusher.image("vars/node", "20")
    pusher.image("vars/db", "16")
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    text = (
        f"on: push\nenv:\n  IMAGE: '{node}'\n  DB: {db}\njobs:\n  test:\n    runs-on: x\n"
        "    container: ${{ env.IMAGE }}\n    services:\n      db:\n        image: ${{ env.DB }}\n"
        "    steps:\n    - run: psql $DB\n"
    )
    workflow.write_text(text)

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert workflow.read_text() == text.replace(node, f"{node}@{skopeo_digest(node)}")
    assert (
        "DB (set on line 4) is also used on line 13" in run_pinner("pin", "-v", cwd=tmp_path).stderr
    )


@pytest.mark.registry
def test_a_bake_context_named_like_an_image_is_never_looked_up(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    from tests.support.fault_proxy import Fault, fault_proxy

    pusher.image("tools/alpine", "3.19", content="the image of that name")
    pusher.image("tools/real", "1", content="what the context gives")
    pusher.image("tools/base", "1", content="base")
    with fault_proxy(registry.host) as proxy:
        host = proxy.host
        # Asked for, this answers 500 and the run fails: it must stay unasked.
        trap = Fault("status", path="tools/alpine", status=500)
        proxy.add(trap)
        bake = (
            '\ufefftarget "app" {\r\n  contexts = {\r\n'
            f'    "{host}/tools/alpine:3.19" = "docker-image://{host}/tools/real:1"\r\n'
            f'    base = "docker-image://{host}/tools/base:1"  # FROM base\r\n'
            "  }\r\n}\r\n"
        )
        (tmp_path / "docker-bake.hcl").write_bytes(bake.encode())
        dockerfile = f"FROM base AS b\nFROM {host}/tools/alpine:3.19\nCOPY --from=base / /\n"
        (tmp_path / "Dockerfile").write_text(dockerfile)

        result = run_pinner("pin", "--format", "json", cwd=tmp_path)

        assert result.returncode == 0, result.stderr
        assert trap in proxy.faults  # never asked for
        real, base = (f"{registry.host}/tools/{n}:1" for n in ("real", "base"))
        expected = bake.replace(
            f"{host}/tools/real:1", f"{host}/tools/real:1@{skopeo_digest(real)}"
        ).replace(f"{host}/tools/base:1", f"{host}/tools/base:1@{skopeo_digest(base)}")
    assert (tmp_path / "docker-bake.hcl").read_bytes() == expected.encode()
    assert (tmp_path / "Dockerfile").read_text() == dockerfile
    named = [s for s in json.loads(result.stdout)["sites"] if s["verdict"] == "named-context"]
    assert [(s["line"], s["reason"]) for s in named] == [
        (1, "named context (docker-bake.hcl:4)"),
        (2, "named context (docker-bake.hcl:3)"),
        (3, "named context (docker-bake.hcl:4)"),
    ]


@pytest.mark.registry
def test_compose_additional_contexts_are_pinned_and_named_in_the_dockerfile(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("ctx/base", "1")
    compose = (
        "services:\n  app:\n    build:\n      context: app\n      additional_contexts:\n"
        f"        base: docker-image://{host}/ctx/base:1\n        src: ../src\n"
    )
    (tmp_path / "compose.yaml").write_text(compose)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM base\nCOPY --from=src . /src\n")

    result = run_pinner("pin", "-v", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    reference = f"{host}/ctx/base:1"
    assert (tmp_path / "compose.yaml").read_text() == compose.replace(
        reference, f"{reference}@{skopeo_digest(reference)}"
    )
    assert (tmp_path / "app" / "Dockerfile").read_text() == "FROM base\nCOPY --from=src . /src\n"
    assert "app/Dockerfile:1: skipped base: named context (compose.yaml:6)" in result.stderr
    assert "app/Dockerfile:2: skipped src: named context (compose.yaml:7)" in result.stderr


@pytest.mark.registry
def test_bake_args_that_make_images_are_pinned_in_the_bake_file(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    for name, tag in (("py", "3.12"), ("py", "3.12-slim"), ("tool", "1"), ("node", "20")):
        pusher.image(f"args/{name}", tag, content=f"{name} {tag}")
    (tmp_path / "app").mkdir()
    dockerfile = (
        "ARG BASE\nARG PY\nARG TOOL\n"
        "FROM ${BASE} AS a\n"
        f"FROM {host}/args/py:${{PY}} AS b\n"
        "FROM $TOOL\nRUN echo $TOOL\n"
    )
    (tmp_path / "app" / "Dockerfile").write_text(dockerfile)
    bake = (
        f'variable "BASE" {{\n  default = "{host}/args/node:20"\n}}\n'
        'target "app" {\n  context = "app"\n  args = {\n'
        '    BASE = "${BASE}"\n    PY = "3.12-slim"  # the slim build\n'
        f'    TOOL = "{host}/args/tool:1"\n    UNUSED = "x"\n  }}\n}}\n'
    )
    (tmp_path / "docker-bake.hcl").write_text(bake)

    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    node, slim = f"{host}/args/node:20", f"{host}/args/py:3.12-slim"
    assert (tmp_path / "docker-bake.hcl").read_text() == bake.replace(
        f'"{node}"', f'"{node}@{skopeo_digest(node)}"'
    ).replace('"3.12-slim"', f'"3.12-slim@{skopeo_digest(slim)}"')
    sites = {s["text"]: s for s in json.loads(result.stdout)["sites"] if s["file"].endswith("hcl")}
    assert sites[f"{host}/args/tool:1"]["status"] == "skipped"
    assert "ARG TOOL is also used on line 7" in sites[f"{host}/args/tool:1"]["reason"]
    assert sites["3.12-slim"]["kind"] == "bake-arg"
    assert "x" not in sites  # UNUSED makes no image
    assert (tmp_path / "app" / "Dockerfile").read_text() == dockerfile


@pytest.mark.registry
def test_a_compose_dockerfile_inline_is_pinned_in_place(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("inline/build", "1")
    pusher.image("inline/run", "1")
    compose = (
        "\ufeffservices:\r\n  app:\r\n    build:\r\n      dockerfile_inline: |\r\n"
        f"        FROM {host}/inline/build:1 AS build\r\n"
        "        RUN make\r\n"
        f"        FROM {host}/inline/run:1\r\n"
        "        COPY --from=build /out /out\r\n"
        "  folded:\r\n    build:\r\n      dockerfile_inline: >\r\n"
        f"        FROM {host}/inline/run:1\r\n"
    )
    (tmp_path / "compose.yaml").write_bytes(compose.encode())

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    build, run = f"{host}/inline/build:1", f"{host}/inline/run:1"
    expected = compose.replace(
        f"FROM {build} AS", f"FROM {build}@{skopeo_digest(build)} AS"
    ).replace(f"FROM {run}\r\n        COPY", f"FROM {run}@{skopeo_digest(run)}\r\n        COPY")
    assert (tmp_path / "compose.yaml").read_bytes() == expected.encode()
    assert "not a literal block scalar" in result.stderr
