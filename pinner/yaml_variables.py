"""Images named through a variable that the same YAML file sets to a literal
(GitLab CI's ``variables:``, GitHub Actions' ``env:``) (pure).

The rule is a Dockerfile global ARG's: where the variable is used only as
an image, the digest goes after its literal value, where it is set, so that
an override replaces image and digest together. Where the file uses the
variable for anything else too, the digest would reach that use as well:
the image is skipped, naming the other uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from ruamel.yaml.nodes import ScalarNode

from pinner.site import Classified, Classifier, Site, SiteKind, Verdict
from pinner.yaml_scalars import Found, scalar_site, scalar_span


class _Definition(NamedTuple):
    node: ScalarNode
    name: str
    kind: SiteKind
    uses: list[ScalarNode]


class Through:
    """Collects the images named through a variable and where each is set.

    ``whole`` matches a value that is one use of a variable (its first
    non-empty group is the name); ``uses`` gives, for a name, the pattern of
    every use of it anywhere in the file."""

    def __init__(self, text: str, whole: str, uses: Callable[[str], str]) -> None:
        self.text = text
        self._whole = re.compile(whole)
        self._uses = uses
        self._definitions: dict[int, _Definition] = {}

    def variable(self, node: ScalarNode) -> str | None:
        """The variable's name, where the whole value is one use of it."""
        found = self._whole.fullmatch(str(node.value))
        if found is None:
            return None
        return next(group for group in found.groups() if group)

    def add(self, definition: ScalarNode, name: str, use: ScalarNode, kind: SiteKind) -> None:
        entry = self._definitions.setdefault(
            id(definition), _Definition(definition, name, kind, [])
        )
        entry.uses.append(use)

    def _elsewhere(self, entry: _Definition) -> list[int]:
        """The lines of the variable's uses other than as images (the same name
        set again in a job names its own images)."""
        spans = [
            scalar_span(self.text, use)
            for other in self._definitions.values()
            if other.name == entry.name
            for use in other.uses
        ]
        lines = []
        for found in re.finditer(self._uses(re.escape(entry.name)), self.text):
            if not any(start <= found.start() < end for start, end in spans):
                lines.append(self.text.count("\n", 0, found.start()) + 1)
        return sorted(set(lines))

    def definitions(self) -> list[Found]:
        """Where the digest goes: each definition used only as an image."""
        return [
            (entry.node, entry.kind, 0)
            for entry in self._definitions.values()
            if not self._elsewhere(entry)
        ]

    def uses(self) -> list[ScalarNode]:
        """The values that name an image through a variable: read, never edited."""
        return [use for entry in self._definitions.values() for use in entry.uses]

    def classify(self, classify: Classifier) -> Classifier:
        """``classify``, saying of a definition which images it names."""
        notes = {}
        for entry in self._definitions.values():
            lines = ", ".join(str(use.start_mark.line + 1) for use in entry.uses)
            notes[scalar_span(self.text, entry.node)[0]] = (
                f"the value of {entry.name}, the image of line {lines}"
            )

        def with_note(value: str, start: int, end: int) -> Classified:
            verdict, reason, reference, insert_at = classify(value, start, end)
            return verdict, reason or notes.get(start, ""), reference, insert_at

        return with_note

    def skipped(self, path: str) -> list[Site]:
        """A site for each image whose variable the file uses for more."""
        sites = []
        for entry in self._definitions.values():
            elsewhere = self._elsewhere(entry)
            if not elsewhere:
                continue
            line = entry.node.start_mark.line + 1
            where = ", ".join(str(number) for number in elsewhere)
            reason = (
                f"{entry.name} (set on line {line}) is also used on line {where}, where the"
                " digest would go too; give the image a variable of its own to pin it"
            )
            skip = _skip(reason)
            sites += [scalar_site(path, self.text, use, entry.kind, skip) for use in entry.uses]
        return sites


def _skip(reason: str) -> Classifier:
    def classify(value: str, start: int, end: int) -> Classified:
        return Verdict.VARIABLE, reason, None, None

    return classify
