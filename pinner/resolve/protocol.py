"""The interface every resolver implements."""

from __future__ import annotations

from typing import Protocol

from pinner.reference import ImageReference


class Resolver(Protocol):
    def resolve(self, reference: ImageReference) -> str:
        """Return the ``sha256:`` digest the reference's tag points to.

        Raise :class:`pinner.resolve.errors.ResolveError` when that cannot be
        known. Must be safe to call from several threads at once.
        """
        ...

    def close(self) -> None: ...
