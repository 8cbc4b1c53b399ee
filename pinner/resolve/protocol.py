"""The interface every resolver implements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pinner.reference import ImageReference
from pinner.resolve.manifest import Manifest, Platform


class Resolver(Protocol):
    """Looks images up. Every method may raise
    :class:`pinner.resolve.errors.ResolveError` and must be safe to call from
    several threads at once."""

    def warm_up(self, host: str) -> None:
        """A hint, as soon as a registry host is known, to start talking to it in
        the background. Must return at once. May do nothing."""
        ...

    def prepare(self, references: Iterable[ImageReference]) -> None:
        """Called before the lookups with every reference they will ask about;
        a chance to batch work (such as token requests), at once or in the
        background. May do nothing."""
        ...

    def resolve(self, reference: ImageReference) -> str:
        """The ``sha256:`` digest the reference's tag (or ``latest``) points to."""
        ...

    def manifest(self, reference: ImageReference, target: str) -> Manifest:
        """The manifest that a tag or digest of the reference's repository names."""
        ...

    def exists(self, reference: ImageReference, digest: str) -> bool:
        """Whether the repository still has the manifest ``digest``."""
        ...

    def platform(self, reference: ImageReference, digest: str) -> Platform | None:
        """The platform of an image manifest, from its config; None if unknown."""
        ...

    def close(self) -> None: ...
