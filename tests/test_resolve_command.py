"""``pinner resolve REF...`` against the real registry, digests checked by skopeo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

ARM = ("linux", "arm64")


def test_prints_each_reference_with_its_digest(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    index, children = pusher.index("res/multi", "1")
    single, _ = pusher.image("res/single", "latest")
    result = run_pinner(
        "resolve", f"{host}/res/multi:1", f"{host}/res/single", f"{host}/res/multi:1", cwd=tmp_path
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{host}/res/multi:1@{index}",
        f"{host}/res/single:latest@{single}",
        f"{host}/res/multi:1@{index}",
    ]
    assert index == skopeo_digest(f"{host}/res/multi:1")
    assert single == skopeo_digest(f"{host}/res/single")

    arm = run_pinner("resolve", "--platform", "linux/arm64", f"{host}/res/multi:1", cwd=tmp_path)
    assert (arm.returncode, arm.stdout) == (0, f"{host}/res/multi:1@{children[ARM]}\n")


def test_json_and_what_could_not_be_resolved(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    digest, _ = pusher.image("res/one", "2")
    result = run_pinner(
        "resolve",
        "--format",
        "json",
        f"{host}/res/one:2",
        f"{host}/res/none:9",
        "Bad:Ref",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2
    found, missing, invalid = document["references"]
    assert (found["digest"], found["pinned"], found["error"]) == (
        digest,
        f"{host}/res/one:2@{digest}",
        None,
    )
    assert missing["digest"] is None and missing["error"] == f"not found: tag 9 of {host}/res/none"
    assert invalid["digest"] is None and "Bad:Ref" in invalid["error"]
    assert (
        result.stderr.splitlines()[0] == f"{host}/res/none:9: not found: tag 9 of {host}/res/none"
    )


def test_a_platform_the_image_lacks_is_an_error(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.index("res/few", "1")
    pusher.image("res/amd", "1", platform=("linux", "amd64"))
    host = registry.host
    result = run_pinner(
        "resolve",
        "--platform",
        "linux/s390x",
        f"{host}/res/few:1",
        f"{host}/res/amd:1",
        cwd=tmp_path,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"{host}/res/few:1: not found: no linux/s390x manifest in {host}/res/few",
        f"{host}/res/amd:1: not found: {host}/res/amd is one linux/amd64 manifest, not linux/s390x",
    ]
    usage = run_pinner("resolve", "--platform", "arm64", f"{host}/res/few:1", cwd=tmp_path)
    assert usage.returncode == 2 and "expected os/arch[/variant]" in usage.stderr


def test_a_digest_given_alone_is_printed_as_given(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    single, _ = pusher.image("res/bydigest", "1", content="by digest")
    index, children = pusher.index("res/bydigestmulti", "1", content="by digest")
    assert skopeo_digest(f"{host}/res/bydigest@{single}") == single

    result = run_pinner("resolve", f"{host}/res/bydigest@{single}", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{host}/res/bydigest@{single}\n"  # no tag that may not exist

    arm = run_pinner(
        "resolve", "--platform", "linux/arm64", f"{host}/res/bydigestmulti@{index}", cwd=tmp_path
    )
    assert (arm.returncode, arm.stdout) == (0, f"{host}/res/bydigestmulti@{children[ARM]}\n")


def test_a_digest_the_tag_no_longer_points_to_is_said(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("res/movedtag", "1", content="old")
    new, _ = pusher.image("res/movedtag", "1", content="new")
    assert skopeo_digest(f"{host}/res/movedtag:1") == new

    result = run_pinner("resolve", f"{host}/res/movedtag:1@{old}", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == f"{host}/res/movedtag:1@{new}\n"
    assert result.stderr == (
        f"{host}/res/movedtag:1@{old}: tag 1 points to {new}, not to the digest given ({old})\n"
    )
    current = run_pinner("resolve", f"{host}/res/movedtag:1@{new}", cwd=tmp_path)
    assert (current.returncode, current.stderr) == (0, "")
    as_json = run_pinner(
        "resolve", "--format", "json", f"{host}/res/movedtag:1@{old}", cwd=tmp_path
    )
    [entry] = json.loads(as_json.stdout)["references"]
    assert entry["digest"] == new and old in entry["note"]
