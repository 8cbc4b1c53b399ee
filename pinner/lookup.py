"""``pinner resolve REF...``: the digest each reference's tag points to, for
scripts and for people who want one digest without a file."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from pinner.reference import ImageReference, InvalidReferenceError, parse_reference
from pinner.resolve.batch import in_parallel
from pinner.resolve.errors import NotFoundError, ResolveError
from pinner.resolve.manifest import Platform
from pinner.resolve.protocol import Resolver


@dataclass(frozen=True)
class Resolution:
    text: str  # as given
    digest: str | None = None
    error: str | None = None
    note: str | None = None  # the digest given is not where the tag given with it points

    @property
    def pinned(self) -> str:
        """The reference with its digest, as pinner would write it; a digest
        given without a tag stays without one (there is no tag to name)."""
        assert self.digest is not None
        name = self.text.split("@", 1)[0]
        reference = parse_reference(self.text)
        untagged = reference.tag is None and reference.digest is None
        return f"{name}{':latest' if untagged else ''}@{self.digest}"


def resolve_all(
    texts: list[str], resolver: Resolver, platform: Platform | None, jobs: int
) -> list[Resolution]:
    """One answer per text, in the order given; each unique reference asked once."""
    parsed: dict[str, ImageReference | str] = {}
    for text in texts:
        try:
            parsed[text] = parse_reference(text)
        except InvalidReferenceError as error:
            parsed[text] = str(error)
    valid = {text: ref for text, ref in parsed.items() if isinstance(ref, ImageReference)}
    resolver.prepare(valid.values())
    keys = {text: (ref.lookup_key, ref.digest) for text, ref in valid.items()}
    work: dict[tuple[str, str | None], Callable[[], tuple[str | None, str | None, str | None]]]
    work = {}
    for text, key in keys.items():
        work.setdefault(key, functools.partial(_digest_or_error, resolver, valid[text], platform))
    answers = in_parallel(work, jobs)
    results = []
    for text in texts:
        reference = parsed[text]
        if isinstance(reference, str):
            results.append(Resolution(text, error=reference))
            continue
        digest, failure, note = answers[keys[text]]
        results.append(Resolution(text, digest, failure, note))
    return results


def _digest_or_error(
    resolver: Resolver, reference: ImageReference, platform: Platform | None
) -> tuple[str | None, str | None, str | None]:
    try:
        tag_digest, digest = _digest(resolver, reference, platform)
    except ResolveError as error:
        return None, error.message, None
    given = reference.digest
    note = None
    if reference.tag is not None and given is not None and given not in (tag_digest, digest):
        note = f"tag {reference.tag} points to {tag_digest}, not to the digest given ({given})"
    return digest, None, note


def _digest(
    resolver: Resolver, reference: ImageReference, platform: Platform | None
) -> tuple[str, str]:
    """What the tag (or the digest given alone) names, and the digest asked
    for: that, or with a platform, that platform's manifest in it."""
    if reference.digest is not None and reference.tag is None:
        if not resolver.exists(reference, reference.digest):
            raise NotFoundError(f"not found: manifest {reference.digest} of {reference.repository}")
        digest = reference.digest
    else:
        digest = resolver.resolve(reference)
    return digest, _for_platform(resolver, reference, digest, platform)


def _for_platform(
    resolver: Resolver, reference: ImageReference, digest: str, platform: Platform | None
) -> str:
    if platform is None:
        return digest  # the index of a multi-platform image, as crane digest gives
    manifest = resolver.manifest(reference, digest)
    if manifest.is_index and not manifest.children_known:
        raise ResolveError(
            "this resolver cannot see inside an index; use --resolver registry for --platform"
        )
    if manifest.is_index:
        child = manifest.child_for(platform)
        if child is None:
            raise NotFoundError(f"not found: no {platform} manifest in {reference.repository}")
        return child
    own = resolver.platform(reference, digest)
    if own is not None and not own.matches(platform):
        raise NotFoundError(
            f"not found: {reference.repository} is one {own} manifest, not {platform}"
        )
    return digest
