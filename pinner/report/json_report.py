"""The JSON report: a stable schema, documented in docs/json-report.md."""

from __future__ import annotations

import json

from pinner.outcome import Outcome, SiteResult, Status
from pinner.reference import ImageReference

SCHEMA_VERSION = 3


def json_report(outcome: Outcome) -> str:
    counts = outcome.counts()
    document = {
        "version": SCHEMA_VERSION,
        "command": outcome.command.value,
        "mode": outcome.mode.value,
        "errors": outcome.errors,
        "sites": [_site(result) for result in outcome.results],
        "unread_files": outcome.unread,
        "file_errors": [
            {"file": problem.path, "line": problem.line, "message": problem.message, "on": "read"}
            for problem in outcome.problems
        ]
        + [
            {"file": file.path, "line": None, "message": file.write_error, "on": "write"}
            for file in outcome.unwritten_files
        ],
        "summary": {
            "files": len(outcome.files) + len(outcome.problems),
            "changed_files": sorted(file.path for file in outcome.changed_files),
            "unwritten_files": sorted(file.path for file in outcome.unwritten_files),
            **{status.value: counts.get(status, 0) for status in Status},
            "strict_findings": len(outcome.strict_findings),
            "exit_code": outcome.exit_code(),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _tag(reference: ImageReference | None) -> str | None:
    """The tag that is followed; none for a digest without a tag."""
    if reference is None or (reference.tag is None and reference.digest is not None):
        return None
    return reference.tracked_tag


def _site(result: SiteResult) -> dict[str, object]:
    site = result.site
    reference = site.reference
    return {
        "file": site.path,
        "line": site.line,
        "column": site.column,
        "kind": site.kind.value,
        "text": site.text,
        "reference": reference.original if reference is not None else None,
        "image": reference.repository if reference is not None else None,
        "tag": _tag(reference),
        "old_digest": result.old_digest,
        "new_digest": result.new_digest,
        "tag_digest": result.tag_digest or result.new_digest,
        "status": result.status.value,
        "verdict": site.verdict.value,
        "reason": result.message,
        "platform": site.platform or None,
        "bump": None
        if result.bump is None
        else {
            "from": result.bump.old_tag,
            "to": result.bump.new_tag or None,
            "passed_over": [
                {"tag": tag or None, "reason": why} for tag, why in result.bump.passed_over
            ],
        },
        "change": None
        if result.change is None
        else {
            "old_created": result.change.old_created,
            "new_created": result.change.new_created,
            "size_change": result.change.size_change,
            "platform": result.change.platform,
        },
    }
