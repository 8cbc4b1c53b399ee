"""Run scan -> resolve -> plan -> apply on a text, as the pipeline does."""

from __future__ import annotations

import re

from pinner.compose import scan_compose
from pinner.dockerfile import scan_dockerfile
from pinner.edit import apply_edits
from pinner.plan import plan_pins
from pinner.resolve.batch import resolve_all
from pinner.site import Verdict
from tests.support.fake import FakeResolver, fake_digest


def pin_text(text: str, resolver: FakeResolver | None = None, *, compose: bool = False) -> str:
    sites = scan_compose("compose.yaml", text) if compose else scan_dockerfile("Dockerfile", text)
    wanted = [s.reference for s in sites if s.verdict is Verdict.PIN and s.reference]
    resolutions = resolve_all(resolver or FakeResolver(), wanted, jobs=4)
    pins, _ = plan_pins(sites, resolutions)
    return apply_edits(text, (planned.edit for planned in pins))


def expand_pins(expected: str) -> str:
    """Replace each ``@PIN(ref)`` by ``@`` and the fake digest of ``ref``."""
    return re.sub(r"@PIN\(([^)]*)\)", lambda m: "@" + fake_digest(m.group(1)), expected)
