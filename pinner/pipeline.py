"""The pin pipeline: discover -> scan -> resolve -> plan -> apply -> write or diff."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from pinner.compose import looks_like_compose, scan_compose
from pinner.discover import Candidate, FileKind, discover
from pinner.dockerfile import scan_dockerfile
from pinner.edit import apply_edits, unified_diff, write_atomically
from pinner.files import FileError, read_text
from pinner.plan import FailedLookup, PlannedPin, plan_pins
from pinner.resolve.batch import resolve_all
from pinner.resolve.protocol import Resolver
from pinner.site import Site, Verdict


class Mode(enum.Enum):
    WRITE = "write"
    DRY_RUN = "dry-run"
    CHECK = "check"


@dataclass
class FileResult:
    candidate: Candidate
    text: str
    sites: list[Site]
    pins: list[PlannedPin] = field(default_factory=list)
    failures: list[FailedLookup] = field(default_factory=list)
    new_text: str = ""

    @property
    def changed(self) -> bool:
        return self.new_text != self.text

    def diff(self) -> str:
        return unified_diff(self.candidate.shown_as, self.text, self.new_text)


@dataclass
class Outcome:
    mode: Mode
    files: list[FileResult]
    problems: list[FileError]

    @property
    def failures(self) -> list[FailedLookup]:
        return [failure for result in self.files for failure in result.failures]

    @property
    def invalid_sites(self) -> list[Site]:
        return [s for r in self.files for s in r.sites if s.verdict is Verdict.INVALID]

    @property
    def changed_files(self) -> list[FileResult]:
        return [result for result in self.files if result.changed]

    def exit_code(self) -> int:
        if self.problems or self.failures or self.invalid_sites:
            return 2
        if self.mode is Mode.CHECK and self.changed_files:
            return 1
        return 0


def scan_files(paths: Sequence[str]) -> tuple[list[FileResult], list[FileError]]:
    candidates, problems = discover(paths)
    results: list[FileResult] = []
    for candidate in candidates:
        try:
            text = read_text(candidate.path, candidate.shown_as)
        except FileError as problem:
            problems.append(problem)
            continue
        try:
            sites = scan_text(candidate, text)
        except FileError as problem:
            problems.append(problem)
            continue
        results.append(FileResult(candidate, text, sites, new_text=text))
    return results, problems


def scan_text(candidate: Candidate, text: str) -> list[Site]:
    """Sites of one file, by its kind; a file named by the user is judged by its text."""
    kind = candidate.kind
    if kind is None:
        kind = FileKind.COMPOSE if looks_like_compose(text) else FileKind.DOCKERFILE
    if kind is FileKind.COMPOSE:
        return scan_compose(candidate.shown_as, text)
    return scan_dockerfile(candidate.shown_as, text)


def pin(paths: Sequence[str], resolver: Resolver, mode: Mode, jobs: int) -> Outcome:
    results, problems = scan_files(paths)
    wanted = [
        site.reference
        for result in results
        for site in result.sites
        if site.verdict is Verdict.PIN and site.reference is not None
    ]
    resolutions = resolve_all(resolver, wanted, jobs)
    for result in results:
        result.pins, result.failures = plan_pins(result.sites, resolutions)
        result.new_text = apply_edits(result.text, (planned.edit for planned in result.pins))
    if mode is Mode.WRITE:
        for result in results:
            if result.changed:
                try:
                    write_atomically(result.candidate.path, result.new_text.encode("utf-8"))
                except OSError as error:
                    problems.append(
                        FileError(result.candidate.shown_as, f"cannot write: {error.strerror}")
                    )
                    result.new_text = result.text
    return Outcome(mode, results, problems)
