"""``pinner report``: every base image a repository names, what it is (family,
libc, size per platform, age) and advice on choosing better ones.

The entries are built from the scanned sites (pure) and the registry's
answers; the renderers are pure too.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pinner.families import image_kind
from pinner.reference import ImageReference, parse_reference
from pinner.resolve.errors import ResolveError
from pinner.resolve.facts import ImageFacts
from pinner.site import Site, SiteKind, Verdict

REPORT_VERSION = 1
_DOCKERFILE_FROM = (SiteKind.FROM,)


@dataclass
class Entry:
    name: str  # the reference as written, without a digest; a stage's name
    kind: str  # image, stage, scratch
    reference: ImageReference | None = None
    used_at: list[str] = field(default_factory=list)
    final: bool = False  # the base of a Dockerfile's final stage
    digest: str | None = None  # the pinned digest, or where the tag points now
    pinned: bool = False
    facts: ImageFacts | None = None
    error: str = ""
    advice: list[tuple[str, str]] = field(default_factory=list)

    @property
    def family(self) -> str:
        return image_kind(self.reference, self.facts.os if self.facts else None).family

    @property
    def libc(self) -> str:
        return image_kind(self.reference, self.facts.os if self.facts else None).libc


def entries(sites_by_file: list[list[Site]]) -> list[Entry]:
    """One entry per unique image (and per stage name, and scratch)."""
    found: dict[str, Entry] = {}
    for sites in sites_by_file:
        froms = [s for s in sites if s.kind in _DOCKERFILE_FROM]
        last = froms[-1] if froms else None
        for site in sites:
            entry = _entry_for(site, found)
            if entry is None:
                continue
            entry.used_at.append(site.location)
            entry.final = entry.final or site is last
    return sorted(found.values(), key=lambda e: (e.kind != "image", e.name))


def _entry_for(site: Site, found: dict[str, Entry]) -> Entry | None:
    if site.verdict is Verdict.SCRATCH:
        return found.setdefault("scratch", Entry("scratch", "scratch"))
    if site.verdict is Verdict.STAGE:
        return found.setdefault(f"stage {site.text.lower()}", Entry(site.text, "stage"))
    reference = site.reference
    if reference is None or site.verdict not in (
        Verdict.PIN,
        Verdict.PINNED,
        Verdict.DIGEST_ONLY,
        Verdict.IGNORED,
    ):
        return None
    key = f"{reference.lookup_key}@{reference.digest or ''}"
    written = reference.original.split("@")[0]
    entry = found.setdefault(key, Entry(written, "image", reference))
    entry.pinned = reference.digest is not None
    entry.digest = reference.digest
    return entry


def advice(entry: Entry, slim_tag: str | None) -> list[tuple[str, str]]:
    """Stable codes with one line each; ``slim_tag`` names an existing slim variant."""
    found: list[tuple[str, str]] = []
    reference = entry.reference
    if reference is None:
        return found
    tag = reference.tag
    if tag is None or tag == "latest" or not any(char.isdigit() for char in tag):
        found.append(
            (
                "floating-tag",
                f"{tag or 'no tag (latest)'} moves across major versions; name a version",
            )
        )
    if entry.family == "full" and entry.final:
        better = f"; {slim_tag} exists" if slim_tag else ""
        found.append(
            (
                "full-final-stage",
                "a full image is the base of the final stage: use it only to build,"
                f" and a slim or distroless image to run{better}",
            )
        )
    if entry.family == "alpine" and "python" in reference.path:
        found.append(
            (
                "musl-python",
                "Python on Alpine (musl): many packages with C extensions have no musl"
                " wheels and are compiled at build time",
            )
        )
    return found


def look_up(
    entry: Entry,
    resolve: Callable[[ImageReference], str],
    facts: Callable[[ImageReference, str], ImageFacts],
) -> Entry:
    """The entry with its digest, facts and advice, or the error."""
    reference = entry.reference
    if reference is None:
        return entry
    try:
        digest = entry.digest or resolve(reference)
        found = facts(reference, digest)
    except ResolveError as error:
        return replace(entry, error=error.message)
    entry = replace(entry, digest=digest, facts=found)
    slim = None
    if entry.family == "full" and entry.final and reference.tag:
        slim_name = f"{reference.original.split('@')[0].rsplit(':', 1)[0]}:{reference.tag}-slim"
        try:
            resolve(parse_reference(slim_name))
            slim = slim_name
        except (ResolveError, ValueError):
            slim = None
    return replace(entry, advice=advice(entry, slim))


def age_days(created: str | None, today: datetime.date) -> int | None:
    if created is None:
        return None
    try:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (today - when.date()).days


def _megabytes(size: int | None) -> str:
    return "?" if size is None else f"{size / 1_000_000:.1f} MB"


def as_json(report: list[Entry], today: datetime.date) -> str:
    images = []
    for entry in report:
        facts = entry.facts
        images.append(
            {
                "name": entry.name,
                "kind": entry.kind,
                "image": entry.reference.repository if entry.reference else None,
                "tag": entry.reference.tag if entry.reference else None,
                "digest": entry.digest,
                "pinned": entry.pinned,
                "used_at": entry.used_at,
                "final_stage": entry.final,
                "family": entry.family,
                "libc": entry.libc,
                "platforms": [
                    {
                        "platform": p.platform,
                        "digest": p.digest,
                        "size": p.size,
                        "layers": p.layers,
                        "error": p.error or None,
                    }
                    for p in (facts.platforms if facts else ())
                ],
                "created": facts.created if facts else None,
                "age_days": age_days(facts.created if facts else None, today),
                "advice": [{"code": code, "text": text} for code, text in entry.advice],
                "error": entry.error or None,
            }
        )
    failed = any(entry.error for entry in report)
    document = {"version": REPORT_VERSION, "images": images, "exit_code": 2 if failed else 0}
    return json.dumps(document, indent=2) + "\n"


def _row(entry: Entry, today: datetime.date) -> list[str]:
    facts = entry.facts
    first = facts.platforms[0] if facts and facts.platforms else None
    platforms = ", ".join(p.platform or "single" for p in facts.platforms) if facts else ""
    age = age_days(facts.created if facts else None, today)
    built = f"{facts.created[:10]} ({age} days)" if facts and facts.created else ""
    return [
        entry.name,
        entry.family,
        entry.libc,
        _megabytes(first.size) if first else "",
        platforms,
        built,
        ("final, " if entry.final else "") + ", ".join(entry.used_at),
    ]


_HEADER = ["image", "family", "libc", "size", "platforms", "built", "used at"]


def as_markdown(report: list[Entry], today: datetime.date) -> str:
    lines = ["### pinner report: base images", ""]
    lines += ["| " + " | ".join(_HEADER) + " |", "|" + " --- |" * len(_HEADER)]
    for entry in report:
        cells = [cell.replace("|", "\\|") for cell in _row(entry, today)]
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(cells) + " |")
    notes = [(e, code, text) for e in report for code, text in e.advice]
    if notes:
        lines += ["", "#### Advice", ""]
        lines += [f"- `{e.name}` **{code}**: {text}" for e, code, text in notes]
    errors = [e for e in report if e.error]
    if errors:
        lines += ["", "#### Could not be checked", ""]
        lines += [f"- `{e.name}`: {e.error}" for e in errors]
    return "\n".join(lines) + "\n"


def as_text(report: list[Entry], today: datetime.date) -> str:
    rows = [_HEADER, *(_row(entry, today) for entry in report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    for entry in report:
        for code, text in entry.advice:
            lines.append(f"{entry.name}: [{code}] {text}")
    return "\n".join(lines) + "\n"
