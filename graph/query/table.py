"""Query answers for people: a page of rows as a terminal table that fits the width, the
columns a person reads first, and a note saying which part of the whole answer the page is.
``trialgraph query`` prints these; machines read :mod:`graph.query.results`."""

from __future__ import annotations

from typing import Any

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from graph.errors import QueryError
from graph.sparql import Result


def cell(term: Node | None) -> str:
    if term is None:
        return ""
    return str(term)


def select_columns(result: Result, columns: list[str]) -> Result:
    """The result with only ``columns``, in that order."""
    unknown = [c for c in columns if c not in result.variables]
    if unknown:
        raise QueryError(
            f"no column {', '.join(unknown)} in this answer", hint="its columns: " + ", ".join(result.variables)
        )
    at = [result.variables.index(c) for c in columns]
    rows = [tuple(row[i] for i in at) for row in result.rows]
    return Result(result.kind, list(columns), rows, truncated=result.truncated, total=result.total)


def readable_columns(result: Result) -> list[str]:
    """The columns a table shows by default: all but those that hold only IRIs (a row's id and
    name say the same to a person), unless nothing else would be left."""
    keep = [
        v
        for i, v in enumerate(result.variables)
        if not result.rows
        or not all(isinstance(row[i], URIRef) for row in result.rows if row[i] is not None)
        or all(row[i] is None for row in result.rows)
    ]
    return keep or list(result.variables)


def table(result: Result, width: int = 80) -> Any:
    """A rich table ``width`` characters wide at most: one line per row, numbers to the right.
    Short columns (ids, codes, statuses, numbers) keep their width; long text shares the rest
    and is cut with an ellipsis."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    cells = [[" ".join(cell(term).split()) for term in row] for row in result.rows]
    natural = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(result.variables)]
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for i, (name, w) in enumerate(zip(result.variables, fit_widths(natural, width), strict=True)):
        numeric = bool(result.rows) and all(_is_number(row[i]) for row in result.rows if row[i] is not None)
        t.add_column(name, no_wrap=True, overflow="ellipsis", justify="right" if numeric else "left", width=w)
    for row in cells:
        t.add_row(*[Text(value) for value in row])
    return t


#: Columns up to this wide (ids, codes, statuses, numbers) keep their width in a table.
SHORT_TEXT = 16


def fit_widths(natural: list[int], width: int) -> list[int]:
    """Column widths that fit ``width`` characters, three of which go between columns: short
    columns keep their width, and the long ones share the rest evenly (none cut more than
    needed: a long column narrower than its share keeps its own width)."""
    budget = width - 3 * (len(natural) - 1)
    if sum(natural) <= budget:
        return natural
    short = sum(n for n in natural if n <= SHORT_TEXT)
    longs = sorted(n for n in natural if n > SHORT_TEXT)
    room, cap = max(budget - short, len(longs)), 0
    for i, n in enumerate(longs):
        share = room // (len(longs) - i)
        if n > share:
            cap = share
            break
        room -= n
    return [n if n <= SHORT_TEXT or n <= cap else max(cap, 1) for n in natural]


def _is_number(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.datatype in _NUMERIC


_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.nonNegativeInteger}


def page_note(result: Result, offset: int) -> str:
    """What part of the answer the rows are, for people: "rows 1-50 of 5,000"."""
    total = result.total if result.total is not None else len(result.rows)
    if not result.rows:
        return f"0 rows (of {total:,})" if total else "0 rows"
    first, last = offset + 1, offset + len(result.rows)
    if first == 1 and last == total:
        return f"{total:,} row" + ("" if total == 1 else "s")
    note = f"rows {first:,}-{last:,} of {total:,}"
    if last < total:
        note += f"; next page: --offset {last}; every row: --limit 0"
    return note
