"""Run scan -> look up (fake) -> plan -> apply on a text, as the pipeline does."""

from __future__ import annotations

import re
from collections.abc import Callable

from pinner import plan
from pinner.edit import apply_edits
from pinner.kinds.compose import scan_compose
from pinner.kinds.dockerfile import scan_dockerfile
from pinner.kinds.github_actions import scan_action, scan_workflow
from pinner.kinds.gitlab_ci import scan
from pinner.kinds.kubernetes import scan_manifest
from pinner.resolve.errors import ResolveError
from pinner.site import Site, Verdict
from tests.support.fake import FakeResolver, fake_digest

SCANNERS: dict[str, Callable[[str, str], list[Site]]] = {
    "dockerfile": scan_dockerfile,
    "compose": scan_compose,
    "github-workflow": scan_workflow,
    "github-action": scan_action,
    "kubernetes": lambda path, text: scan_manifest(path, text),
    "gitlab-ci": lambda path, text: scan(path, text)[0],
}


def pin_text(
    text: str,
    resolver: FakeResolver | None = None,
    *,
    compose: bool = False,
    kind: str = "dockerfile",
) -> str:
    scanner = SCANNERS["compose" if compose else kind]
    sites = scanner("file", text)
    resolver = resolver or FakeResolver()
    edits = []
    for site in sites:
        if site.verdict is Verdict.PIN and site.reference is not None:
            answer: str | ResolveError
            try:
                answer = resolver.resolve(site.reference)
            except ResolveError as error:
                answer = error
            result = plan.pin(site, answer)
            if result.edit is not None:
                edits.append(result.edit)
    return apply_edits(text, edits)


def expand_pins(expected: str) -> str:
    """Replace each ``@PIN(ref)`` by ``@`` and the fake digest of ``ref``."""
    return re.sub(r"@PIN\(([^)]*)\)", lambda m: "@" + fake_digest(m.group(1)), expected)
