"""A tag that turns into an index, or stops being one, against the real
registry, with skopeo as the oracle for where the tag points and what each
index holds: a refresh never writes a pin that breaks a build, and every
report names the digest the tag points to and the one written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest, skopeo_inspect

pytestmark = pytest.mark.registry

AMD, ARM, ARMV7 = ("linux", "amd64"), ("linux", "arm64"), ("linux", "arm", "v7")
ATTESTATION = ("unknown", "unknown")  # what buildx puts beside the platforms


def _children(reference: str) -> dict[str, str]:
    """platform -> child digest of the index ``reference`` names, as skopeo reads it."""
    index = json.loads(skopeo_inspect(reference, "--raw"))
    children = {}
    for entry in index["manifests"]:
        platform = entry["platform"]
        parts = [platform["os"], platform["architecture"], platform.get("variant", "")]
        children["/".join(p for p in parts if p)] = entry["digest"]
    return children


def _site(result_stdout: str) -> dict[str, object]:
    [site] = json.loads(result_stdout)["sites"]
    assert isinstance(site, dict)
    return site


# A tag that was one image manifest becomes a multi-platform index.


def test_single_manifest_to_index_stays_per_platform_and_says_so(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/grow:1"
    single, _ = pusher.image("tr/grow", "1", platform=AMD, content="single")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{single}\n")
    index, _ = pusher.index("tr/grow", "1", platforms=(AMD, ARM), content="index")
    assert skopeo_digest(ref) == index
    child = _children(ref)["linux/amd64"]

    stale = run_pinner("check", "--stale", cwd=tmp_path)
    assert stale.returncode == 1
    # The tag moved to the index, not to the child that update would write.
    assert f"tag moved from {single} to {index}; update would write {child}" in stale.stdout
    stale_json = _site(run_pinner("check", "--stale", "--format", "json", cwd=tmp_path).stdout)
    assert (stale_json["status"], stale_json["tag_digest"], stale_json["new_digest"]) == (
        "stale",
        index,
        child,
    )
    stale_md = run_pinner("check", "--stale", "--format", "markdown", cwd=tmp_path).stdout
    assert "#### Kept per-platform" in stale_md and index in stale_md and child in stale_md

    dry_json = _site(run_pinner("update", "--dry-run", "--format", "json", cwd=tmp_path).stdout)
    assert (dry_json["status"], dry_json["tag_digest"], dry_json["new_digest"]) == (
        "updated",
        index,
        child,
    )
    dry_md = run_pinner("update", "--dry-run", "--format", "markdown", cwd=tmp_path).stdout
    assert "#### Kept per-platform" in dry_md
    assert f"multi-platform index {index}" in dry_md and child in dry_md

    result = run_pinner("update", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {ref}@{child}\n"
    assert f"multi-platform index {index}" in result.stderr
    assert f"{child} is its linux/amd64 manifest" in result.stderr
    assert "remove the digest and run pinner pin" in result.stderr
    assert "FROM --platform=linux/amd64" in result.stderr

    # Kept per-platform: a later run has nothing to move, and says why.
    again = run_pinner("check", "--stale", "--verbose", cwd=tmp_path)
    assert again.returncode == 0, again.stdout
    assert "pinned to the linux/amd64 manifest of the index tag 1 points to" in again.stdout


def test_single_manifest_to_index_with_from_platform_needs_no_advice(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/growplat:1"
    single, _ = pusher.image("tr/growplat", "1", platform=ARM, content="single")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM --platform=linux/arm64 {ref}@{single}\n")
    index, _ = pusher.index("tr/growplat", "1", platforms=(AMD, ARM), content="index")
    child = _children(ref)["linux/arm64"]

    result = run_pinner("update", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM --platform=linux/arm64 {ref}@{child}\n"
    site = _site(result.stdout)
    assert (site["tag_digest"], site["new_digest"]) == (index, child)
    assert "remove the digest" not in str(site["reason"])


# An index pin whose tag becomes one image manifest, or an index with fewer platforms.


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
@pytest.mark.parametrize("command", [("update",), ("check", "--stale")])
def test_index_to_single_manifest_keeps_the_pin(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    output: str,
    command: tuple[str, ...],
) -> None:
    repository = f"tr/shrink-{output}-{command[0]}"
    ref = f"{registry.host}/{repository}:1"
    index, _ = pusher.index(repository, "1", platforms=(AMD, ARM, ARMV7), content="old")
    assert set(_children(ref)) == {"linux/amd64", "linux/arm64", "linux/arm/v7"}
    text = f"FROM {ref}@{index}\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    single, _ = pusher.image(repository, "1", platform=AMD, content="new")
    assert skopeo_digest(ref) == single

    result = run_pinner(*command, "--format", output, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert dockerfile.read_text() == text
    if output == "json":
        site = _site(result.stdout)
        assert (site["status"], site["new_digest"], site["tag_digest"]) == (
            "platforms-dropped",
            None,
            single,
        )
        reason = str(site["reason"])
    elif output == "markdown":
        decisions = result.stdout.split("#### Needs a decision")[1]
        assert "**platforms-dropped**" in decisions
        reason = decisions
    else:
        shown = result.stdout if command[0] == "check" else result.stderr
        assert "platforms-dropped" in shown
        reason = shown
    assert "drop linux/arm64, linux/arm/v7 that the pin covers" in reason
    assert single in reason


def test_platforms_listed_in_the_configuration_let_the_refresh_go_ahead(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/amdonly:1"
    index, _ = pusher.index("tr/amdonly", "1", platforms=(AMD, ARM), content="old")
    (tmp_path / ".pinner.yaml").write_text("platforms: linux/amd64\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{index}\n")
    single, _ = pusher.image("tr/amdonly", "1", platform=AMD, content="new")

    result = run_pinner("update", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {ref}@{skopeo_digest(ref)}\n"
    assert skopeo_digest(ref) == single


def test_platforms_listed_in_the_configuration_must_all_stay(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/listed:1"
    index, _ = pusher.index("tr/listed", "1", platforms=(AMD, ARM, ARMV7), content="old")
    (tmp_path / ".pinner.yaml").write_text("platforms: [linux/amd64, linux/arm64]\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{index}\n")
    # arm/v7 goes, which this repository does not build for: the refresh goes ahead.
    smaller, _ = pusher.index("tr/listed", "1", platforms=(AMD, ARM), content="new")

    assert run_pinner("update", cwd=tmp_path).returncode == 0
    assert (
        dockerfile.read_text() == f"FROM {ref}@{smaller}\n" == f"FROM {ref}@{skopeo_digest(ref)}\n"
    )

    # Then arm64 goes too, which it does build for: the pin is kept.
    pusher.index("tr/listed", "1", platforms=(AMD,), content="newer")
    result = run_pinner("update", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert dockerfile.read_text() == f"FROM {ref}@{smaller}\n"
    site = _site(result.stdout)
    assert site["status"] == "platforms-dropped"
    assert "drop linux/arm64 that platforms: in the configuration lists" in str(site["reason"])


def test_an_index_that_loses_a_platform_is_not_followed(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/fewer:1"
    index, _ = pusher.index("tr/fewer", "1", platforms=(AMD, ARM), content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{index}\n")
    fewer, _ = pusher.index("tr/fewer", "1", platforms=(AMD, ATTESTATION), content="new")
    assert set(_children(ref)) == {"linux/amd64", "unknown/unknown"}

    result = run_pinner("update", cwd=tmp_path)

    assert result.returncode == 1
    assert dockerfile.read_text() == f"FROM {ref}@{index}\n"
    assert f"platforms-dropped {ref}@{index}" in result.stderr
    assert f"now points to {fewer}, which has only linux/amd64" in result.stderr


def test_an_attestation_entry_is_no_platform_to_keep(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/attested:1"
    index, _ = pusher.index("tr/attested", "1", platforms=(AMD, ATTESTATION), content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{index}\n")
    single, _ = pusher.image("tr/attested", "1", platform=AMD, content="new")

    result = run_pinner("update", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {ref}@{single}\n"
    assert skopeo_digest(ref) == single


# Per-platform pins (one platform's manifest of an index), both directions.


def test_a_per_platform_pin_follows_its_platform_from_index_to_single_manifest(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/perplat:1"
    _, children = pusher.index("tr/perplat", "1", platforms=(AMD, ARM), content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{children[ARM]}\n")
    single, _ = pusher.image("tr/perplat", "1", platform=ARM, content="new")
    assert skopeo_digest(ref) == single

    result = run_pinner("update", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {ref}@{single}\n"


def test_a_per_platform_pin_is_never_moved_to_another_platform(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/perplatgone:1"
    _, children = pusher.index("tr/perplatgone", "1", platforms=(AMD, ARM), content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{children[ARM]}\n")
    single, _ = pusher.image("tr/perplatgone", "1", platform=AMD, content="new")

    result = run_pinner("update", "--format", "json", cwd=tmp_path)

    assert result.returncode == 1
    assert dockerfile.read_text() == f"FROM {ref}@{children[ARM]}\n"
    site = _site(result.stdout)
    assert (site["status"], site["tag_digest"]) == ("platform-gone", single)


def test_a_per_platform_pin_moves_to_its_platform_in_the_new_index(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    ref = f"{registry.host}/tr/perplatidx:1"
    _, old = pusher.index("tr/perplatidx", "1", platforms=(AMD, ARM), content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {ref}@{old[ARM]}\n")
    index, _ = pusher.index("tr/perplatidx", "1", platforms=(AMD, ARM), content="new")
    child = _children(ref)["linux/arm64"]

    result = run_pinner("update", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == f"FROM {ref}@{child}\n"
    site = _site(result.stdout)
    assert (site["tag_digest"], site["new_digest"]) == (index, child)
    assert str(site["reason"]).startswith("kept per-platform (linux/arm64)")
