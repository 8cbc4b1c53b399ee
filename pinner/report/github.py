"""GitHub workflow commands: one annotation per finding, where a reviewer
looks (the pull request's files, the run's summary), as linters' ``github``
output formats do (pure).

``::error`` for what could not be looked up or written and for pins a build
fails on or that need a decision; ``::warning`` for stale and unpinned
references and for skips that are findings under strict; ``::notice`` for
what was pinned or refreshed. Values are escaped as GitHub documents it:
``%``, carriage returns and line feeds everywhere, and ``:`` and ``,`` in
properties.
"""

from __future__ import annotations

from pinner.outcome import BROKEN, Outcome, SiteResult, Status, is_strict_finding
from pinner.report import shown


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    title: str | None = None,
) -> str:
    """``::level file=...,line=...,col=...,title=...::message``, escaped."""
    properties = [
        f"{name}={escape_property(str(value))}"
        for name, value in (("file", file), ("line", line), ("col", column), ("title", title))
        if value is not None
    ]
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{escape_data(message)}"


def github_report(outcome: Outcome) -> str:
    """One line per finding of a ``pin``, ``update`` or ``check`` run."""
    lines = [
        annotation(
            "error",
            problem.message,
            file=problem.path,
            line=problem.line,
            title="pinner: cannot read",
        )
        for problem in outcome.problems
    ]
    lines += [annotation("error", message, title="pinner") for message in outcome.errors]
    strict = {id(result) for result in outcome.strict_findings}
    for result in outcome.results:
        level = _level(result, id(result) in strict)
        if level is not None:
            site = result.site
            lines.append(
                annotation(
                    level,
                    _message(result),
                    file=site.path,
                    line=site.line,
                    column=site.column,
                    title=f"pinner: {_title(result)}",
                )
            )
    return "".join(line + "\n" for line in lines)


def _level(result: SiteResult, strict: bool) -> str | None:
    status = result.status
    if status is Status.ERROR or status in BROKEN:
        return "error"
    if status in (Status.STALE, Status.UNPINNED) or (strict and is_strict_finding(result)):
        return "warning"
    if status in (Status.ADDED, Status.UPDATED):
        return "notice"
    return None


def _title(result: SiteResult) -> str:
    if result.status is Status.SKIPPED:
        return "skipped (strict)"
    return str(result.status.value)


def _message(result: SiteResult) -> str:
    name = shown(result)
    status = result.status
    if status is Status.ADDED:
        return f"pinned {name} to {result.new_digest}"
    if status is Status.UPDATED:
        note = f" ({result.message})" if result.message else ""
        return f"updated {name}: {result.old_digest} -> {result.new_digest}{note}"
    if status is Status.UNPINNED:
        return f"{name} has no digest"
    if status is Status.STALE:
        moved_to = result.tag_digest or result.new_digest
        return f"{name}: the tag moved from {result.old_digest} to {moved_to}"
    return f"{name}: {result.message}"
