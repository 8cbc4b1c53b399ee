"""pinner's entry point.

The pre-commit hooks run ``pinner pin --force-exclude FILE...`` and
``pinner check --quiet --force-exclude FILE...`` on every commit, where most
of a run is Python starting up. Importing Typer and building its commands
costs 40-50 ms (a third of such a run), so a command line made of nothing
but a file command (pin, update, check), flags that take no value and paths
is read here. Every other one goes to Typer (pinner/typer_app.py), which
also gives help and usage errors. Both call ``commands.run_files`` with the
same arguments; tests/test_cli_entry.py compares them for each such line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# The flags that take no value, and the parameter each sets.
_COMMON_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "-v": "verbose",
    "--verbose": "verbose",
    "--force-exclude": "force_exclude",
    "--strict": "strict",
}
_FLAGS = {
    "pin": {**_COMMON_FLAGS, "--dry-run": "dry_run", "--check": "check"},
    "update": {**_COMMON_FLAGS, "--dry-run": "dry_run", "--check": "check"},
    "check": {**_COMMON_FLAGS, "--stale": "stale"},
}


class PlainCommand:
    """A file command's line with flags and paths only."""

    __slots__ = ("flags", "name", "paths")

    def __init__(self, name: str, paths: list[str], flags: dict[str, bool]) -> None:
        self.name = name
        self.paths = paths
        self.flags = flags


def plain_command(arguments: Sequence[str]) -> PlainCommand | None:
    """The command line read as a plain file command, or None for Typer to read."""
    if not arguments or arguments[0] not in _FLAGS:
        return None
    name, flags = arguments[0], _FLAGS[arguments[0]]
    paths: list[str] = []
    chosen: set[str] = set()
    words = iter(arguments[1:])
    for word in words:
        if word == "--":
            paths.extend(words)
            break
        if word.startswith("-") and word != "-":
            parameter = flags.get(word)
            if parameter is None:
                return None  # an option with a value, help, a typo: Typer's to read
            chosen.add(parameter)
        else:
            paths.append(word)
    if {"quiet", "verbose"} <= chosen:
        return None  # a usage error, which Typer says
    return PlainCommand(
        name, paths, {parameter: parameter in chosen for parameter in flags.values()}
    )


def run_plain(plain: PlainCommand) -> None:
    """Run it as Typer's command would, with every other option at its default."""
    from pinner import commands

    paths = plain.paths or None
    commands.start_listing(paths)
    from pinner.outcome import Command, Mode

    flags = plain.flags
    if plain.name == "check":
        mode = Mode.CHECK
    else:
        mode = Mode.CHECK if flags["check"] else Mode.DRY_RUN if flags["dry_run"] else Mode.WRITE
    commands.run_files(
        Command(plain.name),
        paths,
        mode,
        output=commands.Format.TEXT,
        jobs=None,
        quiet=flags["quiet"],
        verbose=flags["verbose"],
        resolver=None,
        config_path=None,
        force_exclude=flags["force_exclude"],
        strict=flags["strict"],
        also=None,
        bump="",
        stale=flags.get("stale", False),
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    plain = plain_command(arguments)
    try:
        if plain is not None:
            run_plain(plain)
        else:
            from pinner.typer_app import app

            app(args=arguments, prog_name="pinner")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    except KeyboardInterrupt:  # before the run took over Ctrl-C (while importing, say)
        print("pinner: interrupted", file=sys.stderr)
        return 130
    return 0
