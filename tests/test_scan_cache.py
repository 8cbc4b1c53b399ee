"""The scan cache: a warm check is answered from it, and only ever exactly as
scanning the file's text afresh would answer."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from pinner.reference import parse_reference
from pinner.scan_cache import ScanCache, _decode, _encode
from pinner.site import Site, SiteKind, Verdict
from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest
from tests.support.users import as_root, nobody

DIGEST = "sha256:" + "ab" * 32
PINNED = f"FROM python:3.12@{DIGEST}\n"
UNPINNED = "FROM python:3.12" + " " * len(f"@{DIGEST}") + "\n"  # the same size


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("scan-*.marshal"))


def _env(cache: Path) -> dict[str, str]:
    return {"PINNER_CACHE_DIR": str(cache)}


def _checked_once(tmp_path: Path, text: str, found: int) -> tuple[Path, Path, Path]:
    """A folder with one Dockerfile holding ``text``, checked once (exit
    ``found``): the cache folder, the work folder and the cache file."""
    cache, work = tmp_path / "cache", tmp_path / "work"
    work.mkdir()
    (work / "Dockerfile").write_text(text)
    first = run_pinner("check", cwd=work, env=_env(cache))
    assert first.returncode == found, first.stdout + first.stderr
    [file] = _cache_files(cache)
    return cache, work, file


def test_every_field_of_a_site_comes_back_as_it_went_in() -> None:
    site = Site(
        path="deploy/Dockerfile",
        line=7,
        column=6,
        start=120,
        end=141,
        kind=SiteKind.COPY_FROM,
        text="ghcr.io/acme/tool:1.2",
        verdict=Verdict.PIN,
        reference=parse_reference("ghcr.io/acme/tool:1.2"),
        reason="a reason",
        insert_at=141,
        platform="linux/arm64",
    )
    plain = Site("Dockerfile", 1, 6, 5, 12, SiteKind.FROM, "scratch", Verdict.SCRATCH)
    scan = ([site, plain], [("other.yaml", 3)])

    again = _decode(marshal.loads(marshal.dumps(_encode(scan))))

    assert again == scan
    assert again[0][0].reference == site.reference and again[0][0].reference is not None


@pytest.mark.parametrize(
    "broken",
    [
        None,
        [],
        [[["Dockerfile", 1, 6, 5, 12, "from", "x", "no-such-verdict", None, "", None, ""]], []],
        [[["Dockerfile", "1", 6, 5, 12, "from", "x", "pin", None, "", None, ""]], []],
        [[["Dockerfile", 1, 6, 5, 12, "from", "x", "pin", ["x"], "", None, ""]], []],
        [[["Dockerfile", 1, 6, 5, 12, "from", "x", "pin", None, ""]], []],
        [[], [["file", "line"]]],
    ],
)
def test_what_this_code_did_not_write_is_refused(broken: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        _decode(broken)


def test_a_warm_check_is_answered_from_the_cache(tmp_path: Path) -> None:
    cache, work, file = _checked_once(tmp_path, PINNED, 0)
    document = marshal.loads(file.read_bytes())
    [entry] = document["entries"].values()
    # Make the cached scan say something scanning never would: a warm run
    # that reports it has read the cache, not the file.
    site = entry[1][0][0]
    assert site[7] == "pinned"
    site[7], site[8], site[9] = "ignored", None, "said by the cache"
    file.write_bytes(marshal.dumps(document))

    warm = run_pinner("check", "--format", "json", cwd=work, env=_env(cache))

    assert warm.returncode == 0, warm.stderr
    assert "said by the cache" in warm.stdout


def test_a_changed_text_is_scanned_again_whatever_its_size_and_times(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(PINNED)
    assert run_pinner("check", cwd=tmp_path, env=_env(cache)).returncode == 0
    status = dockerfile.stat()

    dockerfile.write_text(UNPINNED)
    os.utime(dockerfile, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert dockerfile.stat().st_size == status.st_size

    again = run_pinner("check", cwd=tmp_path, env=_env(cache))
    assert again.returncode == 1
    assert "Dockerfile:1" in again.stdout


@pytest.mark.parametrize(
    "damage",
    [
        b"not marshal",
        b"",
        marshal.dumps({"entries": [1, 2]}),
        marshal.dumps({"entries": {"k": 3}}),
        marshal.dumps({"entries": {"k": [1, (b"x",)]}}),
    ],
)
def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    cache, work, file = _checked_once(tmp_path, "FROM python:3.12\n", 1)
    file.write_bytes(damage)

    result = run_pinner("check", cwd=work, env=_env(cache))

    assert result.returncode == 1 and "Dockerfile:1" in result.stdout
    assert result.stderr == ""
    assert ScanCache.load(cache, str(work))._entries  # written afresh


@as_root
def test_a_cache_file_of_another_user_is_not_read(tmp_path: Path) -> None:
    cache, work, file = _checked_once(tmp_path, PINNED, 0)
    document = marshal.loads(file.read_bytes())
    [entry] = document["entries"].values()
    entry[1][0][0][7], entry[1][0][0][9] = "ignored", "a lie, if it were believed"
    file.write_bytes(marshal.dumps(document))
    user = nobody()
    os.chown(file, user.pw_uid, user.pw_gid)

    result = run_pinner("check", "--format", "json", cwd=work, env=_env(cache))

    assert result.returncode == 0, result.stderr
    assert "a lie" not in result.stdout and '"pinned"' in result.stdout
    # Ours, but others may write to it: not believed either.
    file.write_bytes(marshal.dumps(document))
    file.chmod(0o666)
    result = run_pinner("check", "--format", "json", cwd=work, env=_env(cache))
    assert "a lie" not in result.stdout


def test_no_cache_when_turned_off_or_unwritable(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    off = tmp_path / "off"
    result = run_pinner("check", cwd=tmp_path, env={**_env(off), "PINNER_NO_CACHE": "1"})
    assert result.returncode == 1 and not off.exists()

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be\n")
    result = run_pinner("check", cwd=tmp_path, env=_env(blocked))
    assert result.returncode == 1 and "Dockerfile:1" in result.stdout
    assert result.stderr == ""


@pytest.mark.registry
def test_pin_after_a_warm_check_edits_from_the_cached_sites(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    """pin takes the sites of an unchanged file from the cache: the offsets it
    edits at are those of the very text it read (a BOM and CRLF included)."""
    cache = tmp_path / "cache"
    work = tmp_path / "work"
    work.mkdir()
    pusher.image("cached/app", "1", content="cache")
    digest = skopeo_digest(f"{registry.host}/cached/app:1")
    dockerfile = work / "Dockerfile"
    text = f"\ufeff# build\r\nFROM   {registry.host}/cached/app:1 AS base\r\nFROM base\r\n"
    dockerfile.write_bytes(text.encode())
    for _ in range(2):  # the second check is answered from the cache
        assert run_pinner("check", cwd=work, env=_env(cache)).returncode == 1
    [file] = _cache_files(cache)
    document = marshal.loads(file.read_bytes())
    [entry] = document["entries"].values()
    # Damage it: a site one character off. It no longer fits the text, so it
    # is scanned afresh rather than believed; the edit lands where it should.
    for site in entry[1][0]:
        if site[7] == "pin":
            site[3], site[4] = site[3] + 1, site[4] + 1
    file.write_bytes(marshal.dumps(document))

    result = run_pinner("pin", cwd=work, env=_env(cache))

    assert result.returncode == 0, result.stderr
    pinned = text.replace("cached/app:1", f"cached/app:1@{digest}")
    assert dockerfile.read_bytes() == pinned.encode()
    assert run_pinner("check", cwd=work, env=_env(cache)).returncode == 0


def test_a_cache_written_by_other_code_is_removed(tmp_path: Path) -> None:
    """After an upgrade (another fingerprint) the old file of this folder goes;
    another folder's file stays."""
    cache, work, current = _checked_once(tmp_path, "FROM python:3.12\n", 1)
    folder_part = current.name.rsplit("-", 1)[0]
    older = cache / f"{folder_part}-0123456789abcdef.marshal"
    other_folder = cache / "scan-ffffffffffffffff-0123456789abcdef.marshal"
    older.write_bytes(marshal.dumps({"entries": {}}))
    other_folder.write_bytes(marshal.dumps({"entries": {}}))
    (work / "Dockerfile").write_text("FROM python:3.13\n")  # something new to save

    assert run_pinner("check", cwd=work, env=_env(cache)).returncode == 1

    assert _cache_files(cache) == sorted([current, other_folder])


def test_no_cache_when_the_installed_code_cannot_be_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module file that vanishes while the fingerprint is taken (an upgrade
    under way) turns the cache off for the run rather than failing it."""
    import pinner.scan_cache as scan_cache

    def vanished() -> str:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(scan_cache, "_code_fingerprint", vanished)
    cache = ScanCache.load(tmp_path / "cache", str(tmp_path))
    cache.put("key", ([], []))
    cache.save()
    assert cache.get("key", "") is not None  # kept for the run
    assert not (tmp_path / "cache").exists()
