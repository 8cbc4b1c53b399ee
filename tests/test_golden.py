"""Golden cases: fixtures/<kind>/<case>/<input> pinned must equal ``expected``.

The fake resolver's digests are sha256 of the normalised reference, so the
expected files are stable. Regenerate one after a deliberate change with
``PINNER_REGENERATE=1 scripts/test tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.pinning import pin_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(
    f"{kind.name}/{case.name}"
    for kind in FIXTURES.iterdir()
    for case in kind.iterdir()
    if case.is_dir()
)


def _input(case: Path) -> Path:
    """The case's one input file, named as a file of its kind is named."""
    [source] = [path for path in case.iterdir() if path.name != "expected"]
    return source


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    kind = case.split("/")[0]
    source = _input(FIXTURES / case).read_bytes()
    expected_path = FIXTURES / case / "expected"
    pinned = pin_text(source.decode("utf-8"), kind=kind).encode("utf-8")
    if os.environ.get("PINNER_REGENERATE"):
        expected_path.write_bytes(pinned)
    expected = expected_path.read_bytes()
    assert pinned == expected
    # Only digests (and the ":latest" of untagged references) were added.
    assert _without_pins(expected) == _without_pins(source)
    assert pin_text(expected.decode("utf-8"), kind=kind).encode("utf-8") == expected


def _without_pins(data: bytes) -> bytes:
    return re.sub(rb"(:latest)?@?sha256:[0-9a-f]{64}", b"", data)


def test_there_are_golden_cases_for_every_kind() -> None:
    from pinner.kinds import KINDS

    assert {case.split("/")[0] for case in CASES} == {kind.value for kind in KINDS}
