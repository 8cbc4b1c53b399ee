"""Reports of an outcome: text for people, JSON for programs, Markdown for pull requests."""

from __future__ import annotations

from pinner.outcome import SiteResult


def shown(result: SiteResult) -> str:
    """The reference as written, and the image it stands for when that differs."""
    site = result.site
    if site.reference is None or site.reference.original == site.text:
        return site.text
    return f"{site.text} ({site.reference.original})"


def short(digest: str | None) -> str:
    """``sha256:`` and the first 12 hex digits, as registries' web pages show them."""
    return "" if digest is None else digest[: len("sha256:") + 12]
