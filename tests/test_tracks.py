"""The track rules of tag bumps, with cases from peers' issue trackers."""

from __future__ import annotations

import pytest

from pinner.tracks import Level, candidates, level, track

TAGS = [
    "3.12-slim-bookworm",
    "3.13-slim-bookworm",
    "3.13.1-slim-bookworm",
    "3.13-slim-bullseye",
    "3.13-slim",
    "3.14-rc-slim-bookworm",
    "3.14-slim-bookworm",
    "4.0-slim-bookworm",
    "latest",
    "bookworm",
]


@pytest.mark.parametrize(
    ("tag", "tags", "allowed", "expected"),
    [
        pytest.param(
            "3.12-slim-bookworm",
            TAGS,
            Level.MINOR,
            ["3.14-slim-bookworm", "3.13-slim-bookworm"],
            id="suffix-and-precision-kept",
        ),
        pytest.param(
            "3.12-slim-bookworm",
            TAGS,
            Level.MAJOR,
            ["4.0-slim-bookworm", "3.14-slim-bookworm", "3.13-slim-bookworm"],
            id="major",
        ),
        pytest.param("3.12-slim-bookworm", TAGS, Level.PATCH, [], id="no-patch-on-two-parts"),
        pytest.param(
            "1.25-alpine3.20",
            ["1.26-alpine3.20", "1.26-alpine3.21", "1.26", "1.26-alpine"],
            Level.MINOR,
            ["1.26-alpine3.20"],
            id="alpine-suffix-kept",
        ),
        pytest.param(
            "3.12.7",
            ["3.12.8", "3.12.9rc1", "3.13.0b1", "3.13.0", "3.12.10"],
            Level.PATCH,
            ["3.12.10", "3.12.8"],
            id="no-prerelease-numeric-order",
        ),
        pytest.param(
            "3.13.0rc1",
            ["3.13.1rc1", "3.13.0"],
            Level.PATCH,
            ["3.13.1rc1"],
            id="rc-stays-rc",
        ),
        pytest.param(
            "8.0-preview",
            ["8.1-preview", "8.1"],
            Level.MINOR,
            ["8.1-preview"],
            id="preview-track",
        ),
        pytest.param(
            "nanoserver-1809",
            ["nanoserver-ltsc2019", "ltsc2019", "nanoserver-1903"],
            Level.MAJOR,
            ["nanoserver-1903"],
            id="windows-variants-stay",
        ),
        pytest.param(
            # A revision suffix (-r9, -r0) is part of the track: such tags are
            # refreshed, never bumped, rather than guess what a revision means.
            "7.2.4-debian-12-r9",
            ["7.2.5-debian-12-r0", "7.2.4-debian-12-r10", "7.2.5"],
            Level.PATCH,
            [],
            id="bitnami-revision-suffix",
        ),
        pytest.param(
            "1.2.3.minimal",
            ["1.2.4", "1.2.4.minimal"],
            Level.PATCH,
            ["1.2.4.minimal"],
            id="minimal-kept",
        ),
        pytest.param("v1.2.3", ["v1.2.4", "1.2.4"], Level.PATCH, ["v1.2.4"], id="v-prefix"),
        pytest.param("bookworm", TAGS, Level.MAJOR, [], id="codename"),
        pytest.param("latest", TAGS, Level.MAJOR, [], id="latest"),
        pytest.param("a1b2c3d", ["b2c3d4e"], Level.MAJOR, [], id="commit-hash"),
        pytest.param(
            "20",
            ["22", "20.1", "21-alpine"],
            Level.MAJOR,
            ["22"],
            id="one-part-major",
        ),
        pytest.param("20", ["22"], Level.MINOR, [], id="one-part-minor-refused"),
        pytest.param(
            "ltsc2019",
            ["ltsc2022", "1809"],
            Level.MAJOR,
            ["ltsc2022"],
            id="windows-ltsc",
        ),
        pytest.param(
            "3.19",
            ["3.20", "3.20-windowsservercore"],
            Level.MINOR,
            ["3.20"],
            id="never-linux-to-windows",
        ),
    ],
)
def test_candidates(tag: str, tags: list[str], allowed: Level, expected: list[str]) -> None:
    assert candidates(tag, tags, allowed) == expected


@pytest.mark.parametrize(
    ("current", "candidate", "expected"),
    [
        ((3, 12), (3, 13), Level.MINOR),
        ((3, 12), (4, 0), Level.MAJOR),
        ((3, 12, 7), (3, 12, 8), Level.PATCH),
        ((3, 12, 7), (3, 13, 0), Level.MINOR),
        ((3, 12, 7), (4, 0, 0), Level.MAJOR),
        ((1, 2, 3, 4), (1, 2, 4, 0), Level.MINOR),
        ((20,), (22,), Level.MAJOR),
    ],
)
def test_level(current: tuple[int, ...], candidate: tuple[int, ...], expected: Level) -> None:
    assert level(current, candidate) is expected


def test_track_parts() -> None:
    assert track("3.12-slim-bookworm") == ("", (3, 12), "-slim-bookworm")
    assert track("alpine3.20") == ("alpine", (3, 20), "")
    assert track("bookworm") is None
