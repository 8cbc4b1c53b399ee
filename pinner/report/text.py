"""The human-readable report: one line per thing worth saying, and a summary."""

from __future__ import annotations

from pinner.outcome import BROKEN, FINDINGS, Command, Mode, Outcome, SiteResult, Status
from pinner.report import shown
from pinner.site import Verdict

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1"}


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if enabled else text


def coloured_diff(diff: str, enabled: bool) -> str:
    if not enabled:
        return diff
    lines = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            lines.append(paint(line.rstrip("\n"), "bold", True) + "\n")
        elif line.startswith("+"):
            lines.append(paint(line.rstrip("\n"), "green", True) + "\n")
        elif line.startswith("-"):
            lines.append(paint(line.rstrip("\n"), "red", True) + "\n")
        elif line.startswith("@@"):
            lines.append(paint(line.rstrip("\n"), "cyan", True) + "\n")
        else:
            lines.append(line)
    return "".join(lines)


# Listed only with --verbose: what needs nothing from the user, and values
# under image: that pinner has no rule for (findings with --strict).
_VERBOSE_ONLY = (Verdict.STAGE, Verdict.SCRATCH, Verdict.NOT_READ)


def text_report(
    outcome: Outcome, *, quiet: bool = False, verbose: bool = False, colour: bool = False
) -> list[str]:
    """Every line of the report: errors and findings always; the rest unless quiet."""
    return [line for line, _ in report_lines(outcome, quiet=quiet, verbose=verbose, colour=colour)]


def report_lines(
    outcome: Outcome, *, quiet: bool = False, verbose: bool = False, colour: bool = False
) -> list[tuple[str, bool]]:
    """The report's lines, each with whether it is an error (something that
    could not be read, looked up or written).

    Stage names and ``scratch``, which are never looked up and need nothing
    from the user, are listed only when verbose; so are ``current``
    references, which need nothing either, and values pinner has no rule
    for (unless they are findings under strict).
    """
    lines = [(paint(str(problem), "red", colour), True) for problem in outcome.problems]
    if verbose:
        lines += [
            (f"{path}: not read: none of the kinds pinner reads", False) for path in outcome.unread
        ]
    strict = {id(result) for result in outcome.strict_findings}
    for result in outcome.results:
        if verbose and result.bump is not None:
            lines += [
                (f"{result.site.location}: passed over {tag} for {shown(result)}: {why}", False)
                for tag, why in result.bump.passed_over
            ]
        if id(result) in strict:
            line: str | None = paint(_skipped(result) + " (a finding: strict)", "yellow", colour)
        elif not verbose and (
            result.site.verdict in _VERBOSE_ONLY or result.status is Status.CURRENT
        ):
            continue
        else:
            line = _line(result, outcome, quiet, colour)
        if line is not None:
            lines.append((line, result.status is Status.ERROR))
    if not quiet and not outcome.errors:  # a run that stopped early has nothing to sum up
        lines.append((_summary(outcome), False))
    return lines


def _line(result: SiteResult, outcome: Outcome, quiet: bool, colour: bool) -> str | None:
    where = result.site.location
    name = shown(result)
    writes = outcome.mode is Mode.WRITE
    status = result.status
    if status is Status.ERROR:
        if result.site.verdict is Verdict.INVALID:  # the message quotes the reference
            return paint(f"{where}: {result.message}", "red", colour)
        return paint(f"{where}: {name}: {result.message}", "red", colour)
    if quiet and status not in FINDINGS:
        return None
    note = f" ({result.message})" if result.message else ""
    if status is Status.ADDED:
        verb = "pinned" if writes else "would pin"
        if result.added_latest:
            return (
                f"{where}: {name} has no tag, so it follows 'latest': {verb}"
                f" {result.site.text}:latest@{result.new_digest}"
            )
        return f"{where}: {verb} {name} to {result.new_digest}"
    if status is Status.UPDATED:
        verb = "updated" if writes else "would update"
        return f"{where}: {verb} {name}: {result.old_digest} -> {result.new_digest}{note}"
    if status is Status.BUMPED and result.bump is not None:
        verb = "bumped" if writes else "would bump"
        if outcome.command is Command.CHECK:
            verb = "bump available for"
        brings = result.change.describe() if result.change else ""
        text = (
            f"{where}: {verb} {name}: tag {result.bump.old_tag} -> {result.bump.new_tag},"
            f" {result.old_digest} -> {result.new_digest}" + (f" ({brings})" if brings else "")
        )
        return paint(text, "yellow", colour) if outcome.command is Command.CHECK else text
    if status is Status.UNPINNED:
        return paint(f"{where}: {name} has no digest", "yellow", colour)
    if status is Status.STALE:
        moved = f"tag moved from {result.old_digest} to {result.tag_digest or result.new_digest}"
        if result.tag_digest and result.tag_digest != result.new_digest:
            moved += f"; update would write {result.new_digest}{note}"
        return paint(f"{where}: stale {name}: {moved}", "yellow", colour)
    if status in BROKEN:
        now = f" (the tag now points to {result.new_digest})" if result.new_digest else ""
        return paint(f"{where}: {status.value} {name}: {result.message}{now}", "yellow", colour)
    if status is Status.CURRENT:
        return f"{where}: current {name}{note}"
    if status is Status.SKIPPED:
        return _skipped(result)
    return None


def _skipped(result: SiteResult) -> str:
    return f"{result.site.location}: skipped {shown(result)}: {result.message}"


def _summary(outcome: Outcome) -> str:
    writes = outcome.mode is Mode.WRITE
    files = len(outcome.changed_files)
    found = outcome.counts()
    counts = {status: found.get(status, 0) for status in Status}
    parts = []
    if counts[Status.ADDED]:
        verb = "pinned" if writes else "would pin"
        parts.append(f"{verb} {_n(counts[Status.ADDED], 'reference')}")
    if counts[Status.UPDATED]:
        verb = "updated" if writes else "would update"
        parts.append(f"{verb} {_n(counts[Status.UPDATED], 'digest')}")
    if counts[Status.BUMPED] and outcome.command is not Command.CHECK:
        verb = "bumped" if writes else "would bump"
        parts.append(f"{verb} {_n(counts[Status.BUMPED], 'tag')}")
    if parts:
        parts[-1] += f" in {_n(files, 'file')}"
    if counts[Status.BUMPED] and outcome.command is Command.CHECK:
        parts.append(f"{_n(counts[Status.BUMPED], 'tag bump')} available")
    for status in (Status.UNPINNED, Status.STALE, *sorted(BROKEN), Status.CURRENT):
        if counts[status] and (status is not Status.CURRENT or outcome.command is Command.CHECK):
            parts.append(f"{counts[status]} {status.value}")
    invalid = sum(r.site.verdict is Verdict.INVALID for r in outcome.results)
    if invalid:
        parts.append(f"{_n(invalid, 'invalid reference')}")
    strict = len(outcome.strict_findings)
    if strict:
        parts.append(f"{_n(strict, 'reference')} skipped, findings under strict")
    unwritten = sum(r.unwritten for r in outcome.results)
    if counts[Status.ERROR] - invalid - unwritten:
        failed = counts[Status.ERROR] - invalid - unwritten
        parts.append(f"{_n(failed, 'reference')} could not be looked up")
    if outcome.problems:
        parts.append(f"{_n(len(outcome.problems), 'file')} could not be read")
    if outcome.unwritten_files:
        parts.append(f"could not write {_n(len(outcome.unwritten_files), 'file')}")
    if not outcome.files and not outcome.problems:
        where = " ".join(outcome.paths) or "."
        return f"no file of the kinds pinner reads under {where}"
    if not parts:
        parts.append(_nothing_left(outcome.command, counts[Status.PINNED]))
    return "; ".join(parts)


def _nothing_left(command: Command, pinned: int) -> str:
    if command is Command.PIN:
        return "nothing to pin"
    if command is Command.CHECK:
        return f"all {_n(pinned, 'reference')} pinned" if pinned else "no image reference to check"
    return "nothing to do"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
