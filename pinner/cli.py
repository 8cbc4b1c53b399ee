"""The command line: a thin Typer layer over the pipeline."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from pinner import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Pin container image references in Dockerfiles to content digests.",
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
            "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Pin container image references in Dockerfiles to content digests."""


Paths = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files or folders. Folders are searched for Dockerfiles; default: the current folder.",
        show_default=False,
    ),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print a unified diff of the changes; write nothing.")
]
Check = Annotated[
    bool, typer.Option("--check", help="Like --dry-run, and exit 1 when anything would change.")
]
Jobs = Annotated[int, typer.Option("--jobs", "-j", min=1, max=256, help="Lookups at once.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]


@app.command(
    epilog="Examples:\n\n"
    "  pinner pin                      # every Dockerfile below the current folder\n\n"
    "  pinner pin --dry-run Dockerfile # show the diff, write nothing\n\n"
    "  pinner pin --check              # exit 1 while anything is unpinned"
)
def pin(
    paths: Paths = None,
    dry_run: DryRun = False,
    check: Check = False,
    jobs: Jobs = 16,
    quiet: Quiet = False,
) -> None:
    """Add the digest each image's tag points to, in place: FROM python:3.12 becomes
    FROM python:3.12@sha256:...; untagged images are written name:latest@sha256:...."""
    from pinner.pipeline import Mode
    from pinner.pipeline import pin as run_pin
    from pinner.report import text_report
    from pinner.resolve.registry import RegistryResolver

    mode = Mode.CHECK if check else Mode.DRY_RUN if dry_run else Mode.WRITE
    resolver = RegistryResolver(jobs=jobs)
    try:
        outcome = run_pin(paths or [], resolver, mode, jobs)
    except KeyboardInterrupt:
        # Files are replaced by rename, so none is left half-written.
        print("pinner: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    finally:
        resolver.close()
    if mode is not Mode.WRITE:
        for result in outcome.changed_files:
            sys.stdout.write(result.diff())
        sys.stdout.flush()
    for line in text_report(outcome, quiet=quiet):
        print(line, file=sys.stderr)
    raise typer.Exit(outcome.exit_code())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        app(args=list(argv) if argv is not None else None, prog_name="pinner")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    return 0
