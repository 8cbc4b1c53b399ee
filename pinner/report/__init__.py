"""Reports of an outcome: text for people, JSON for programs, Markdown for pull requests."""

from __future__ import annotations

from pinner.outcome import SiteResult


def shown(result: SiteResult) -> str:
    """The reference as written, and the image it stands for when that differs,
    on one line (a block scalar's line breaks escaped)."""
    site = result.site
    if site.reference is None or site.reference.original == site.text:
        return one_line(site.text)
    return one_line(f"{site.text} ({site.reference.original})")


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def short(digest: str | None) -> str:
    """``sha256:`` and the first 12 hex digits, as registries' web pages show them."""
    return "" if digest is None else digest[: len("sha256:") + 12]
