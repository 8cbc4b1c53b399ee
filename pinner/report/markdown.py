"""The Markdown report: a table that reads well as a pull-request body."""

from __future__ import annotations

from pinner.outcome import BROKEN, FAILING, UNDECIDED, Mode, Outcome, SiteResult, Status
from pinner.report import short, shown

_CHANGES = (
    Status.ADDED,
    Status.UPDATED,
    Status.BUMPED,
    Status.STALE,
    Status.UNPINNED,
    *sorted(BROKEN),
)


def markdown_report(outcome: Outcome) -> str:
    groups: dict[tuple[str, str, str, str], list[SiteResult]] = {}
    for result in outcome.results:
        if result.status in _CHANGES:
            key = (
                _image(result),
                result.old_digest or "",
                result.new_digest or "",
                result.status.value,
            )
            groups.setdefault(key, []).append(result)
    lines = [f"### pinner {outcome.command.value}: image digests", ""]
    if groups:
        lines += ["| Image | Old | New | Status | Files |", "| --- | --- | --- | --- | --- |"]
        for (image, old, new, status), results in groups.items():
            files = ", ".join(f"`{r.site.location}`" for r in results)
            old_cell = f"`{short(old)}`" if old else "—"
            new_cell = f"`{short(new)}`" if new else "—"
            lines.append(f"| `{image}` | {old_cell} | → {new_cell} | {status} | {files} |")
    else:
        lines.append(_nothing_to_change(outcome))
    brought: dict[tuple[str, str, str], str] = {}
    for result in outcome.results:
        if result.change is not None and result.change.describe():
            moved = (_image(result), result.old_digest or "", result.new_digest or "")
            brought.setdefault(moved, result.change.describe())
    if brought:
        lines += ["", "#### What the moved digests bring", ""]
        lines += [
            f"- `{image}` `{short(old)}` → `{short(new)}`: {text}"
            for (image, old, new), text in brought.items()
        ]
    bumped = [r for r in outcome.results if r.bump is not None and r.bump.new_tag]
    if bumped:
        lines += ["", "#### Tag bumps", ""]
        lines += [
            f"- `{_image(r)}`: `{r.bump.old_tag}` → `{r.bump.new_tag}`"
            + (f": {r.change.describe()}" if r.change and r.change.describe() else "")
            for r in bumped
            if r.bump is not None
        ]
    passed = [(r, tag, why) for r in outcome.results if r.bump for tag, why in r.bump.passed_over]
    if passed:
        lines += ["", "#### Newer tags passed over", ""]
        lines += [f"- `{_image(r)}` `{tag}`: {_cell(why)}" for r, tag, why in passed]
    # A pin kept per-platform names the index its tag points to and what was written.
    notes = [
        r
        for r in outcome.results
        if r.status in (Status.UPDATED, Status.STALE) and r.tag_digest not in (None, r.new_digest)
    ]
    if notes:
        lines += ["", "#### Kept per-platform", ""]
        lines += [f"- `{r.site.location}` `{shown(r)}`: {_cell(r.message)}" for r in notes]
    for heading, statuses in (
        ("A build will meet these", FAILING),
        ("Needs a decision (the pin is kept)", UNDECIDED),
    ):
        listed = [r for r in outcome.results if r.status in statuses]
        if listed:
            lines += ["", f"#### {heading}", ""]
            lines += [
                f"- `{r.site.location}` `{shown(r)}`: **{r.status.value}**: {_cell(r.message)}"
                for r in listed
            ]
    errors = [r for r in outcome.results if r.status is Status.ERROR and not r.unwritten]
    if errors or outcome.problems or outcome.errors:
        lines += ["", "#### Could not be checked", ""]
        lines += [f"- {_cell(message)}" for message in outcome.errors]
        lines += [f"- `{r.site.location}` `{shown(r)}`: {_cell(r.message)}" for r in errors]
        lines += [f"- `{_cell(str(problem))}`" for problem in outcome.problems]
    if outcome.unwritten_files:
        lines += ["", "#### Could not write", ""]
        lines += [
            f"- `{file.path}`: {_cell(file.write_error or '')}" for file in outcome.unwritten_files
        ]
    strict = outcome.strict_findings
    if strict:
        lines += ["", "#### Skipped, and findings under strict", ""]
        lines += [f"- `{r.site.location}` `{shown(r)}`: {_cell(r.message)}" for r in strict]
    skipped = outcome.count(Status.SKIPPED)
    if skipped:
        lines += [
            "",
            f"{skipped} reference{'s' if skipped != 1 else ''} left alone"
            " (stages, scratch, variables; see the text report for reasons).",
        ]
    if outcome.mode is not Mode.WRITE and outcome.changed_files:
        lines += ["", "_Dry run: no file was written._"]
    return "\n".join(lines) + "\n"


def _nothing_to_change(outcome: Outcome) -> str:
    """What an empty table means, saying no more than was checked."""
    if not outcome.files and not outcome.problems and not outcome.errors:
        return f"No file of the kinds pinner reads under `{' '.join(outcome.paths) or '.'}`."
    results = outcome.results
    if outcome.errors or outcome.problems or any(r.status is Status.ERROR for r in results):
        return "Nothing to change in what could be checked; what could not is listed below."
    references = [r for r in results if r.status in (Status.PINNED, Status.CURRENT)]
    if not references:
        return "No image reference to pin."
    if any(r.status is Status.PINNED for r in references):
        return (
            f"All {len(references)} image references are pinned; freshness not checked"
            " (run `pinner check --stale`)."
        )
    return f"All {len(references)} pinned image references are current."


def _image(result: SiteResult) -> str:
    reference = result.site.reference
    if reference is None:
        return result.site.text
    return reference.original.split("@")[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
