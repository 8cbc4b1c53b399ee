"""``pinner report``: what each base image is, checked against the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinner.families import image_kind
from pinner.reference import parse_reference
from tests.conftest import run_pinner
from tests.support.fault_proxy import fault_proxy
from tests.support.registry import Pusher, RunningRegistry, skopeo_inspect


@pytest.mark.parametrize(
    ("name", "family", "libc"),
    [
        ("python:3.12", "full", "glibc"),
        ("python:3.12-bookworm", "full", "glibc"),
        ("python:3.12-slim", "slim", "glibc"),
        ("python:3.12-slim-bookworm", "slim", "glibc"),
        ("python:3.12-alpine", "alpine", "musl"),
        ("python:3.12-alpine3.20", "alpine", "musl"),
        ("python:3.12-windowsservercore-ltsc2022", "unknown", "unknown"),
        ("node:20", "full", "glibc"),
        ("node:20-slim", "slim", "glibc"),
        ("node:20-alpine", "alpine", "musl"),
        ("node:lts-bookworm-slim", "slim", "glibc"),
        ("golang:1.22", "full", "glibc"),
        ("golang:1.22-alpine", "alpine", "musl"),
        ("ruby:3.3", "full", "glibc"),
        ("ruby:3.3-slim", "slim", "glibc"),
        ("eclipse-temurin:21", "full", "glibc"),
        ("eclipse-temurin:21-jre-alpine", "alpine", "musl"),
        ("rust:1.79", "full", "glibc"),
        ("php:8.3-fpm", "full", "glibc"),
        ("alpine", "alpine", "musl"),
        ("alpine:3.20", "alpine", "musl"),
        ("debian:bookworm-slim", "slim", "glibc"),
        ("debian:bookworm", "unknown", "unknown"),
        ("ubuntu:24.04", "unknown", "unknown"),
        ("nginx:1.25", "unknown", "unknown"),
        ("nginx:1.25-alpine", "alpine", "musl"),
        ("busybox:1.36-musl", "unknown", "musl"),
        ("busybox:1.36-glibc", "unknown", "glibc"),
        ("busybox:1.36", "unknown", "unknown"),
        ("gcr.io/distroless/static-debian12", "distroless", "none"),
        ("gcr.io/distroless/base-debian12:nonroot", "distroless", "glibc"),
        ("gcr.io/distroless/python3-debian12", "distroless", "glibc"),
        ("cgr.dev/chainguard/static", "distroless", "none"),
        ("ghcr.io/org/python:3.12", "unknown", "unknown"),
        ("mirror.gcr.io/library/python:3.12", "full", "glibc"),
        ("registry.example/python:3.12-slim", "slim", "glibc"),
    ],
)
def test_family_and_libc(name: str, family: str, libc: str) -> None:
    kind = image_kind(parse_reference(name))
    assert (kind.family, kind.libc) == (family, libc)


def test_scratch_and_windows_configs() -> None:
    assert (image_kind(None).family, image_kind(None).libc) == ("scratch", "none")
    windows = image_kind(parse_reference("python:3.12"), config_os="windows")
    assert (windows.family, windows.libc) == ("unknown", "unknown")


def _skopeo_raw(reference: str) -> dict[str, object]:
    document: dict[str, object] = json.loads(skopeo_inspect(reference, "--raw"))
    return document


def _skopeo_created(reference: str) -> str:
    return skopeo_inspect(reference, "--format", "{{.Created}}")


@pytest.mark.registry
def test_report_against_the_registry(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    index, children = pusher.index("library-like/python", "3.12", content="report")
    slim, _ = pusher.image("library-like/python", "3.12-slim", content="slim")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {host}/library-like/python:3.12 AS build\n"
        "RUN make\n"
        f"FROM {host}/library-like/python:3.12-slim@{slim}\n"
        "COPY --from=build /out /out\n"
        "FROM scratch AS empty\n"
    )

    result = run_pinner("report", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    images = {image["name"]: image for image in json.loads(result.stdout)["images"]}
    full = images[f"{host}/library-like/python:3.12"]
    assert full["digest"] == index and full["pinned"] is False
    assert full["final_stage"] is False and full["used_at"] == ["Dockerfile:1"]
    raw = _skopeo_raw(f"{host}/library-like/python:3.12")
    manifests = raw["manifests"]
    assert isinstance(manifests, list)
    expected = []
    for number, entry in enumerate(manifests):
        child = _skopeo_raw(f"{host}/library-like/python@{entry['digest']}")
        layers = child["layers"]
        assert isinstance(layers, list)
        platform = entry["platform"]
        expected.append(
            {
                "platform": f"{platform['os']}/{platform['architecture']}",
                "digest": entry["digest"],
                "size": sum(layer["size"] for layer in layers),
                "layers": len(layers),
                # Without --all-platforms only the first platform's config is read.
                "created": "2026-01-01T00:00:00Z" if number == 0 else None,
                "error": None,
            }
        )
    assert full["platforms"] == expected
    assert set(children.values()) == {p["digest"] for p in full["platforms"]}
    created = _skopeo_created(f"{host}/library-like/python:3.12")  # 2026-01-01 00:00:00 +0000 UTC
    assert full["created"].replace("T", " ").replace("Z", "") == created[:19]
    assert full["age_days"] >= 0
    assert full["advice"] == []  # not the final stage: no full-final-stage advice
    final = images[f"{host}/library-like/python:3.12-slim"]
    assert (final["pinned"], final["final_stage"], final["family"]) == (True, False, "slim")
    assert images["scratch"]["final_stage"] is True
    assert images["scratch"]["family"] == "scratch"


@pytest.mark.registry
def test_advice_where_it_applies_and_nowhere_else(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("library/python", "3.12", content="full")
    pusher.image("library/python", "3.12-slim", content="slim")
    pusher.image("library/python", "3.12-alpine", content="alpine")
    pusher.image("adv/tool", "latest", content="tool")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {host}/library/python:3.12-alpine AS wheels\n"
        f"COPY --from={host}/adv/tool /t /t\n"
        f"FROM {host}/library/python:3.12\n"
    )
    result = run_pinner("report", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    advice = {
        image["name"]: [item["code"] for item in image["advice"]]
        for image in json.loads(result.stdout)["images"]
    }
    assert advice == {
        f"{host}/library/python:3.12-alpine": ["musl-python"],
        f"{host}/adv/tool": ["floating-tag"],
        f"{host}/library/python:3.12": ["full-final-stage"],
    }
    text = run_pinner("report", cwd=tmp_path)
    assert f"{host}/library/python:3.12-slim exists" in text.stdout
    markdown = run_pinner("report", "--format", "markdown", cwd=tmp_path)
    assert markdown.stdout.startswith("### pinner report: base images")
    assert "**full-final-stage**" in markdown.stdout


@pytest.mark.registry
def test_codename_and_old_base_advice_only_where_true(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    same, _ = pusher.image("library/python", "3.13-slim", content="same")
    pusher.tag("library/python", same, "3.13-slim-bookworm")
    pusher.image("library/python", "3.14-slim", content="a")
    pusher.image("library/python", "3.14-slim-bookworm", content="b")  # another image
    old, _ = pusher.image("library/python", "3.10-slim", created="2026-01-01T00:00:00Z")
    recent, _ = pusher.image("library/python", "3.9-slim", created="2026-05-01T00:00:00Z")
    pusher.image("library/python", "3.10-slim", content="new", created="2026-06-01T00:00:00Z")
    pusher.image("library/python", "3.9-slim", content="new", created="2026-06-01T00:00:00Z")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {host}/library/python:3.13-slim AS a\n"
        f"FROM {host}/library/python:3.14-slim AS b\n"
        f"FROM {host}/library/python:3.10-slim@{old} AS c\n"
        f"FROM {host}/library/python:3.9-slim@{recent} AS d\n"
    )
    result = run_pinner("report", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    advice = {
        image["name"].rsplit(":", 1)[1]: {item["code"]: item["text"] for item in image["advice"]}
        for image in json.loads(result.stdout)["images"]
    }
    assert set(advice["3.13-slim"]) == {"no-codename"}
    assert (
        f"{host}/library/python:3.13-slim-bookworm names the same image"
        in (advice["3.13-slim"]["no-codename"])
    )
    assert advice["3.14-slim"] == {}  # its -bookworm tag is another image
    assert set(advice["3.10-slim"]) == {"old-base"}
    assert "151 days older" in advice["3.10-slim"]["old-base"]
    assert advice["3.9-slim"] == {}  # 31 days: not old


@pytest.mark.registry
def test_all_platforms_reads_every_config(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    platforms = (("linux", "amd64"), ("linux", "arm64"), ("linux", "s390x"))
    dates = ("2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z")
    _, children = pusher.index("multi/app", "1", platforms=platforms, created=dates)
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/multi/app:1\n")

    first_only = run_pinner("report", "--format", "json", cwd=tmp_path)
    every = run_pinner("report", "--format", "json", "--all-platforms", cwd=tmp_path)

    assert first_only.returncode == every.returncode == 0, every.stderr
    [image] = json.loads(every.stdout)["images"]
    found = {p["digest"]: p["created"] for p in image["platforms"]}
    for platform, digest in children.items():
        built = _skopeo_created(f"{host}/multi/app@{digest}")  # "2026-03-01 00:00:00 +0000 UTC"
        assert found[digest].replace("T", " ").replace("Z", "") == built[:19], platform
    assert image["created"] == "2026-03-01T00:00:00Z"  # the first platform's
    [image] = json.loads(first_only.stdout)["images"]
    assert [p["created"] for p in image["platforms"]] == [dates[0], None, None]


@pytest.mark.registry
def test_report_keeps_to_twice_jobs_requests_at_once(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    """Twice --jobs bounds the requests in flight, and enough images are under
    way at once to fill every slot (one image at a time would never have
    more than its two platform manifests in flight)."""
    with fault_proxy(registry.host, delay=0.05) as proxy:
        lines = []
        for number in range(12):
            pusher.index(f"many/app{number}", "1", content=str(number))
            lines.append(f"FROM {proxy.host}/many/app{number}:1 AS s{number}")
        (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
        result = run_pinner("report", "--format", "json", "--jobs", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    images = [i for i in json.loads(result.stdout)["images"] if i["kind"] == "image"]
    assert len(images) == 12
    assert all(len(image["platforms"]) == 2 and image["created"] for image in images)
    # Each image: its index, two platform manifests, one config.
    assert proxy.counts["GET manifest"] == 36 and proxy.counts["GET blob"] == 12
    assert proxy.most_in_flight == 8


@pytest.mark.registry
def test_stages_are_followed_to_the_image_they_are_built_on(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("library/python", "3.11", content="stages")
    pusher.image("library/python", "3.11-slim", content="stages slim")
    full = f"{host}/library/python:3.11"
    (tmp_path / "Dockerfile").write_text(
        f"ARG BASE={full}\n"
        "FROM ${BASE} AS base\n"
        "RUN make\n"
        "FROM base AS mid\n"
        "COPY --from=0 /a /a\n"
        "FROM mid AS final\n"
    )

    result = run_pinner("report", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    images = {image["name"]: image for image in json.loads(result.stdout)["images"]}
    image = images[full]
    assert (image["family"], image["libc"], image["final_stage"]) == ("full", "glibc", True)
    assert [item["code"] for item in image["advice"]] == ["full-final-stage"]
    assert f"{full}-slim exists" in image["advice"][0]["text"]
    for stage in ("base", "mid", "0"):
        row = images[stage]
        assert (row["kind"], row["stage_of"], row["family"], row["libc"]) == (
            "stage",
            full,
            "full",
            "glibc",
        ), stage
    assert images["mid"]["final_stage"] is True  # the final stage is built on it
    assert "scratch" not in images
    text = run_pinner("report", cwd=tmp_path).stdout
    assert f"mid (stage of {full})" in text
    assert "scratch" not in text
    markdown = run_pinner("report", "--format", "markdown", cwd=tmp_path).stdout
    assert f"`base (stage of {full})` | full | glibc" in markdown


@pytest.mark.registry
def test_a_reproducible_build_date_is_unknown_and_never_old(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    epoch = "1970-01-01T00:00:00Z"
    old, _ = pusher.image("distroless/static", "12-nonroot", content="old", created=epoch)
    pusher.image("distroless/static", "12-nonroot", content="new", created="2026-06-01T00:00:00Z")
    assert _skopeo_created(f"{host}/distroless/static@{old}").startswith("1970-01-01")
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/distroless/static:12-nonroot@{old}\n")

    result = run_pinner("report", "--format", "json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    [image] = json.loads(result.stdout)["images"]
    assert (image["created"], image["age_days"], image["reproducible_build"]) == (None, None, True)
    assert [p["created"] for p in image["platforms"]] == [None]
    assert image["advice"] == []  # no old-base: the date says nothing
    text = run_pinner("report", cwd=tmp_path).stdout
    assert "unknown (reproducible build)" in text and "1970" not in text
    markdown = run_pinner("report", "--format", "markdown", cwd=tmp_path).stdout
    assert "unknown (reproducible build)" in markdown and "1970" not in markdown
