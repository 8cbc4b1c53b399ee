"""``.pinner.yaml`` at the repository root: what to leave alone, and how to look up.

    exclude: [legacy/**, "*.generated.Dockerfile"]   # path globs, from the file's folder
    ignore: [internal.example.com/*]                  # image globs
    platforms: [linux/amd64, linux/arm64]             # what a refresh must never drop
    strict: false                                     # true: skipped references are findings
    insecure-registries: [registry.lan:5000]          # plain HTTP allowed
    resolver: registry                                # or docker
    jobs: 16
    retries: 3             # after the first try, on 429, 502, 503, 504 and lost connections
    retry-time: 60         # seconds of retrying one host may cost in a whole run
    connect-timeout: 5     # seconds
    read-timeout: 30       # seconds
    certs-dir: /etc/docker/certs.d  # per-registry CAs and client certificates

A list of one may be written as a plain string (``exclude: legacy/**``).
Unknown keys and wrong types are errors that name the key and the line.

Each path a command is given is governed by the ``.pinner.yaml`` of the
nearest folder at or above it, up to its repository's root (or by the file
``--config`` names): see :func:`configs_for`.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pinner.files import FileError, read_text
from pinner.reference import ImageReference

CONFIG_NAME = ".pinner.yaml"
# key: (lowest, highest, whole numbers only)
_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "jobs": (1, 256, True),
    "retries": (0, 10, True),
    "retry-time": (0, 3600, False),
    "connect-timeout": (0.1, 600, False),
    "read-timeout": (0.1, 3600, False),
}
RESOLVERS = ("registry", "docker")
_LISTS = ("exclude", "ignore", "insecure-registries", "platforms")


class Config(NamedTuple):
    root: Path = Path(".")  # what exclude patterns are relative to
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    resolver: str = "registry"
    jobs: int = 16
    retries: int = 3  # retries after the first try
    retry_time: float = 60.0  # seconds in which retries may start
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    certs_dir: Path = Path("/etc/docker/certs.d")
    path: Path | None = None
    force_exclude: bool = False  # apply exclude to files named on the command line too
    platforms: tuple[str, ...] = ()  # the platforms a refresh must keep (none: the pin's own)
    strict: bool = False  # references pinner has to skip are findings
    bump: str = ""  # update --bump's level for every image: patch, minor, major ("" none)
    bump_images: tuple[tuple[str, str], ...] = ()  # (image glob, level or "never"), first wins

    def excludes(self, path: Path) -> bool:
        if not self.exclude:
            return False
        # Normalised, so that ``..`` in a path given as ``../legacy`` meets the root.
        absolute, root = os.path.abspath(path), os.path.abspath(self.root)
        if absolute != root and not absolute.startswith(root.rstrip(os.sep) + os.sep):
            return False
        relative = Path(os.path.relpath(absolute, root)).as_posix()
        for pattern in self.exclude:
            folder = pattern.rstrip("/")
            if fnmatch.fnmatchcase(relative, pattern) or relative.startswith(folder + "/"):
                return True
        return False

    def bump_level(self, reference: ImageReference) -> str:
        """How far tags of ``reference`` may be bumped: patch, minor, major, or ""."""
        for pattern, level in self.bump_images:
            if self._matches(pattern, reference):
                return "" if level == "never" else level
        return self.bump

    def _matches(self, pattern: str, reference: ImageReference) -> bool:
        return Config(ignore=(pattern,)).ignored_by(reference) is not None

    def ignored_by(self, reference: ImageReference) -> str | None:
        """The ``ignore`` pattern that matches the image, if any: matched against
        the name as written, its normalised form (``docker.io/tester/app``) and
        its short form (``tester/app``), each with and without the tag."""
        written = reference.original.split("@")[0]
        if reference.tag is not None:
            written = written[: -len(reference.tag) - 1]
        bare = {written, reference.repository, reference.familiar_name}
        if reference.domain == "docker.io":
            bare.add(reference.path)  # library/python
        names = set(bare)
        if reference.tag is not None:
            names |= {f"{name}:{reference.tag}" for name in bare}
        for pattern in self.ignore:
            if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                return pattern
        return None


def configs_for(paths: Sequence[str], explicit: Path | None) -> dict[str, Config]:
    """Each path given (none: the current folder) with the configuration that
    governs it: the file ``--config`` names, else the ``.pinner.yaml`` of the
    nearest folder at or above the path (a file's own folder), up to the root
    of the repository it is in. Each file is read once; a bad one raises
    :class:`FileError`."""
    given = list(paths) or ["."]
    if explicit is not None:
        config = load_config(explicit)
        return {path: config for path in given}
    loaded: dict[Path | None, Config] = {}
    found_in: dict[str, Path | None] = {}
    governed: dict[str, Config] = {}
    for path in given:
        folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
        if folder not in found_in:
            found_in[folder] = find_config(Path(folder))
        location = found_in[folder]
        if location not in loaded:
            loaded[location] = load_config(location)
        governed[path] = loaded[location]
    return governed


def find_config(start: Path) -> Path | None:
    """``.pinner.yaml`` in ``start`` or a folder above it, up to the repository root."""
    folder = Path(os.path.abspath(start))
    while True:
        candidate = folder / CONFIG_NAME
        if os.path.isfile(candidate):
            return candidate
        if os.path.lexists(folder / ".git") or folder.parent == folder:
            return None
        folder = folder.parent


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config(root=Path.cwd())
    shown = str(path)
    text = read_text(path, shown)
    return parse_config(text, shown, path.parent)


def parse_config(text: str, shown: str, root: Path) -> Config:
    # Imported here: the offline check must stay quick when there is no config.
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FileError(shown, f"invalid YAML: {error.problem}", line) from None
    except YAMLError as error:
        raise FileError(shown, f"invalid YAML: {type(error).__name__}") from None
    if data is None:
        return Config(root=root, path=Path(shown))
    if not isinstance(data, CommentedMap):
        raise FileError(shown, "the configuration must be a mapping of keys to values", 1)

    def line_of(key: str) -> int:
        return int(data.lc.key(key)[0]) + 1

    values: dict[str, object] = {}
    for key, value in data.items():
        if key in _LISTS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FileError(
                    shown, f"'{key}' must be a string or a list of strings", line_of(key)
                )
            if key == "platforms":
                _check_platforms(value, shown, line_of(key))
            values[key.replace("-", "_")] = tuple(value)
        elif key == "bump":
            values.update(_bump(value, shown, line_of(key)))
        elif key == "strict":
            if not isinstance(value, bool):
                raise FileError(shown, "'strict' must be true or false", line_of(key))
            values["strict"] = value
        elif key == "certs-dir":
            if not isinstance(value, str) or not value:
                raise FileError(shown, "'certs-dir' must be a folder's path", line_of(key))
            values["certs_dir"] = root / Path(value).expanduser()
        elif key == "resolver":
            if value not in RESOLVERS:
                raise FileError(
                    shown, f"'resolver' must be one of {', '.join(RESOLVERS)}", line_of(key)
                )
            values["resolver"] = value
        elif key in _NUMBERS:
            low, high, whole = _NUMBERS[key]
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not number_ok or not low <= value <= high or (whole and not isinstance(value, int)):
                kind = "a whole number" if whole else "a number"
                raise FileError(
                    shown, f"'{key}' must be {kind} from {low:g} to {high:g}", line_of(key)
                )
            values[key.replace("-", "_")] = value
        else:
            known = ", ".join([*_LISTS, "strict", "bump", "resolver", "certs-dir", *_NUMBERS])
            raise FileError(shown, f"unknown key '{key}' (known: {known})", line_of(str(key)))
    return Config(root=root, path=Path(shown), **values)  # type: ignore[arg-type]


def _check_platforms(values: list[str], shown: str, line: int) -> None:
    from pinner.resolve.manifest import Platform  # only where platforms are listed

    for value in values:
        if Platform.parse(value) is None:
            raise FileError(
                shown,
                f"'platforms': {value!r} is not os/arch[/variant] (e.g. linux/arm64)",
                line,
            )


BUMP_LEVELS = ("patch", "minor", "major")


def _bump(value: object, shown: str, line: int) -> dict[str, object]:
    """``bump: minor``, or ``bump: {default: minor, images: {"postgres": never}}``."""
    if isinstance(value, str):
        value = {"default": value}
    if not isinstance(value, dict):
        raise FileError(shown, "'bump' must be a level or a mapping", line)
    default = value.get("default", "")
    images = value.get("images", {}) or {}
    unknown = set(value) - {"default", "images"}
    if unknown:
        raise FileError(shown, f"'bump' has unknown key '{sorted(unknown)[0]}'", line)
    if default not in ("", "never", *BUMP_LEVELS) or not isinstance(images, dict):
        raise FileError(shown, f"'bump' must be one of {', '.join(BUMP_LEVELS)} or never", line)
    overrides = []
    for pattern, level in images.items():
        if level not in ("never", *BUMP_LEVELS):
            raise FileError(shown, f"'bump' for {pattern}: {level!r} is no level", line)
        overrides.append((str(pattern), str(level)))
    return {"bump": "" if default == "never" else default, "bump_images": tuple(overrides)}
