"""``.pinner.yaml`` at the repository root: what to leave alone, and how to look up.

    exclude: [legacy/**, "*.generated.Dockerfile"]   # path globs, from the root
    ignore: [internal.example.com/*]                  # image globs
    insecure-registries: [registry.lan:5000]          # plain HTTP allowed
    resolver: registry                                # or docker
    jobs: 16
    retries: 3             # after the first try, on 429, 502, 503, 504 and lost connections
    retry-time: 60         # seconds of retrying one host may cost in a whole run
    connect-timeout: 5     # seconds
    read-timeout: 30       # seconds
    certs-dir: /etc/docker/certs.d  # per-registry CAs and client certificates

Unknown keys and wrong types are errors that name the key and the line.
"""

from __future__ import annotations

import fnmatch
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

    def excludes(self, path: Path) -> bool:
        if not self.exclude:
            return False
        try:
            relative = path.absolute().relative_to(self.root.absolute()).as_posix()
        except ValueError:
            return False
        for pattern in self.exclude:
            folder = pattern.rstrip("/")
            if fnmatch.fnmatchcase(relative, pattern) or relative.startswith(folder + "/"):
                return True
        return False

    def ignored_by(self, reference: ImageReference) -> str | None:
        """The ``ignore`` pattern that matches the image, if any."""
        written = reference.original.split("@")[0]
        names = {reference.repository, written}
        if reference.tag is not None:
            names |= {f"{reference.repository}:{reference.tag}", written[: -len(reference.tag) - 1]}
        for pattern in self.ignore:
            if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                return pattern
        return None


def find_config(start: Path) -> Path | None:
    """``.pinner.yaml`` in ``start`` or a folder above it, up to the repository root."""
    folder = start.absolute()
    while True:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists() or folder.parent == folder:
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
        if key in ("exclude", "ignore", "insecure-registries"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FileError(shown, f"'{key}' must be a list of strings", line_of(key))
            values[key.replace("-", "_")] = tuple(value)
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
            known = ", ".join(
                ["exclude", "ignore", "insecure-registries", "resolver", "certs-dir", *_NUMBERS]
            )
            raise FileError(shown, f"unknown key '{key}' (known: {known})", line_of(str(key)))
    return Config(root=root, path=Path(shown), **values)  # type: ignore[arg-type]
