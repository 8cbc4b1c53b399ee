"""What a run found and did, site by site: the one record every report reads."""

from __future__ import annotations

import enum
from typing import NamedTuple

from pinner.config import Config
from pinner.discover import Candidate
from pinner.edit import Edit, unified_diff
from pinner.files import FileError
from pinner.site import STRICT_VERDICTS, Site


class Command(enum.Enum):
    PIN = "pin"
    UPDATE = "update"
    CHECK = "check"


class Mode(enum.Enum):
    WRITE = "write"
    DRY_RUN = "dry-run"
    CHECK = "check"  # a dry run that exits 1 when anything would change


class Status(str, enum.Enum):
    ADDED = "added"  # a digest was (or, without writing, would be) added
    UPDATED = "updated"  # the digest was (or would be) replaced: the tag moved
    BUMPED = "bumped"  # a newer tag on the same track, and its digest (or would be)
    CURRENT = "current"  # pinned, and the tag still points there
    PINNED = "pinned"  # has a digest; not looked up (offline check)
    UNPINNED = "unpinned"  # has no digest (offline check)
    STALE = "stale"  # the tag moved (check --stale)
    MISSING = "missing"  # the pinned digest is gone: a build fails
    TAG_GONE = "tag-gone"  # the tag is gone, the pinned digest is still there
    PLATFORM_MISSING = "platform-missing"  # the pin has no manifest for FROM --platform
    PLATFORM_GONE = "platform-gone"  # the tag no longer offers the pinned platform
    PLATFORMS_DROPPED = "platforms-dropped"  # a refresh would lose platforms; the pin is kept
    SKIPPED = "skipped"  # left alone; the reason says why
    ERROR = "error"  # could not be looked up or written, or is not a valid reference


# Pins a build fails on.
FAILING = frozenset({Status.MISSING, Status.PLATFORM_MISSING})
# Pins that work but that a refresh cannot move without someone's decision.
UNDECIDED = frozenset({Status.TAG_GONE, Status.PLATFORM_GONE, Status.PLATFORMS_DROPPED})
# Exit 1 whatever the command, even after an update.
BROKEN = FAILING | UNDECIDED
# What `pinner check` exits 1 for.
FINDINGS = BROKEN | {Status.UNPINNED, Status.STALE, Status.BUMPED}


class SiteResult(NamedTuple):
    site: Site
    status: Status
    old_digest: str | None = None
    new_digest: str | None = None
    edit: Edit | None = None
    message: str = ""  # the reason, the registry's answer, or a note
    added_latest: bool = False  # an untagged reference was written name:latest@...
    unwritten: bool = False  # an error because its file could not be written
    change: Change | None = None  # for a moved digest: when each was built, the size change
    tag_digest: str | None = None  # where the tag points now, where that is not new_digest
    bump: BumpNote | None = None  # update --bump: the tags, and newer ones passed over


class BumpNote(NamedTuple):
    """What --bump found for a pinned reference."""

    old_tag: str
    new_tag: str  # "" where every newer tag was passed over
    passed_over: tuple[tuple[str, str], ...] = ()  # (tag, why), newest first


class Change(NamedTuple):
    """What moving a digest brings: build dates and the size on one platform."""

    old_created: str | None
    new_created: str | None
    size_change: int | None  # bytes, new minus old
    platform: str | None

    def describe(self) -> str:
        """``built 2026-10-01 → 2026-11-20, +2.1 MB on linux/amd64``, with what is known."""
        parts = []
        if self.old_created or self.new_created:
            old, new = _built(self.old_created), _built(self.new_created)
            parts.append(f"built {old} → {new}")
        if self.size_change is not None:
            sign = "+" if self.size_change >= 0 else "-"
            where = f" on {self.platform}" if self.platform else ""
            parts.append(f"{sign}{abs(self.size_change) / 1_000_000:.1f} MB{where}")
        return ", ".join(parts)


def _built(created: str | None) -> str:
    from pinner.resolve.facts import is_placeholder_date

    if is_placeholder_date(created):
        return "unknown (reproducible build)"
    return (created or "?")[:10]


class FileResult:
    # A plain class: a dataclass costs a millisecond to define, on every run
    # of the offline check too.
    def __init__(
        self, candidate: Candidate, text: str, sites: list[Site], config: Config | None = None
    ) -> None:
        self.candidate = candidate
        self.config = config or Config()  # the configuration that governs the file
        self.contexts: dict[str, str] = {}  # build contexts named for it: name -> where
        self.text = text
        self.sites = sites
        self.results: list[SiteResult] = []
        self.new_text = text
        self.write_error: str | None = None  # why the new text was not written

    @property
    def path(self) -> str:
        return self.candidate.shown_as

    def fail_write(self, message: str) -> None:
        """The new text could not be written: every change it held becomes an error."""
        self.write_error = message
        message = f"not written: {message}"
        self.new_text = self.text
        self.results = [
            result._replace(status=Status.ERROR, edit=None, message=message, unwritten=True)
            if result.edit is not None
            else result
            for result in self.results
        ]

    @property
    def changed(self) -> bool:
        return self.new_text != self.text

    def diff(self) -> str:
        return unified_diff(self.path, self.text, self.new_text)


class Outcome:
    def __init__(
        self,
        command: Command,
        mode: Mode,
        files: list[FileResult],
        problems: list[FileError],
        paths: tuple[str, ...] = (),  # as given on the command line
        errors: list[str] | None = None,  # what stopped the run before any file
        unread: list[str] | None = None,  # files named that are none of the kinds read
    ) -> None:
        self.command = command
        self.mode = mode
        self.files = files
        self.problems = problems
        self.paths = paths
        self.errors = errors or []
        self.unread = unread or []

    @property
    def results(self) -> list[SiteResult]:
        return [result for file in self.files for result in file.results]

    @property
    def changed_files(self) -> list[FileResult]:
        return [file for file in self.files if file.changed]

    @property
    def unwritten_files(self) -> list[FileResult]:
        return [file for file in self.files if file.write_error is not None]

    @property
    def strict_findings(self) -> list[SiteResult]:
        """References pinner had to skip, in files under ``strict``: findings."""
        return [
            result
            for file in self.files
            if file.config.strict
            for result in file.results
            if is_strict_finding(result)
        ]

    def count(self, status: Status) -> int:
        return self.counts().get(status, 0)

    def counts(self) -> dict[Status, int]:
        """How many results have each status, in one pass."""
        found: dict[Status, int] = {}
        for file in self.files:
            for result in file.results:
                found[result.status] = found.get(result.status, 0) + 1
        return found

    def exit_code(self) -> int:
        if self.errors or self.problems or self.unwritten_files or self.count(Status.ERROR):
            return 2
        if self.mode is Mode.CHECK and self.changed_files:
            return 1
        found = FINDINGS if self.command is Command.CHECK else BROKEN
        if any(result.status in found for result in self.results):
            return 1
        return 1 if self.strict_findings else 0


def is_strict_finding(result: SiteResult) -> bool:
    """A reference skipped although it may name an image (a variable, a block
    scalar): a finding where ``strict`` is on."""
    return result.status is Status.SKIPPED and result.site.verdict in STRICT_VERDICTS
