"""``pinner report``: every base image a repository names, what it is (family,
libc, size per platform, age) and advice on choosing better ones.

The entries are built from the scanned sites (pure) and the registry's
answers; the renderers are pure too.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from pinner.families import Kind, image_kind
from pinner.kinds.dockerfile import Stage
from pinner.reference import ImageReference, InvalidReferenceError, parse_reference
from pinner.resolve.errors import ResolveError
from pinner.resolve.facts import ImageFacts, is_placeholder_date
from pinner.site import Site, SiteKind, Verdict

REPORT_VERSION = 1
_DOCKERFILE_FROM = (SiteKind.FROM,)
CODENAMES = ("bookworm", "trixie", "bullseye")  # Debian releases, newest stable first
_ANY_CODENAME = (*CODENAMES, "buster", "jammy", "noble", "focal", "alpine3.")
ALPINE_VERSIONS = ("3.21", "3.20", "3.19")
OLD_DAYS = 90


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
    stage_of: str = ""  # a stage's: the image it is built on, as written ("": not known)
    base_kind: Kind | None = None  # a stage's: its image's family and libc, once looked up

    @property
    def kind_of_image(self) -> Kind:
        if self.kind == "stage":
            return self.base_kind or Kind("unknown", "unknown")
        return image_kind(self.reference, self.facts.os if self.facts else None)

    @property
    def shown_name(self) -> str:
        """The name with, for a stage, what it is built on."""
        if self.kind != "stage":
            return self.name
        return f"{self.name} (stage of {self.stage_of or 'an image not known before the build'})"

    @property
    def family(self) -> str:
        return self.kind_of_image.family

    @property
    def libc(self) -> str:
        return self.kind_of_image.libc


def entries(files: list[tuple[list[Site], list[Stage]]]) -> list[Entry]:
    """One entry per unique image, and per stage name with the image it is
    built on, and scratch. A file's stages are followed, through any number
    of them, to the image the final stage is built on."""
    found: dict[str, Entry] = {}
    for sites, stages in files:
        images = stage_images(stages)
        froms = [s for s in sites if s.kind in _DOCKERFILE_FROM]
        last = froms[-1] if froms else None
        for site in sites:
            entry = _entry_for(site, found, images, stages)
            if entry is None:
                continue
            entry.used_at.append(site.location)
            entry.final = entry.final or site is last
        if images:
            final = found.get(_key_of(images[-1]))
            if final is not None:
                final.final = True
    return sorted(found.values(), key=lambda e: (e.kind != "image", e.name))


def stage_images(stages: list[Stage]) -> list[str]:
    """The image each stage is built on, as written, following the stages it
    names ("scratch"; "" where not known before the build)."""
    by_name: dict[str, str] = {}
    images = []
    for stage in stages:
        image = by_name.get(stage.base.lower(), stage.base)
        images.append(image)
        if stage.name:
            by_name[stage.name] = image
    return images


def _key_of(written: str) -> str:
    """The key of the entry of an image as written ("scratch" for scratch)."""
    if written == "scratch":
        return "scratch"
    try:
        return _reference_key(parse_reference(written))
    except InvalidReferenceError:
        return ""


def _reference_key(reference: ImageReference) -> str:
    """One entry per image, tag and pinned digest, however the name is spelled."""
    return f"{reference.lookup_key}@{reference.digest or ''}"


def with_stage_bases(report: list[Entry]) -> list[Entry]:
    """Each stage with the family and libc of the image it is built on, once
    that image has been looked up."""
    by_key = {_entry_key(entry): entry for entry in report}
    settled = []
    for entry in report:
        if entry.kind == "stage" and entry.stage_of:
            base = by_key.get(_key_of(entry.stage_of))
            if base is not None:
                entry = replace(entry, base_kind=base.kind_of_image)
        settled.append(entry)
    return settled


def _entry_key(entry: Entry) -> str:
    if entry.kind == "scratch":
        return "scratch"
    return "" if entry.reference is None else _reference_key(entry.reference)


def _entry_for(
    site: Site, found: dict[str, Entry], images: list[str], stages: list[Stage]
) -> Entry | None:
    if site.verdict is Verdict.SCRATCH:
        return found.setdefault("scratch", Entry("scratch", "scratch"))
    if site.verdict is Verdict.STAGE:
        of = _stage_image(site.stage, images, stages)
        return found.setdefault(
            f"stage {site.text.lower()} of {of}", Entry(site.text, "stage", stage_of=of)
        )
    reference = site.reference
    if reference is None or site.verdict not in (
        Verdict.PIN,
        Verdict.PINNED,
        Verdict.DIGEST_ONLY,
        Verdict.IGNORED,
        Verdict.NOT_PLAIN,
    ):
        return None
    written = reference.original.split("@")[0]
    entry = found.setdefault(_reference_key(reference), Entry(written, "image", reference))
    entry.pinned = reference.digest is not None
    entry.digest = reference.digest
    return entry


def _stage_image(stage: str, images: list[str], stages: list[Stage]) -> str:
    """The image the stage named (or numbered) ``stage`` is built on."""
    if stage.isdigit():
        return images[int(stage)] if int(stage) < len(images) else ""
    for image, defined in zip(reversed(images), reversed(stages), strict=True):
        if defined.name == stage:
            return image
    return ""


def codename_candidates(tag: str | None, family: str) -> list[str]:
    """Tags anchored to an OS release that may name the same image as ``tag``."""
    if tag is None or any(name in tag for name in _ANY_CODENAME):
        return []
    if family == "alpine" and tag.endswith("alpine"):
        return [f"{tag}{version}" for version in ALPINE_VERSIONS]
    if family in ("full", "slim"):
        return [f"{tag}-{codename}" for codename in CODENAMES]
    return []


def advice(
    entry: Entry,
    slim_tag: str | None,
    codename_tag: str | None = None,
    newer: tuple[str, int] | None = None,
) -> list[tuple[str, str]]:
    """Stable codes with one line each; ``slim_tag`` names an existing slim
    variant, ``codename_tag`` a tag anchored to an OS release with the same
    digest, ``newer`` the tag's current digest and how many days newer it is."""
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
    if codename_tag is not None:
        found.append(
            (
                "no-codename",
                f"the tag does not fix the OS release; {codename_tag} names the same image"
                " now and does",
            )
        )
    if newer is not None:
        digest, days = newer
        found.append(
            (
                "old-base",
                f"the pinned image is {days} days older than what the tag points to now"
                f" ({digest}): run pinner update to take the fixes",
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


# Starts lookups keyed by tag and gives a call that waits for their digests.
Start = Callable[[Mapping[str, Callable[[], str | None]]], Callable[[], dict[str, str | None]]]


_CURRENT = ""  # the key of the tag's current digest among the advice lookups (tags are not empty)


def look_up(
    entry: Entry,
    resolve: Callable[[ImageReference], str],
    facts: Callable[[ImageReference, str], ImageFacts],
    start: Start,
) -> Entry:
    """The entry with its digest, facts and advice, or the error. The advice's
    lookups (the slim variant, the codename tags, where a pinned tag points
    now) are handed to ``start`` before the image's own facts are read, so
    that they run beside them."""
    reference = entry.reference
    if reference is None:
        return entry
    name = reference.original.split("@")[0]
    stem = name.rsplit(":", 1)[0] if reference.tag else name
    tag = reference.tag

    def digest_of(other: str) -> str | None:
        try:
            return resolve(parse_reference(f"{stem}:{other}"))
        except (ResolveError, ValueError):
            return None

    # Known before the config is read: only a Windows config changes the
    # family a name gives, and then a lookup or two go unused.
    family = image_kind(reference).family
    slim_tag = f"{tag}-slim" if tag and family == "full" and entry.final else None
    wanted = [t for t in (slim_tag, *codename_candidates(tag, family)) if t]
    work: dict[str, Callable[[], str | None]] = {t: functools.partial(digest_of, t) for t in wanted}
    if entry.pinned:
        work[_CURRENT] = functools.partial(_current, resolve, reference)
    advice_digests = start(work)
    try:
        found = facts(reference, entry.digest or reference.tracked_tag)
    except ResolveError as error:
        return replace(entry, error=error.message)
    digests = advice_digests()
    entry = replace(entry, digest=found.digest, facts=found)
    slim = None
    if slim_tag and entry.family == "full" and digests.get(slim_tag):
        slim = f"{stem}:{slim_tag}"
    current = digests.get(_CURRENT) if entry.pinned else found.digest
    codename = next(
        (
            f"{stem}:{candidate}"
            for candidate in codename_candidates(tag, entry.family)
            if current is not None and digests.get(candidate) == current
        ),
        None,
    )
    newer = None
    if entry.pinned and current is not None and current != found.digest and found.created:
        try:
            days = age_days(found.created, _date(facts(reference, current).created))
        except ResolveError:
            days = None
        if days is not None and days > OLD_DAYS:
            newer = (current, days)
    return replace(entry, advice=advice(entry, slim, codename, newer))


def _current(resolve: Callable[[ImageReference], str], reference: ImageReference) -> str | None:
    try:
        return resolve(reference) if reference.tag is not None else None
    except ResolveError:
        return None


def _date(created: str | None) -> datetime.date:
    when = "" if is_placeholder_date(created) else created or ""
    try:
        return datetime.datetime.fromisoformat(when.replace("Z", "+00:00")).date()
    except ValueError:
        return datetime.date.min


def age_days(created: str | None, today: datetime.date) -> int | None:
    """Days since ``created``; None where that is not known (a reproducible build's date)."""
    if created is None or is_placeholder_date(created):
        return None
    try:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (today - when.date()).days


def _known(created: str | None) -> str | None:
    """A build date, or None where it says nothing (a reproducible build's)."""
    return None if is_placeholder_date(created) else created


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
                "stage_of": entry.stage_of or None,
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
                        "created": _known(p.created),
                        "error": p.error or None,
                    }
                    for p in (facts.platforms if facts else ())
                ],
                "created": _known(facts.created if facts else None),
                "age_days": age_days(facts.created if facts else None, today),
                "reproducible_build": is_placeholder_date(facts.created if facts else None),
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
    created = facts.created if facts else None
    age = age_days(created, today)
    built = f"{created[:10]} ({age} days)" if created and age is not None else ""
    if is_placeholder_date(created):
        built = "unknown (reproducible build)"
    return [
        entry.shown_name,
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
        lines += [f"- `{e.shown_name}` **{code}**: {text}" for e, code, text in notes]
    errors = [e for e in report if e.error]
    if errors:
        lines += ["", "#### Could not be checked", ""]
        lines += [f"- `{e.name}`: {e.error}" for e in errors]
    return "\n".join(lines) + "\n"


def as_github(report: list[Entry], today: datetime.date) -> str:
    """GitHub workflow commands: a notice per piece of advice, an error per
    image that could not be read, at the first place each is used."""
    from pinner.report.github import annotation

    lines = []
    for entry in report:
        file, _, number = (entry.used_at[0] if entry.used_at else "").rpartition(":")
        line = int(number) if number.isdigit() else None
        if entry.error:
            message = f"{entry.name}: {entry.error}"
            lines.append(annotation("error", message, file=file, line=line, title="pinner report"))
        for code, text in entry.advice:
            message, title = f"{entry.shown_name}: {text}", f"pinner report: {code}"
            lines.append(annotation("notice", message, file=file, line=line, title=title))
    return "".join(line + "\n" for line in lines)


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
