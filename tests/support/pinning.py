"""Run scan -> look up (fake) -> plan -> apply on a text, as the pipeline does."""

from __future__ import annotations

import re

from pinner import plan
from pinner.compose import scan_compose
from pinner.dockerfile import scan_dockerfile
from pinner.edit import apply_edits
from pinner.resolve.errors import ResolveError
from pinner.site import Verdict
from tests.support.fake import FakeResolver, fake_digest


def pin_text(text: str, resolver: FakeResolver | None = None, *, compose: bool = False) -> str:
    sites = scan_compose("compose.yaml", text) if compose else scan_dockerfile("Dockerfile", text)
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
