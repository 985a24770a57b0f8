"""YAML as trialgraph reads the files people write: curated trial records and organisation aliases.

Three changes from PyYAML's safe loader:

- only ``true``/``false`` are booleans (so the country ``NO`` stays Norway), and dates stay text
  (so ``2015-09-01`` reaches the date parser as written);
- nesting is bounded: a value more than :data:`MAX_DEPTH` levels deep is refused where it starts
  (the deepest field of the schema is five levels down; ``[`` written 20,000 times would otherwise
  exhaust Python's stack);
- aliases are bounded: ``*name`` may repeat an anchored value, but a document whose values,
  aliases expanded, number more than :data:`MAX_VALUES` is refused at the value that grows past the
  bound (a kilobyte of nested aliases, the "alias bomb", would otherwise expand to gigabytes).

Both refusals are :class:`Refused`, a :class:`yaml.MarkedYAMLError` with a hint, and are raised
while the document is composed, before any value is built.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.reader import ReaderError

#: Deepest nesting accepted: the top-level mapping is level 1; the schema needs 6.
MAX_DEPTH = 10
#: Most values (scalars, lists and mappings, each alias counted as what it repeats) in one
#: document.  A curated record has a few hundred.
MAX_VALUES = 100_000


class Refused(yaml.MarkedYAMLError):
    """A document trialgraph does not read, though it is valid YAML."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, dates as text, and bounded nesting and aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        #: Values under each composed node, aliases expanded, by node identity.
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        if self._depth >= MAX_DEPTH:
            raise Refused(
                f"a value nested more than {MAX_DEPTH} levels deep",
                mark,
                "check the indentation and the brackets: no field of the schema is this deep",
            )
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        size = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        if size > MAX_VALUES:
            raise Refused(
                f"a value that holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded",
                mark,
                "write the repeated values out, or repeat fewer of them through aliases",
            )
        self._sizes[id(node)] = size
        return node


def _children(node: Node | None) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(text: str) -> Any:
    """The value of a one-document YAML text (``None`` when it is empty)."""
    loader = Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def describe(exc: yaml.YAMLError, text: str = "") -> tuple[str, str]:
    """A YAML error as one line naming the line and column (of ``text``, the document), and a
    hint."""
    if isinstance(exc, Refused):
        return f"{exc.problem}{_where(exc.problem_mark)}", exc.hint
    if isinstance(exc, ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return (
            f"not valid YAML: the character U+{exc.character:04X} is not allowed in YAML text "
            f"(line {line}, column {column})",
            "remove it, or write it as an escape (\\u0019) inside double quotes",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (
            f"not valid YAML: {exc.problem or exc.context}{_where(mark)}",
            "check the indentation and the quoting near that line",
        )
    return f"not valid YAML: {exc}", "check the file is YAML text"


def _where(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
