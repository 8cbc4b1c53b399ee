"""A Dockerfile written inside a compose file (``build.dockerfile_inline``) ->
its sites, at their places in the compose file (pure).

Only a literal block scalar (``|``) can be pinned: its value is the file's
lines less their indentation, character for character, so every offset in
the Dockerfile maps onto one in the compose file. Anything else (a folded
``>`` or quoted string, which YAML rewrites) is skipped with the reason.
"""

from __future__ import annotations

import bisect

from ruamel.yaml.nodes import ScalarNode

from pinner.site import Site, SiteKind, Verdict, site_at
from pinner.yaml_scalars import BOM


def inline_sites(path: str, text: str, node: ScalarNode) -> list[Site]:
    """The sites of the Dockerfile ``node`` holds, or one skip saying why not."""
    from pinner.kinds.dockerfile import scan_dockerfile

    value = str(node.value)
    starts = _line_starts(text, node, value) if node.style == "|" else None
    if starts is None:
        return [_skip(path, text, node)]
    mapped = []
    for site in scan_dockerfile(path, value):
        start, end = _place(starts, value, site.start), _place(starts, value, site.end)
        insert_at = None if site.insert_at is None else _place(starts, value, site.insert_at)
        line_start = text.rfind("\n", 0, start) + 1
        mapped.append(
            site._replace(
                line=text.count("\n", 0, start) + 1,
                column=start - line_start + 1,
                start=start,
                end=end,
                insert_at=insert_at,
            )
        )
    return mapped


def _line_starts(text: str, node: ScalarNode, value: str) -> list[tuple[int, int]] | None:
    """For each line of the value, (its offset in the value, its offset in the
    file); None where a line of the file is not that line, indented."""
    shift = len(BOM) if text.startswith(BOM) else 0
    at = text.find("\n", node.start_mark.index + shift) + 1  # the line after the "|"
    indent = None
    starts = []
    offset = 0
    for line in value.split("\n")[: -1 if value.endswith("\n") else None]:
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        written = text[at:end].rstrip("\r")
        if indent is None and line:
            indent = len(written) - len(line)
        if line:
            if indent is None or indent < 0 or written[indent:] != line:
                return None
            starts.append((offset, at + indent))
        offset += len(line) + 1
        at = end + 1
    return starts


def _place(starts: list[tuple[int, int]], value: str, offset: int) -> int:
    """The file offset of ``offset`` in the value."""
    index = bisect.bisect_right([start for start, _ in starts], offset) - 1
    value_start, file_start = starts[max(index, 0)]
    return file_start + (offset - value_start)


def _skip(path: str, text: str, node: ScalarNode) -> Site:
    start = node.start_mark.index + (len(BOM) if text.startswith(BOM) else 0)
    reason = (
        "dockerfile_inline is not a literal block scalar (|), which YAML keeps as written;"
        " write it as one to pin its images"
    )
    return site_at(path, text, start, start, SiteKind.FROM, (Verdict.NOT_PLAIN, reason, None, None))
