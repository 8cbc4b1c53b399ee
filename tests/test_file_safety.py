"""A user's file is sacred: pinning against the real registry never loses an
edit, never takes a file from its owner, never splits hard links, and says
the same thing in every format when it cannot write."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from pinner import pipeline
from pinner.cli import main
from pinner.config import Config
from pinner.files import read_text
from pinner.outcome import Command, Mode, Status
from pinner.resolve.registry import RegistryResolver
from tests.conftest import run_pinner, start_pinner
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest
from tests.support.users import as_root, call_as_nobody, nobody

pytestmark = pytest.mark.registry


def _wait_for_requests(proxy: FaultProxy, count: int) -> None:
    deadline = time.monotonic() + 30
    while sum(proxy.counts.values()) < count:
        assert time.monotonic() < deadline, "pinner never asked the registry"
        time.sleep(0.01)


def test_an_edit_made_while_pinner_waits_on_the_registry_is_kept(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    one, _ = pusher.image("race/one", "1", content="race")
    two, _ = pusher.image("race/two", "2", content="race")
    with fault_proxy(registry.host, delay=0.4) as proxy:
        dockerfile = tmp_path / "Dockerfile"
        dockerfile.write_bytes(f"\ufeff# base\r\nFROM {proxy.host}/race/one:1\r\n".encode())
        process = start_pinner("pin", cwd=tmp_path)
        _wait_for_requests(proxy, 1)  # the file was read: its image is being looked up
        edited = (
            f"\ufeff# base, edited while pinner waits\r\nFROM {proxy.host}/race/one:1\r\n"
            f"FROM {proxy.host}/race/two:2 AS added\r\n"
        )
        dockerfile.write_bytes(edited.encode())
        _, stderr = process.communicate(timeout=60)
        manifest_lookups = proxy.counts["HEAD manifest"]

    assert process.returncode == 0, stderr
    assert (
        dockerfile.read_bytes()
        == edited.replace("one:1", f"one:1@{one}").replace("two:2", f"two:2@{two}").encode()
    )
    assert skopeo_digest(f"{registry.host}/race/one:1") == one
    assert skopeo_digest(f"{registry.host}/race/two:2") == two
    assert manifest_lookups == 2  # the first image was not looked up again
    assert "pinned 2 references in 1 file" in stderr


def test_two_pinner_processes_on_one_file_keep_each_others_pins(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    one, _ = pusher.image("pair/one", "1", content="pair")
    two, _ = pusher.image("pair/two", "1", content="pair")
    with fault_proxy(registry.host, delay=0.3) as proxy:
        dockerfile = tmp_path / "Dockerfile"
        text = f"FROM {proxy.host}/pair/one:1 AS one\r\nFROM {proxy.host}/pair/two:1\r\n"
        dockerfile.write_bytes(text.encode())
        # Each process leaves the other's image alone, so each pins one line.
        (tmp_path / "only-one.yaml").write_text("ignore: ['*/pair/two']\n")
        (tmp_path / "only-two.yaml").write_text("ignore: ['*/pair/one']\n")
        first = start_pinner("pin", "--config", "only-one.yaml", "Dockerfile", cwd=tmp_path)
        second = start_pinner("pin", "--config", "only-two.yaml", "Dockerfile", cwd=tmp_path)
        outputs = [process.communicate(timeout=60) for process in (first, second)]

    assert (first.returncode, second.returncode) == (0, 0), outputs
    assert (
        dockerfile.read_bytes()
        == text.replace("one:1", f"one:1@{one}").replace("two:1", f"two:1@{two}").encode()
    )


def test_a_file_that_never_holds_still_is_left_alone_and_reported(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pusher.image("restless/app", "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(f"FROM {registry.host}/restless/app:1\r\n".encode())
    edits = 0

    def read_then_edit(path: Path, shown_as: str) -> str:
        # An editor that saves right after every read pinner makes.
        nonlocal edits
        text = read_text(path, shown_as)
        edits += 1
        with path.open("ab") as handle:
            handle.write(f"# edit {edits}\r\n".encode())
        return text

    monkeypatch.setattr(pipeline, "read_text", read_then_edit)
    monkeypatch.chdir(tmp_path)
    outcome = pipeline.run(Command.PIN, [], Config(), Mode.WRITE, lambda: RegistryResolver(jobs=2))

    assert outcome.exit_code() == 2
    assert [file.write_error for file in outcome.files] == [
        "changed while pinner ran; left as it is (run pinner again)"
    ]
    [result] = outcome.results
    assert result.status is Status.ERROR and result.unwritten
    expected = f"FROM {registry.host}/restless/app:1\r\n" + "".join(
        f"# edit {n}\r\n" for n in range(1, edits + 1)
    )
    assert dockerfile.read_bytes() == expected.encode()
    assert edits == 3  # read once, then once for each of the two rounds of planning again


@as_root
def test_root_keeps_the_owner_group_and_mode_of_another_users_file(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    digest, _ = pusher.image("owned/app", "1")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(f"\ufeffFROM {registry.host}/owned/app:1\r\n".encode())
    user = nobody()
    os.chown(dockerfile, user.pw_uid, user.pw_gid)
    dockerfile.chmod(0o640)

    result = run_pinner("pin", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    status = dockerfile.stat()
    assert (status.st_uid, status.st_gid) == (user.pw_uid, user.pw_gid)
    assert stat.S_IMODE(status.st_mode) == 0o640
    expected = f"\ufeffFROM {registry.host}/owned/app:1@{digest}\r\n"
    assert dockerfile.read_bytes() == expected.encode()
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


def test_a_hard_linked_file_pinned_through_one_name_is_seen_through_the_other(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    digest, _ = pusher.image("linked/app", "1")
    (tmp_path / "service").mkdir()
    original = tmp_path / "service" / "Dockerfile"
    original.write_bytes(f"FROM {registry.host}/linked/app:1\r\n".encode())
    other = tmp_path / "Dockerfile.shared"
    os.link(original, other)

    result = run_pinner("pin", "service", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    expected = f"FROM {registry.host}/linked/app:1@{digest}\r\n".encode()
    assert other.read_bytes() == expected == original.read_bytes()
    assert os.path.samefile(original, other)
    assert original.stat().st_nlink == 2


def _formats(tmp_path: Path, *args: str) -> dict[str, subprocess.CompletedProcess[str]]:
    return {
        output: run_pinner("pin", "--format", output, *args, cwd=tmp_path)
        for output in ("text", "json", "markdown")
    }


def test_a_read_only_file_is_not_rewritten_and_every_format_says_why(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.image("readonly/app", "1")
    dockerfile = tmp_path / "Dockerfile"
    text = f"FROM {registry.host}/readonly/app:1\n"
    dockerfile.write_text(text)
    dockerfile.chmod(0o444)

    runs = _formats(tmp_path)

    assert dockerfile.read_text() == text
    assert {output: run.returncode for output, run in runs.items()} == dict.fromkeys(runs, 2)
    reason = "read-only: the file has no write permission bits"
    assert f"Dockerfile:1: {registry.host}/readonly/app:1: not written: {reason}" in (
        runs["text"].stderr
    )
    assert runs["text"].stderr.splitlines()[-1] == "could not write 1 file"
    report = json.loads(runs["json"].stdout)
    [site] = report["sites"]
    assert site["status"] == "error" and site["reason"].startswith(f"not written: {reason}")
    assert [(e["file"], e["on"]) for e in report["file_errors"]] == [("Dockerfile", "write")]
    assert report["summary"]["unwritten_files"] == ["Dockerfile"]
    assert report["summary"]["files"] == 1
    assert (report["summary"]["added"], report["summary"]["error"]) == (0, 1)
    assert "#### Could not write" in runs["markdown"].stdout
    assert f"- `Dockerfile`: {reason}" in runs["markdown"].stdout
    assert "| added |" not in runs["markdown"].stdout


@as_root
def test_a_folder_that_is_not_writable_is_reported_as_a_write_failure(
    registry: RunningRegistry, pusher: Pusher, shared_tmp: Path
) -> None:
    pusher.image("folder/app", "1")
    dockerfile = shared_tmp / "Dockerfile"
    text = f"FROM {registry.host}/folder/app:1\n"
    dockerfile.write_text(text)
    os.chown(dockerfile, nobody().pw_uid, nobody().pw_gid)  # nobody may write the file only

    def pin_as_nobody() -> str:
        os.chdir(shared_tmp)
        os.environ["HOME"] = str(shared_tmp)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["pin"])
        return f"{code}\n{stderr.getvalue()}"

    answer = call_as_nobody(pin_as_nobody)

    code, *lines = answer.splitlines()
    assert code == "2", answer
    assert lines[0] == (
        f"Dockerfile:1: {registry.host}/folder/app:1: not written: could not write: the folder"
        f" {shared_tmp} is not writable, and pinner replaces a file by writing a temporary"
        " file beside it and renaming it; make the folder writable"
    )
    assert lines[-1] == "could not write 1 file"
    assert dockerfile.read_text() == text


def test_a_symlink_leading_outside_the_folder_is_not_followed(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.image("outside/app", "1")
    outside = tmp_path / "elsewhere" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text(f"FROM {registry.host}/outside/app:1\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Dockerfile").symlink_to(outside)
    inside = project / "base.Dockerfile"
    inside.write_text(f"FROM {registry.host}/outside/app:1\n")
    (project / "Dockerfile.local").symlink_to(inside)

    result = run_pinner("pin", cwd=project)

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"Dockerfile: a symbolic link to {outside}, outside .; not followed"
        " (name the target to pin it)"
    )
    assert outside.read_text() == f"FROM {registry.host}/outside/app:1\n"
    assert "@sha256:" in inside.read_text()  # through the link that stays inside
    assert (project / "Dockerfile.local").is_symlink()
