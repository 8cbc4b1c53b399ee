"""Run scan -> look up (fake) -> plan -> apply on a text, as the pipeline does."""

from __future__ import annotations

import re

from pinner import plan
from pinner.edit import apply_edits
from pinner.kinds import BY_NAME
from pinner.resolve.errors import ResolveError
from pinner.site import Site, Verdict
from tests.support.fake import FakeResolver, fake_digest


def scan_as(kind: str, path: str, text: str) -> list[Site]:
    """The sites the table's scanner for ``kind`` finds (none: not that kind)."""
    scanned = BY_NAME[kind].scan(path, text)
    return scanned[0] if scanned is not None else []


def pin_text(
    text: str,
    resolver: FakeResolver | None = None,
    *,
    compose: bool = False,
    kind: str = "dockerfile",
) -> str:
    sites = scan_as("compose" if compose else kind, "file", text)
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
