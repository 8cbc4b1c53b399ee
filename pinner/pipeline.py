"""The run: discover -> scan -> look up -> plan -> apply -> write or diff.

Only this module and the resolvers touch the world; scanning, planning and
applying edits are pure.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from pinner import plan
from pinner.config import Config
from pinner.discover import Candidate, FileKind, discover, may_be_compose
from pinner.edit import apply_edits, write_atomically
from pinner.files import FileError, read_text
from pinner.outcome import Command, FileResult, Mode, Outcome, SiteResult
from pinner.reference import ImageReference
from pinner.resolve.batch import in_parallel
from pinner.resolve.errors import ResolveError
from pinner.resolve.freshness import Refresh, refresh
from pinner.resolve.manifest import Platform
from pinner.resolve.protocol import Resolver

if TYPE_CHECKING:
    from pinner.report.progress import TerminalProgress as Progress
from pinner.site import Site, Verdict


def scan_text(candidate: Candidate, text: str) -> list[Site]:
    """Sites of one file, by its kind; a file named by the user is judged by its text."""
    kind = candidate.kind
    if kind is None and not may_be_compose(text):
        kind = FileKind.DOCKERFILE  # known without loading a YAML parser
    if kind is None or kind is FileKind.COMPOSE:
        # Imported only when needed: ruamel.yaml is the slowest import pinner has.
        from pinner.compose import looks_like_compose, scan_compose

        if kind is FileKind.COMPOSE or looks_like_compose(text):
            return scan_compose(candidate.shown_as, text)
    from pinner.dockerfile import scan_dockerfile

    return scan_dockerfile(candidate.shown_as, text)


def scan_files(
    paths: Sequence[str], config: Config, on_site: Callable[[Site], None] | None = None
) -> tuple[list[FileResult], list[FileError]]:
    """Read and scan every file; ``on_site`` sees each site as soon as it is found."""
    candidates, problems = discover(paths)
    results: list[FileResult] = []
    for candidate in candidates:
        if candidate.kind is not None and config.excludes(candidate.path):
            continue
        try:
            text = read_text(candidate.path, candidate.shown_as)
            sites = [_apply_ignore(site, config) for site in scan_text(candidate, text)]
        except FileError as problem:
            problems.append(problem)
            continue
        if on_site is not None:
            for site in sites:
                on_site(site)
        results.append(FileResult(candidate, text, sites, new_text=text))
    return results, problems


def _apply_ignore(site: Site, config: Config) -> Site:
    if site.reference is None or site.verdict not in (Verdict.PIN, Verdict.PINNED):
        return site
    pattern = config.ignored_by(site.reference)
    if pattern is None:
        return site
    reason = f"matches '{pattern}' under ignore in {config.path or '.pinner.yaml'}"
    return dataclasses.replace(site, verdict=Verdict.IGNORED, reason=reason)


def run(
    command: Command,
    paths: Sequence[str],
    config: Config,
    mode: Mode,
    resolver: Callable[[], Resolver] | None,
    *,
    stale: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """Run one command. ``resolver`` makes the resolver, only if a lookup is needed."""
    looks_up_tags = command is not Command.CHECK
    refreshes = command is Command.UPDATE or (command is Command.CHECK and stale)

    def wanted(site: Site) -> bool:
        return (looks_up_tags and site.verdict is Verdict.PIN) or (
            refreshes and site.verdict is Verdict.PINNED
        )

    lazy = _LazyResolver(resolver)

    def warm_up(site: Site) -> None:
        # Start talking to each registry host while the other files are scanned.
        if site.reference is not None and wanted(site) and resolver is not None:
            lazy.get().warm_up(site.reference.api_host)

    digests: dict[str, str | ResolveError] = {}
    refreshed: dict[tuple[str, str, str], Refresh | ResolveError] = {}
    try:
        files, problems = scan_files(paths, config, warm_up)
        sites = [site for file in files for site in file.sites if wanted(site)]
        if sites and resolver is not None:
            looker = lazy.get()
            looker.prepare(site.reference for site in sites if site.reference)
            tags = [s for s in sites if s.verdict is Verdict.PIN]
            pinned = [s for s in sites if s.verdict is Verdict.PINNED]
            advance = None
            if progress is not None:
                progress.start(_unique_count(tags, pinned))
                advance = progress.advance
            digests = _look_up_tags(looker, tags, config.jobs, advance)
            refreshed = _refresh(looker, pinned, config.jobs, advance)
    finally:
        if progress is not None:
            progress.finish()
        lazy.close()
    for file in files:
        file.results = [_result(site, command, stale, digests, refreshed) for site in file.sites]
        edits = [result.edit for result in file.results if result.edit is not None]
        file.new_text = apply_edits(file.text, edits)
    if mode is Mode.WRITE:
        _write(files, problems)
    return Outcome(command, mode, files, problems)


class _LazyResolver:
    """Makes the resolver on first use, so that a run with nothing to look up
    never imports an HTTP client or asks for a Docker Engine."""

    def __init__(self, factory: Callable[[], Resolver] | None) -> None:
        self._factory = factory
        self._resolver: Resolver | None = None

    def get(self) -> Resolver:
        if self._resolver is None:
            assert self._factory is not None
            self._resolver = self._factory()
        return self._resolver

    def close(self) -> None:
        if self._resolver is not None:
            self._resolver.close()


Answer = TypeVar("Answer")


def _result(
    site: Site,
    command: Command,
    stale: bool,
    digests: dict[str, str | ResolveError],
    refreshed: dict[tuple[str, str, str], Refresh | ResolveError],
) -> SiteResult:
    reference = site.reference
    if command is Command.CHECK and not (stale and site.verdict is Verdict.PINNED):
        return plan.offline(site)
    if reference is None or site.verdict not in (Verdict.PIN, Verdict.PINNED):
        return plan.left_alone(site)
    if site.verdict is Verdict.PIN:
        return plan.pin(site, digests[reference.lookup_key])
    if command is Command.PIN:
        return plan.offline(site)
    answer = refreshed[_refresh_key(site)]
    return plan.stale_check(site, answer) if stale else plan.update(site, answer)


def _unique_count(tags: list[Site], pinned: list[Site]) -> int:
    keys = {s.reference.lookup_key for s in tags if s.reference}
    return len(keys) + len({_refresh_key(site) for site in pinned})


def _look_up_tags(
    resolver: Resolver, sites: list[Site], jobs: int, on_done: Callable[[], None] | None
) -> dict[str, str | ResolveError]:
    unique: dict[str, ImageReference] = {}
    for site in sites:
        assert site.reference is not None
        unique.setdefault(site.reference.lookup_key, site.reference)
    work = {key: _catching(resolver.resolve, ref) for key, ref in unique.items()}
    return in_parallel(work, jobs, on_done)


def _refresh_key(site: Site) -> tuple[str, str, str]:
    assert site.reference is not None and site.reference.digest is not None
    return site.reference.lookup_key, site.reference.digest, site.platform


def _refresh(
    resolver: Resolver, sites: list[Site], jobs: int, on_done: Callable[[], None] | None
) -> dict[tuple[str, str, str], Refresh | ResolveError]:
    work: dict[tuple[str, str, str], Callable[[], Refresh | ResolveError]] = {}
    for site in sites:
        key = _refresh_key(site)
        if key not in work:
            assert site.reference is not None
            platform = Platform.parse(site.platform)
            work[key] = _catching(functools.partial(refresh, resolver), site.reference, platform)
    return in_parallel(work, jobs, on_done)


def _catching(
    function: Callable[..., Answer], *arguments: object
) -> Callable[[], Answer | ResolveError]:
    """A lookup to run later, whose ResolveError becomes its answer."""

    def call() -> Answer | ResolveError:
        try:
            return function(*arguments)
        except ResolveError as error:
            return error

    return call


def _write(files: list[FileResult], problems: list[FileError]) -> None:
    """Write the changed files, several at once: each write waits on the disk."""

    def write(file: FileResult) -> FileError | None:
        try:
            write_atomically(file.candidate.path, file.new_text.encode("utf-8"))
        except OSError as error:
            file.new_text = file.text
            return FileError(file.path, f"cannot write: {error.strerror or error}")
        return None

    changed = [file for file in files if file.changed]
    written = in_parallel({file.path: functools.partial(write, file) for file in changed}, 8)
    problems.extend(problem for problem in written.values() if problem is not None)
