"""The run: discover -> scan -> look up -> plan -> apply -> write or diff.

Only this module and the resolvers touch the world; scanning, planning and
applying edits are pure.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

from pinner import plan
from pinner.config import Config
from pinner.discover import Candidate, FileKind, discover
from pinner.edit import apply_edits, write_atomically
from pinner.files import FileError, read_text
from pinner.outcome import Command, FileResult, Mode, Outcome, SiteResult
from pinner.reference import ImageReference
from pinner.resolve.batch import in_parallel
from pinner.resolve.errors import ResolveError
from pinner.resolve.freshness import Refresh, refresh_or_error
from pinner.resolve.manifest import Platform
from pinner.resolve.protocol import Resolver
from pinner.site import Site, Verdict


def scan_text(candidate: Candidate, text: str) -> list[Site]:
    """Sites of one file, by its kind; a file named by the user is judged by its text."""
    kind = candidate.kind
    if kind is None or kind is FileKind.COMPOSE:
        # Imported only when needed: ruamel.yaml is the slowest import pinner has.
        from pinner.compose import looks_like_compose, scan_compose

        if kind is FileKind.COMPOSE or looks_like_compose(text):
            return scan_compose(candidate.shown_as, text)
    from pinner.dockerfile import scan_dockerfile

    return scan_dockerfile(candidate.shown_as, text)


def scan_files(paths: Sequence[str], config: Config) -> tuple[list[FileResult], list[FileError]]:
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
) -> Outcome:
    """Run one command. ``resolver`` makes the resolver, only if a lookup is needed."""
    files, problems = scan_files(paths, config)
    sites = [site for file in files for site in file.sites]
    looks_up_tags = command is not Command.CHECK
    refreshes = command is Command.UPDATE or (command is Command.CHECK and stale)
    wanted_tags = [s for s in sites if looks_up_tags and s.verdict is Verdict.PIN]
    wanted_refreshes = [s for s in sites if refreshes and s.verdict is Verdict.PINNED]
    digests: dict[str, str | ResolveError] = {}
    refreshed: dict[tuple[str, str, str], Refresh | ResolveError] = {}
    if (wanted_tags or wanted_refreshes) and resolver is not None:
        looker = resolver()
        try:
            digests = _look_up_tags(looker, wanted_tags, config.jobs)
            refreshed = _refresh(looker, wanted_refreshes, config.jobs)
        finally:
            looker.close()
    for file in files:
        file.results = [_result(site, command, stale, digests, refreshed) for site in file.sites]
        edits = [result.edit for result in file.results if result.edit is not None]
        file.new_text = apply_edits(file.text, edits)
    if mode is Mode.WRITE:
        _write(files, problems)
    return Outcome(command, mode, files, problems)


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


def _look_up_tags(
    resolver: Resolver, sites: list[Site], jobs: int
) -> dict[str, str | ResolveError]:
    unique: dict[str, ImageReference] = {}
    for site in sites:
        assert site.reference is not None
        unique.setdefault(site.reference.lookup_key, site.reference)
    return in_parallel({key: _lookup(resolver.resolve, ref) for key, ref in unique.items()}, jobs)


def _refresh_key(site: Site) -> tuple[str, str, str]:
    assert site.reference is not None and site.reference.digest is not None
    return site.reference.lookup_key, site.reference.digest, site.platform


def _refresh(
    resolver: Resolver, sites: list[Site], jobs: int
) -> dict[tuple[str, str, str], Refresh | ResolveError]:
    work: dict[tuple[str, str, str], Callable[[], Refresh | ResolveError]] = {}
    for site in sites:
        key = _refresh_key(site)
        if key not in work:
            assert site.reference is not None
            platform = Platform.parse(site.platform)
            work[key] = functools.partial(refresh_or_error, resolver, site.reference, platform)
    return in_parallel(work, jobs)


def _lookup(
    function: Callable[[ImageReference], str], reference: ImageReference
) -> Callable[[], str | ResolveError]:
    def call() -> str | ResolveError:
        try:
            return function(reference)
        except ResolveError as error:
            return error

    return call


def _write(files: list[FileResult], problems: list[FileError]) -> None:
    for file in files:
        if not file.changed:
            continue
        try:
            write_atomically(file.candidate.path, file.new_text.encode("utf-8"))
        except OSError as error:
            problems.append(FileError(file.path, f"cannot write: {error.strerror or error}"))
            file.new_text = file.text
