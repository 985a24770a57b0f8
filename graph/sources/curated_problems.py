"""Reading a curated YAML file while collecting its problems: the line of every field path, and
one :class:`graph.errors.RecordError` that lists every problem of the file, first by line.

A value whose problem is recorded is abandoned with :class:`Skip`; the caller drops that value
only, so that the rest of the file is still checked (:mod:`graph.sources.curated`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

import graph.safeyaml as safeyaml
from graph.errors import RecordError
from graph.model import RecordWarning
from graph.normalize.text import quoted

#: Hints of the second and later problems of a file are shown inline when they are this short.
_MAX_INLINE_HINT = 100


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    hint: str | None = None
    #: Where to point when it is not the line of ``path`` itself.
    line: int | None = None


class Skip(Exception):
    """Abandons one value whose problem is already recorded; the caller drops that value only,
    so the rest of the file is still checked."""


@dataclass
class Ctx:
    """What reading one file has found so far: problems, warnings, and the line of each path."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    #: The source text of scalars YAML did not read as text (``0372`` is read as octal 250).
    scalars: dict[str, str] = field(default_factory=dict)

    def fail(self, path: str, message: str, hint: str | None = None, line: int | None = None) -> Skip:
        self.problems.append(Problem(path, message, hint, line))
        return Skip(path)

    def warn(self, path: str, message: str, kind: str = "other") -> None:
        self.warnings.append(RecordWarning(kind, f"{path}: {message}"))

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest enclosing value; none for a missing top-level field."""
        while path and path not in self.lines:
            parent = _PARENT.fullmatch(path)
            path = parent.group(1) if parent else ""
        return self.lines.get(path) if path else None


_PARENT = re.compile(r"(.*?)(?:\.[^.\[\]]+|\[\d+\])")


def sub(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: object) -> str:
    """How a YAML value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def plain(loader: safeyaml.Loader, node: Node, path: str, ctx: Ctx) -> object:
    """The Python value of a composed YAML node, recording the line of every path on the way
    (the line is what makes an error findable in a file a person edits).  The composer has
    bounded the depth and the alias expansion already (:mod:`graph.safeyaml`)."""
    ctx.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                ctx.fail(path, "a key must be a plain name", "check the indentation", line=key_node.start_mark.line + 1)
                continue
            key = str(key_node.value)
            child = sub(path, key)
            if key in out:
                ctx.fail(
                    child,
                    f"field {quoted(key)} is given twice (first on line {ctx.lines.get(child)})",
                    "keep one of them",
                    line=key_node.start_mark.line + 1,
                )
                continue
            ctx.lines[child] = key_node.start_mark.line + 1
            out[key] = plain(loader, value_node, child, ctx)
        return out
    if isinstance(node, SequenceNode):
        return [plain(loader, item, f"{path}[{i}]", ctx) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node)
    except yaml.YAMLError as exc:
        ctx.fail(path, f"cannot read this value: {getattr(exc, 'problem', exc)}", "remove the YAML tag or quote it")
        return None
    if not isinstance(value, str) and isinstance(node, ScalarNode):
        ctx.scalars[path] = node.value
    return value


def error(ctx: Ctx, source_file: str, record: str) -> RecordError:
    """The one error of a file: its first problem by line, then each other one on its own line."""

    def line(p: Problem) -> int:
        return p.line or ctx.line(p.path) or 0

    def located(p: Problem) -> str:
        return p.message + (f" (line {line(p)})" if line(p) else "")

    first, *rest = sorted(ctx.problems, key=line)

    message = located(first)
    for p in rest:
        hint = f"; {p.hint}" if p.hint and len(p.hint) <= _MAX_INLINE_HINT else ""
        message += f"\n  also {'field ' + p.path if p.path else 'the file'}: {located(p)}{hint}"
    return RecordError(message, file=source_file, record=record, field=first.path or None, hint=first.hint)
