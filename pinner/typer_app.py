"""The command line: a thin Typer layer over the pipeline (pinner/commands.py).

Imports that reach the network (the registry client, the Docker SDK) happen
inside the commands that need them, so ``pinner check``, ``--help`` and
``--version`` never load an HTTP client. pinner/cli.py reads the pre-commit
hook's usual command lines without loading Typer at all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pinner import __version__, commands
from pinner.commands import BumpLevel, Format, ResolveFormat, ResolverName
from pinner.interrupts import closed_after, leave_on_interrupt

if TYPE_CHECKING:
    from pinner.kinds.dockerfile import Stage
    from pinner.outcome import Command, FileResult, Mode
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
        commands.start_listing(paths)
        if bump is not None and name != "update":
            raise typer.BadParameter("only update and check --stale bump tags", param_hint="--bump")
        from pinner.outcome import Command, Mode

        _run_files(
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
    commands.start_listing(paths)
    from pinner.outcome import Command, Mode

    # A check writes nothing; its exit code says whether it found work.
    _run_files(
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

    settings, governed = commands.settings(config, jobs, force_exclude, paths or [])
    at_once = settings.jobs * _REPORT_REQUESTS_PER_JOB
    # Only the registry resolver reads manifests and configs; its connection
    # pools hold as many connections as there are requests at once.
    looker = commands.resolver_factory("registry", settings._replace(jobs=at_once))()
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
    settings, _ = commands.settings(config, jobs)
    chosen = resolver.value if resolver is not None else settings.resolver
    try:
        with leave_on_interrupt():
            looker = commands.resolver_factory(chosen, settings)()
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


def _run_files(command: Command, paths: list[str] | None, mode: Mode, **options: Any) -> None:
    """commands.run_files, its usage errors said as Typer says them."""
    try:
        commands.run_files(command, paths, mode, **options)
    except commands.UsageError as error:
        raise typer.BadParameter(error.message, param_hint=error.option) from None
