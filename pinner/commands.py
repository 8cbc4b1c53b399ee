"""What the commands that read files do, apart from parsing their command
line: the configuration, the run, the reports. No Typer here: the
pre-commit hook's usual command lines are read without it (pinner/cli.py)."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pinner.interrupts import leave_on_interrupt

if TYPE_CHECKING:
    from pinner.config import Config
    from pinner.outcome import Command, Mode, Outcome
    from pinner.resolve.protocol import Resolver


class UsageError(Exception):
    """The command line asks for something that cannot be: exit 2, said as a
    usage error about ``option``."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.message = message
        self.option = option


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"  # workflow commands: one annotation per finding


class ResolveFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


class ResolverName(str, enum.Enum):
    REGISTRY = "registry"
    DOCKER = "docker"


class BumpLevel(str, enum.Enum):
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


def start_listing(paths: list[str] | None) -> None:
    """git lists the files while the modules the command needs are imported."""
    from pinner import discover

    discover.start_listing(paths or [])


def settings(
    config_path: Path | None,
    jobs: int | None,
    force_exclude: bool = False,
    paths: Sequence[str] = (),
) -> tuple[Config, dict[str, Config]]:
    """The configuration of the run (its first path's) and that of each path,
    with the command line's options; a bad one ends the run (exit 2)."""
    from pinner.files import FileError

    try:
        return configurations(config_path, paths, jobs, force_exclude)
    except FileError as error:
        print(f"pinner: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def configurations(
    config_path: Path | None,
    paths: Sequence[str],
    jobs: int | None,
    force_exclude: bool,
    strict: bool = False,
    bump: str = "",
) -> tuple[Config, dict[str, Config]]:
    """Each path's configuration with the command line's options, and the
    first path's, which the lookups follow. Raises FileError."""
    from pinner.config import configs_for

    governed = configs_for(paths, config_path)
    adjusted: dict[int, Config] = {}
    for config in governed.values():
        if id(config) not in adjusted:
            adjusted[id(config)] = config._replace(
                jobs=config.jobs if jobs is None else jobs,
                force_exclude=config.force_exclude or force_exclude,
                strict=config.strict or strict,
                bump=bump or config.bump,
            )
    governed = {path: adjusted[id(config)] for path, config in governed.items()}
    return governed[(list(paths) or ["."])[0]], governed


def run_files(
    command: Command,
    paths: list[str] | None,
    mode: Mode,
    *,
    output: Format,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    resolver: ResolverName | None,
    config_path: Path | None,
    stale: bool = False,
    force_exclude: bool = False,
    strict: bool = False,
    also: list[str] | None = None,
    bump: str = "",
) -> None:
    from pinner.files import FileError
    from pinner.outcome import Command, Outcome
    from pinner.pipeline import run
    from pinner.resolve.errors import DaemonUnavailableError

    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot go together", "--quiet")
    more = parse_also(also)
    if bump and command is Command.CHECK and not stale:
        raise UsageError("check looks for bumps only with --stale", "--bump")

    def report(outcome: Outcome, prefix: str = "") -> None:
        print_outcome(outcome, output, quiet, verbose, prefix)
        write_also(outcome, more, quiet, verbose)

    try:
        config, governed = configurations(
            config_path, paths or [], jobs, force_exclude, strict, bump
        )
    except FileError as error:
        # Still one report, with the error in it: a JSON reader gets a document.
        failed = Outcome(command, mode, [], [error], tuple(paths or ()))
        report(failed, prefix="pinner: ")
        raise SystemExit(2) from None
    chosen = resolver.value if resolver is not None else config.resolver
    progress = None
    if sys.stderr.isatty() and not quiet:
        from pinner.report.progress import TerminalProgress

        progress = TerminalProgress(sys.stderr)
    try:
        # Writes finish before an interrupt is taken, so no file is half-written
        # and no temporary file is left.
        with leave_on_interrupt():
            outcome = run(
                command,
                paths or [],
                config,
                mode,
                resolver_factory(chosen, config),
                stale=stale,
                progress=progress,
                governed=governed,
            )
    except DaemonUnavailableError as error:
        failed = Outcome(command, mode, [], [], tuple(paths or ()), errors=[str(error)])
        report(failed)
        raise SystemExit(2) from None
    report(outcome)
    raise SystemExit(outcome.exit_code())


def resolver_factory(name: str, config: Config) -> Callable[[], Resolver]:
    def make() -> Resolver:
        if name == "docker":
            from pinner.resolve.docker_engine import DockerResolver

            return DockerResolver(timeout=config.read_timeout)
        from pinner.resolve.registry import RegistryResolver
        from pinner.resolve.tls import Trust
        from pinner.resolve.transport import RetryPolicy

        policy = RetryPolicy(
            attempts=config.retries + 1,
            total_seconds=config.retry_time,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        )
        return RegistryResolver(
            jobs=config.jobs,
            policy=policy,
            insecure=config.insecure_registries,
            trust=Trust(config.certs_dir),
            # On a terminal the progress bar shows that pinner is waiting.
            on_slow=None if sys.stderr.isatty() else _say_slow(config),
        )

    return make


def _say_slow(config: Config) -> Callable[[str, float], None]:
    def say(host: str, seconds: float) -> None:
        print(
            f"pinner: still waiting for {host} after {seconds:.0f} s"
            f" (read-timeout {config.read_timeout:g} s, retries {config.retries})",
            file=sys.stderr,
            flush=True,
        )

    return say


def print_outcome(
    outcome: Outcome, output: Format, quiet: bool, verbose: bool, prefix: str = ""
) -> None:
    """The report; ``prefix`` goes before each error line (``pinner: `` when the
    run stopped before reading any file)."""
    from pinner.outcome import Command, Mode
    from pinner.report.text import coloured_diff, report_lines

    if output is not Format.TEXT:
        sys.stdout.write(rendered(outcome, output, quiet, verbose))
    elif outcome.mode is not Mode.WRITE and outcome.command is not Command.CHECK:
        colour = wants_colour(sys.stdout)
        for file in outcome.changed_files:
            sys.stdout.write(coloured_diff(file.diff(), colour))
    sys.stdout.flush()
    # Errors always go to stderr. With a JSON or Markdown report, stdout holds
    # the report alone; pinner check writes its findings to stdout, as
    # linters do; pin and update keep stdout for the diff.
    findings_out = None
    if output is Format.TEXT:
        findings_out = sys.stdout if outcome.command is Command.CHECK else sys.stderr
    lines_by_colour: dict[bool, list[tuple[str, bool]]] = {}
    for stream in (sys.stdout, sys.stderr):
        colour = wants_colour(stream)
        if colour not in lines_by_colour:
            lines_by_colour[colour] = report_lines(
                outcome, quiet=quiet, verbose=verbose, colour=colour
            )
        for line, error in lines_by_colour[colour]:
            if (sys.stderr if error else findings_out) is stream:
                print(prefix + line if error else line, file=stream)
    for message in outcome.errors:
        print(f"pinner: {message}", file=sys.stderr)


def rendered(outcome: Outcome, output: Format, quiet: bool, verbose: bool) -> str:
    """The whole report in one format, as one text (text: every line)."""
    if output is Format.JSON:
        from pinner.report.json_report import json_report

        return json_report(outcome)
    if output is Format.MARKDOWN:
        from pinner.report.markdown import markdown_report

        return markdown_report(outcome)
    if output is Format.GITHUB:
        from pinner.report.github import github_report

        return github_report(outcome)
    from pinner.report.text import text_report

    return "".join(line + "\n" for line in text_report(outcome, quiet=quiet, verbose=verbose))


def write_also(
    outcome: Outcome, also: list[tuple[Format, Path]], quiet: bool, verbose: bool
) -> None:
    """Each report ``--also`` asks for, to its file; a file that cannot be
    written is one line and exit 2."""
    for output, path in also:
        try:
            path.write_text(rendered(outcome, output, quiet, verbose), encoding="utf-8")
        except OSError as error:
            print(f"pinner: {path}: cannot write: {error.strerror or error}", file=sys.stderr)
            raise SystemExit(2) from None


def parse_also(values: list[str] | None) -> list[tuple[Format, Path]]:
    found = []
    for value in values or []:
        name, separator, path = value.partition(":")
        try:
            output = Format(name)
        except ValueError:
            output = None
        if not separator or not path or output is None:
            formats = ", ".join(f.value for f in Format)
            raise UsageError(f"expected FORMAT:FILE ({formats})", "--also")
        found.append((output, Path(path)))
    return found


def wants_colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")
