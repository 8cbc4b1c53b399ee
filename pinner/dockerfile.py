"""Dockerfile text -> sites (pure)."""

from __future__ import annotations

import re

from pinner.dockerfile_lexer import Instruction, LexedDockerfile, Token, lex
from pinner.reference import ImageReference, InvalidReferenceError, parse_reference
from pinner.site import Site, SiteKind, Verdict

_FROM_IN_SHELL_TEXT = re.compile(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)


def scan_dockerfile(path: str, text: str) -> list[Site]:
    """Every image reference in a Dockerfile, in file order."""
    lexed = lex(text)
    sites: list[Site] = []
    stages: set[str] = set()
    for instruction in lexed.instructions:
        if instruction.keyword == "FROM" and not instruction.onbuild:
            site = _from_site(path, lexed, instruction, stages)
            if site is not None:
                sites.append(site)
            stage = _stage_name(lexed.tokens(instruction))
            if stage is not None:
                stages.add(stage.lower())
    sites.extend(_heredoc_sites(path, lexed))
    sites.sort(key=lambda site: site.start)
    return sites


def _stage_name(tokens: tuple[Token, ...]) -> str | None:
    words = _without_flags(tokens)
    if len(words) >= 3 and words[1].text.lower() == "as":
        return words[2].text
    return None


def _without_flags(tokens: tuple[Token, ...]) -> list[Token]:
    words = list(tokens)
    while words and words[0].text.startswith("--"):
        words.pop(0)
    return words


def _from_site(
    path: str, lexed: LexedDockerfile, instruction: Instruction, stages: set[str]
) -> Site | None:
    words = _without_flags(lexed.tokens(instruction))
    if not words:
        return None
    image = words[0]
    verdict, reason, reference = _classify(image, stages)
    line, column = _position(lexed, image)
    return Site(
        path=path,
        line=line,
        column=column,
        start=image.start,
        end=image.end,
        kind=SiteKind.FROM,
        text=image.text,
        verdict=verdict,
        reference=reference,
        reason=reason,
    )


def _classify(image: Token, stages: set[str]) -> tuple[Verdict, str, ImageReference | None]:
    text = image.text
    if text == "scratch":
        return Verdict.SCRATCH, "scratch is the empty image", None
    if text.lower() in stages:
        return Verdict.STAGE, f"{text!r} names an earlier build stage", None
    if "$" in text:
        return (
            Verdict.VARIABLE,
            "the reference uses a variable, so the image it names is only known at build"
            " time; write the image literally to pin it",
            None,
        )
    if not image.contiguous:
        return (
            Verdict.IGNORED,
            "the reference is split across continuation lines; join it to pin it",
            None,
        )
    try:
        reference = parse_reference(text)
    except InvalidReferenceError as error:
        return Verdict.INVALID, str(error), None
    if reference.digest is not None and reference.tag is None:
        return Verdict.DIGEST_ONLY, "pinned to a digest without a tag to follow", reference
    if reference.digest is not None:
        return Verdict.PINNED, "already pinned", reference
    return Verdict.PIN, "", reference


def _position(lexed: LexedDockerfile, token: Token) -> tuple[int, int]:
    return token.line + 1, token.start - lexed.starts[token.line] + 1


def _heredoc_sites(path: str, lexed: LexedDockerfile) -> list[Site]:
    # A FROM line in a heredoc body is shell text; say so rather than stay silent.
    sites = []
    for body in lexed.heredocs:
        for line in body.lines:
            match = _FROM_IN_SHELL_TEXT.match(line.content)
            if match is None:
                continue
            start = line.start + match.start(1)
            sites.append(
                Site(
                    path=path,
                    line=line.number + 1,
                    column=match.start(1) + 1,
                    start=start,
                    end=start + len(match.group(1)),
                    kind=SiteKind.FROM,
                    text=match.group(1),
                    verdict=Verdict.HEREDOC,
                    reason=f"inside the heredoc body of the {body.instruction.keyword}"
                    f" on line {body.instruction.first_line + 1}: shell text, not an"
                    " instruction",
                )
            )
    return sites
