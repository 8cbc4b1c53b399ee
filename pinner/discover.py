"""Which files to look at: the paths given, or the folder the command runs in."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pinner.files import FileError

_DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "Containerfile",
    "Dockerfile.*",
    "Containerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
)
_SKIPPED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".tox"}
)


@dataclass(frozen=True)
class Candidate:
    path: Path
    shown_as: str  # as the user would write it, relative where it can be


def is_dockerfile_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _DOCKERFILE_PATTERNS)


def discover(paths: Sequence[str]) -> tuple[list[Candidate], list[FileError]]:
    """Files named are taken whatever their name; folders are walked for Dockerfiles."""
    found: list[Candidate] = []
    problems: list[FileError] = []
    for given in paths or ["."]:
        path = Path(given)
        if path.is_dir():
            found.extend(_walk(path, problems))
        elif path.exists():
            found.append(Candidate(path, given))
        else:
            problems.append(FileError(given, "no such file or folder"))
    unique = {os.path.realpath(candidate.path): candidate for candidate in reversed(found)}
    return sorted(unique.values(), key=lambda c: c.shown_as), problems


def _walk(root: Path, problems: list[FileError]) -> Iterator[Candidate]:
    def on_error(error: OSError) -> None:
        problems.append(FileError(str(error.filename), f"cannot list: {error.strerror}"))

    for folder, subfolders, names in os.walk(root, onerror=on_error):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in _SKIPPED_FOLDERS and not _is_venv(folder, name)
        )
        for name in sorted(names):
            if is_dockerfile_name(name):
                path = Path(folder, name)
                yield Candidate(path, os.path.normpath(str(path)))


def _is_venv(folder: str, name: str) -> bool:
    return Path(folder, name, "pyvenv.cfg").exists()
