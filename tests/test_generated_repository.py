"""A generated repository of 50 Dockerfiles and compose files, pinned against
the real registry; every expected digest comes from skopeo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

# Each template names images as {rN} (the reference as written) followed by
# {pN} (where pinner must insert the digest: empty in the input).
DOCKERFILE_TEMPLATES = [
    "# syntax={r2}{p2}\nFROM --platform=$BUILDPLATFORM {r0}{p0} AS Build\n"
    "RUN make\nFROM {r1}{p1}\nCOPY --from=build /out /out\n",
    "ARG BASE={r2}{p2}\nFROM ${{BASE}} AS a\nFROM ${{BASE}}\nRUN <<EOF\nFROM {r3}\nEOF\n",
    "FROM scratch\r\nCOPY --chown=0:0 --from={r3}{p3} /bin/sh /bin/sh\r\n"
    "RUN --mount=type=bind,from={r4}{p4},target=/x \\\r\n    --mount=type=cache,target=/c true\r\n",
    "\ufefffrom {r5}{p5} as base\nFROM base\nONBUILD COPY --from={r0}{p0} / /\n",
    "FROM ${{IMAGE:-{r1}{p1}}}\nFROM $UNSET AS x\n",
]
COMPOSE_TEMPLATES = [
    "services:\n  web:\n    image: {r0}{p0}  # comment\n  api:\n    build: .\n    image: {r1}\n",
    "x-base: &base\n  image: '{r2}{p2}'\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n",
    'services:\n  db: {{image: "{r4}{p4}"}}\n  app:\n    image: ${{APP:-{r5}{p5}}}\n',
]


@dataclass(frozen=True)
class Image:
    written: str  # as the files name it
    tracked: str  # what skopeo looks up
    untagged: bool


def _images(registry: RunningRegistry, pusher: Pusher) -> list[Image]:
    host = registry.host
    pusher.image("gen/single-docker", "1.0", media="docker")
    pusher.image("gen/single-oci", "2.1", media="oci")
    pusher.index("gen/multi-docker", "3", media="docker")
    pusher.index("gen/multi-oci", "4.0-slim", media="oci")
    pusher.image("gen/untagged", "latest", media="oci")
    pusher.image("gen/nested/path/tool", "v5", media="docker")
    return [
        Image(f"{host}/gen/single-docker:1.0", f"{host}/gen/single-docker:1.0", False),
        Image(f"{host}/gen/single-oci:2.1", f"{host}/gen/single-oci:2.1", False),
        Image(f"{host}/gen/multi-docker:3", f"{host}/gen/multi-docker:3", False),
        Image(f"{host}/gen/multi-oci:4.0-slim", f"{host}/gen/multi-oci:4.0-slim", False),
        Image(f"{host}/gen/untagged", f"{host}/gen/untagged:latest", True),
        Image(f"{host}/gen/nested/path/tool:v5", f"{host}/gen/nested/path/tool:v5", False),
    ]


def _render(template: str, images: list[Image], digests: dict[str, str], pinned: bool) -> str:
    values: dict[str, str] = {}
    for index, image in enumerate(images):
        values[f"r{index}"] = image.written
        suffix = (":latest" if image.untagged else "") + "@" + digests[image.tracked]
        values[f"p{index}"] = suffix if pinned else ""
    return template.format(**values)


def test_fifty_files_are_pinned_exactly(
    registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    images = _images(registry, pusher)
    digests = {image.tracked: skopeo_digest(image.tracked) for image in images}
    expected: dict[Path, bytes] = {}
    originals: dict[Path, bytes] = {}
    for number in range(50):
        rotated = images[number % len(images) :] + images[: number % len(images)]
        if number % 3 == 2:
            template = COMPOSE_TEMPLATES[number % len(COMPOSE_TEMPLATES)]
            path = (
                tmp_path
                / f"service{number}"
                / ("compose.yaml" if number % 2 else "docker-compose.yml")
            )
        else:
            template = DOCKERFILE_TEMPLATES[number % len(DOCKERFILE_TEMPLATES)]
            path = (
                tmp_path / f"service{number}" / ("Dockerfile" if number % 2 else "app.Dockerfile")
            )
        path.parent.mkdir()
        originals[path] = _render(template, rotated, digests, pinned=False).encode()
        expected[path] = _render(template, rotated, digests, pinned=True).encode()
        path.write_bytes(originals[path])

    first = run_pinner("pin", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    for path, data in expected.items():
        assert path.read_bytes() == data, path
    second = run_pinner("pin", cwd=tmp_path)
    assert second.returncode == 0
    assert "nothing to pin" in second.stderr
    for path, data in expected.items():
        assert path.read_bytes() == data, path
        without = re.sub(rb"(:latest)?@sha256:[0-9a-f]{64}", b"", data)
        assert without == originals[path], path
