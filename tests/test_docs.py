"""The documents users read stay true to the code."""

from __future__ import annotations

import re

import yaml

from pinner.outcome import Status
from pinner.site import SiteKind, Verdict
from tests.conftest import REPO_ROOT


def test_json_report_doc_lists_every_status_kind_and_verdict() -> None:
    doc = (REPO_ROOT / "docs" / "json-report.md").read_text()
    for status in Status:
        assert f"| `{status.value}` |" in doc, status
    for kind in SiteKind:
        assert f"`{kind.value}`" in doc, kind
    for verdict in Verdict:
        assert f"`{verdict.value}`" in doc, verdict


def test_example_workflow_runs_update_weekly_and_opens_a_pull_request() -> None:
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "refresh-digests.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert re.fullmatch(r"\S+ \S+ \* \* \d", triggers["schedule"][0]["cron"])
    steps = workflow["jobs"]["refresh"]["steps"]
    pinner = next(step for step in steps if step.get("id") == "pinner")
    assert pinner["with"] == {"command": "update", "format": "markdown"}
    pull_request = next(s for s in steps if "create-pull-request" in s.get("uses", ""))
    assert pull_request["with"]["body-path"] == "${{ steps.pinner.outputs.report }}"


def test_readme_documents_the_hooks_and_the_workflow() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for needle in ("pin-bases", "pin-bases-check", "examples/refresh-digests.yml", ".pinner.yaml"):
        assert needle in readme, needle
