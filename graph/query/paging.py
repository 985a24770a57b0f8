"""Pages of a SELECT query: the query text with ``LIMIT``/``OFFSET`` for one page, and the query
that counts the rows of the whole answer.

Where the page is cut: at the end of the query, or, when the query marks it with a comment line
``# page: ...`` inside a sub-select, in that sub-select.  A marked query cuts the page before
its outer part runs, so the outer part (labels, optional facts) reads only the page's rows; it
must not add or drop rows, since the total counts the sub-select's rows.

Parameters are bound as in :func:`graph.sparql.with_values`, at the start of the outermost group,
and also at the start of the marked sub-select, before the text is changed.  Only integers that
this module checked are written into the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib.term import Node

from graph.errors import QueryError
from graph.sparql import with_values

#: Strings (long and short), IRIs and comments: braces and keywords inside them do not count.
_LITERALS = (
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
)
_OPAQUE = re.compile(_LITERALS + r"|#[^\n]*")
_STRINGS = re.compile(_LITERALS)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_MARK = re.compile(r"^[ \t]*# page:[^\n]*$", re.MULTILINE)
_TAIL_MODIFIER = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*$", re.IGNORECASE)


def masked(text: str, *, comments: bool = True) -> str:
    """``text`` with strings, IRIs and (unless ``comments`` is false) comments blanked, at the
    same length and with the same line breaks."""
    pattern = _OPAQUE if comments else _STRINGS
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _mark(text: str) -> re.Match[str] | None:
    """The ``# page:`` line, when it is a comment (not text inside a string)."""
    return _MARK.search(masked(text, comments=False))


def form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE."""
    m = _FORM.search(masked(text))
    if m is None:
        raise QueryError("the query has no SELECT, ASK, CONSTRUCT or DESCRIBE")
    return m.group(1).upper()


def _split(text: str) -> tuple[str, str]:
    """(prologue: PREFIX and BASE declarations, the query itself)."""
    m = _FORM.search(masked(text))
    assert m is not None
    return text[: m.start()], text[m.start() :]


def is_marked(text: str) -> bool:
    """Whether the query marks where its page is cut (a ``# page:`` line in a sub-select)."""
    return _mark(text) is not None


def _marked_group(text: str) -> tuple[int, int] | None:
    """Start and end (exclusive) of the inside of the ``{ SELECT ... }`` group holding the page
    mark, or None when there is no mark."""
    mark = _mark(text)
    if mark is None:
        return None
    plain = masked(text)
    depth, start = 0, -1
    for i in range(mark.start() - 1, -1, -1):
        if plain[i] == "}":
            depth += 1
        elif plain[i] == "{":
            if depth == 0:
                start = i + 1
                break
            depth -= 1
    depth, end = 0, -1
    for i in range(mark.end(), len(plain)):
        if plain[i] == "{":
            depth += 1
        elif plain[i] == "}":
            if depth == 0:
                end = i
                break
            depth -= 1
    if start < 0 or end < 0 or not plain[start:end].lstrip().upper().startswith("SELECT"):
        raise QueryError("the '# page:' line of the query is not inside a { SELECT ... } group")
    return start, end


def _bound(text: str, bindings: Mapping[str, Node]) -> tuple[str, tuple[int, int] | None]:
    """The text with its parameters bound, and where its marked sub-select is."""
    group = _marked_group(text)
    if not bindings:
        return text, group
    if group is not None:
        start, end = group
        inner = with_values(text[start:end], bindings)
        text = text[:start] + inner + text[end:]
        group = (start, start + len(inner))
    outer = with_values(text, bindings)
    if group is not None:
        shift = len(outer) - len(text)
        group = (group[0] + shift, group[1] + shift)
    return outer, group


def _modifiers(limit: int | None, offset: int) -> str:
    parts = []
    if limit is not None:
        parts.append(f"LIMIT {int(limit)}")
    if offset:
        parts.append(f"OFFSET {int(offset)}")
    return " ".join(parts)


def page(text: str, bindings: Mapping[str, Node], limit: int | None, offset: int) -> str:
    """The query for one page, parameters bound."""
    bound, group = _bound(text, bindings)
    cut = _modifiers(limit, offset)
    if group is not None:
        mark = _mark(bound)
        assert mark is not None
        return bound[: mark.start()] + cut + bound[mark.end() :]
    if _TAIL_MODIFIER.search(masked(bound).rstrip()):
        prologue, query = _split(bound)
        return f"{prologue}SELECT * WHERE {{ {{\n{query}\n}} }}\n{cut}\n"
    return f"{bound.rstrip()}\n{cut}\n"


def count(text: str, bindings: Mapping[str, Node]) -> str:
    """The query that counts the rows of the whole answer (of the marked sub-select, when the
    query marks one), parameters bound."""
    bound, group = _bound(text, bindings)
    prologue, query = _split(bound)
    if group is not None:
        mark = _mark(bound)
        assert mark is not None
        query = _unordered(bound[group[0] : mark.start()] + bound[mark.end() : group[1]])
    return f"{prologue}SELECT (COUNT(*) AS ?total) WHERE {{ {{\n{query}\n}} }}\n"


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def _unordered(select: str) -> str:
    """A sub-select without its ``ORDER BY``, which a count does not need (sorting the rows
    costs about a third of counting them); kept when a ``LIMIT`` or ``OFFSET`` follows it."""
    plain = masked(select)
    tail = plain.rfind("}") + 1
    order = _ORDER_BY.search(plain, tail)
    if order is None or re.search(r"\b(LIMIT|OFFSET)\b", plain[order.end() :], re.IGNORECASE):
        return select
    return select[: order.start()] + " " * (len(select) - order.start())
