"""Dockerfile text -> sites (pure).

Images are named by ``FROM``, ``COPY --from=`` and ``RUN --mount=...,from=``
(also under ``ONBUILD``), and through variables: an inline default
(``${V:-python:3.12}``) or a global ``ARG`` default.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from pinner.expansion import DOCKERFILE_ADVICE, expand, trailing_expansion
from pinner.kinds.dockerfile.args import ArgDeclaration, ArgUse, Use, arg_problem, declarations
from pinner.kinds.dockerfile.lexer import Instruction, LexedDockerfile, Token, directives, lex
from pinner.kinds.dockerfile.words import Word, csv_fields, unquote
from pinner.reference import ImageReference
from pinner.site import IGNORE_COMMENT, Site, SiteKind, Verdict, classify_literal

_FROM_IN_SHELL_TEXT = re.compile(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)


class Stage(NamedTuple):
    """A build stage: the name it is given (lower case; "" for none) and the
    image or earlier stage its FROM names, with the ARG defaults filled in
    ("" where a variable has no default)."""

    name: str
    base: str


class _Scanner:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lexed: LexedDockerfile = lex(text)
        self.sites: list[Site] = []
        self.arguments: dict[str, list[ArgDeclaration]] = defaultdict(list)
        self.arg_uses: dict[str, list[ArgUse]] = defaultdict(list)
        self.stages: set[str] = set()  # names of the stages defined so far, lower case
        # The ARG defaults a use sees: the global ones in FROM, the stage's elsewhere.
        self.global_defaults: dict[str, str | None] = {}
        self.stage_defaults: dict[str, str | None] = {}
        self.stage_count = 0
        self.stage_label = ""  # the stage being read: 'name', or #index
        self.stage_list: list[Stage] = []  # every stage, in order

    def scan(self) -> list[Site]:
        # Classified as they are found, so that ``stages`` holds the earlier stages.
        for use in self._uses():
            self._classify(use)
        for name, group in self.arg_uses.items():
            self._classify_arg_group(name, group)
        self.sites.extend(self._heredoc_sites())
        self.sites.sort(key=lambda site: site.start)
        return self.sites

    # -- finding the places that name images, instruction by instruction -----

    def _uses(self) -> Iterator[Use]:
        yield from self._syntax_uses()
        in_stage = False
        for instruction in self.lexed.instructions:
            keyword = instruction.keyword
            if keyword == "ARG":
                self._declare_arguments(instruction, in_stage)
            elif keyword == "FROM" and not instruction.onbuild:
                yield from self._from_uses(instruction)
                in_stage = True
                self.stage_defaults = {}
            elif keyword == "COPY" and self._mentions(instruction, "--from="):
                yield from self._copy_uses(instruction)
            elif keyword == "RUN" and self._mentions(instruction, "--mount="):
                yield from self._mount_uses(instruction)

    def _syntax_uses(self) -> Iterator[Use]:
        # BuildKit pulls the image # syntax= names to parse the rest of the file.
        for directive in directives(self.lexed):
            if directive.name == "syntax" and directive.value:
                offsets = range(directive.start, directive.start + len(directive.value))
                word = Word(directive.value, offsets)
                yield Use(SiteKind.SYNTAX, word, directive.line, directive.line)

    def _from_uses(self, instruction: Instruction) -> Iterator[Use]:
        tokens = self.lexed.tokens(instruction)
        flags = _flags(tokens)
        words = tokens[len(flags) :]
        if words:
            word = Word(words[0].text, words[0].offsets(), "$" in words[0].text)
            platform = ""
            if any(flag.text.startswith("--platform=") for flag in flags):
                values = self._flag_values(flags, "--platform=")
                platform = next((value.value for _, value in values), "")
            yield Use(SiteKind.FROM, word, words[0].line, instruction.first_line, platform)
        self.stage_count += 1
        self.stage_label = f"#{self.stage_count - 1}"
        base = (expand(words[0].text, self.global_defaults) or "") if words else ""
        name = ""
        if len(words) >= 3 and words[1].text.lower() == "as":
            name = words[2].text.lower()
            self.stages.add(name)
            self.stage_label = f"'{words[2].text}'"
        self.stage_list.append(Stage(name, base))

    def _copy_uses(self, instruction: Instruction) -> Iterator[Use]:
        for flag, value in self._flag_values(_flags(self.lexed.words(instruction)), "--from="):
            yield Use(SiteKind.COPY_FROM, value, flag.line, instruction.first_line)

    def _mount_uses(self, instruction: Instruction) -> Iterator[Use]:
        # Most mounts are caches and secrets, with no from= field to split out.
        flags = [f for f in _flags(self.lexed.words(instruction)) if "from" in f.text.lower()]
        for flag, value in self._flag_values(flags, "--mount="):
            for field in csv_fields(value):
                key, separator, source = field.value.partition("=")
                if separator and key.strip().lower() == "from" and source:
                    word = field[len(key) + 1 :]
                    yield Use(SiteKind.MOUNT_FROM, word, flag.line, instruction.first_line)

    def _flag_values(self, flags: list[Token], prefix: str) -> Iterator[tuple[Token, Word]]:
        """The flags named ``prefix`` with their values, quotes taken off as
        BuildKit's flag parser does; a flag with an unclosed quote is passed over."""
        for flag in flags:
            if flag.text.startswith(prefix):
                word = unquote(flag.text, flag.offsets(), "\\", flag=True)
                if word is not None and len(word.value) > len(prefix):
                    yield flag, word[len(prefix) :]

    def _mentions(self, instruction: Instruction, text: str) -> bool:
        # A cheap test first: most instructions need no tokens at all.
        return any(text in self.lexed.contents[number] for number in instruction.part_lines)

    def _ignored(self, instruction_line: int) -> bool:
        """``# pinner: ignore`` on the line above the instruction."""
        above = self.lexed.contents[instruction_line - 1] if instruction_line > 0 else ""
        return above.lstrip().startswith("#") and IGNORE_COMMENT.search(above) is not None

    def _declare_arguments(self, instruction: Instruction, in_stage: bool) -> None:
        for declaration in declarations(self.lexed, instruction, in_stage, self.stage_label):
            self.arguments[declaration.name].append(declaration)
            value = declaration.value if declaration.literal else None
            if not in_stage:
                self.global_defaults[declaration.name] = value
            elif declaration.value is None:  # ``ARG V`` in a stage takes the global default
                self.stage_defaults[declaration.name] = self.global_defaults.get(declaration.name)
            else:
                self.stage_defaults[declaration.name] = value

    # -- deciding what to do with each -----------------------------------------

    def _classify(self, use: Use) -> None:
        value = use.value
        if use.kind is SiteKind.SYNTAX:
            self._add_literal(use, value)  # no variable, stage or scratch applies there
        elif self._ignored(use.instruction_line):
            # The report still names the image, when it is written out.
            reference = None if use.word.expands else classify_literal(value)[2]
            self._add(use, Verdict.IGNORED, "marked '# pinner: ignore'", reference)
        elif value == "scratch":
            self._add(use, Verdict.SCRATCH, "scratch is the empty image")
        elif use.kind is not SiteKind.FROM and value.isdigit():
            self._add(use, Verdict.STAGE, f"{value} is the index of a build stage", stage=value)
        elif value.lower() in self.stages:
            reason = f"{value!r} names an earlier build stage"
            self._add(use, Verdict.STAGE, reason, stage=value.lower())
        elif use.word.expands:
            self._classify_variable(use)
        else:
            self._add_literal(use, value)

    def _classify_variable(self, use: Use) -> None:
        defaults = self.global_defaults if use.kind is SiteKind.FROM else self.stage_defaults
        expanded = expand(use.value, defaults)
        if expanded is not None and expanded.lower() in self.stages:
            self._add(
                use,
                Verdict.STAGE,
                f"{use.value!r} names the earlier build stage {expanded!r} with the ARG defaults",
                stage=expanded.lower(),
            )
            return
        if expanded == "scratch":
            self._add(use, Verdict.SCRATCH, f"{use.value!r} is scratch, the empty image")
            return
        expansion = trailing_expansion(use.value, DOCKERFILE_ADVICE)
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
        default_end = expansion.default_start + len(expansion.default)
        self._add_literal(use, expansion.prefix + expansion.default, use.word[:default_end])

    def _classify_arg_group(self, name: str, group: list[ArgUse]) -> None:
        problem = arg_problem(self.lexed, name, group, self.arguments.get(name, []))
        if problem is not None:
            for arg_use in group:
                self._add(arg_use.use, Verdict.VARIABLE, problem)
            return
        declaration = self.arguments[name][0]
        assert declaration.value is not None and declaration.word is not None
        word = declaration.word
        verdict, reason, reference = _literal(group[0].expansion.prefix + declaration.value, word)
        if self._ignored(declaration.instruction_line):
            verdict, reason = Verdict.IGNORED, "marked '# pinner: ignore'"
        lines = ", ".join(str(arg_use.use.line + 1) for arg_use in group)
        self.sites.append(
            self._site(
                SiteKind.ARG_DEFAULT,
                word.start,
                word.end,
                verdict,
                reason or f"the default of ARG {name}, used on line {lines}",
                reference,
                word.end,
            )
        )

    # -- building sites -----------------------------------------------------------

    def _add_literal(self, use: Use, value: str, ending: Word | None = None) -> None:
        """A use whose reference is ``value``; the digest goes after ``ending``
        (by default, the whole word)."""
        verdict, reason, reference = _literal(value, ending or use.word)
        insert_at = None if ending is None else ending.end
        self._add(use, verdict, reason, reference, insert_at)

    def _add(
        self,
        use: Use,
        verdict: Verdict,
        reason: str,
        reference: ImageReference | None = None,
        insert_at: int | None = None,
        stage: str = "",
    ) -> None:
        site = self._site(use.kind, use.start, use.end, verdict, reason, reference, insert_at)
        if use.platform or stage:
            site = site._replace(platform=use.platform, stage=stage)
        self.sites.append(site)

    def _site(
        self,
        kind: SiteKind,
        start: int,
        end: int,
        verdict: Verdict,
        reason: str,
        reference: ImageReference | None,
        insert_at: int | None,
    ) -> Site:
        line = bisect.bisect_right(self.lexed.starts, start) - 1
        return Site(
            path=self.path,
            line=line + 1,
            column=start - self.lexed.starts[line] + 1,
            start=start,
            end=end,
            kind=kind,
            text=self.text[start:end],
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
                    line.start + match.start(1),
                    line.start + match.end(1),
                    Verdict.HEREDOC,
                    f"inside the heredoc body of the {body.instruction.keyword} on line"
                    f" {body.instruction.first_line + 1}: shell text, not an instruction",
                    None,
                    None,
                )


def scan_dockerfile(path: str, text: str) -> list[Site]:
    """Every image reference in a Dockerfile, in file order."""
    return _Scanner(path, text).scan()


def scan(path: str, text: str) -> tuple[list[Site], list[tuple[str, int]]]:
    """The file kind's surface: the sites, and no other file named."""
    return scan_dockerfile(path, text), []


def image_arguments(path: str, text: str) -> dict[str, tuple[str, str | None]]:
    """The ARGs whose value makes an image (``FROM ${BASE}``, ``FROM python:${PY}``):
    for each, the literal prefix before it, and why a value given from outside
    (a bake target's ``args``) may not carry a digest, or None where it may."""
    scanner = _Scanner(path, text)
    scanner.scan()
    found: dict[str, tuple[str, str | None]] = {}
    for name, group in scanner.arg_uses.items():
        declared = scanner.arguments.get(name, [])
        problem = arg_problem(scanner.lexed, name, group, declared, given=True)
        found[name] = (group[0].expansion.prefix, problem)
    return found


def build_stages(path: str, text: str) -> list[Stage]:
    """The Dockerfile's build stages in order; the last is the image it builds."""
    scanner = _Scanner(path, text)
    scanner.scan()
    return scanner.stage_list


def _flags(tokens: Iterable[Token]) -> list[Token]:
    flags = []
    for token in tokens:
        if not token.text.startswith("--"):
            break
        flags.append(token)
    return flags


def _literal(value: str, word: Word) -> tuple[Verdict, str, ImageReference | None]:
    """Classify a reference without variables; a digest that quotes or a line
    break split cannot be replaced in one piece, so it is left alone."""
    verdict, reason, reference = classify_literal(value)
    digest = reference.digest if reference is not None else None
    if verdict is Verdict.PINNED and digest and not word.ends_in_one_piece(len(digest) + 1):
        return (
            Verdict.NOT_PLAIN,
            "the digest is split by quotes or a line break; write it in one piece to refresh it",
            reference,
        )
    return verdict, reason, reference
