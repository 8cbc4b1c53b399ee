"""The run: discover -> scan -> look up -> plan -> apply -> write or diff.

Only this module and the resolvers touch the world; scanning, planning and
applying edits are pure.
"""

from __future__ import annotations

import collections
import functools
import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from pinner import plan
from pinner.config import Config
from pinner.discover import Candidate, discover
from pinner.edit import apply_edits
from pinner.files import FileError, read_text
from pinner.interrupts import closed_after, interrupts_deferred
from pinner.kinds import KUBERNETES, Scan, guess
from pinner.named_contexts import named_context
from pinner.outcome import Command, FileResult, Mode, Outcome, SiteResult
from pinner.resolve.errors import ResolveError
from pinner.scan_cache import ScanCache, cache_folder
from pinner.site import Site, Verdict

# What only lookups and writes need is imported where they happen: the
# offline check, run as a pre-commit hook, loads none of it.
if TYPE_CHECKING:
    from pinner.bumps import Bump, Bumper
    from pinner.outcome import Change
    from pinner.reference import ImageReference
    from pinner.report.progress import TerminalProgress as Progress
    from pinner.resolve.batch import FanOut
    from pinner.resolve.facts import ImageFacts
    from pinner.resolve.freshness import Refresh
    from pinner.resolve.protocol import Resolver
    from pinner.resolve.registry import RegistryResolver


def scan_text(candidate: Candidate, text: str, context: str | None = None) -> Scan | None:
    """Sites of one file, by its kind, and the files it includes (with the
    line naming each); None for a file that is none of the kinds pinner
    reads (a YAML file that names no image). A file named by the user is
    judged by its text."""
    kind = candidate.kind or guess(candidate.shown_as, text)
    return kind.scan(candidate.shown_as, text, context)


def _context(candidate: Candidate) -> str | None:
    """The text of the file beside this one that its kind reads too (a Helm
    chart's ``Chart.yaml``), or None where there is none to read."""
    kind = candidate.kind
    if kind is None or not kind.context:
        return None
    try:
        return read_text(candidate.path.parent / kind.context, kind.context)
    except FileError:
        return None


def scan_files(
    paths: Sequence[str],
    config: Config,
    on_site: Callable[[Site], None] | None = None,
    governed: Mapping[str, Config] | None = None,
    unread: list[str] | None = None,
) -> tuple[list[FileResult], list[FileError]]:
    """Read and scan every file, and the compose files they include or extend
    (each once); ``on_site`` sees each site as soon as it is found. Each path
    is read with the configuration ``governed`` gives it (else ``config``), and
    a file it includes with that of the file that includes it. A file named on
    the command line that is none of the kinds pinner reads goes to ``unread``."""
    queue: collections.deque[tuple[Candidate, Config]] = collections.deque()
    problems: list[FileError] = []
    for group_config, group in _grouped(paths, config, governed or {}):
        candidates, trouble = discover(group)
        queue.extend((candidate, group_config) for candidate in candidates)
        problems += trouble
    # YAML files that may be manifests last: a compose or GitLab file read
    # before them may include one, which is then read as what it is.
    queue = collections.deque(sorted(queue, key=lambda c: c[0].kind is KUBERNETES))
    done: set[str] = set()
    results: list[FileResult] = []
    cache = ScanCache.load(cache_folder(), os.getcwd())
    while queue:
        candidate, file_config = queue.popleft()
        if candidate.identity in done:
            continue
        if (not candidate.named or file_config.force_exclude) and file_config.excludes(
            candidate.path
        ):
            continue
        link_problem = candidate.link_problem()
        if link_problem is not None:
            problems.append(link_problem)
            continue
        try:
            text = read_text(candidate.path, candidate.shown_as)
            context = _context(candidate)
            key = ScanCache.key(
                candidate.kind.value if candidate.kind else "",
                candidate.shown_as,
                text if context is None else f"{text}\0{context}",
            )
            cached = candidate.kind is None or candidate.kind.cached
            scanned = cache.get(key, text) if cached else None
            if scanned is None:
                scanned = scan_text(candidate, text, context)
                if scanned is not None and cached:
                    cache.put(key, scanned)
        except FileError as problem:
            kind = candidate.kind
            if not (problem.not_text and kind is not None and kind.text_test is not None):
                problems.append(problem)
                continue
            scanned = None  # a disk image named *.image: no quadlet unit
        if scanned is None:  # a file that is none of the kinds pinner reads, after all
            if candidate.named and unread is not None:
                unread.append(candidate.shown_as)
            continue
        done.add(candidate.identity)
        found, references = scanned
        sites = [_apply_ignore(site, file_config) for site in found]
        if on_site is not None:
            for site in sites:
                on_site(site)
        results.append(FileResult(candidate, text, sites, file_config))
        # A file named on the command line is followed as what its text made it.
        kind = candidate.kind or guess(candidate.shown_as, text) if references else None
        for reference, line in references:
            assert kind is not None
            followed, refused = candidate.follow(reference, line, kind)
            if refused is not None:
                problems.append(refused)
            queue.extend((each, file_config) for each in followed if each.identity not in done)
    results.sort(key=lambda result: result.path)
    cache.save()
    _apply_named_contexts(results)
    return results, problems


def _apply_named_contexts(files: list[FileResult]) -> None:
    """The names that bake targets and compose builds give their Dockerfiles'
    build contexts: there, ``FROM name`` is the context, never looked up."""
    given: dict[str, dict[str, str]] = {}
    for file in files:
        kind = file.candidate.kind
        if kind is None or not kind.contexts or kind.contexts_hint not in file.text:
            continue
        module = importlib.import_module(f"pinner.kinds.{kind.module}")
        folder = os.path.dirname(os.path.abspath(file.candidate.path))
        for named in getattr(module, kind.contexts)(file.path, file.text):
            dockerfile = os.path.normpath(os.path.join(folder, named.dockerfile))
            given.setdefault(dockerfile, {}).setdefault(named.name, named.where)
    if not given:
        return
    for file in files:
        contexts = given.get(os.path.abspath(file.candidate.path))
        if contexts:
            file.contexts = contexts
            file.sites = [named_context(site, contexts) for site in file.sites]


def _grouped(
    paths: Sequence[str], config: Config, governed: Mapping[str, Config]
) -> list[tuple[Config, list[str]]]:
    """The paths (none: the current folder) by the configuration that governs them."""
    groups: dict[int, tuple[Config, list[str]]] = {}
    for path in paths or ["."]:
        chosen = governed.get(path, config)
        groups.setdefault(id(chosen), (chosen, []))[1].append(path)
    return list(groups.values())


def _apply_ignore(site: Site, config: Config) -> Site:
    if not config.ignore or site.reference is None:
        return site
    if site.verdict not in (Verdict.PIN, Verdict.PINNED):
        return site
    pattern = config.ignored_by(site.reference)
    if pattern is None:
        return site
    reason = f"matches '{pattern}' under ignore in {config.path or '.pinner.yaml'}"
    return site._replace(verdict=Verdict.IGNORED, reason=reason)


def run(
    command: Command,
    paths: Sequence[str],
    config: Config,
    mode: Mode,
    resolver: Callable[[], Resolver] | None,
    *,
    stale: bool = False,
    progress: Progress | None = None,
    governed: Mapping[str, Config] | None = None,
) -> Outcome:
    """Run one command. ``resolver`` makes the resolver, only if a lookup is
    needed; it and the lookups follow ``config``, and each path's files are read
    with the configuration ``governed`` gives it (else ``config``)."""
    lazy = _LazyResolver(resolver)
    answers = _Answers(command, stale, lazy, config.jobs)

    def warm_up(site: Site) -> None:
        # Start talking to each registry host while the other files are scanned.
        if site.reference is not None and answers.wanted(site) and resolver is not None:
            lazy.get().warm_up(site.reference.api_host)

    unread: list[str] = []
    with closed_after(lazy, answers):
        files, problems = scan_files(paths, config, warm_up, governed, unread)
        answers.look_up(files, progress)
        if answers.refreshes and lazy.available:
            answers.find_bumps(files)
        for file in files:
            answers.plan(file)
        if command is Command.UPDATE and lazy.available:
            _describe_changes(files, lazy.get(), config.jobs)
        if mode is Mode.WRITE:
            with interrupts_deferred():
                _write(files, answers)
    return Outcome(command, mode, files, problems, tuple(paths), unread=unread)


class _Answers:
    """What the registries said, kept for the whole run: a file planned again
    (because it changed while pinner ran) costs lookups only for what is new."""

    def __init__(self, command: Command, stale: bool, lazy: _LazyResolver, jobs: int) -> None:
        self.command = command
        self.stale = stale
        self.lazy = lazy
        self.jobs = jobs
        self.looks_up_tags = command is not Command.CHECK
        self.refreshes = command is Command.UPDATE or (command is Command.CHECK and stale)
        self.digests: dict[str, str | ResolveError] = {}
        self.refreshed: dict[RefreshKey, Refresh | ResolveError] = {}
        self.bumps: dict[BumpKey, Bump | ResolveError | None] = {}
        self._bumps_by: Bumper | None = None

    def wanted(self, site: Site) -> bool:
        return (self.looks_up_tags and site.verdict is Verdict.PIN) or (
            self.refreshes and site.verdict in (Verdict.PINNED, Verdict.DIGEST_ONLY)
        )

    def look_up(self, files: list[FileResult], progress: Progress | None = None) -> None:
        """Ask about every wanted site not asked about yet, each unique question
        once; a pinned one with the platforms its file's configuration keeps."""
        if not self.lazy.available:
            return
        tags: list[Site] = []
        pinned: list[tuple[Site, tuple[str, ...]]] = []
        for file in files:
            for site in file.sites:
                if not self.wanted(site):
                    continue
                if site.verdict is Verdict.PIN:
                    if _tag_key(site) not in self.digests:
                        tags.append(site)
                elif _refresh_key(site, file.config.platforms) not in self.refreshed:
                    pinned.append((site, file.config.platforms))
        if not tags and not pinned:
            return
        looker = self.lazy.get()
        looker.prepare(
            site.reference for site in tags + [site for site, _ in pinned] if site.reference
        )
        if self.refreshes:  # after prepare: the tag lists use the tokens it fetches
            self.prefetch_tag_lists(files)
        advance = None
        if progress is not None:
            progress.start(_unique_count(tags, pinned))
            advance = progress.advance
        try:
            self.digests.update(_look_up_tags(looker, tags, self.jobs, advance))
            self.refreshed.update(_refresh(looker, pinned, self.jobs, advance))
        finally:
            if progress is not None:
                progress.finish()

    def plan(self, file: FileResult) -> None:
        file.results = [self.result(site, file.config, file.text) for site in file.sites]
        edits = [result.edit for result in file.results if result.edit is not None]
        file.new_text = apply_edits(file.text, edits)

    def result(self, site: Site, config: Config, text: str = "") -> SiteResult:
        reference = site.reference
        if self.command is Command.CHECK and not (self.stale and self.wanted(site)):
            return plan.offline(site)
        if reference is None or not self.wanted(site):
            return plan.offline(site) if self.command is Command.PIN else plan.left_alone(site)
        if site.verdict is Verdict.PIN:
            return plan.pin(site, self.digests[_tag_key(site)])
        answer = self.refreshed[_refresh_key(site, config.platforms)]
        key = self._bump_key(site, config, answer)
        found = self.bumps.get(key) if key is not None else None
        # The whole reference is written anew: only where the file holds it as is.
        whole = text[site.start : site.end] == site.text
        if found is not None and not isinstance(found, ResolveError) and found.tag and whole:
            return plan.bump(site, found, writes=self.command is Command.UPDATE)
        result = plan.stale_check(site, answer) if self.stale else plan.update(site, answer)
        if site.reference is None or site.reference.tag is None:
            return result
        from pinner.outcome import BumpNote

        blocked = _bump_blocked(site, answer) if key is None and _bump_asked(site, config) else ""
        if blocked:  # never silent: a bump was asked for, and this reference cannot take one
            return result._replace(bump=BumpNote(site.reference.tag, "", (("", blocked),)))
        if found is None:
            return result

        if isinstance(found, ResolveError):
            passed: tuple[tuple[str, str], ...] = (("", found.message),)
        elif found.tag:  # it holds, but this file does not write the reference in one piece
            why = "not written here: the reference is not one piece of the file's text"
            passed = (*found.passed_over, (found.tag, why))
        else:
            passed = found.passed_over
        return result._replace(bump=BumpNote(site.reference.tag, "", passed))

    def _bump_key(
        self, site: Site, config: Config, answer: Refresh | ResolveError
    ) -> BumpKey | None:
        """What --bump asks of a pinned reference, if it may be bumped: a tag
        written whole in one reference, pinned to what its tag names (an index,
        or the tag's own manifest; a per-platform pin is refreshed, not bumped)."""
        from pinner.resolve.freshness import Freshness

        reference = site.reference
        if reference is None or not _bump_asked(site, config) or _bump_blocked(site, answer):
            return None
        if isinstance(answer, ResolveError) or answer.freshness not in (
            Freshness.CURRENT,
            Freshness.STALE,
        ):
            return None  # its status says what a person must do first
        assert reference.digest is not None
        return (
            reference.lookup_key,
            reference.digest,
            config.platforms,
            config.bump_level(reference),
        )

    def find_bumps(self, files: list[FileResult]) -> None:
        """Look for a newer tag of every pinned reference --bump applies to."""
        wanted: dict[BumpKey, ImageReference] = {}
        for file in files:
            for site in file.sites:
                if site.verdict is not Verdict.PINNED or site.reference is None:
                    continue
                answer = self.refreshed.get(_refresh_key(site, file.config.platforms))
                key = None if answer is None else self._bump_key(site, file.config, answer)
                if key is not None and key not in self.bumps:
                    wanted.setdefault(key, site.reference)
        if not wanted:
            return
        from pinner.resolve.batch import in_parallel
        from pinner.resolve.registry import RegistryResolver

        resolver = self.lazy.get()
        if not isinstance(resolver, RegistryResolver):
            failed = ResolveError("tag bumps need --resolver registry: the Engine lists no tags")
            self.bumps.update({key: failed for key in wanted})
            return
        from pinner.bumps import LEVELS
        from pinner.resolve.manifest import Platform

        bumper = self._bumper(resolver)
        work = {}
        for key, reference in wanted.items():
            keep = tuple(p for p in map(Platform.parse, key[2]) if p is not None)
            work[key] = _catching(bumper.find, reference, LEVELS[key[3]], keep)
        # Each find mostly waits on the fan-out's requests: more at once keep it busy.
        self.bumps.update(in_parallel(work, 2 * self.jobs))

    def _bumper(self, resolver: RegistryResolver) -> Bumper:
        if self._bumps_by is None:
            from pinner.bumps import Bumper
            from pinner.resolve.batch import FanOut

            # Each bump reads a few documents per image where a refresh makes one
            # request: twice --jobs at once, as pinner report does.
            self._bumps_by = Bumper(resolver, FanOut(2 * self.jobs), self.jobs)
        return self._bumps_by

    def prefetch_tag_lists(self, files: list[FileResult]) -> None:
        """Start reading the tag lists of every pinned image --bump may move,
        beside the refreshes (which decide which of them are bumped)."""
        from pinner.resolve.registry import RegistryResolver

        wanted = [
            site.reference
            for file in files
            for site in file.sites
            if _bump_asked(site, file.config) and site.reference is not None
        ]
        resolver = self.lazy.get() if wanted and self.lazy.available else None
        if isinstance(resolver, RegistryResolver):
            self._bumper(resolver).prefetch(wanted)

    def close(self) -> None:
        if self._bumps_by is not None:
            self._bumps_by.close()


def _bump_blocked(site: Site, answer: Refresh | ResolveError) -> str:
    """Why this pinned reference cannot take a bump, or "": a bump writes a
    tag written whole in one reference, pinned to what its tag names."""
    reference = site.reference
    per_platform = (
        not isinstance(answer, ResolveError)
        and answer.tag_digest is not None
        and answer.tag_digest != answer.digest
    )
    if site.digest_key or reference is None or reference.original != site.text or per_platform:
        return (
            "refreshed only: a bump writes a tag written whole in one reference, pinned to"
            " what its tag names (not an ARG with a prefix, a mapping's parts, a per-platform pin)"
        )
    return ""


def _bump_asked(site: Site, config: Config) -> bool:
    """--bump (or bump:) applies to this pinned reference, and its tag has a version."""
    from pinner.tracks import track

    reference = site.reference
    if site.verdict is not Verdict.PINNED or reference is None or reference.tag is None:
        return False
    return bool(config.bump_level(reference)) and track(reference.tag) is not None


class _LazyResolver:
    """Makes the resolver on first use, so that a run with nothing to look up
    never imports an HTTP client or asks for a Docker Engine."""

    def __init__(self, factory: Callable[[], Resolver] | None) -> None:
        self._factory = factory
        self._resolver: Resolver | None = None

    @property
    def available(self) -> bool:
        return self._factory is not None

    def get(self) -> Resolver:
        if self._resolver is None:
            assert self._factory is not None
            self._resolver = self._factory()
        return self._resolver

    def close(self) -> None:
        if self._resolver is not None:
            self._resolver.close()


Answer = TypeVar("Answer")


def _describe_changes(files: list[FileResult], resolver: Resolver, jobs: int) -> None:
    """For each moved digest, when the old and the new image were built and how
    their size changed, for the pull request's reviewer. Only moved digests
    cost these requests, and only a resolver that reads manifests answers."""
    from pinner.resolve.registry import RegistryResolver

    if not isinstance(resolver, RegistryResolver):
        return
    from pinner.outcome import Status
    from pinner.resolve.batch import FanOut, in_parallel

    moved = [r for file in files for r in file.results if r.status is Status.UPDATED]
    fan_out = FanOut(jobs)  # every request on its workers, as for pinner report
    wanted: dict[tuple[str, str], Callable[[], ImageFacts | None]] = {}
    for result in moved:
        reference = result.site.reference
        for digest in (result.old_digest, result.new_digest):
            if reference is not None and digest is not None:
                key = (reference.lookup_key, digest)
                facts = functools.partial(_facts, resolver, reference, digest, fan_out)
                wanted.setdefault(key, facts)
    try:
        found = in_parallel(wanted, jobs)
    finally:
        fan_out.close()
    for file in files:
        file.results = [
            result._replace(change=_change(result, found))
            if result.status is Status.UPDATED
            else result
            for result in file.results
        ]


def _facts(
    resolver: RegistryResolver, reference: ImageReference, digest: str, fan_out: FanOut
) -> ImageFacts | None:
    try:
        return resolver.image_facts(reference, digest, fan_out)
    except ResolveError:
        return None


def _change(result: SiteResult, found: dict[tuple[str, str], ImageFacts | None]) -> Change:
    from pinner.outcome import Change
    from pinner.resolve.facts import size_on

    key = result.site.reference.lookup_key if result.site.reference else ""
    old = found.get((key, result.old_digest or ""))
    new = found.get((key, result.new_digest or ""))
    platform = result.site.platform or "linux/amd64"
    old_size, new_size = size_on(old, platform), size_on(new, platform)
    delta = None if old_size is None or new_size is None else new_size - old_size
    return Change(old.created if old else None, new.created if new else None, delta, platform)


def _unique_count(tags: list[Site], pinned: list[tuple[Site, tuple[str, ...]]]) -> int:
    refreshes = {_refresh_key(site, keep) for site, keep in pinned}
    return len({_tag_key(site) for site in tags}) + len(refreshes)


def _tag_key(site: Site) -> str:
    assert site.reference is not None
    return site.reference.lookup_key


def _look_up_tags(
    resolver: Resolver, sites: list[Site], jobs: int, on_done: Callable[[], None] | None
) -> dict[str, str | ResolveError]:
    unique: dict[str, ImageReference] = {}
    for site in sites:
        assert site.reference is not None
        unique.setdefault(_tag_key(site), site.reference)
    from pinner.resolve.batch import in_parallel

    work = {key: _catching(resolver.resolve, ref) for key, ref in unique.items()}
    return in_parallel(work, jobs, on_done)


# A pinned reference's question: its image and tag, digest, FROM --platform,
# and the platforms a refresh must keep.
RefreshKey = tuple[str, str, str, tuple[str, ...]]
# --bump's question: image and tag, digest, platforms to keep, the level allowed.
BumpKey = tuple[str, str, tuple[str, ...], str]


def _refresh_key(site: Site, keep: tuple[str, ...]) -> RefreshKey:
    assert site.reference is not None and site.reference.digest is not None
    return site.reference.lookup_key, site.reference.digest, site.platform, keep


def _refresh(
    resolver: Resolver,
    pinned: list[tuple[Site, tuple[str, ...]]],
    jobs: int,
    on_done: Callable[[], None] | None,
) -> dict[RefreshKey, Refresh | ResolveError]:
    from pinner.resolve.batch import in_parallel
    from pinner.resolve.freshness import refresh
    from pinner.resolve.manifest import Platform

    work: dict[RefreshKey, Callable[[], Refresh | ResolveError]] = {}
    for site, keep in pinned:
        key = _refresh_key(site, keep)
        if key not in work:
            assert site.reference is not None
            platform = Platform.parse(site.platform)
            kept = tuple(p for p in map(Platform.parse, keep) if p is not None)
            work[key] = _catching(
                functools.partial(refresh, resolver), site.reference, platform, kept
            )
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


def _write(files: list[FileResult], answers: _Answers) -> None:
    """Write the changed files, one after another: with no fsync a write is a
    few system calls that do not wait on the disk, and threads only added
    their own cost (twice the CPU time for 300 files, and more wall time).

    A file that changed while pinner ran is read, scanned and planned again
    (with what the registries already said) and written if it then holds
    still; pinner never writes a stale copy over someone's edit."""
    from pinner.write import ChangedWhileRunningError

    pending = [file for file in files if file.changed]
    for round_ in range(1, _WRITE_ROUNDS + 1):
        if not pending:
            return
        moved = _write_each(pending)
        if round_ == _WRITE_ROUNDS:
            for file in moved:
                file.fail_write(ChangedWhileRunningError().message)
            return
        pending = [file for file in moved if _plan_again(file, answers)]


_WRITE_ROUNDS = 3


def _write_each(files: list[FileResult]) -> list[FileResult]:
    """Write each file; return those that changed since they were read."""
    from pinner.write import ChangedWhileRunningError, WriteError, replace_if_unchanged

    moved = []
    for file in files:
        try:
            replace_if_unchanged(
                file.candidate.path, file.text.encode("utf-8"), file.new_text.encode("utf-8")
            )
        except ChangedWhileRunningError:
            moved.append(file)
        except WriteError as error:
            file.fail_write(error.message)
    return moved


def _plan_again(file: FileResult, answers: _Answers) -> bool:
    """Read, scan and plan a file again; True when it then needs writing."""
    try:
        text = read_text(file.candidate.path, file.candidate.shown_as)
        scanned = scan_text(file.candidate, text, _context(file.candidate))
        sites = [_apply_ignore(site, file.config) for site in (scanned[0] if scanned else [])]
        sites = [named_context(site, file.contexts) for site in sites]
    except FileError as problem:
        file.fail_write(f"changed while pinner ran, and now: {problem.message}")
        return False
    file.text, file.sites, file.new_text = text, sites, text
    answers.look_up([file])
    answers.plan(file)
    return file.changed
