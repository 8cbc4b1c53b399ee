"""What scanning each file found, kept between runs, keyed by the file's text.

A pre-commit hook runs ``pinner check`` over the same files again and again;
most of them have not changed since the last run. The key is a hash of the
text itself (with the file's kind and name, which the sites carry, and a
fingerprint of pinner's own code), never a modification time: a file whose
text changed is scanned again however its times look, and nothing but the
text decides. Files are still read each run; only scanning is spared.

The cache is one file per folder pinner runs in, under
``$PINNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/pinner``, else
``~/.cache/pinner``. ``PINNER_NO_CACHE=1`` turns it off. A cache that cannot
be read or written is ignored: it only ever saves time.

It is written with ``marshal``, which needs no import and reads several
times faster than JSON; like Python's own bytecode cache, which is marshal
too, it is read only from a file that belongs to the user and that nobody
else may write, and everything read is checked before it is used.
"""

from __future__ import annotations

import itertools
import marshal
import os
import sys
import time
from pathlib import Path

from pinner import __version__
from pinner.reference import ImageReference
from pinner.site import Site, SiteKind, Verdict

try:
    # hashlib would load OpenSSL, which costs more than a warm check's scanning.
    from _blake2 import blake2b
except ImportError:  # a Python built without it
    from hashlib import blake2b

Scan = tuple[list[Site], list[tuple[str, int]]]
_KEEP_DAYS = 30  # an entry unused this long is dropped when the cache is saved
_MOST_ENTRIES = 20_000
_FORMAT = 1

_SITE_FIELDS = Site._fields
_REFERENCE_FIELDS = ImageReference._fields
_KINDS: dict[object, SiteKind] = {kind.value: kind for kind in SiteKind}
_VERDICTS: dict[object, Verdict] = {verdict.value: verdict for verdict in Verdict}
_KIND, _VERDICT, _REFERENCE = (
    _SITE_FIELDS.index(name) for name in ("kind", "verdict", "reference")
)
_NONE = type(None)


def _shapes(
    fields: tuple[str, ...], allowed: dict[str, tuple[type, ...]]
) -> frozenset[tuple[type, ...]]:
    """Every tuple of types the stored fields may have (a field not named is a
    string): a stored object is then checked with one lookup."""
    return frozenset(itertools.product(*(allowed.get(name, (str,)) for name in fields)))


_SITE_SHAPES = _shapes(
    _SITE_FIELDS,
    {
        **{name: (int,) for name in ("line", "column", "start", "end")},
        "reference": (list, _NONE),
        "insert_at": (int, _NONE),
        "digest_key": (bool,),
    },
)
_REFERENCE_SHAPES = _shapes(_REFERENCE_FIELDS, {"tag": (str, _NONE), "digest": (str, _NONE)})


def cache_folder() -> Path | None:
    if os.environ.get("PINNER_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("PINNER_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return None if base.startswith("~") else Path(base) / "pinner"


def _code_fingerprint() -> str:
    """The code that scans, as installed: pinner's version and its modules'
    files (an edited checkout gets a cache of its own), Python's version and
    the YAML parser's files (an upgrade of either may place nodes otherwise)."""
    import importlib.util

    parts = [__version__, str(_FORMAT), sys.version]
    files = [entry.path for entry in os.scandir(Path(__file__).parent)]
    parser, c_parser = (
        importlib.util.find_spec("ruamel.yaml"),
        importlib.util.find_spec("_ruamel_yaml"),
    )
    if parser is not None and parser.origin is not None:
        files += [entry.path for entry in os.scandir(Path(parser.origin).parent)]
    if c_parser is not None and c_parser.origin is not None:
        files.append(c_parser.origin)
    for name in sorted(files):
        if name.endswith((".py", ".so")):
            status = os.stat(name)
            parts.append(f"{name}:{status.st_size}:{status.st_mtime_ns}")
    return blake2b("\n".join(parts).encode(), digest_size=8).hexdigest()


class ScanCache:
    """Scans by key, loaded at the start of a run and saved at its end."""

    def __init__(self, file: Path | None, entries: dict[str, list[object]]) -> None:
        self._file = file
        self._entries = entries
        self._today = int(time.time() // 86400)  # days since 1970
        self._changed = False

    @classmethod
    def load(cls, folder: Path | None, working_folder: str) -> ScanCache:
        """The cache for runs in ``working_folder``; empty when there is none
        yet, it was written by other code, or it cannot be read."""
        if folder is None:
            return cls(None, {})
        try:
            fingerprint = _code_fingerprint()
        except (OSError, ImportError, ValueError):
            return cls(None, {})  # the installed code cannot be told apart: no cache
        name = blake2b(working_folder.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
        file = folder / f"scan-{name}-{fingerprint}.marshal"
        try:
            with open(file, "rb") as stream:
                status = os.fstat(stream.fileno())
                if status.st_uid != os.getuid() or status.st_mode & 0o022:
                    return cls(file, {})  # others could have written it: start afresh
                document = marshal.loads(stream.read())
        except (OSError, ValueError, EOFError, TypeError):
            return cls(file, {})
        entries = document.get("entries") if isinstance(document, dict) else None
        return cls(file, entries if isinstance(entries, dict) else {})

    @staticmethod
    def key(kind: str, shown_as: str, text: str) -> str:
        data = "\0".join((kind, shown_as, text)).encode("utf-8", "surrogatepass")
        return blake2b(data, digest_size=20).hexdigest()

    def get(self, key: str, text: str) -> Scan | None:
        """The scan of ``text`` stored under ``key``, if it fits the text: every
        site that an edit may touch must name what the text holds there."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            scan = _decode(entry[1] if isinstance(entry, list) and len(entry) == 2 else None)
            if not all(_fits(site, text) for site in scan[0]):
                raise ValueError("a site that is not where the text says")
        except (TypeError, ValueError):
            del self._entries[key]  # not what this code writes: scan afresh
            self._changed = True
            return None
        if entry[0] != self._today:
            entry[0] = self._today
            self._changed = True
        return scan

    def put(self, key: str, scan: Scan) -> None:
        self._entries[key] = [self._today, _encode(scan)]
        self._changed = True

    def save(self) -> None:
        """Write the cache if it changed: atomically, and never an error."""
        if self._file is None or not self._changed:
            return
        oldest = self._today - _KEEP_DAYS
        kept = {key: entry for key, entry in self._entries.items() if _day(entry) >= oldest}
        if len(kept) > _MOST_ENTRIES:
            newest = sorted(kept.items(), key=lambda item: _day(item[1]), reverse=True)
            kept = dict(newest[:_MOST_ENTRIES])
        from pinner.write import new_temporary

        try:
            self._file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, temporary = new_temporary(self._file.parent, ".scan-")
            try:
                with os.fdopen(descriptor, "wb") as stream:
                    marshal.dump({"entries": kept}, stream)
                os.replace(temporary, self._file)
            except BaseException:
                os.unlink(temporary)
                raise
            # This folder's caches written by other code (before an upgrade or
            # an edit of pinner) are never read again.
            folder_part = self._file.name.rsplit("-", 1)[0]
            for stale in self._file.parent.glob(f"{folder_part}-*"):
                if stale != self._file:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass


def _fits(site: Site, text: str) -> bool:
    if site.verdict not in (Verdict.PIN, Verdict.PINNED):
        return True  # never edited
    inside = 0 <= site.start <= site.end <= len(text)
    insert_at = site.insert_at
    return (
        inside
        and text[site.start : site.end] == site.text
        and (insert_at is None or site.start <= insert_at <= len(text))
    )


def _day(entry: object) -> int:
    """The day an entry was last used; 0 (long ago) for one not written by this code."""
    day = entry[0] if isinstance(entry, list) and entry else 0
    return day if isinstance(day, int) else 0


def _encode(scan: Scan) -> list[object]:
    sites, references = scan
    return [[_encode_site(site) for site in sites], [list(item) for item in references]]


def _encode_site(site: Site) -> list[object]:
    values: list[object] = list(site)
    values[_KIND], values[_VERDICT] = site.kind.value, site.verdict.value
    values[_REFERENCE] = None if site.reference is None else list(site.reference)
    return values


def _decode(encoded: object) -> Scan:
    """A scan from its stored form; ValueError for anything this code did not write."""
    if not isinstance(encoded, list) or len(encoded) != 2:
        raise ValueError("not a scan")
    sites, references = encoded
    return [_decode_site(item) for item in sites], [
        (_string(reference), _integer(line)) for reference, line in references
    ]


def _decode_site(item: object) -> Site:
    # A warm check decodes every site of every file: each stored object's
    # types are checked with one lookup of their shape.
    if type(item) is not list or tuple(map(type, item)) not in _SITE_SHAPES:
        raise ValueError("not a site")
    values = list(item)
    try:
        values[_KIND], values[_VERDICT] = _KINDS[item[_KIND]], _VERDICTS[item[_VERDICT]]
    except (KeyError, TypeError):
        raise ValueError("not a site") from None
    found = item[_REFERENCE]
    values[_REFERENCE] = None if found is None else _decode_reference(found)
    return Site._make(values)


def _decode_reference(item: object) -> ImageReference:
    if type(item) is not list or tuple(map(type, item)) not in _REFERENCE_SHAPES:
        raise ValueError("not a reference")
    return ImageReference._make(item)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not an integer")
    return value
