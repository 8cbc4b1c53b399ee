"""The C parser gives exactly the node positions the pure-Python one does,
so pinner may use the faster one; what it refuses, the pure one reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from pinner.kinds.compose import scan_compose
from pinner.yaml_scalars import BOM, compose_yaml, yaml_parser

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "compose"
SHAPES = [
    "\ufeffservices:\r\n  wéb:  # ünïcode 😀\r\n    image: 'nginx:1.25'\r\n",
    "x: &base\n  image: redis:7\nservices:\n  a: *base\n  b:\n    <<: *base\n",
    "---\nservices:\n  a:\n    image: \"a:1\"  # q\n...\n---\nservices:\n  b: {image: 'b:2'}\n",
    "services:\n  a:\n    image: >-\n      folded:1\n    build: .\n",
    "services:\n\ta: x\n",
]


def _marks(nodes: list[Node]) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []

    def walk(node: Node) -> None:
        found.append(
            (
                type(node).__name__,
                node.tag,
                node.start_mark.index,
                node.end_mark.index,
                node.start_mark.line,
                node.start_mark.column,
                getattr(node, "style", None) or None,  # plain: "" from C, None from Python
                node.value if not isinstance(node, MappingNode | SequenceNode) else None,
            )
        )
        if isinstance(node, MappingNode):
            for key, value in node.value:
                walk(key)
                walk(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                walk(item)

    for root in nodes:
        walk(root)
    return found


def _texts() -> list[str]:
    files = sorted(FIXTURES.glob("*/*"))
    return [path.read_bytes().decode() for path in files] + SHAPES


def test_the_c_parser_is_there() -> None:
    # ruamel.yaml.clib is a dependency on CPython: without it this file tests nothing.
    assert yaml_parser(False).Parser.__name__ == "CParser"


@pytest.mark.parametrize("text", _texts())
def test_both_parsers_give_the_same_marks(text: str) -> None:
    body = text[len(BOM) :] if text.startswith(BOM) else text
    try:
        fast = list(yaml_parser(False).compose_all(body))
    except Exception:
        pytest.skip("the C parser refuses this text; the pure parser reads it")
    assert _marks(fast) == _marks(compose_yaml(text, pure=True))


def test_yaml_1_2_that_the_c_parser_refuses_is_still_read() -> None:
    text = "services:\n  web: {image: nginx:1.25, ports: ['80:80']}\n"
    with pytest.raises(Exception, match="unexpected ':'"):
        list(yaml_parser(False).compose_all(text))
    [site] = scan_compose("compose.yaml", text)
    assert (site.text, site.start) == ("nginx:1.25", text.index("nginx"))
