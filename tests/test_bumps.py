"""Tag bumps against the real registry: the newest tag on the track that
holds, checked by build date and platforms, skopeo the oracle for what is
written; and the checks themselves (pure)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from pinner.bumps import _why_not
from pinner.cli import main
from pinner.families import Kind
from pinner.resolve import registry as registry_module
from pinner.resolve.facts import ImageFacts, PlatformFacts
from pinner.resolve.manifest import Platform
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

AMD, ARM = ("linux", "amd64"), ("linux", "arm64")


def _run(cwd: Path, *args: str) -> tuple[int, str, str]:
    """The command line in this process (so that a test may set the tag list's
    page size), in ``cwd``."""
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(before)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.registry
def test_update_bump_takes_the_newest_tag_that_holds(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = registry.host
    repository = "library/python"
    pinned, _ = pusher.index(repository, "3.12-slim", created=["2026-01-01T00:00:00Z"] * 2)
    good, _ = pusher.index(
        repository, "3.13-slim", content="13", created=["2026-03-01T00:00:00Z"] * 2
    )
    # Newer numbers that must be passed over, each for its reason:
    pusher.index(
        repository, "3.14-slim", platforms=(AMD,), content="14", created=["2026-05-01T00:00:00Z"]
    )
    pusher.index(repository, "3.15-slim", content="15", created=["2025-06-01T00:00:00Z"] * 2)
    # Never candidates: a release candidate, another suffix, another precision.
    for tag in ("3.16-rc-slim", "3.16-alpine", "3.16.1-slim"):
        pusher.index(repository, tag, content=tag)
    other_old, _ = pusher.image("bump/tool", "1.0", content="old")
    other_new, _ = pusher.image("bump/tool", "1.0", content="new")
    text = (
        f"FROM {host}/{repository}:3.12-slim@{pinned} AS base\n"
        f"COPY --from={host}/bump/tool:1.0@{other_old} /t /t\n"
    )
    (tmp_path / "Dockerfile").write_text(text)
    monkeypatch.setattr(registry_module, "TAGS_PAGE", 2)  # the tag list in five pages

    code, out, _ = _run(tmp_path, "check", "--stale", "--bump", "minor", "--format", "json")
    assert code == 1
    assert (tmp_path / "Dockerfile").read_text() == text  # a check writes nothing
    [site, tool] = json.loads(out)["sites"]
    assert (site["status"], site["bump"]["from"], site["bump"]["to"]) == (
        "bumped",
        "3.12-slim",
        "3.13-slim",
    )
    reasons = {entry["tag"]: entry["reason"] for entry in site["bump"]["passed_over"]}
    assert reasons == {
        "3.15-slim": "built 2025-06-01, before the image pinned now (2026-01-01)",
        "3.14-slim": "has no linux/arm64, which the pin covers",
    }
    assert tool["status"] == "stale" and tool["bump"] is None  # 1.0 has no newer tag

    code, out, err = _run(tmp_path, "update", "--bump", "minor", "-v")

    assert code == 0, err
    assert good == skopeo_digest(f"{host}/{repository}:3.13-slim")
    assert other_new == skopeo_digest(f"{host}/bump/tool:1.0")
    assert (tmp_path / "Dockerfile").read_text() == (
        f"FROM {host}/{repository}:3.13-slim@{good} AS base\n"
        f"COPY --from={host}/bump/tool:1.0@{other_new} /t /t\n"
    )
    assert f"bumped {host}/{repository}:3.12-slim@{pinned}: tag 3.12-slim -> 3.13-slim" in err
    assert "built 2026-01-01 → 2026-03-01" in err
    assert "passed over 3.15-slim" in err and "passed over 3.14-slim" in err


@pytest.mark.registry
def test_bump_levels_and_the_configuration(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pinned, _ = pusher.image("bump/app", "1.2.3", content="123")
    pusher.image("bump/app", "1.2.4", content="124")
    major, _ = pusher.image("bump/app", "2.0.0", content="200")
    text = f"FROM {host}/bump/app:1.2.3@{pinned}\n"
    (tmp_path / "Dockerfile").write_text(text)

    (tmp_path / ".pinner.yaml").write_text(
        "bump:\n  default: major\n  images: {'*/bump/app': never}\n"
    )
    assert _run(tmp_path, "update")[0] == 0
    assert (tmp_path / "Dockerfile").read_text() == text  # never, whatever the default
    (tmp_path / ".pinner.yaml").write_text("bump: major\n")
    assert _run(tmp_path, "update")[0] == 0
    assert (tmp_path / "Dockerfile").read_text() == f"FROM {host}/bump/app:2.0.0@{major}\n"
    assert major == skopeo_digest(f"{host}/bump/app:2.0.0")


def test_a_candidate_of_another_family_is_passed_over() -> None:
    def facts(created: str, os_name: str) -> ImageFacts:
        platform = PlatformFacts("linux/amd64", "sha256:" + "a" * 64, 1, 1, created=created)
        return ImageFacts("sha256:" + "b" * 64, (platform,), created, os_name)

    amd = (Platform("linux", "amd64"),)
    why = _why_not(
        facts("2026-01-01", "linux"),
        facts("2026-02-01", "windows"),
        amd,
        amd,
        Kind("slim", "glibc"),
        Kind("unknown", "unknown"),
    )
    assert why == "another family or libc (unknown, unknown for slim, glibc)"
    assert (
        _why_not(
            facts("1970-01-01T00:00:00Z", "linux"),  # a reproducible build: its date blocks nothing
            facts("2026-02-01", "linux"),
            amd,
            amd,
            Kind("slim", "glibc"),
            Kind("slim", "glibc"),
        )
        is None
    )


@pytest.mark.registry
def test_a_bump_keeps_every_other_byte_and_the_owner(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    import stat

    from tests.support.users import nobody

    host = registry.host
    old, _ = pusher.image("bump/svc", "2.3", content="2.3")
    new, _ = pusher.image("bump/svc", "2.4", content="2.4", created="2026-02-01T00:00:00Z")
    compose = tmp_path / "compose.yaml"
    text = f"\ufeffservices:\r\n  svc:\r\n    image: '{host}/bump/svc:2.3@{old}'  # svc\r\n"
    compose.write_bytes(text.encode())
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(f'ARG BASE="{host}/bump/svc:2.3@{old}"\r\nFROM $BASE\r\n'.encode())
    if os.geteuid() == 0:
        user = nobody()
        os.chown(compose, user.pw_uid, user.pw_gid)
        compose.chmod(0o640)

    code, _, err = _run(tmp_path, "update", "--bump", "minor")

    assert code == 0, err
    assert new == skopeo_digest(f"{host}/bump/svc:2.4")
    assert compose.read_bytes() == text.replace(f"svc:2.3@{old}", f"svc:2.4@{new}").encode()
    if os.geteuid() == 0:
        status = compose.stat()
        assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (nobody().pw_uid, 0o640)
    # The ARG's default is bumped inside its quotes, the quotes kept.
    assert (
        dockerfile.read_bytes()
        == f'ARG BASE="{host}/bump/svc:2.4@{new}"\r\nFROM $BASE\r\n'.encode()
    )


@pytest.mark.registry
def test_an_edit_made_while_bumping_is_kept(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    import time

    from tests.conftest import start_pinner
    from tests.support.fault_proxy import fault_proxy

    old, _ = pusher.image("bump/race", "1.1", content="1.1")
    new, _ = pusher.image("bump/race", "1.2", content="1.2", created="2026-02-01T00:00:00Z")
    with fault_proxy(registry.host, delay=0.3) as proxy:
        reference = f"{proxy.host}/bump/race"
        path = tmp_path / "Dockerfile"
        path.write_bytes(f"\ufeffFROM {reference}:1.1@{old}\r\n".encode())
        process = start_pinner("update", "--bump", "minor", cwd=tmp_path)
        deadline = time.monotonic() + 30
        while not sum(proxy.counts.values()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        edited = f"\ufeff# edited\r\nFROM {reference}:1.1@{old}\r\n"
        path.write_bytes(edited.encode())
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert path.read_bytes() == edited.replace(f":1.1@{old}", f":1.2@{new}").encode()


@pytest.mark.registry
def test_a_reference_not_written_in_one_piece_is_refreshed_and_says_so(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("bump/piece", "1.0", content="1.0")
    pusher.image("bump/piece", "1.1", content="1.1", created="2026-02-01T00:00:00Z")
    text = f'ARG BASE="{host}/bump/piece:1.0"@{old}\nFROM $BASE\n'
    (tmp_path / "Dockerfile").write_text(text)

    code, out, _ = _run(tmp_path, "update", "--bump", "minor", "--format", "json")

    assert code == 0
    assert (tmp_path / "Dockerfile").read_text() == text
    [site] = json.loads(out)["sites"]
    assert site["status"] == "current"
    assert site["bump"]["to"] is None
    [note] = site["bump"]["passed_over"]
    assert note["tag"] is None and note["reason"].startswith("refreshed only: a bump writes")
