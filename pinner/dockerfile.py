"""Dockerfile text -> sites (pure).

Images are named by ``FROM``, ``COPY --from=`` and ``RUN --mount=...,from=``
(also under ``ONBUILD``), and through variables: an inline default
(``${V:-python:3.12}``) or a global ``ARG`` default.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace

from pinner.dockerfile_args import ArgDeclaration, ArgUse, Use, arg_problem, declarations
from pinner.dockerfile_lexer import Instruction, LexedDockerfile, Token, lex
from pinner.expansion import DOCKERFILE_ADVICE, trailing_expansion
from pinner.reference import ImageReference
from pinner.site import IGNORE_COMMENT, Site, SiteKind, Verdict, classify_literal

_FROM_IN_SHELL_TEXT = re.compile(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)


class _Scanner:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lexed: LexedDockerfile = lex(text)
        self.sites: list[Site] = []
        self.arguments: dict[str, list[ArgDeclaration]] = defaultdict(list)
        self.arg_uses: dict[str, list[ArgUse]] = defaultdict(list)
        self.stages: set[str] = set()  # names of the stages defined so far, lower case

    def scan(self) -> list[Site]:
        # Classified as they are found, so that ``stages`` holds the earlier stages.
        for use in self._uses():
            self._classify(use)
        for name, group in self.arg_uses.items():
            self._classify_arg_group(name, group)
        self.sites.extend(self._heredoc_sites())
        self.sites.sort(key=lambda site: site.start)
        return self.sites

    # -- finding the places that name images ---------------------------------

    def _uses(self) -> Iterator[Use]:
        in_stage = False
        for instruction in self.lexed.instructions:
            keyword = instruction.keyword
            if keyword == "ARG":
                self._declare_arguments(instruction, in_stage)
            elif keyword == "FROM" and not instruction.onbuild:
                tokens = self.lexed.tokens(instruction)
                words = _after_flags(tokens)
                if words:
                    use = self._use(instruction, SiteKind.FROM, words[0], 0, len(words[0].text))
                    yield replace(use, platform=_platform_flag(tokens))
                if len(words) >= 3 and words[1].text.lower() == "as":
                    self.stages.add(words[2].text.lower())
                in_stage = True
            elif keyword == "COPY" and self._mentions(instruction, "--from="):
                for flag in _flags(self.lexed.words(instruction)):
                    if flag.text.startswith("--from="):
                        yield self._use(instruction, SiteKind.COPY_FROM, flag, 7, len(flag.text))
            elif keyword == "RUN" and self._mentions(instruction, "--mount="):
                for flag in _flags(self.lexed.words(instruction)):
                    if flag.text.startswith("--mount="):
                        for begin, end in _mount_from_values(flag.text):
                            yield self._use(instruction, SiteKind.MOUNT_FROM, flag, begin, end)

    def _mentions(self, instruction: Instruction, text: str) -> bool:
        # A cheap test first: most instructions need no tokens at all.
        return any(text in self.lexed.contents[number] for number in instruction.part_lines)

    def _use(
        self, instruction: Instruction, kind: SiteKind, token: Token, begin: int, end: int
    ) -> Use:
        text = token.text[begin:end]
        start = token.start + begin
        return Use(kind, text, start, token.line, token.contiguous, instruction.first_line)

    def _ignored(self, instruction_line: int) -> bool:
        """``# pinner: ignore`` on the line above the instruction."""
        above = self.lexed.contents[instruction_line - 1] if instruction_line > 0 else ""
        return above.lstrip().startswith("#") and IGNORE_COMMENT.search(above) is not None

    def _declare_arguments(self, instruction: Instruction, in_stage: bool) -> None:
        for declaration in declarations(self.lexed, instruction, in_stage):
            self.arguments[declaration.name].append(declaration)

    # -- deciding what to do with each -----------------------------------------

    def _classify(self, use: Use) -> None:
        text = use.text
        if self._ignored(use.instruction_line):
            self._add(use, Verdict.IGNORED, "marked '# pinner: ignore'")
        elif text == "scratch":
            self._add(use, Verdict.SCRATCH, "scratch is the empty image")
        elif use.kind is not SiteKind.FROM and text.isdigit():
            self._add(use, Verdict.STAGE, f"{text} is the index of a build stage")
        elif text.lower() in self.stages:
            self._add(use, Verdict.STAGE, f"{text!r} names an earlier build stage")
        elif not use.contiguous:
            self._add(
                use, Verdict.IGNORED, "the reference is split across lines; join it to pin it"
            )
        elif "$" in text:
            self._classify_variable(use)
        else:
            verdict, reason, reference = classify_literal(text)
            self._add(use, verdict, reason, reference)

    def _classify_variable(self, use: Use) -> None:
        expansion = trailing_expansion(use.text, DOCKERFILE_ADVICE)
        if isinstance(expansion, str):
            self._add(use, Verdict.VARIABLE, expansion)
            return
        if expansion.default is None:
            self.arg_uses[expansion.name].append(ArgUse(use, expansion))
            return
        declared = [d for d in self.arguments[expansion.name] if not d.in_stage]
        if any(declaration.value is not None for declaration in declared):
            self._add(
                use,
                Verdict.VARIABLE,
                f"ARG {expansion.name} has a default, which wins over the inline one; keep one",
            )
            return
        verdict, reason, reference = classify_literal(expansion.prefix + expansion.default)
        insert_at = use.start + expansion.default_start + len(expansion.default)
        self._add(use, verdict, reason, reference, insert_at=insert_at)

    def _classify_arg_group(self, name: str, group: list[ArgUse]) -> None:
        problem = arg_problem(self.lexed, name, group, self.arguments.get(name, []))
        if problem is not None:
            for arg_use in group:
                self._add(arg_use.use, Verdict.VARIABLE, f"{problem}; {DOCKERFILE_ADVICE}")
            return
        declaration = self.arguments[name][0]
        assert declaration.value is not None
        verdict, reason, reference = classify_literal(group[0].expansion.prefix + declaration.value)
        if self._ignored(declaration.instruction_line):
            verdict, reason = Verdict.IGNORED, "marked '# pinner: ignore'"
        lines = ", ".join(str(arg_use.use.line + 1) for arg_use in group)
        value_end = declaration.value_start + len(declaration.value)
        self.sites.append(
            self._site(
                SiteKind.ARG_DEFAULT,
                declaration.value,
                declaration.value_start,
                declaration.line,
                verdict,
                reason or f"the default of ARG {name}, used on line {lines}",
                reference,
                value_end,
            )
        )

    # -- building sites -----------------------------------------------------------

    def _add(
        self,
        use: Use,
        verdict: Verdict,
        reason: str,
        reference: ImageReference | None = None,
        insert_at: int | None = None,
    ) -> None:
        site = self._site(
            use.kind, use.text, use.start, use.line, verdict, reason, reference, insert_at
        )
        self.sites.append(replace(site, platform=use.platform) if use.platform else site)

    def _site(
        self,
        kind: SiteKind,
        text: str,
        start: int,
        line: int,
        verdict: Verdict,
        reason: str,
        reference: ImageReference | None,
        insert_at: int | None,
    ) -> Site:
        return Site(
            path=self.path,
            line=line + 1,
            column=start - self.lexed.starts[line] + 1,
            start=start,
            end=start + len(text),
            kind=kind,
            text=text,
            verdict=verdict,
            reference=reference,
            reason=reason,
            insert_at=insert_at,
        )

    def _heredoc_sites(self) -> Iterator[Site]:
        # A FROM line in a heredoc body is shell text; say so rather than stay silent.
        for body in self.lexed.heredocs:
            for line in body.lines:
                match = _FROM_IN_SHELL_TEXT.match(line.content)
                if match is None:
                    continue
                yield self._site(
                    SiteKind.FROM,
                    match.group(1),
                    line.start + match.start(1),
                    line.number,
                    Verdict.HEREDOC,
                    f"inside the heredoc body of the {body.instruction.keyword} on line"
                    f" {body.instruction.first_line + 1}: shell text, not an instruction",
                    None,
                    None,
                )


def scan_dockerfile(path: str, text: str) -> list[Site]:
    """Every image reference in a Dockerfile, in file order."""
    return _Scanner(path, text).scan()


def _flags(tokens: Iterable[Token]) -> list[Token]:
    flags = []
    for token in tokens:
        if not token.text.startswith("--"):
            break
        flags.append(token)
    return flags


def _platform_flag(tokens: tuple[Token, ...]) -> str:
    for flag in _flags(tokens):
        if flag.text.startswith("--platform="):
            return flag.text[len("--platform=") :]
    return ""


def _after_flags(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    return tokens[len(_flags(tokens)) :]


def _mount_from_values(flag: str) -> Iterator[tuple[int, int]]:
    """Offsets (in the flag's text) of each ``from=`` value of a ``--mount=`` flag."""
    position = len("--mount=")
    for field in flag[position:].split(","):
        key, separator, value = field.partition("=")
        if separator and key.strip().lower() == "from" and value:
            begin = position + len(key) + 1
            yield begin, begin + len(value)
        position += len(field) + 1
