"""COPY --from, RUN --mount from=, and references through variables."""

from __future__ import annotations

import pytest

from pinner.kinds.dockerfile import scan_dockerfile
from pinner.site import SiteKind, Verdict
from tests.support.pinning import expand_pins, pin_text

HEX = "0" * 64


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM scratch\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n",
            "FROM scratch\nCOPY --from=nginx:1.25@PIN(nginx:1.25) /etc/nginx /etc/nginx\n",
            id="copy-from",
        ),
        pytest.param(
            "FROM scratch\nCOPY --chown=1:1 --from=nginx:1.25 --link /a /b\n",
            "FROM scratch\nCOPY --chown=1:1 --from=nginx:1.25@PIN(nginx:1.25) --link /a /b\n",
            id="copy-from-among-flags",
        ),
        pytest.param(
            "FROM scratch\ncopy --from=ghcr.io/o/tool /tool /tool\n",
            "FROM scratch\ncopy --from=ghcr.io/o/tool:latest@PIN(ghcr.io/o/tool:latest) /tool /tool\n",
            id="copy-from-untagged",
        ),
        pytest.param(
            "FROM scratch\nRUN --mount=type=bind,from=golang:1.22,source=/usr/local/go,target=/go"
            " --mount=type=cache,target=/root/.cache,from=alpine:3 go build\n",
            "FROM scratch\nRUN --mount=type=bind,from=golang:1.22@PIN(golang:1.22),source=/usr/local/go,"
            "target=/go --mount=type=cache,target=/root/.cache,from=alpine:3@PIN(alpine:3) go build\n",
            id="two-mounts",
        ),
        pytest.param(
            "FROM scratch\nRUN --network=none \\\n    --mount=from=alpine:3,target=/a true\n",
            "FROM scratch\nRUN --network=none \\\n    --mount=from=alpine:3@PIN(alpine:3),target=/a true\n",
            id="mount-on-continuation",
        ),
        pytest.param(
            "FROM scratch\nONBUILD COPY --from=nginx:1.25 / /\nONBUILD RUN --mount=from=alpine:3 true\n",
            "FROM scratch\nONBUILD COPY --from=nginx:1.25@PIN(nginx:1.25) / /\n"
            "ONBUILD RUN --mount=from=alpine:3@PIN(alpine:3) true\n",
            id="onbuild",
        ),
        pytest.param(
            "FROM ${BASE:-python:3.12}\n",
            "FROM ${BASE:-python:3.12@PIN(python:3.12)}\n",
            id="inline-default",
        ),
        pytest.param(
            "FROM elasticsearch:${V:-9.5.1} AS es\n",
            "FROM elasticsearch:${V:-9.5.1@PIN(elasticsearch:9.5.1)} AS es\n",
            id="inline-default-tag",
        ),
        pytest.param(
            "FROM ${V-alpine}\n",
            "FROM ${V-alpine:latest@PIN(alpine:latest)}\n",
            id="inline-untagged",
        ),
        pytest.param(
            "ARG V\nFROM node:${V:-20}\n",
            "ARG V\nFROM node:${V:-20@PIN(node:20)}\n",
            id="inline-with-undefaulted-arg",
        ),
        pytest.param(
            "ARG ALPINE_VERSION=3.18\nFROM alpine:${ALPINE_VERSION}\n",
            "ARG ALPINE_VERSION=3.18@PIN(alpine:3.18)\nFROM alpine:${ALPINE_VERSION}\n",
            id="arg-default",
        ),
        pytest.param(
            'ARG V="3.18"\nFROM alpine:$V\n',
            'ARG V="3.18@PIN(alpine:3.18)"\nFROM alpine:$V\n',
            id="arg-double-quoted",
        ),
        pytest.param(
            "ARG V='3.18'\r\nFROM alpine:$V\r\n",
            "ARG V='3.18@PIN(alpine:3.18)'\r\nFROM alpine:$V\r\n",
            id="arg-single-quoted-crlf",
        ),
        pytest.param(
            "ARG \\\n    BASE=python:3.12\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n",
            "ARG \\\n    BASE=python:3.12@PIN(python:3.12)\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n",
            id="arg-continuation-used-twice",
        ),
        pytest.param(
            "ARG BASE=python\nFROM $BASE\n",
            "ARG BASE=python:latest@PIN(python:latest)\nFROM $BASE\n",
            id="arg-untagged",
        ),
        pytest.param(
            "ARG A=1 BASE=python:3.12\nFROM $BASE\n",
            "ARG A=1 BASE=python:3.12@PIN(python:3.12)\nFROM $BASE\n",
            id="arg-several-on-a-line",
        ),
    ],
)
def test_images_fix(src: str, expected: str) -> None:
    assert pin_text(src) == expand_pins(expected)
    assert pin_text(expand_pins(expected)) == expand_pins(expected)


@pytest.mark.parametrize(
    ("src", "verdict", "reason"),
    [
        pytest.param("FROM $REGISTRY/app:$TAG\n", Verdict.VARIABLE, "several", id="several"),
        pytest.param("FROM python:${PY}-slim\n", Verdict.VARIABLE, "not at the end", id="not-end"),
        pytest.param("ARG V\nFROM alpine:${V}\n", Verdict.VARIABLE, "no default", id="no-default"),
        pytest.param("FROM alpine:$NOPE\n", Verdict.VARIABLE, "not set by an ARG", id="undeclared"),
        pytest.param(
            "ARG V=$X\nFROM alpine:$V\n", Verdict.VARIABLE, "not a literal", id="not-literal"
        ),
        pytest.param(
            "ARG V=3\nFROM alpine:$V AS a\nFROM node:$V\n",
            Verdict.VARIABLE,
            "shared by different images",
            id="shared",
        ),
        pytest.param(
            "ARG V=3\nARG W=$V\nFROM alpine:$V\n",
            Verdict.VARIABLE,
            "also used on line 2",
            id="other",
        ),
        pytest.param(
            "ARG V=3\nFROM alpine:$V\nARG V\nRUN echo $V\n",
            Verdict.VARIABLE,
            "ARG V is declared again in stage #0 on line 3",
            id="redeclared",
        ),
        pytest.param(
            "ARG V=3\nARG V=4\nFROM alpine:$V\n", Verdict.VARIABLE, "declared 2 times", id="twice"
        ),
        pytest.param(
            "ARG V=1\nFROM x:${V:-2}\n",
            Verdict.VARIABLE,
            "wins over the inline",
            id="both-defaults",
        ),
        pytest.param("FROM ${V:?required}\n", Verdict.VARIABLE, "no default image", id="required"),
        pytest.param("FROM ${V:+x}\n", Verdict.VARIABLE, "no default image", id="alternate"),
        pytest.param(
            "FROM a:1@sha256:" + HEX + " AS a\nCOPY --from=$IMG / /\n",
            Verdict.VARIABLE,
            "inside the stage",
            id="copy-from-variable",
        ),
        pytest.param(
            f"FROM a:1@sha256:{HEX} AS Build\nCOPY --from=build / /\n",
            Verdict.STAGE,
            "earlier build stage",
            id="copy-from-stage",
        ),
        pytest.param(
            f"FROM a:1@sha256:{HEX}\nCOPY --from=0 / /\n", Verdict.STAGE, "index", id="copy-index"
        ),
        pytest.param(
            f"FROM a:1@sha256:{HEX} AS deps\nRUN --mount=type=cache,from=deps,target=/x true\n",
            Verdict.STAGE,
            "earlier build stage",
            id="mount-from-stage",
        ),
        pytest.param(
            f"ARG V=3.18@sha256:{HEX}\nFROM alpine:$V\n", Verdict.PINNED, "", id="arg-pinned"
        ),
        pytest.param(
            f"FROM ${{B:-python:3.12@sha256:{HEX}}}\n", Verdict.PINNED, "", id="inline-pinned"
        ),
    ],
)
def test_images_noop(src: str, verdict: Verdict, reason: str) -> None:
    assert pin_text(src) == src
    site = next(s for s in scan_dockerfile("Dockerfile", src) if s.verdict is verdict)
    assert reason in site.reason
    # The advice to name the whole image in one variable, only where the
    # file does not do so already.
    advised = "name the whole image in one variable" in site.reason
    whole = site.text.lstrip("$").strip("{}").isidentifier()
    if verdict is Verdict.VARIABLE and reason not in ("no default image", "wins over the inline"):
        assert advised is (not whole and "declared again" not in reason), site.reason


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param(
            "ARG BASE=python:3.12\nFROM ${BASE} AS build\nARG BASE\nRUN echo $BASE\n",
            "ARG BASE is declared again in stage 'build' on line 3, where RUN would see the"
            " digest; give the variable that stage uses another name",
            id="redeclared-in-a-named-stage",
        ),
        pytest.param(
            "ARG BASE\nFROM $BASE\n",
            "ARG BASE has no default value; give it one: ARG BASE=python:3.12",
            id="whole-image-without-default",
        ),
        pytest.param(
            "ARG V\nFROM alpine:$V\n",
            "ARG V has no default value; to pin it, name the whole image in one variable:"
            " ARG BASE=python:3.12, FROM ${BASE}",
            id="tag-without-default",
        ),
    ],
)
def test_skip_messages_never_advise_what_the_file_already_does(src: str, reason: str) -> None:
    [site] = [s for s in scan_dockerfile("Dockerfile", src) if s.verdict is Verdict.VARIABLE]
    assert site.reason == reason


def test_arg_site_points_at_the_default_and_names_its_uses() -> None:
    src = "# base\nARG BASE=python:3.12\nFROM ${BASE} AS a\nFROM ${BASE}\n"
    sites = scan_dockerfile("Dockerfile", src)
    assert len(sites) == 1
    site = sites[0]
    assert (site.kind, site.line, site.column, site.text) == (
        SiteKind.ARG_DEFAULT,
        2,
        10,
        "python:3.12",
    )
    assert site.reference is not None and site.reference.original == "python:3.12"
    assert "used on line 3, 4" in site.reason


def test_heredoc_body_with_copy_from_is_shell_text() -> None:
    src = "FROM scratch\nRUN <<EOF\nCOPY --from=nginx:1 / /\nRUN --mount=from=alpine:3 x\nEOF\n"
    kinds = {site.kind for site in scan_dockerfile("Dockerfile", src)}
    assert kinds == {SiteKind.FROM}
    assert pin_text(src) == src
