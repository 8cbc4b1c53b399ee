"""Turn an outcome into the lines people read (pure)."""

from __future__ import annotations

from pinner.pipeline import FileResult, Mode, Outcome
from pinner.site import Site, Verdict

_SKIPPED = frozenset(
    {
        Verdict.STAGE,
        Verdict.SCRATCH,
        Verdict.VARIABLE,
        Verdict.DIGEST_ONLY,
        Verdict.IGNORED,
        Verdict.HEREDOC,
    }
)


def text_report(outcome: Outcome, *, quiet: bool = False) -> list[str]:
    """Messages for stderr: errors always; pins, skips and a summary unless quiet."""
    lines = [str(problem) for problem in outcome.problems]
    for result in outcome.files:
        lines.extend(_file_lines(result, outcome.mode, quiet))
    if not quiet:
        lines.append(_summary(outcome))
    return lines


def _file_lines(result: FileResult, mode: Mode, quiet: bool) -> list[str]:
    verb = "pinned" if mode is Mode.WRITE else "would pin"
    pins = {planned.site.start: planned for planned in result.pins}
    failures = {failure.site.start: failure for failure in result.failures}
    lines = []
    for site in result.sites:
        where = site.location
        if site.start in failures:
            lines.append(f"{where}: {_shown(site)}: {failures[site.start].error.message}")
        elif site.verdict is Verdict.INVALID:
            lines.append(f"{where}: {site.reason}")
        elif quiet:
            continue
        elif site.start in pins:
            planned = pins[site.start]
            shown = _shown(site)
            if planned.added_latest:
                lines.append(
                    f"{where}: {shown} has no tag, so it follows 'latest': {verb}"
                    f" {site.text}:latest@{planned.digest}"
                )
            else:
                lines.append(f"{where}: {verb} {shown} to {planned.digest}")
        elif site.verdict in _SKIPPED:
            lines.append(f"{where}: skipped {site.text}: {site.reason}")
    return lines


def _shown(site: Site) -> str:
    """The text as written, and the image it stands for when that differs."""
    if site.reference is None or site.reference.original == site.text:
        return site.text
    return f"{site.text} ({site.reference.original})"


def _summary(outcome: Outcome) -> str:
    pinned = sum(len(result.pins) for result in outcome.files)
    files = len(outcome.changed_files)
    verb = "pinned" if outcome.mode is Mode.WRITE else "would pin"
    parts = [
        f"{verb} {pinned} reference{_s(pinned)} in {files} file{_s(files)}"
        if pinned
        else "nothing to pin"
    ]
    failed = len(outcome.failures) + len(outcome.invalid_sites)
    if failed:
        parts.append(f"{failed} reference{_s(failed)} could not be pinned")
    if outcome.problems:
        parts.append(f"{len(outcome.problems)} file{_s(len(outcome.problems))} could not be read")
    return "; ".join(parts)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
