"""Read as BuildKit reads: keywords continued on the next line, quoted ARG
values and flags, and stage names reached through variables."""

from __future__ import annotations

import pytest

from pinner.expansion import expand
from pinner.kinds.dockerfile import scan_dockerfile
from pinner.kinds.dockerfile.words import Word, csv_fields, unquote
from pinner.site import SiteKind, Verdict
from tests.support.pinning import expand_pins, pin_text

HEX = "0" * 64
PINNED = f"alpine:3@sha256:{HEX}"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM\\\n  python:3.12 AS x\n",
            "FROM\\\n  python:3.12@PIN(python:3.12) AS x\n",
            id="from-escape",
        ),
        pytest.param(
            "from\\\r\n python:3.12\r\n",
            "from\\\r\n python:3.12@PIN(python:3.12)\r\n",
            id="from-escape-lower-crlf",
        ),
        pytest.param(
            "# escape=`\nFROM`\n python:3.12\n",
            "# escape=`\nFROM`\n python:3.12@PIN(python:3.12)\n",
            id="from-backtick",
        ),
        pytest.param(
            "FR\\\nOM python:3.12\n",
            "FR\\\nOM python:3.12@PIN(python:3.12)\n",
            id="keyword-split",
        ),
        pytest.param(
            "FROM scratch\nCOPY\\\n --from=nginx:1.25 / /\n",
            "FROM scratch\nCOPY\\\n --from=nginx:1.25@PIN(nginx:1.25) / /\n",
            id="copy-escape",
        ),
        pytest.param(
            "FROM scratch\nRUN\\\n --mount=from=alpine:3,target=/a true\n",
            "FROM scratch\nRUN\\\n --mount=from=alpine:3@PIN(alpine:3),target=/a true\n",
            id="run-escape",
        ),
        pytest.param(
            "FROM scratch\nONBUILD\\\n COPY --from=nginx:1.25 / /\n",
            "FROM scratch\nONBUILD\\\n COPY --from=nginx:1.25@PIN(nginx:1.25) / /\n",
            id="onbuild-escape",
        ),
        pytest.param(
            'ARG V="3".18\nFROM alpine:$V\n',
            'ARG V="3".18@PIN(alpine:3.18)\nFROM alpine:$V\n',
            id="arg-quoted-then-bare",
        ),
        pytest.param(
            "ARG BASE=python:'3.12'\nFROM $BASE\n",
            "ARG BASE=python:'3.12@PIN(python:3.12)'\nFROM $BASE\n",
            id="arg-bare-then-single-quoted",
        ),
        pytest.param(
            "ARG BASE=python:\\\n3.12\nFROM ${BASE}\n",
            "ARG BASE=python:\\\n3.12@PIN(python:3.12)\nFROM ${BASE}\n",
            id="arg-continued",
        ),
        pytest.param(
            'ARG BASE="python:\\\r\n3.12"\r\nFROM ${BASE}\r\n',
            'ARG BASE="python:\\\r\n3.12@PIN(python:3.12)"\r\nFROM ${BASE}\r\n',
            id="arg-quoted-continued-crlf",
        ),
        pytest.param(
            "ARG V=3.\\18\nFROM alpine:$V\n",
            "ARG V=3.\\18@PIN(alpine:3.18)\nFROM alpine:$V\n",
            id="arg-escaped-character",
        ),
        pytest.param(
            'FROM scratch\nRUN --mount=type=bind,"from=golang:1.22",target=/src go build\n',
            'FROM scratch\nRUN --mount=type=bind,"from=golang:1.22@PIN(golang:1.22)",target=/src'
            " go build\n",
            id="mount-csv-quoted-field",
        ),
        pytest.param(
            'FROM scratch\nRUN --mount=type=bind,from="golang:1.22",target=/src go build\n',
            'FROM scratch\nRUN --mount=type=bind,from="golang:1.22@PIN(golang:1.22)",target=/src'
            " go build\n",
            id="mount-quoted-value",
        ),
        pytest.param(
            "FROM scratch\nRUN --mount='type=bind,from=golang:1.22' go build\n",
            "FROM scratch\nRUN --mount='type=bind,from=golang:1.22@PIN(golang:1.22)' go build\n",
            id="mount-quoted-whole",
        ),
        pytest.param(
            'FROM scratch\nCOPY --from="nginx:1.25" / /\n',
            'FROM scratch\nCOPY --from="nginx:1.25@PIN(nginx:1.25)" / /\n',
            id="copy-from-quoted",
        ),
    ],
)
def test_read_as_buildkit_reads_fix(src: str, expected: str) -> None:
    assert pin_text(src) == expand_pins(expected)
    assert pin_text(expand_pins(expected)) == expand_pins(expected)


@pytest.mark.parametrize(
    ("src", "kind", "verdict", "reason"),
    [
        pytest.param(
            'ARG SYSTEMD="false"\n'
            f"FROM {PINNED} AS dev-systemd-false\n"
            f"FROM {PINNED} AS dev-systemd-true\n"
            "FROM dev-systemd-${SYSTEMD} AS dev\n",
            SiteKind.FROM,
            Verdict.STAGE,
            "names the earlier build stage 'dev-systemd-false'",
            id="from-arg-names-a-stage",
        ),
        pytest.param(
            f"ARG V=False\nFROM {PINNED} AS Dev-False\nFROM dev-$V\n",
            SiteKind.FROM,
            Verdict.STAGE,
            "'dev-False'",
            id="stage-any-case",
        ),
        pytest.param(
            f"FROM {PINNED} AS builder\nFROM ${{BASE:-builder}}\n",
            SiteKind.FROM,
            Verdict.STAGE,
            "earlier build stage 'builder'",
            id="inline-default-names-a-stage",
        ),
        pytest.param(
            f"ARG FLAVOUR=slim\nFROM {PINNED} AS build-slim\nFROM scratch\nARG FLAVOUR\n"
            "COPY --from=build-${FLAVOUR} / /\n",
            SiteKind.COPY_FROM,
            Verdict.STAGE,
            "'build-slim'",
            id="copy-from-inherited-global-default",
        ),
        pytest.param(
            f"FROM {PINNED} AS deps\nFROM scratch\nARG SRC=deps\nRUN --mount=from=$SRC,target=/x true\n",
            SiteKind.MOUNT_FROM,
            Verdict.STAGE,
            "'deps'",
            id="mount-from-stage-default",
        ),
        pytest.param(
            f'FROM {PINNED} AS deps\nFROM scratch\nRUN --mount=type=bind,"from=deps",target=/x true\n',
            SiteKind.MOUNT_FROM,
            Verdict.STAGE,
            "'deps' names an earlier build stage",
            id="mount-quoted-stage",
        ),
        pytest.param(
            "ARG BASE=scratch\nFROM $BASE\n",
            SiteKind.FROM,
            Verdict.SCRATCH,
            "scratch",
            id="arg-scratch",
        ),
        pytest.param(
            f"ARG V=false\nFROM {PINNED} AS dev-false\nFROM dev-$V AS a\nFROM img:$V\n",
            SiteKind.FROM,
            Verdict.VARIABLE,
            "ARG V is also used on line 3",
            id="same-arg-for-a-stage-and-an-image",
        ),
        pytest.param(
            'ARG V="3.18\nFROM alpine:$V\n',
            SiteKind.FROM,
            Verdict.VARIABLE,
            "not a literal image",
            id="arg-unclosed-quote",
        ),
        pytest.param(
            f'ARG V="3.18@sha"256:{HEX}\nFROM alpine:$V\n',
            SiteKind.ARG_DEFAULT,
            Verdict.NOT_PLAIN,
            "digest is split",
            id="arg-digest-split-by-quotes",
        ),
    ],
)
def test_read_as_buildkit_reads_noop(
    src: str, kind: SiteKind, verdict: Verdict, reason: str
) -> None:
    assert pin_text(src) == src
    site = next(s for s in scan_dockerfile("Dockerfile", src) if s.verdict is verdict)
    assert site.kind is kind
    assert reason in site.reason


def test_a_stage_defined_later_is_an_image_there() -> None:
    src = f"ARG B=later\nFROM $B AS first\nFROM {PINNED} AS later\n"
    assert pin_text(src) == src.replace("B=later", "B=later:latest@" + _fake("later:latest"))


def test_quoted_values_report_where_they_stand() -> None:
    src = 'ARG V="3".18\nFROM alpine:$V\nFROM --platform="linux/arm64" python:3.12\n'
    arg, python = sorted(scan_dockerfile("Dockerfile", src), key=lambda site: site.start)
    assert (arg.kind, arg.line, arg.column, arg.text) == (SiteKind.ARG_DEFAULT, 1, 8, '3".18')
    assert arg.reference is not None and arg.reference.original == "alpine:3.18"
    assert arg.digest_offset == src.index("18") + 2
    assert python.platform == "linux/arm64"


@pytest.mark.parametrize(
    ("text", "flag", "value", "expands"),
    [
        ('"3".18', False, "3.18", False),
        ("python:'3.12'", False, "python:3.12", False),
        ('"a\\"b"', False, 'a"b', False),
        ('"a\\b"', False, "a\\b", False),
        ('"a\\b"', True, "ab", False),
        ("'a\\b'", False, "a\\b", False),
        ("$V", False, "$V", True),
        ("\\$V", False, "$V", False),
        ("'$V'", False, "$V", False),
        ('"$V"', False, "$V", True),
    ],
)
def test_unquote(text: str, flag: bool, value: str, expands: bool) -> None:
    word = unquote(text, range(10, 10 + len(text)), "\\", flag=flag)
    assert word is not None
    assert (word.value, word.expands) == (value, expands)
    assert all(text[offset - 10] == char for offset, char in zip(word.offsets, value, strict=True))


def test_unquote_refuses_an_unclosed_quote() -> None:
    assert unquote("'abc", range(4), "\\") is None


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("type=bind,from=x,target=/s", ["type=bind", "from=x", "target=/s"]),
        ('type=bind,"from=a,b""c",x', ["type=bind", 'from=a,b"c', "x"]),
        ('"from=x"', ["from=x"]),
        ("a,,b", ["a", "", "b"]),
    ],
)
def test_csv_fields(text: str, fields: list[str]) -> None:
    word = Word(text, tuple(range(len(text))))
    found = list(csv_fields(word))
    assert [field.value for field in found] == fields
    for field in found:
        assert "".join(text[offset] for offset in field.offsets) == field.value


@pytest.mark.parametrize(
    ("text", "defaults", "expanded"),
    [
        ("dev-${S}", {"S": "false"}, "dev-false"),
        ("dev-$S", {"S": "false"}, "dev-false"),
        ("${B:-builder}", {}, "builder"),
        ("${B:-builder}", {"B": "other"}, "other"),
        ("${B-builder}", {"B": None}, "builder"),
        ("x${B:+-y}", {"B": "1"}, "x-y"),
        ("x${B:+-y}", {"B": None}, "x"),
        ("$UNDECLARED", {}, None),
        ("$NO_DEFAULT", {"NO_DEFAULT": None}, None),
        ("${B:?error}", {"B": "1"}, None),
    ],
)
def test_expand(text: str, defaults: dict[str, str | None], expanded: str | None) -> None:
    assert expand(text, defaults) == expanded


def _fake(reference: str) -> str:
    return expand_pins(f"@PIN({reference})")[1:]
