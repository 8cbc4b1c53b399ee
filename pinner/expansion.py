"""References with variables: which ones pinner can pin, and why not the others.

A reference is pinnable when it is a literal prefix followed by exactly one
expansion at its very end (``alpine:${V}``, ``$BASE``, ``${BASE:-python:3.12}``).
The digest then goes right after the default value, so an override replaces
tag and digest together and never leaves a digest that contradicts the tag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TRAILING = re.compile(
    rf"(?P<prefix>[^$]*)"
    rf"(?:\$(?P<bare>{_NAME})|\$\{{(?P<braced>{_NAME})(?:(?P<op>:?[-?+=])(?P<word>[^${{}}]*))?\}})\Z"
)
_ANY_EXPANSION = re.compile(rf"\$(?:\{{)?({_NAME})")

DOCKERFILE_ADVICE = (
    "to pin it, name the whole image in one variable: ARG BASE=python:3.12, FROM ${BASE}"
)
COMPOSE_ADVICE = "to pin it, name the whole image with one default: ${BASE:-python:3.12}"


class TrailingExpansion(NamedTuple):
    """``prefix`` + one expansion of ``name``; ``default`` is the inline default, if any."""

    prefix: str
    name: str
    default: str | None  # the literal D of ${V:-D} or ${V-D}
    default_start: int  # offset of the default in the text (meaningful when default is set)


_EXPANSION = re.compile(
    rf"\$(?:(?P<bare>{_NAME})|\{{(?P<braced>{_NAME})(?:(?P<op>:?[-+])(?P<word>[^${{}}]*))?\}})"
)


def expand(text: str, defaults: Mapping[str, str | None]) -> str | None:
    """``text`` with every expansion replaced as the build would by default,
    from ARG ``defaults`` (None: declared without one); None when that
    cannot be known (an undeclared variable, a form not handled here)."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group("bare") or match.group("braced")
        operator, word = match.group("op"), match.group("word") or ""
        if name not in defaults:
            unknown = unknown or operator is None or operator.endswith("+")
            return word if operator is not None and operator.endswith("-") else ""
        value = defaults[name]
        if operator is None:
            unknown = unknown or value is None
            return value or ""
        empty = not value if operator.startswith(":") else value is None
        if operator.endswith("-"):
            return word if empty else value or ""
        return "" if empty else word

    expanded = _EXPANSION.sub(replace, text)
    return None if unknown or "$" in expanded else expanded


def variable_names(text: str) -> list[str]:
    return _ANY_EXPANSION.findall(text)


def trailing_expansion(text: str, advice: str) -> TrailingExpansion | str:
    """Split a reference with a variable, or say (as a reason, ending with
    ``advice``) why it is not pinnable."""
    match = _TRAILING.match(text)
    if match is None:
        names = variable_names(text)
        if len(names) > 1 or text.count("$") > 1:
            listed = ", ".join(f"${name}" for name in names) or "several"
            return f"it uses several variables ({listed}); pinner pins one at the end; {advice}"
        return f"the variable is not at the end of the reference; {advice}"
    prefix = match.group("prefix")
    if match.group("bare") is not None:
        return TrailingExpansion(prefix, match.group("bare"), None, -1)
    name, operator = match.group("braced"), match.group("op")
    if operator is None:
        return TrailingExpansion(prefix, name, None, -1)
    if operator not in ("-", ":-"):
        return (
            f"${{{name}{operator}...}} gives no default image to pin; use ${{{name}:-IMAGE}}"
            f" or {advice}"
        )
    word = match.group("word")
    if not word:
        return f"the default of ${{{name}}} is empty; {advice}"
    return TrailingExpansion(prefix, name, word, match.start("word"))
