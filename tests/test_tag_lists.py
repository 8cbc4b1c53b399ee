"""Tag lists from the real registry, page after page (the ground of tag bumps)."""

from __future__ import annotations

import pytest

from pinner.reference import parse_reference
from pinner.resolve import registry as registry_module
from pinner.resolve.registry import RegistryResolver
from tests.support.registry import Pusher, RunningRegistry

pytestmark = pytest.mark.registry


def test_every_tag_is_listed_across_pages(
    registry: RunningRegistry, pusher: Pusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest, _ = pusher.image("tags/many", "1.0.0")
    expected = {f"1.0.{patch}" for patch in range(12)} | {"latest", "1.1-rc1"}
    for tag in expected - {"1.0.0"}:
        pusher.tag("tags/many", digest, tag)
    monkeypatch.setattr(registry_module, "TAGS_PAGE", 5)  # three pages
    resolver = RegistryResolver(jobs=2)
    try:
        listed = resolver.tags(parse_reference(f"{registry.host}/tags/many:1.0.0"))
    finally:
        resolver.close()
    assert sorted(listed) == sorted(expected)
    assert len(listed) == len(expected)  # no page read twice


def test_a_repository_without_tags_is_an_answer(registry: RunningRegistry) -> None:
    from pinner.resolve.errors import NotFoundError

    resolver = RegistryResolver(jobs=1)
    try:
        with pytest.raises(NotFoundError, match="the tag list"):
            resolver.tags(parse_reference(f"{registry.host}/tags/none:1"))
    finally:
        resolver.close()
