"""A fake resolver for pure unit tests: fails loudly on anything unknown."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

from pinner.reference import ImageReference, parse_reference
from pinner.resolve.errors import NotFoundError
from pinner.resolve.manifest import Manifest, Platform


def fake_digest(reference_text: str) -> str:
    """The digest the fake gives: sha256 of the normalised reference."""
    key = parse_reference(reference_text).lookup_key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class FakeResolver:
    def __init__(self, missing: Iterable[str] = ()) -> None:
        self.missing = {parse_reference(text).lookup_key for text in missing}
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def warm_up(self, host: str) -> None:
        pass

    def prepare(self, references: Iterable[ImageReference]) -> None:
        pass

    def resolve(self, reference: ImageReference) -> str:
        with self._lock:
            self.calls.append(reference.lookup_key)
        if reference.lookup_key in self.missing:
            raise NotFoundError(f"not found: tag {reference.tracked_tag} of {reference.repository}")
        return fake_digest(reference.lookup_key)

    def manifest(self, reference: ImageReference, target: str) -> Manifest:
        digest = target if target.startswith("sha256:") else self.resolve(reference)
        return Manifest(digest, is_index=False)

    def exists(self, reference: ImageReference, digest: str) -> bool:
        return True

    def platform(self, reference: ImageReference, digest: str) -> Platform | None:
        return Platform("linux", "amd64")  # every fake image is one linux/amd64 manifest

    def close(self) -> None:
        pass
