"""Words as BuildKit reads them: quotes and escapes taken off (pure).

``ARG V="3".18`` declares ``3.18``; ``--mount=type=bind,"from=golang:1.22"``
mounts from ``golang:1.22``. Every character of the word keeps the offset
it has in the file, so a digest can be spliced in right after the value's
last character however the user quoted it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


class Word:
    """A word's value and, for each of its characters, its offset in the file.

    A plain class with slots: a large Dockerfile makes one for every image it
    names, and a frozen dataclass costs several times more to make."""

    __slots__ = ("expands", "offsets", "value")

    def __init__(self, value: str, offsets: Sequence[int], expands: bool = False) -> None:
        self.value = value
        self.offsets = offsets
        self.expands = expands  # holds an unquoted, unescaped ``$``: not a literal

    @property
    def start(self) -> int:
        return self.offsets[0]

    @property
    def end(self) -> int:
        """The offset right after the last character: where a digest goes."""
        return self.offsets[-1] + 1

    def __getitem__(self, part: slice) -> Word:
        return Word(self.value[part], self.offsets[part], self.expands)

    def ends_in_one_piece(self, length: int) -> bool:
        """Whether the last ``length`` characters stand together in the file."""
        tail = self.offsets[-length:]
        return len(tail) == length and tail[-1] - tail[0] == length - 1


def unquote(text: str, offsets: Sequence[int], escape: str, *, flag: bool = False) -> Word | None:
    """Take quotes and escapes off ``text``; None for an unterminated quote.

    An ARG value follows the shell rules of BuildKit's word processing (in
    double quotes, the escape character escapes only ``"``, ``$`` and
    itself); a flag such as ``--mount=`` follows its flag parser, where a
    backslash escapes any character, quoted or not.
    """
    if escape not in text and '"' not in text and "'" not in text:
        return Word(text, offsets, "$" in text)  # the common case: nothing to take off
    value: list[str] = []
    kept: list[int] = []
    expands = False
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote and char == quote:
            quote = ""
        elif not quote and char in "\"'":
            quote = char
        elif char == escape and index + 1 < len(text) and (flag or quote != "'"):
            following = text[index + 1]
            if flag or not quote or following in (escape, '"', "$"):
                index += 1
                char = following
            value.append(char)
            kept.append(offsets[index])
        else:
            expands = expands or (char == "$" and quote != "'")
            value.append(char)
            kept.append(offsets[index])
        index += 1
    if quote:
        return None
    return Word("".join(value), tuple(kept), expands)


def csv_fields(word: Word) -> Iterator[Word]:
    """The comma-separated fields of a flag value, as Go's CSV reader splits
    them (BuildKit reads ``--mount`` so): a field may be quoted whole, with
    ``""`` for a quote inside it."""
    text = word.value
    index = 0
    while index <= len(text):
        if index < len(text) and text[index] == '"':
            keep: list[int] = []
            index += 1
            while index < len(text):
                if text[index] == '"' and text[index + 1 : index + 2] == '"':
                    keep.append(index + 1)
                    index += 2
                elif text[index] == '"':
                    index += 1
                    break
                else:
                    keep.append(index)
                    index += 1
            yield _pick(word, keep)
            index = (text.find(",", index) + 1) or len(text) + 1
        else:
            comma = text.find(",", index)
            end = len(text) if comma < 0 else comma
            yield word[index:end]
            index = end + 1


def _pick(word: Word, indexes: list[int]) -> Word:
    return Word(
        "".join(word.value[i] for i in indexes),
        tuple(word.offsets[i] for i in indexes),
        word.expands,
    )
