"""Never a wrong pin, against the real registry: stages reached through
variables are never looked up, words are read as BuildKit reads them, and a
per-platform pin never moves to another platform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.fault_proxy import fault_proxy
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

AMD, ARM, S390X = ("linux", "amd64"), ("linux", "arm64"), ("linux", "s390x")


def test_words_and_stages_as_buildkit_reads_them(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    for repository, tag in (("words/base", "1"), ("words/app", "1.0"), ("words/tool", "2")):
        pusher.image(repository, tag, content="words")
    pusher.index("words/py", "3.12")
    host = registry.host
    template = (
        'ARG SYSTEMD="false"\r\n'
        'ARG V="1".0\r\n'
        f"ARG PY={host}/words/py:'3.12{{py}}'\r\n"
        "ARG FLAVOUR=slim\r\n"
        f"FROM {host}/words/base:1{{base}} AS dev-systemd-false\r\n"
        f"FROM {host}/words/base:1{{base}} AS build-slim\r\n"
        "FROM dev-systemd-${{SYSTEMD}} AS dev\r\n"
        "FROM\\\r\n"
        f"  {host}/words/app:$V AS app\r\n"
        "ARG FLAVOUR\r\n"
        "COPY --from=build-${{FLAVOUR}} / /\r\n"
        f'RUN --mount=type=bind,"from={host}/words/tool:2{{tool}}",target=/t \\\r\n'
        "    --mount=from=dev,target=/d true\r\n"
        "FROM ${{PY}}\r\n"
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(("\ufeff" + template.format(py="", base="", tool="")).encode())
    # A stage looked up as an image would be a lookup on Docker Hub, which
    # cannot be reached from here: an error, exit 2.
    (tmp_path / ".pinner.yaml").write_text("retries: 0\nconnect-timeout: 2\n")
    result = run_pinner("pin", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    digests = {
        name: skopeo_digest(f"{host}/words/{name}")
        for name in ("base:1", "app:1.0", "tool:2", "py:3.12")
    }
    expected = template.format(
        py="@" + digests["py:3.12"], base="@" + digests["base:1"], tool="@" + digests["tool:2"]
    ).replace('ARG V="1".0', f'ARG V="1".0@{digests["app:1.0"]}')
    assert dockerfile.read_bytes() == ("\ufeff" + expected).encode()
    sites = json.loads(result.stdout)["sites"]
    stages = sorted((s["line"], s["kind"]) for s in sites if s["verdict"] == "stage")
    assert stages == [(7, "from"), (11, "copy-from"), (13, "mount-from")]
    assert run_pinner("pin", "--check", cwd=tmp_path).returncode == 0


def test_a_per_platform_pin_stays_when_the_tag_is_no_longer_an_index(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    _, children = pusher.index("pp/single", "1", content="old")
    arm = children[ARM]
    dockerfile = tmp_path / "Dockerfile"
    text = f"FROM {registry.host}/pp/single:1@{arm}\n"
    dockerfile.write_text(text)
    amd_only, _ = pusher.image("pp/single", "1", platform=AMD, content="new")
    assert skopeo_digest(f"{registry.host}/pp/single:1") == amd_only

    update = run_pinner("update", "--format", "json", cwd=tmp_path)

    assert update.returncode == 1, update.stderr
    [site] = json.loads(update.stdout)["sites"]
    assert (site["status"], site["old_digest"], site["new_digest"]) == ("platform-gone", arm, None)
    assert "a single linux/amd64 manifest, no linux/arm64 manifest" in site["reason"]
    assert dockerfile.read_text() == text
    check = run_pinner("check", "--stale", cwd=tmp_path)
    assert check.returncode == 1
    assert "Dockerfile:1: platform-gone" in check.stdout


def test_a_per_platform_pin_stays_when_the_new_index_lacks_its_platform(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    _, children = pusher.index("pp/gone", "1", content="old")
    dockerfile = tmp_path / "Dockerfile"
    text = (
        f"FROM {registry.host}/pp/gone:1@{children[ARM]} AS arm\n"
        f"FROM {registry.host}/pp/gone:1@{children[AMD]}\n"
    )
    dockerfile.write_text(text)
    _, new_children = pusher.index("pp/gone", "1", platforms=(AMD, S390X), content="new")

    update = run_pinner("update", cwd=tmp_path)

    assert update.returncode == 1, update.stderr
    assert "Dockerfile:1: platform-gone" in update.stderr
    assert "an index without a linux/arm64 manifest" in update.stderr
    assert dockerfile.read_text() == text.replace(children[AMD], new_children[AMD])


def test_a_platform_index_pin_does_not_move_to_an_index_without_that_platform(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    index, _ = pusher.index("pp/index", "1", content="old")
    dockerfile = tmp_path / "Dockerfile"
    text = f"FROM --platform=linux/arm64 {registry.host}/pp/index:1@{index}\n"
    dockerfile.write_text(text)
    pusher.index("pp/index", "1", platforms=(AMD,), content="new")

    update = run_pinner("update", cwd=tmp_path)

    assert update.returncode == 1, update.stderr
    assert "Dockerfile:1: platform-gone" in update.stderr
    assert dockerfile.read_text() == text


def test_a_from_platform_that_the_pinned_child_is_not_is_a_mismatch(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    _, children = pusher.index("pp/mismatch", "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM --platform=linux/arm64 {registry.host}/pp/mismatch:1@{children[AMD]}\n"
    )
    for output in ("text", "json", "markdown"):
        result = run_pinner("check", "--stale", "--format", output, cwd=tmp_path)
        assert result.returncode == 1, (output, result.stderr)
        shown = result.stdout
        assert "platform-missing" in shown, output
        assert "pinned to the linux/amd64 manifest, but FROM --platform names linux/arm64" in (
            shown
        ), output


def test_a_digest_only_reference_is_checked_for_existence(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    kept, _ = pusher.image("digest/kept", "1", content="kept")
    gone, _ = pusher.image("digest/gone", "1", content="gone")
    pusher.delete_manifest("digest/gone", gone)
    dockerfile = tmp_path / "Dockerfile"
    text = (
        f"FROM {registry.host}/digest/kept@{kept} AS kept\n"
        f"FROM {registry.host}/digest/gone@{gone}\n"
    )
    dockerfile.write_text(text)
    with fault_proxy(registry.host) as proxy:
        dockerfile.write_text(text.replace(registry.host, proxy.host))
        result = run_pinner("check", "--stale", "--format", "json", cwd=tmp_path)
        requests = dict(proxy.counts)

    assert result.returncode == 1, result.stderr
    kept_site, gone_site = json.loads(result.stdout)["sites"]
    assert kept_site["status"] == "skipped" and "manifest exists" in kept_site["reason"]
    assert gone_site["status"] == "missing" and "no tag names a replacement" in gone_site["reason"]
    assert requests == {"GET other": 1, "HEAD manifest": 2}  # the ping, then one HEAD each
