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

    @property
    def pinned(self) -> str:
        """The reference with its digest, as pinner would write it."""
        assert self.digest is not None
        name = self.text.split("@", 1)[0]
        untagged = parse_reference(self.text).tag is None
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
    work: dict[tuple[str, str | None], Callable[[], tuple[str | None, str | None]]] = {}
    for text, key in keys.items():
        work.setdefault(key, functools.partial(_digest_or_error, resolver, valid[text], platform))
    answers = in_parallel(work, jobs)
    results = []
    for text in texts:
        reference = parsed[text]
        if isinstance(reference, str):
            results.append(Resolution(text, error=reference))
            continue
        digest, failure = answers[keys[text]]
        results.append(Resolution(text, digest, failure))
    return results


def _digest_or_error(
    resolver: Resolver, reference: ImageReference, platform: Platform | None
) -> tuple[str | None, str | None]:
    try:
        return _digest(resolver, reference, platform), None
    except ResolveError as error:
        return None, error.message


def _digest(resolver: Resolver, reference: ImageReference, platform: Platform | None) -> str:
    if reference.digest is not None and reference.tag is None:
        if not resolver.exists(reference, reference.digest):
            raise NotFoundError(f"not found: manifest {reference.digest} of {reference.repository}")
        digest = reference.digest
    else:
        digest = resolver.resolve(reference)
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
