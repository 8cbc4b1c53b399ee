from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pinner.edit import Edit, apply_edits, unified_diff


@pytest.mark.parametrize(
    ("text", "edits", "expected"),
    [
        pytest.param("abc", [], "abc", id="none"),
        pytest.param("abc", [Edit(3, 3, "@d")], "abc@d", id="insert-end"),
        pytest.param("a b c", [Edit(1, 1, "1"), Edit(3, 3, "2")], "a1 b2 c", id="two"),
        pytest.param("a b c", [Edit(3, 3, "2"), Edit(1, 1, "1")], "a1 b2 c", id="any-order"),
        pytest.param("\ufeffa\r\n", [Edit(2, 2, "@x")], "\ufeffa@x\r\n", id="bom-crlf"),
        pytest.param("abcdef", [Edit(1, 3, "X")], "aXdef", id="replace"),
    ],
)
def test_apply_edits(text: str, edits: list[Edit], expected: str) -> None:
    assert apply_edits(text, edits) == expected


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits("abcdef", [Edit(1, 4, "x"), Edit(2, 3, "y")])


def test_unified_diff_names_the_file() -> None:
    diff = unified_diff("sub/Dockerfile", "FROM a\nRUN x\n", "FROM a@d\nRUN x\n")
    assert diff.splitlines() == [
        "--- a/sub/Dockerfile",
        "+++ b/sub/Dockerfile",
        "@@ -1,2 +1,2 @@",
        "-FROM a",
        "+FROM a@d",
        " RUN x",
    ]


def test_unified_diff_marks_a_missing_final_newline() -> None:
    diff = unified_diff("D", "FROM a", "FROM a@d")
    assert "\\ No newline at end of file" in diff
    assert diff.endswith("\n")


def test_unified_diff_keeps_form_feeds_inside_lines() -> None:
    diff = unified_diff("D", "RUN a\fb\nFROM a\n", "RUN a\fb\nFROM a@d\n")
    assert " RUN a\fb\n" in diff


@pytest.mark.parametrize("folder", ["app", "my app"])
@pytest.mark.parametrize(
    "apply", [["git", "apply"], ["patch", "-p1", "--quiet", "--input"]], ids=["git", "patch"]
)
def test_the_dry_run_diff_applies_with_git_and_patch(
    tmp_path: Path, folder: str, apply: list[str]
) -> None:
    before = "\ufeffFROM scratch\r\nFROM python:3.12\r\n"
    after = before.replace("3.12", "3.12@sha256:" + "a" * 64)
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "Dockerfile").write_bytes(before.encode())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    patch = tmp_path / "pin.patch"
    patch.write_bytes(unified_diff(f"{folder}/Dockerfile", before, after).encode())
    subprocess.run([*apply, str(patch)], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / folder / "Dockerfile").read_bytes() == after.encode()
