"""The command line: a thin Typer layer over the pipeline.

Imports that reach the network (the registry client, the Docker SDK) happen
inside the commands that need them, so ``pinner check``, ``--help`` and
``--version`` never load an HTTP client.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pinner import __version__
from pinner.interrupts import closed_after, leave_on_interrupt

if TYPE_CHECKING:
    from pinner.config import Config
    from pinner.kinds.dockerfile import Stage
    from pinner.outcome import Command, FileResult, Mode, Outcome
    from pinner.resolve.protocol import Resolver
    from pinner.site import Site

_SUMMARY = (
    "Pin container image references to content digests, in place: in Dockerfiles,"
    " compose files, GitHub Actions, GitLab CI, CircleCI, Bitbucket, Drone, Woodpecker,"
    " Azure Pipelines and Cloud Build files, Kubernetes-style manifests (Tekton, Argo),"
    " dev containers and Podman quadlet units."
)

app = typer.Typer(
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help=_SUMMARY,
    epilog="Exit codes: 0 done, 1 a check found work, 2 usage error or a lookup or file failed.",
)


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


def _show_version(value: bool) -> None:
    if value:
        print(f"pinner {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Show the version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Pin container image references to content digests, in place."""


Paths = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files or folders; folders are searched for every kind of file pinner reads"
        " (Dockerfiles, compose files, GitHub Actions, GitLab CI and other CI files,"
        " Kubernetes manifests, dev containers, quadlet units; the README lists their"
        " names). Default: the current folder.",
        show_default=False,
    ),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print a unified diff of the changes; write nothing.")
]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Like --dry-run, and exit 1 when anything would change.")
]
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        help="text for people; json, markdown or github (annotations: GitHub's workflow"
        " commands) print only the report on stdout.",
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, max=256, help="Registry requests at once [default: 16]."),
]
ReportJobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        max=256,
        help="Twice this many registry requests at once [default: 16].",
    ),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only errors and what a check found.")
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also list stage names and scratch, left alone.")
]
ResolverOption = Annotated[
    ResolverName | None,
    typer.Option(
        "--resolver",
        help="registry: the OCI API directly (default); docker: ask the Docker Engine.",
    ),
]
ForceExclude = Annotated[
    bool,
    typer.Option(
        "--force-exclude",
        help="Apply the exclude of .pinner.yaml to files named on the command line too"
        " (as the pre-commit hooks do).",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file for every path [default: for each path, the .pinner.yaml"
        " of the nearest folder at or above it, up to its repository's root].",
    ),
]


class BumpLevel(str, enum.Enum):
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


BumpOption = Annotated[
    BumpLevel | None,
    typer.Option(
        "--bump",
        help="Also move each pinned image to the newest tag on its track within this level"
        " (3.12 -> 3.13 is minor), checked by build date, platforms and family. Also"
        " `bump:` in .pinner.yaml.",
    ),
]
Also = Annotated[
    list[str] | None,
    typer.Option(
        "--also",
        metavar="FORMAT:FILE",
        help="Also write the report in FORMAT (json, markdown, github, text) to FILE;"
        " repeatable. For CI: a JSON summary beside the Markdown body.",
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="References pinner has to skip (variables, templates, expressions, block"
        " scalars) are findings: exit 1. Also `strict: true` in .pinner.yaml.",
    ),
]


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def _rewriting_command(name: str, summary: str, examples: tuple[str, ...]) -> None:
    """Register ``pin`` or ``update``: the same options, a different job."""

    def command(
        paths: Paths = None,
        dry_run: DryRun = False,
        check: CheckOption = False,
        output: FormatOption = Format.TEXT,
        jobs: Jobs = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
        resolver: ResolverOption = None,
        config: ConfigOption = None,
        force_exclude: ForceExclude = False,
        strict: Strict = False,
        also: Also = None,
        bump: BumpOption = None,
    ) -> None:
        _start_listing(paths)
        if bump is not None and name != "update":
            raise typer.BadParameter("only update and check --stale bump tags", param_hint="--bump")
        from pinner.outcome import Command, Mode

        _run(
            Command(name),
            paths,
            Mode.CHECK if check else Mode.DRY_RUN if dry_run else Mode.WRITE,
            output=output,
            jobs=jobs,
            quiet=quiet,
            verbose=verbose,
            resolver=resolver,
            config_path=config,
            force_exclude=force_exclude,
            strict=strict,
            also=also,
            bump=bump.value if bump is not None else "",
        )

    app.command(name, help=summary, epilog=_examples(*examples))(command)


_rewriting_command(
    "pin",
    "Add the digest each image's tag points to, in place: python:3.12 becomes"
    " python:3.12@sha256:...; untagged images are written name:latest@sha256:....",
    (
        "pinner pin                      # every file here that names images",
        "pinner pin --dry-run Dockerfile # show the diff, write nothing",
        "pinner pin --check              # exit 1 while anything is unpinned",
    ),
)
_rewriting_command(
    "update",
    "Look up the tag of every reference, pinned or not: replace digests whose tag"
    " has moved and pin the unpinned. A per-platform pin stays per-platform.",
    (
        "pinner update                   # refresh every digest here, in place",
        "pinner update --dry-run         # show what would move",
        "pinner update --format markdown # a pull-request body on stdout",
    ),
)


@app.command(
    epilog=_examples(
        "pinner check                    # offline: exit 1 while anything is unpinned",
        "pinner check --stale            # also ask registries: stale, missing",
    )
)
def check(
    paths: Paths = None,
    stale: Annotated[
        bool,
        typer.Option(
            "--stale",
            help="Also ask the registry whether each pinned digest is current, stale or missing.",
        ),
    ] = False,
    output: FormatOption = Format.TEXT,
    jobs: Jobs = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    resolver: ResolverOption = None,
    config: ConfigOption = None,
    force_exclude: ForceExclude = False,
    strict: Strict = False,
    also: Also = None,
    bump: BumpOption = None,
) -> None:
    """List every reference without a digest and exit 1 if there is one. Offline
    unless --stale: no network, for the pre-commit hook."""
    _start_listing(paths)
    from pinner.outcome import Command, Mode

    # A check writes nothing; its exit code says whether it found work.
    _run(
        Command.CHECK,
        paths,
        Mode.CHECK,
        output=output,
        jobs=jobs,
        quiet=quiet,
        verbose=verbose,
        resolver=resolver,
        config_path=config,
        stale=stale,
        force_exclude=force_exclude,
        strict=strict,
        also=also,
        bump=bump.value if bump is not None else "",
    )


# report reads about three small documents per image where pin makes one
# request: it keeps up to twice --jobs requests at once, so that a report
# takes not much longer per image than a pin.
_REPORT_REQUESTS_PER_JOB = 2
_IMAGES_PER_WORKER = 4  # report: images under way per request slot


@app.command(
    "report",
    epilog=_examples(
        "pinner report                       # every base image here, with advice",
        "pinner report --format markdown     # for a pull request or a wiki page",
    ),
)
def report_command(
    paths: Paths = None,
    output: FormatOption = Format.TEXT,
    all_platforms: Annotated[
        bool,
        typer.Option("--all-platforms", help="Read every platform's config, not the first's."),
    ] = False,
    jobs: ReportJobs = None,
    config: ConfigOption = None,
    force_exclude: ForceExclude = False,
) -> None:
    """Every base image the files name: family, libc, size per platform, age,
    where it is used, and advice. Writes nothing."""
    import datetime
    import functools

    from pinner import base_report
    from pinner.pipeline import scan_files
    from pinner.resolve.batch import FanOut, in_parallel
    from pinner.resolve.registry import RegistryResolver

    settings, governed = _settings(config, jobs, force_exclude, paths or [])
    at_once = settings.jobs * _REPORT_REQUESTS_PER_JOB
    # Only the registry resolver reads manifests and configs; its connection
    # pools hold as many connections as there are requests at once.
    looker = _resolver_factory("registry", settings._replace(jobs=at_once))()
    assert isinstance(looker, RegistryResolver)

    def warm_up(site: Site) -> None:
        # Each host's TLS handshake and challenge while the other files are scanned.
        if site.reference is not None:
            looker.warm_up(site.reference.api_host)

    # Every request is made on the fan-out's workers. An image's requests
    # follow one another (its tag's manifest, then its platforms', then a
    # config), so more images than workers are under way at once, to keep
    # every worker busy.
    fan_out = FanOut(at_once)
    facts = functools.partial(looker.image_facts, all_configs=all_platforms, fan_out=fan_out)
    with leave_on_interrupt(), closed_after(fan_out, looker):
        files, problems = scan_files(paths or [], settings, warm_up, governed)
        found = base_report.entries([(file.sites, _stages(file)) for file in files])
        # One token request per host for all of its images, as pin does.
        looker.prepare(entry.reference for entry in found if entry.reference is not None)
        work = {
            index: functools.partial(
                base_report.look_up, entry, looker.resolve, facts, fan_out.start
            )
            for index, entry in enumerate(found)
        }
        answered = in_parallel(work, at_once * _IMAGES_PER_WORKER)
    report = base_report.with_stage_bases([answered[index] for index in range(len(found))])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    render = {
        Format.TEXT: base_report.as_text,
        Format.JSON: base_report.as_json,
        Format.MARKDOWN: base_report.as_markdown,
        Format.GITHUB: base_report.as_github,
    }[output]
    sys.stdout.write(render(report, today))
    for problem in problems:
        print(problem, file=sys.stderr)
    for entry in report:
        if entry.error:
            print(f"{', '.join(entry.used_at)}: {entry.name}: {entry.error}", file=sys.stderr)
    failed = problems or any(entry.error for entry in report)
    raise typer.Exit(2 if failed else 0)


def _stages(file: FileResult) -> list[Stage]:
    """A Dockerfile's build stages; none for other files."""
    from pinner.kinds.dockerfile import build_stages
    from pinner.site import SiteKind

    if not any(site.kind is SiteKind.FROM for site in file.sites):
        return []
    return build_stages(file.path, file.text)


@app.command(
    "resolve",
    epilog=_examples(
        "pinner resolve python:3.12            # python:3.12@sha256:... (the index)",
        "pinner resolve --platform linux/arm64 python:3.12",
        "pinner resolve --format json nginx:1.25 redis:7",
    ),
)
def resolve_command(
    references: Annotated[
        list[str], typer.Argument(help="Image references, as a Dockerfile names them.")
    ],
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            help="os/arch[/variant]: that platform's manifest digest, not the index's.",
        ),
    ] = None,
    output: Annotated[
        ResolveFormat,
        typer.Option("--format", help="text: one line per reference; json; github (annotations)."),
    ] = ResolveFormat.TEXT,
    jobs: Jobs = None,
    resolver: ResolverOption = None,
    config: ConfigOption = None,
) -> None:
    """Print each reference with the digest its tag points to now, one per line.
    Writes nothing; exit 2 names what could not be resolved."""
    import json

    from pinner.lookup import resolve_all
    from pinner.resolve.errors import DaemonUnavailableError
    from pinner.resolve.manifest import Platform

    wanted = None
    if platform is not None:
        wanted = Platform.parse(platform)
        if wanted is None:
            raise typer.BadParameter("expected os/arch[/variant]", param_hint="--platform")
    settings, _ = _settings(config, jobs)
    chosen = resolver.value if resolver is not None else settings.resolver
    try:
        with leave_on_interrupt():
            looker = _resolver_factory(chosen, settings)()
            with closed_after(looker):
                results = resolve_all(references, looker, wanted, settings.jobs)
    except DaemonUnavailableError as error:
        print(f"pinner: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    failed = [result for result in results if result.error is not None]
    if output is ResolveFormat.JSON:
        document = {
            "references": [
                {
                    "reference": result.text,
                    "pinned": result.pinned if result.digest else None,
                    "digest": result.digest,
                    "platform": str(wanted) if wanted else None,
                    "error": result.error,
                    "note": result.note,
                }
                for result in results
            ],
            "exit_code": 2 if failed else 0,
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif output is ResolveFormat.GITHUB:
        from pinner.report.github import annotation

        title = "pinner resolve"
        for result in results:
            if result.error is not None:
                print(annotation("error", f"{result.text}: {result.error}", title=title))
            elif result.note is not None:
                print(annotation("warning", f"{result.text}: {result.note}", title=title))
            else:
                print(annotation("notice", result.pinned, title=title))
    else:
        for result in results:
            if result.digest is not None:
                print(result.pinned)
    for result in results:
        if result.note is not None:
            print(f"{result.text}: {result.note}", file=sys.stderr)
    for result in failed:
        print(f"{result.text}: {result.error}", file=sys.stderr)
    raise typer.Exit(2 if failed else 0)


def _start_listing(paths: list[str] | None) -> None:
    """git lists the files while the modules the command needs are imported."""
    from pinner.discover import start_listing

    start_listing(paths or [])


def _settings(
    config_path: Path | None,
    jobs: int | None,
    force_exclude: bool = False,
    paths: Sequence[str] = (),
) -> tuple[Config, dict[str, Config]]:
    """The configuration of the run (its first path's) and that of each path,
    with the command line's options; a bad one ends the run (exit 2)."""
    from pinner.files import FileError

    try:
        return _configurations(config_path, paths, jobs, force_exclude)
    except FileError as error:
        print(f"pinner: {error}", file=sys.stderr)
        raise typer.Exit(2) from None


def _configurations(
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


def _run(
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
        raise typer.BadParameter("--quiet and --verbose cannot go together", param_hint="--quiet")
    more = _parse_also(also)
    if bump and command is Command.CHECK and not stale:
        raise typer.BadParameter("check looks for bumps only with --stale", param_hint="--bump")

    def report(outcome: Outcome, prefix: str = "") -> None:
        _print(outcome, output, quiet, verbose, prefix)
        _write_also(outcome, more, quiet, verbose)

    try:
        config, governed = _configurations(
            config_path, paths or [], jobs, force_exclude, strict, bump
        )
    except FileError as error:
        # Still one report, with the error in it: a JSON reader gets a document.
        failed = Outcome(command, mode, [], [error], tuple(paths or ()))
        report(failed, prefix="pinner: ")
        raise typer.Exit(2) from None
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
                _resolver_factory(chosen, config),
                stale=stale,
                progress=progress,
                governed=governed,
            )
    except DaemonUnavailableError as error:
        failed = Outcome(command, mode, [], [], tuple(paths or ()), errors=[str(error)])
        report(failed)
        raise typer.Exit(2) from None
    report(outcome)
    raise typer.Exit(outcome.exit_code())


def _resolver_factory(name: str, config: Config) -> Callable[[], Resolver]:
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


def _print(outcome: Outcome, output: Format, quiet: bool, verbose: bool, prefix: str = "") -> None:
    """The report; ``prefix`` goes before each error line (``pinner: `` when the
    run stopped before reading any file)."""
    from pinner.outcome import Command, Mode
    from pinner.report.text import coloured_diff, report_lines

    if output is not Format.TEXT:
        sys.stdout.write(_rendered(outcome, output, quiet, verbose))
    elif outcome.mode is not Mode.WRITE and outcome.command is not Command.CHECK:
        colour = _colour(sys.stdout)
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
        colour = _colour(stream)
        if colour not in lines_by_colour:
            lines_by_colour[colour] = report_lines(
                outcome, quiet=quiet, verbose=verbose, colour=colour
            )
        for line, error in lines_by_colour[colour]:
            if (sys.stderr if error else findings_out) is stream:
                print(prefix + line if error else line, file=stream)
    for message in outcome.errors:
        print(f"pinner: {message}", file=sys.stderr)


def _rendered(outcome: Outcome, output: Format, quiet: bool, verbose: bool) -> str:
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


def _write_also(
    outcome: Outcome, also: list[tuple[Format, Path]], quiet: bool, verbose: bool
) -> None:
    """Each report ``--also`` asks for, to its file; a file that cannot be
    written is one line and exit 2."""
    for output, path in also:
        try:
            path.write_text(_rendered(outcome, output, quiet, verbose), encoding="utf-8")
        except OSError as error:
            print(f"pinner: {path}: cannot write: {error.strerror or error}", file=sys.stderr)
            raise typer.Exit(2) from None


def _parse_also(values: list[str] | None) -> list[tuple[Format, Path]]:
    found = []
    for value in values or []:
        name, separator, path = value.partition(":")
        try:
            output = Format(name)
        except ValueError:
            output = None
        if not separator or not path or output is None:
            formats = ", ".join(f.value for f in Format)
            raise typer.BadParameter(f"expected FORMAT:FILE ({formats})", param_hint="--also")
        found.append((output, Path(path)))
    return found


def _colour(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        app(args=list(argv) if argv is not None else None, prog_name="pinner")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    return 0
