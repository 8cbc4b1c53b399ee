"""Which files to look at: the paths given, or the folder the command runs in.

Inside a git work tree the files are those git tracks or would track;
elsewhere the folder is walked, skipping version-control, vendored and
virtual-environment folders. Files named on the command line are taken
whatever their name (that is how pre-commit passes them).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinner.files import FileError
from pinner.kinds import (
    COMPOSE,
    DOCKERFILE,
    GITLAB_CI,
    KUBERNETES,
    FileKind,
    kind_of,
    name_says_compose,
)

if TYPE_CHECKING:
    import subprocess

_SKIPPED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".tox"}
)


class Candidate(NamedTuple):
    path: Path
    shown_as: str  # as the user would write it, relative where it can be
    kind: FileKind | None  # None: named on the command line; the text decides
    root: Path  # the folder being processed: a symbolic link may not lead out of it
    named: bool  # named on the command line: exclude applies only when forced
    identity: str  # the same for every name of one file

    @classmethod
    def at(
        cls, path: Path, shown_as: str, kind: FileKind | None, root: Path, named: bool = False
    ) -> Candidate:
        return cls(path, shown_as, kind, root, named, _identity(path))

    def follow(
        self, reference: str, line: int, kind: FileKind
    ) -> tuple[list[Candidate], FileError | None]:
        """The files that this one, of ``kind``, includes or extends on ``line``:
        of the same kind, relative to this file (or to the root, as GitLab's
        are, where a wildcard may name several)."""
        from_root = kind.includes_from_root
        folder = self.root if from_root else self.path.parent
        shown_folder = str(self.root) if from_root else os.path.dirname(self.shown_as)
        if from_root and "*" in reference:
            return self._matching(reference, kind), None
        path = Path(os.path.normpath(folder / reference))
        shown = os.path.normpath(os.path.join(shown_folder, reference))
        where = f"named on {self.shown_as}:{line}"
        if not path.is_file():
            return [], FileError(shown, f"no such file ({where})")
        if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(self.root)):
            message = f"outside {self.root} ({where}); not followed (name it to pin it)"
            return [], FileError(shown, message)
        return [Candidate.at(path, shown, kind, self.root)], None

    def _matching(self, pattern: str, kind: FileKind) -> list[Candidate]:
        """The files below the root that a GitLab wildcard include names."""
        from pinner.kinds.gitlab_ci import include_matches

        return [
            Candidate.at(
                self.root / relative,
                os.path.normpath(os.path.join(str(self.root), relative)),
                kind,
                self.root,
            )
            for relative in _files_below(self.root)
            if include_matches(pattern, relative)
        ]

    def link_problem(self) -> FileError | None:
        """Why the file is not read: a symbolic link that leads outside ``root``."""
        if not self.path.is_symlink():
            return None
        target = Path(os.path.realpath(self.path))
        if target.is_relative_to(os.path.realpath(self.root)):
            return None
        return FileError(
            self.shown_as,
            f"a symbolic link to {target}, outside {self.root}; not followed"
            " (name the target to pin it)",
        )


def discover(paths: Sequence[str]) -> tuple[list[Candidate], list[FileError]]:
    found: list[Candidate] = []
    problems: list[FileError] = []
    for given in paths or ["."]:
        path = Path(given)
        try:
            os.lstat(path)
        except FileNotFoundError:
            problems.append(FileError(given, "no such file or folder"))
            continue
        except OSError as error:  # a folder on the way that may not be searched
            problems.append(FileError(given, f"cannot read: {error.strerror or error}"))
            continue
        if path.is_dir():
            found.extend(_in_folder(path, problems))
        else:
            kind = _kind_of_named(path)
            found.append(Candidate.at(path, given, kind, _root_of_named_file(path), named=True))
    unique: dict[str, Candidate] = {}
    for candidate in found:
        unique.setdefault(candidate.identity, candidate)
    return sorted(unique.values(), key=lambda c: c.shown_as), problems


def _kind_of_named(path: Path) -> FileKind | None:
    """The kind of a file named on the command line, where its path says it
    surely, or the repository's ``.gitlab-ci.yml`` includes it; None: its text
    decides (any name is taken, as pre-commit passes them, so a Dockerfile's
    or a YAML file's name alone is not enough)."""
    if name_says_compose(path.name):
        return COMPOSE
    kind = kind_of(Path(os.path.abspath(path)).as_posix())
    if kind is KUBERNETES and _included_by_gitlab(path):
        return GITLAB_CI
    return None if kind in (DOCKERFILE, KUBERNETES) else kind


def _included_by_gitlab(path: Path) -> bool:
    """Whether the ``.gitlab-ci.yml`` at the root of the folder a named file
    belongs to includes it, directly or through the files it includes."""
    root = _root_of_named_file(path)
    if not os.path.isfile(root / ".gitlab-ci.yml"):
        return False  # and nothing GitLab's is imported
    from pinner.kinds.gitlab_ci import include_matches

    relative = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return any(include_matches(pattern, relative) for pattern in _gitlab_includes(str(root)))


@functools.lru_cache(maxsize=8)
def _gitlab_includes(root: str) -> tuple[str, ...]:
    """Every local include reachable from ``root``'s ``.gitlab-ci.yml`` (a
    file that cannot be read or parsed includes nothing: it is reported when
    it is read as itself)."""
    from pinner.files import read_text
    from pinner.kinds.gitlab_ci import include_matches

    found: list[str] = []
    pending = [".gitlab-ci.yml"]
    read: set[str] = set()
    while pending and len(read) < 100:
        name = pending.pop()
        if name in read:
            continue
        read.add(name)
        try:
            scanned = GITLAB_CI.scan(name, read_text(Path(root, name), name))
        except FileError:
            continue
        for pattern, _ in scanned[1] if scanned else []:
            found.append(pattern)
            if "*" in pattern:
                pending += [f for f in _files_below(Path(root)) if include_matches(pattern, f)]
            else:
                pending.append(os.path.normpath(pattern).replace(os.sep, "/"))
    return tuple(found)


def _files_below(root: Path) -> list[str]:
    """Every file below ``root`` (relative, with ``/``), as discovery lists them."""
    listed = _git_files(root)
    return listed if listed is not None else list(_walk(root, []))


def _root_of_named_file(path: Path) -> Path:
    """The folder a file named on the command line belongs to: the current
    folder when it lies below it (as pre-commit names files), else its own."""
    here = Path.cwd()
    absolute = Path(os.path.abspath(path))
    return here if absolute.is_relative_to(here) else absolute.parent


def _identity(path: Path) -> str:
    """The same for every name of one file (links followed, hard links too):
    each file is read and written once, however it was reached."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return str(path)
    return f"{status.st_dev}:{status.st_ino}"


def _in_folder(root: Path, problems: list[FileError]) -> Iterator[Candidate]:
    listed = _git_files(root)
    names = listed if listed is not None else _walk(root, problems)
    # The kind may hang on folders above the root (.github/workflows/).
    above = Path(os.path.abspath(root)).as_posix()
    folder = str(root)
    for relative in names:
        kind = kind_of(f"{above}/{relative}")
        if kind is None:
            continue
        if kind.beside and not os.path.lexists(
            os.path.join(folder, os.path.dirname(relative), kind.beside)
        ):
            kind = KUBERNETES  # values.yaml without a Chart.yaml: any other YAML file
        shown = os.path.normpath(os.path.join(folder, relative))
        # git lists a file deleted from the work tree while it is still in the
        # index; only the files pinner would read are looked for.
        if listed is not None and not os.path.lexists(shown):
            continue
        yield Candidate.at(root / relative, shown, kind, root)


# git listings started ahead by start_listing, by the folder's absolute path.
_started: dict[str, subprocess.Popen[bytes] | None] = {}


def start_listing(paths: Sequence[str]) -> None:
    """Start git on each folder among ``paths`` (none: the current one) now,
    so that it lists files while the rest of pinner is imported; discover
    then takes its answer."""
    for given in paths or ["."]:
        key = os.path.abspath(given)
        if key not in _started and os.path.isdir(given):
            _started[key] = _start_git(Path(given))


def _start_git(root: Path) -> subprocess.Popen[bytes] | None:
    if not _inside_a_work_tree(root):
        return None  # spares starting git, which costs more than walking a small folder
    import subprocess  # only here: files named alone (a hook's) need no git

    command = [
        "git",
        "-C",
        str(root),
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]
    try:
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _git_files(root: Path) -> list[str] | None:
    """Files git tracks or would track below ``root``, or None outside a work tree."""
    key = os.path.abspath(root)
    process = _started.pop(key) if key in _started else _start_git(root)
    if process is None:
        return None
    import subprocess

    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    if process.returncode != 0:
        return None
    return [name for name in output.decode("utf-8", "surrogateescape").split("\0") if name]


def _inside_a_work_tree(root: Path) -> bool:
    """A ``.git`` (folder, or file of a worktree or submodule) here or above;
    ``GIT_DIR`` set counts too, as git would honour it."""
    if os.environ.get("GIT_DIR"):
        return True
    folder = Path(os.path.abspath(root))
    return any(os.path.lexists(parent / ".git") for parent in (folder, *folder.parents))


def _walk(root: Path, problems: list[FileError]) -> Iterator[str]:
    def on_error(error: OSError) -> None:
        problems.append(FileError(str(error.filename), f"cannot list: {error.strerror}"))

    for folder, subfolders, names in os.walk(root, onerror=on_error):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in _SKIPPED_FOLDERS and not Path(folder, name, "pyvenv.cfg").exists()
        )
        relative_folder = os.path.relpath(folder, root)
        for name in sorted(names):
            yield name if relative_folder == "." else f"{relative_folder}/{name}"
