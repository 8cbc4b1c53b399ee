"""`pinner update` and `pinner check --stale` against the real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest, skopeo_inspect

pytestmark = pytest.mark.registry

ARM = ("linux", "arm64")


def test_update_moves_exactly_the_digests_whose_tag_moved(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    single_old, _ = pusher.image("upd/single", "1", content="old")
    index_old, children_old = pusher.index("upd/multi", "2", media="oci", content="old")
    steady, _ = pusher.image("upd/steady", "3", content="same")
    arm_old = children_old[ARM]
    dockerfile = tmp_path / "Dockerfile"
    template = (
        "FROM {host}/upd/single:1@{single} AS a\n"
        "FROM {host}/upd/multi:2@{index} AS b\n"
        "FROM {host}/upd/multi:2@{arm} AS c\n"
        "FROM --platform=linux/arm64 {host}/upd/multi:2@{arm} AS d\n"
        "FROM {host}/upd/steady:3@{steady} AS e\n"
        "FROM {host}/upd/unpinned:4\n"
        "FROM {host}/upd/single@{single} AS digest-only\n"
    )
    dockerfile.write_text(
        template.format(host=host, single=single_old, index=index_old, arm=arm_old, steady=steady)
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  web:\n    image: '{host}/upd/multi:2@{index_old}'  # keep\n")
    unpinned, _ = pusher.image("upd/unpinned", "4")

    before = run_pinner("check", "--stale", "--format", "json", cwd=tmp_path)
    assert before.returncode == 1, before.stderr
    statuses = [(s["file"], s["line"], s["status"]) for s in json.loads(before.stdout)["sites"]]
    assert statuses == [
        *(("Dockerfile", line, "current") for line in range(1, 6)),
        ("Dockerfile", 6, "unpinned"),
        ("Dockerfile", 7, "skipped"),
        ("compose.yaml", 3, "current"),
    ]

    single_new, _ = pusher.image("upd/single", "1", content="new")
    index_new, children_new = pusher.index("upd/multi", "2", media="oci", content="new")
    assert skopeo_digest(f"{host}/upd/single:1") == single_new
    assert skopeo_digest(f"{host}/upd/multi:2") == index_new

    stale = run_pinner("check", "--stale", cwd=tmp_path)
    assert stale.returncode == 1
    assert f"Dockerfile:1: stale {host}/upd/single:1@{single_old}" in stale.stdout
    assert "Dockerfile:6: " in stale.stdout and "has no digest" in stale.stdout
    assert "Dockerfile:5: current" not in stale.stdout  # listed only with --verbose
    verbose = run_pinner("check", "--stale", "--verbose", cwd=tmp_path)
    assert f"Dockerfile:5: current {host}/upd/steady:3@{steady}" in verbose.stdout

    dry = run_pinner("update", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dockerfile.read_text().count(single_old) == 2  # nothing written
    assert f"+FROM {host}/upd/single:1@{single_new} AS a" in dry.stdout

    result = run_pinner("update", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert dockerfile.read_text() == template.format(
        host=host, single=single_new, index=index_new, arm=children_new[ARM], steady=steady
    ).replace("upd/unpinned:4\n", f"upd/unpinned:4@{unpinned}\n").replace(
        f"upd/single@{single_new} AS digest-only", f"upd/single@{single_old} AS digest-only"
    )
    assert compose.read_text() == (
        f"services:\n  web:\n    image: '{host}/upd/multi:2@{index_new}'  # keep\n"
    )
    assert "kept per-platform (linux/arm64)" in result.stderr
    assert "skipped" in result.stderr and "digest without a tag" in result.stderr

    after = run_pinner("check", "--stale", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    again = run_pinner("update", "--check", cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout == ""


def test_check_stale_reports_a_garbage_collected_pin_as_missing(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("gc/app", "1", content="old")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {host}/gc/app:1@{old}\n")
    new, _ = pusher.image("gc/app", "1", content="new")
    pusher.delete_manifest("gc/app", old)

    result = run_pinner("check", "--stale", "--format", "json", cwd=tmp_path)

    assert result.returncode == 1
    report = json.loads(result.stdout)
    [site] = report["sites"]
    assert site["status"] == "missing"
    assert (site["old_digest"], site["new_digest"]) == (old, new)
    assert report["summary"]["missing"] == 1
    text = run_pinner("check", "--stale", cwd=tmp_path)
    assert "Dockerfile:1: missing" in text.stdout
    assert run_pinner("update", cwd=tmp_path).returncode == 0
    assert dockerfile.read_text() == f"FROM {host}/gc/app:1@{new}\n"


def test_check_stale_says_whether_the_pinned_index_has_the_platform(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    index, _ = pusher.index("plat/app", "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM --platform=linux/arm64 {host}/plat/app:1@{index} AS ok\n"
        f"FROM --platform=linux/s390x {host}/plat/app:1@{index} AS missing\n"
    )
    result = run_pinner("check", "--stale", "--verbose", cwd=tmp_path)
    assert result.returncode == 1
    assert "Dockerfile:1: current" in result.stdout and "has linux/arm64" in result.stdout
    assert "Dockerfile:2: platform-missing" in result.stdout
    assert "no linux/s390x manifest" in result.stdout


def test_a_missing_tag_with_its_digest_still_there_is_tag_gone(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    digest, _ = pusher.image("gone/app", "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/gone/app:9@{digest}\n")
    result = run_pinner("check", "--stale", cwd=tmp_path)
    assert result.returncode == 1
    assert f"Dockerfile:1: tag-gone {registry.host}/gone/app:9@{digest}: tag 9 is gone" in (
        result.stdout
    )
    update = run_pinner("update", cwd=tmp_path)
    assert update.returncode == 1, update.stderr
    assert "tag-gone" in update.stderr
    assert dockerfile.read_text() == f"FROM {registry.host}/gone/app:9@{digest}\n"


def test_a_missing_tag_and_digest_is_missing_not_an_error(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    digest, _ = pusher.image("vanished/app", "1", content="vanished")
    pusher.delete_manifest("vanished/app", digest)  # the tag goes with it
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/vanished/app:1@{digest}\n")
    result = run_pinner("check", "--stale", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    [site] = json.loads(result.stdout)["sites"]
    assert (site["status"], site["new_digest"]) == ("missing", None)
    assert "a build will fail" in site["reason"]
    update = run_pinner("update", cwd=tmp_path)
    assert update.returncode == 1
    assert "Dockerfile:1: missing" in update.stderr
    assert dockerfile.read_text() == f"FROM {registry.host}/vanished/app:1@{digest}\n"


def test_markdown_report_is_the_only_thing_on_stdout(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("md/app", "1", content="old")
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/md/app:1@{old}\nFROM {host}/md/nope:1\n")
    new, _ = pusher.image("md/app", "1", content="new")

    result = run_pinner("update", "--dry-run", "--format", "markdown", cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "### pinner update: image digests"
    row = f"| `{host}/md/app:1` | `{old[:19]}` | → `{new[:19]}` | updated | `Dockerfile:1` |"
    assert row in lines
    assert "#### Could not be checked" in lines
    assert not any(line.startswith(("---", "+++", "@@")) for line in lines)
    assert "Dockerfile:2:" in result.stderr and "not found" in result.stderr
    assert "would update" not in result.stderr  # only errors go to stderr


def test_the_pull_request_says_what_each_moved_digest_brings(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("pr/app", "1", content="old", created="2026-10-01T00:00:00Z")
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/pr/app:1@{old}\nFROM {host}/pr/steady:1\n")
    pusher.image("pr/steady", "1")
    new, _ = pusher.image("pr/app", "1", content="new" * 4000, created="2026-11-20T00:00:00Z")
    sizes = {}
    for digest in (old, new):
        raw = skopeo_inspect(f"{host}/pr/app@{digest}", "--raw")
        sizes[digest] = sum(layer["size"] for layer in json.loads(raw)["layers"])
    delta = sizes[new] - sizes[old]

    markdown = run_pinner("update", "--dry-run", "--format", "markdown", cwd=tmp_path)
    document = json.loads(
        run_pinner("update", "--dry-run", "--format", "json", cwd=tmp_path).stdout
    )

    assert markdown.returncode == 0, markdown.stderr
    sign = "+" if delta >= 0 else "-"
    expected = (
        f"built 2026-10-01 → 2026-11-20, {sign}{abs(delta) / 1_000_000:.1f} MB on linux/amd64"
    )
    assert f"- `{host}/pr/app:1` `{old[:19]}` → `{new[:19]}`: {expected}" in markdown.stdout
    moved, added = document["sites"]
    assert moved["change"] == {
        "old_created": "2026-10-01T00:00:00Z",
        "new_created": "2026-11-20T00:00:00Z",
        "size_change": delta,
        "platform": "linux/amd64",
    }
    assert added["status"] == "added" and added["change"] is None  # only moved digests
