"""Every status gives the exit code README.md and docs/json-report.md say it
does, in every format, against the real registry."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_pinner
from tests.support.registry import Pusher, RunningRegistry, free_port

pytestmark = pytest.mark.registry

AMD, ARM = ("linux", "amd64"), ("linux", "arm64")
# The statuses of a pinned reference, which each format names with the same word.
CHECKED = (
    "current",
    "stale",
    "missing",
    "tag-gone",
    "platform-missing",
    "platform-gone",
    "platforms-dropped",
)


def _documented(path: Path, heading: str) -> dict[str, str]:
    """status -> the exit-code cell of the status table under ``heading``."""
    text = path.read_text()
    table = text[text.index(heading) :].split("\n\n")[2]
    rows = [line.split("|")[1:-1] for line in table.splitlines()[2:]]
    return {row[0].strip().strip("`"): row[-1].strip() for row in rows}


README = _documented(REPO_ROOT / "README.md", "### Statuses")
DOCS = _documented(REPO_ROOT / "docs" / "json-report.md", "## Statuses")

# Each scenario: the status, what it writes and pushes, the command, the exit code.
Setup = Callable[[Pusher, str, Path], str]


def _current(pusher: Pusher, host: str, tmp_path: Path) -> str:
    digest, _ = pusher.image("st/current", "1")
    return f"FROM {host}/st/current:1@{digest}\n"


def _stale(pusher: Pusher, host: str, tmp_path: Path) -> str:
    old, _ = pusher.image("st/stale", "1", content="old")
    pusher.image("st/stale", "1", content="new")
    return f"FROM {host}/st/stale:1@{old}\n"


def _missing(pusher: Pusher, host: str, tmp_path: Path) -> str:
    digest, _ = pusher.image("st/missing", "1", content="missing")
    pusher.delete_manifest("st/missing", digest)
    return f"FROM {host}/st/missing:1@{digest}\n"


def _tag_gone(pusher: Pusher, host: str, tmp_path: Path) -> str:
    digest, _ = pusher.image("st/taggone", "1")
    return f"FROM {host}/st/taggone:2@{digest}\n"


def _platform_missing(pusher: Pusher, host: str, tmp_path: Path) -> str:
    index, _ = pusher.index("st/platmissing", "1")
    return f"FROM --platform=linux/s390x {host}/st/platmissing:1@{index}\n"


def _platform_gone(pusher: Pusher, host: str, tmp_path: Path) -> str:
    _, children = pusher.index("st/platgone", "1", content="old")
    pusher.image("st/platgone", "1", platform=AMD, content="new")
    return f"FROM {host}/st/platgone:1@{children[ARM]}\n"


def _platforms_dropped(pusher: Pusher, host: str, tmp_path: Path) -> str:
    index, _ = pusher.index("st/platsdropped", "1", content="old")
    pusher.image("st/platsdropped", "1", platform=AMD, content="new")
    return f"FROM {host}/st/platsdropped:1@{index}\n"


def _bumped(pusher: Pusher, host: str, tmp_path: Path) -> str:
    digest, _ = pusher.image("st/bumped", "1.0.0", content="1.0.0")
    pusher.image("st/bumped", "1.0.1", content="1.0.1")
    return f"FROM {host}/st/bumped:1.0.0@{digest}\n"


def _error(pusher: Pusher, host: str, tmp_path: Path) -> str:
    (tmp_path / ".pinner.yaml").write_text("retries: 0\nconnect-timeout: 2\n")
    return f"FROM 127.0.0.1:{free_port()}/st/nowhere:1@sha256:{'0' * 64}\n"


def _unpinned(pusher: Pusher, host: str, tmp_path: Path) -> str:
    pusher.image("st/unpinned", "1")
    return f"FROM {host}/st/unpinned:1\n"


def _skipped(pusher: Pusher, host: str, tmp_path: Path) -> str:
    return "FROM scratch\n"


SCENARIOS: list[tuple[str, Setup, tuple[str, ...], int]] = [
    ("current", _current, ("check", "--stale"), 0),
    ("current", _current, ("update",), 0),
    ("stale", _stale, ("check", "--stale"), 1),
    ("updated", _stale, ("update",), 0),
    ("updated", _stale, ("update", "--check"), 1),
    ("missing", _missing, ("check", "--stale"), 1),
    ("missing", _missing, ("update",), 1),
    ("tag-gone", _tag_gone, ("check", "--stale"), 1),
    ("tag-gone", _tag_gone, ("update",), 1),
    ("platform-missing", _platform_missing, ("check", "--stale"), 1),
    ("platform-missing", _platform_missing, ("update",), 1),
    ("platform-gone", _platform_gone, ("check", "--stale"), 1),
    ("platform-gone", _platform_gone, ("update",), 1),
    ("platforms-dropped", _platforms_dropped, ("check", "--stale"), 1),
    ("platforms-dropped", _platforms_dropped, ("update",), 1),
    ("bumped", _bumped, ("update", "--bump", "patch"), 0),
    ("bumped", _bumped, ("check", "--stale", "--bump", "patch"), 1),
    ("error", _error, ("check", "--stale"), 2),
    ("error", _error, ("update",), 2),
    ("added", _unpinned, ("pin",), 0),
    ("added", _unpinned, ("pin", "--check"), 1),
    ("unpinned", _unpinned, ("check",), 1),
    ("pinned", _current, ("check",), 0),
    ("pinned", _current, ("pin",), 0),
    ("skipped", _skipped, ("pin",), 0),
]


def test_every_status_has_a_scenario_and_both_tables_document_it() -> None:
    assert {status for status, *_ in SCENARIOS} == set(DOCS)
    assert set(CHECKED) | {"error"} == set(README)


@pytest.mark.parametrize(
    ("status", "setup", "command", "code"),
    [pytest.param(*s, id=f"{s[0]}-{'-'.join(s[2]).strip('-')}") for s in SCENARIOS],
)
@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_each_status_gives_its_documented_exit_code(
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    status: str,
    setup: Setup,
    command: tuple[str, ...],
    code: int,
    output: str,
) -> None:
    (tmp_path / "Dockerfile").write_text(setup(pusher, registry.host, tmp_path))

    verbose = ("--verbose",) if output == "text" else ()  # text lists current only then
    result = run_pinner(*command, "--format", output, *verbose, cwd=tmp_path)

    assert result.returncode == code, result.stderr
    for table in (DOCS, README) if status in README else (DOCS,):
        cell = table[status]
        documented = {int(n) for n in re.findall(r"\b[0-2]\b", cell)}
        assert code in documented, (status, cell)
        if len(documented) > 1:  # "0; 1 with `--check`" or "1 with `check`"
            qualifier = re.search(r"1 with `([^`]+)`", cell)
            assert qualifier is not None
            assert (code == 1) == (qualifier.group(1) in command), (status, cell, command)
    if output == "json":
        [site] = json.loads(result.stdout)["sites"]
        assert site["status"] == status
        assert json.loads(result.stdout)["summary"]["exit_code"] == code
    elif status in CHECKED and not (status == "current" and command == ("update",)):
        # Text: pinner check writes findings to stdout; update keeps it for a diff.
        in_stdout = output != "text" or command[0] == "check"
        shown = result.stdout if in_stdout else result.stderr
        assert re.search(rf"\b{status}\b", shown), shown
