from __future__ import annotations

import pytest
from dockerfile_parse import DockerfileParser

from pinner.kinds.dockerfile import scan_dockerfile
from pinner.kinds.dockerfile.lexer import lex
from pinner.site import SiteKind, Verdict
from tests.support.pinning import expand_pins, pin_text

HEX = "0" * 64


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("FROM python:3.12\n", "FROM python:3.12@PIN(python:3.12)\n", id="plain"),
        pytest.param(
            "FROM --platform=linux/amd64 python:3.12 AS build\n",
            "FROM --platform=linux/amd64 python:3.12@PIN(python:3.12) AS build\n",
            id="platform-flag",
        ),
        pytest.param(
            "FROM --platform=$BUILDPLATFORM --foo=bar golang:1.22 AS build\n",
            "FROM --platform=$BUILDPLATFORM --foo=bar golang:1.22@PIN(golang:1.22) AS build\n",
            id="several-flags",
        ),
        pytest.param(
            "from python:3.12 as build\n",
            "from python:3.12@PIN(python:3.12) as build\n",
            id="lower-case",
        ),
        pytest.param(
            "FROM python:3.12 As Build\nFROM build\n",
            "FROM python:3.12@PIN(python:3.12) As Build\nFROM build\n",
            id="as-mixed-case-and-stage",
        ),
        pytest.param(
            "FROM \\\n    python:3.12 \\\n    AS build\n",
            "FROM \\\n    python:3.12@PIN(python:3.12) \\\n    AS build\n",
            id="continuation",
        ),
        pytest.param(
            "FROM --platform=linux/amd64 \\\n# a comment\n\n    python:3.12 AS build\n",
            "FROM --platform=linux/amd64 \\\n# a comment\n\n    python:3.12@PIN(python:3.12)"
            " AS build\n",
            id="continuation-comment-blank",
        ),
        pytest.param(
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n    AS base\n"
            "RUN dir C:\\\nFROM base\n",
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022"
            "@PIN(mcr.microsoft.com/windows/servercore:ltsc2022) `\n    AS base\n"
            "RUN dir C:\\\nFROM base\n",
            id="escape-backtick",
        ),
        pytest.param(
            "# syntax=docker/dockerfile:1\n# escape=\\\nFROM python:3.12\n",
            "# syntax=docker/dockerfile:1@PIN(docker/dockerfile:1)\n# escape=\\\n"
            "FROM python:3.12@PIN(python:3.12)\n",
            id="directives",
        ),
        pytest.param(
            "\ufeffFROM python:3.12\n", "\ufeffFROM python:3.12@PIN(python:3.12)\n", id="bom"
        ),
        pytest.param(
            "FROM pyth\\\non:3.12\n",
            "FROM pyth\\\non:3.12@PIN(python:3.12)\n",
            id="split-reference-joined-as-buildkit-does",
        ),
        pytest.param(
            "FROM python:3.12\r\nRUN echo hi\r\nFROM alpine:3.19 AS x\r\n",
            "FROM python:3.12@PIN(python:3.12)\r\nRUN echo hi\r\n"
            "FROM alpine:3.19@PIN(alpine:3.19) AS x\r\n",
            id="crlf",
        ),
        pytest.param(
            "FROM alpine\n", "FROM alpine:latest@PIN(alpine:latest)\n", id="untagged-latest"
        ),
        pytest.param(
            "FROM localhost:5000/team/app:v1\n",
            "FROM localhost:5000/team/app:v1@PIN(localhost:5000/team/app:v1)\n",
            id="registry-port",
        ),
        pytest.param(
            "RUN <<EOF\nFROM fake:1\nEOF\nFROM python:3.12\n",
            "RUN <<EOF\nFROM fake:1\nEOF\nFROM python:3.12@PIN(python:3.12)\n",
            id="after-heredoc",
        ),
        pytest.param(
            "RUN <<-'END'\n\tFROM fake:1\n\tEND\nFROM python:3.12\n",
            "RUN <<-'END'\n\tFROM fake:1\n\tEND\nFROM python:3.12@PIN(python:3.12)\n",
            id="after-heredoc-dash-quoted",
        ),
        pytest.param(
            'COPY <<"EOF" /etc/x\nFROM fake:1\nEOF\nFROM python:3.12\n',
            'COPY <<"EOF" /etc/x\nFROM fake:1\nEOF\nFROM python:3.12@PIN(python:3.12)\n',
            id="after-copy-heredoc",
        ),
        pytest.param(
            "FROM python:3.12\nFROM python:3.12 AS again\n",
            "FROM python:3.12@PIN(python:3.12)\nFROM python:3.12@PIN(python:3.12) AS again\n",
            id="same-image-twice",
        ),
        pytest.param(
            "FROM python:3.12", "FROM python:3.12@PIN(python:3.12)", id="no-final-newline"
        ),
        pytest.param(
            "  FROM\tpython:3.12  \n", "  FROM\tpython:3.12@PIN(python:3.12)  \n", id="whitespace"
        ),
    ],
)
def test_pin_fix(src: str, expected: str) -> None:
    assert pin_text(src) == expand_pins(expected)
    # Pinning again changes nothing.
    assert pin_text(expand_pins(expected)) == expand_pins(expected)


@pytest.mark.parametrize(
    ("src", "verdict"),
    [
        pytest.param(f"FROM python:3.12@sha256:{HEX}\n", Verdict.PINNED, id="pinned"),
        pytest.param(f"FROM python@sha256:{HEX}\n", Verdict.DIGEST_ONLY, id="digest-only"),
        pytest.param("FROM scratch\n", Verdict.SCRATCH, id="scratch"),
        pytest.param("FROM $BASE\n", Verdict.VARIABLE, id="variable"),
        pytest.param("FROM ${BASE}\n", Verdict.VARIABLE, id="variable-braces"),
        pytest.param("FROM python:${V}\n", Verdict.VARIABLE, id="variable-tag"),
        pytest.param("FROM Python:3\n", Verdict.INVALID, id="invalid"),
        pytest.param("RUN <<EOF\nFROM python:3.12\nEOF\n", Verdict.HEREDOC, id="heredoc"),
        pytest.param("RUN <<-EOF\n\tFROM python:3.12\n\tEOF\n", Verdict.HEREDOC, id="heredoc-dash"),
        pytest.param(
            "RUN cat <<'A' <<B\nx\nA\nFROM python:3.12\nB\n", Verdict.HEREDOC, id="two-heredocs"
        ),
        pytest.param(
            "ONBUILD RUN <<EOF\nFROM python:3.12\nEOF\n", Verdict.HEREDOC, id="onbuild-heredoc"
        ),
        pytest.param(
            f"FROM python:3.12@sha256:{HEX} AS Base\nFROM BASE\n", Verdict.STAGE, id="stage-case"
        ),
        pytest.param(f"FROM python:3.12@sha\\\n256:{HEX}\n", Verdict.NOT_PLAIN, id="split-digest"),
    ],
)
def test_pin_noop(src: str, verdict: Verdict) -> None:
    assert pin_text(src) == src
    sites = scan_dockerfile("Dockerfile", src)
    assert sites[-1].verdict is verdict
    if verdict is not Verdict.PINNED:
        assert sites[-1].reason


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("# FROM python:3.12\n", id="comment"),
        pytest.param("RUN echo \\\n  FROM python:3.12\n", id="inside-run-continuation"),
        pytest.param("RUN echo FROM python:3.12\n", id="run-text"),
        pytest.param("LABEL from=python:3.12\n", id="label"),
        pytest.param("", id="empty"),
        pytest.param("\ufeff", id="only-bom"),
    ],
)
def test_no_site(src: str) -> None:
    assert [s for s in scan_dockerfile("Dockerfile", src) if s.kind is SiteKind.FROM] == []
    assert pin_text(src) == src


def test_site_positions_are_one_based_and_skip_the_bom() -> None:
    site = scan_dockerfile("Dockerfile", "\ufeffFROM python:3.12\n")[0]
    assert (site.line, site.column) == (1, 6)
    site = scan_dockerfile("Dockerfile", "ARG X\n\nFROM  --platform=a python:3.12\n")[0]
    assert (site.line, site.column, site.text) == (3, 20, "python:3.12")


def test_stage_names_are_only_earlier_stages() -> None:
    sites = scan_dockerfile("Dockerfile", "FROM later\nFROM alpine:3 AS later\n")
    assert sites[0].verdict is Verdict.PIN


def test_escape_directive_only_at_the_top() -> None:
    # After another line the directive is an ordinary comment: "`" escapes nothing.
    text = "FROM a:1\n# escape=`\nFROM b:1 `\nFROM c:1\n"
    sites = scan_dockerfile("Dockerfile", text)
    assert [s.text for s in sites] == ["a:1", "b:1", "c:1"]


@pytest.mark.parametrize(
    "src",
    [
        "FROM python:3.12 AS build\nRUN echo a \\\n  && echo b\n\nCOPY . /src\nFROM build\n",
        "# syntax=docker/dockerfile:1\nfrom alpine\nrun apk add \\\n    curl \\\n    git\n",
        'FROM a\r\nRUN x \\\r\n  y\r\nCMD ["z"]\r\n',
        # dockerfile-parse names these keywords "FROM\\" and "RUN\\"; the lines agree.
        "FROM\\\n  python:3.12 AS x\nRUN\\\n  true\n",
        'ARG V="3".18 B=python:\\\n3.12\nFROM a\n',
    ],
)
def test_instruction_line_ranges_match_dockerfile_parse(src: str, tmp_path: object) -> None:
    parser = DockerfileParser(fileobj=__import__("io").BytesIO(src.encode()))
    theirs = [
        (item["startline"], item["endline"])
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]
    ours = [(i.first_line, i.last_line) for i in lex(src).instructions]
    assert ours == theirs
