"""`pinner pin` end to end against a real registry, checked against skopeo."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

_unique = itertools.count()


def _repo(name: str) -> str:
    # Each test pushes to its own repositories, so tests never see each other's tags.
    return f"t{next(_unique)}/{name}"


def test_pins_exactly_the_digests_skopeo_reports(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    docker_single, oci_single = _repo("docker-single"), _repo("oci-single")
    docker_multi, oci_multi = _repo("docker-multi"), _repo("oci-multi")
    untagged = _repo("untagged")
    pusher.image(docker_single, "1.0", media="docker")
    pusher.image(oci_single, "1.0", media="oci")
    index_docker, children_docker = pusher.index(docker_multi, "2.0", media="docker")
    index_oci, _ = pusher.index(oci_multi, "2.0", media="oci")
    pusher.image(untagged, "latest", media="oci")
    host = registry.host
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM {host}/{docker_single}:1.0 AS a\n"
        f"FROM --platform=linux/arm64 {host}/{oci_single}:1.0 as b\n"
        f"FROM {host}/{docker_multi}:2.0\n"
        f"FROM {host}/{oci_multi}:2.0\n"
        f"FROM {host}/{untagged}\n"
        "FROM a\n"
    )

    result = run_pinner("pin", "Dockerfile", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    expected = {
        f"{host}/{docker_single}:1.0": skopeo_digest(f"{host}/{docker_single}:1.0"),
        f"{host}/{oci_single}:1.0": skopeo_digest(f"{host}/{oci_single}:1.0"),
        f"{host}/{docker_multi}:2.0": skopeo_digest(f"{host}/{docker_multi}:2.0"),
        f"{host}/{oci_multi}:2.0": skopeo_digest(f"{host}/{oci_multi}:2.0"),
        f"{host}/{untagged}:latest": skopeo_digest(f"{host}/{untagged}:latest"),
    }
    # For a multi-platform image the index digest, never a platform's manifest.
    assert expected[f"{host}/{docker_multi}:2.0"] == index_docker
    assert index_docker not in children_docker.values()
    assert expected[f"{host}/{oci_multi}:2.0"] == index_oci
    written = re.findall(r"FROM (?:--\S+ )?(\S+)@(sha256:[0-9a-f]{64})", dockerfile.read_text())
    assert dict(written) == expected
    assert dockerfile.read_text().endswith("FROM a\n")
    assert "no tag, so it follows 'latest'" in result.stderr

    again = run_pinner("pin", "Dockerfile", cwd=tmp_path)
    assert again.returncode == 0
    assert "nothing to pin" in again.stderr
    assert dict(re.findall(r"FROM (?:--\S+ )?(\S+)@(\S+)", dockerfile.read_text())) == expected


def test_missing_tag_is_reported_and_the_rest_is_pinned(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    present = _repo("present")
    pusher.image(present, "1")
    host = registry.host
    missing_line = f"FROM {host}/{present}:3.99 AS broken\r\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(
        f"FROM {host}/{present}:1 AS ok\r\n{missing_line}FROM {host}/nothing/here:1\r\n".encode()
    )

    result = run_pinner("pin", str(dockerfile), cwd=tmp_path)

    assert result.returncode == 2
    assert (
        f"{dockerfile}:2: {host}/{present}:3.99: not found: tag 3.99 of {host}/{present}"
        in result.stderr
    )
    assert f"{dockerfile}:3: {host}/nothing/here:1: not found" in result.stderr
    lines = dockerfile.read_bytes().decode().splitlines(keepends=True)
    digest = skopeo_digest(f"{host}/{present}:1")
    assert lines[0] == f"FROM {host}/{present}:1@{digest} AS ok\r\n"
    assert lines[1] == missing_line
    assert "Traceback" not in result.stderr


def test_dry_run_prints_a_diff_and_writes_nothing(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    repo = _repo("dry")
    digest, _ = pusher.image(repo, "1")
    (tmp_path / "app").mkdir()
    dockerfile = tmp_path / "app" / "Dockerfile"
    original = f"\ufeffFROM {registry.host}/{repo}:1\n"
    dockerfile.write_text(original)
    before = dockerfile.stat().st_mtime_ns

    dry = run_pinner("pin", "--dry-run", cwd=tmp_path)
    check = run_pinner("pin", "--check", "app", cwd=tmp_path)

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "--- a/app/Dockerfile",
        "+++ b/app/Dockerfile",
        "@@ -1 +1 @@",
        f"-\ufeffFROM {registry.host}/{repo}:1",
        f"+\ufeffFROM {registry.host}/{repo}:1@{digest}",
    ]
    assert check.returncode == 1
    assert check.stdout == dry.stdout
    assert dockerfile.read_text() == original
    assert dockerfile.stat().st_mtime_ns == before

    assert run_pinner("pin", "app", cwd=tmp_path).returncode == 0
    assert run_pinner("pin", "--check", "app", cwd=tmp_path).returncode == 0


def test_unreadable_files_are_reported_and_others_pinned(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    repo = _repo("mixed")
    digest, _ = pusher.image(repo, "1")
    good = tmp_path / "Dockerfile"
    good.write_text(f"FROM {registry.host}/{repo}:1\n")
    latin1 = tmp_path / "Dockerfile.latin1"
    latin1.write_bytes(f"# caf\xe9\nFROM {registry.host}/{repo}:1\n".encode("latin-1"))
    binary = tmp_path / "Dockerfile.bin"
    binary.write_bytes(b"\x7fELF\x00\x00\x01")

    result = run_pinner("pin", ".", cwd=tmp_path)

    assert result.returncode == 2
    assert "Dockerfile.latin1:1: not UTF-8 text (byte 0xe9); left unchanged" in result.stderr
    assert "Dockerfile.bin: binary file" in result.stderr
    assert latin1.read_bytes().startswith(b"# caf\xe9\n")
    assert good.read_text() == f"FROM {registry.host}/{repo}:1@{digest}\n"
    assert "Traceback" not in result.stderr


def test_a_file_mode_is_kept(registry: RunningRegistry, pusher: Pusher, tmp_path: Path) -> None:
    repo = _repo("mode")
    pusher.image(repo, "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry.host}/{repo}:1\n")
    dockerfile.chmod(0o751)
    assert run_pinner("pin", cwd=tmp_path).returncode == 0
    assert dockerfile.stat().st_mode & 0o777 == 0o751


def test_unreachable_registry_is_one_line_per_reference(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM 127.0.0.1:1/nobody/home:1\n")
    result = run_pinner("pin", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "Dockerfile:1: 127.0.0.1:1/nobody/home:1: unreachable: 127.0.0.1:1: connection refused"
        " (4 tries)"
    )
