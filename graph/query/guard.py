"""Inspecting a SPARQL request before it runs: what form it has, which graphs it names, and
whether the endpoint must refuse it.

The server is read-only and never reaches out of the store, so a request is refused when it is
an update, or when it contains a ``SERVICE`` clause (pyoxigraph would call the named endpoint:
a server-side request forgery).  The decision is taken on the parse tree, not on the raw text:
the word ``SERVICE`` inside a string literal, a comment or an IRI is data, not a clause.  The
parser is rdflib's SPARQL 1.1 grammar; a query it cannot read is refused as malformed, even when
another engine would accept an extension of the language.

Before the parser sees a query, a lexical scan (:func:`check_size`) bounds what the parser and
the engine will be asked to do: the longest string literal, the number of operators and clauses,
and the depth of brackets.  rdflib's parser spends about a millisecond on each term of an
expression, and Oxigraph evaluates a long chain of operators or clauses by recursion, which ends
the process with a stack overflow past a few thousand: the scan refuses such a query in
milliseconds, before either of them starts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graph.errors import QueryError

#: Query forms by the name rdflib's parser gives them.
_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class Refused(QueryError):
    """A request that the endpoint will not run.  ``status`` is the HTTP status to answer with
    (400 for a malformed query, an update or a ``SERVICE`` clause)."""

    def __init__(self, message: str, *, status: int = 400, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What the lexical scan lets through."""

    #: characters in one string literal
    max_literal: int = 100_000
    #: operators, commas, separators and clause keywords (see :data:`CLAUSES`) in the whole query
    max_operators: int = 1_000
    #: nesting of ``( { [``
    max_depth: int = 64


#: Keywords that combine or nest graph patterns: each one is a node of the query tree.
CLAUSES = frozenset({"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "GRAPH", "EXISTS", "SELECT", "VALUES", "SERVICE"})

#: The tokens of a query, as far as the scan needs them.  A string, an IRI or a comment is one
#: token, so that what it holds is never counted; a prefixed name or a number is one token, so
#: that a ``-`` or ``.`` inside it is not an operator.  The alternatives start with different
#: characters and none can run into another: the scan is linear in the length of the query.
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}
                | '{3}(?:[^'\\]|\\.|'(?!''))*'{3}
                | "(?:[^"\\\n\r]|\\.)*"
                | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<word>[\w:][\w\-:%]*(?:\.[\w\-:%]+)*)
    | (?P<op>\|\||&&|!=|<=|>=|\^\^|[-+*/!<>=|^,.;])
    | (?P<open>[({\[])
    | (?P<close>[)}\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _too_many(limits: Limits) -> Refused:
    return Refused(
        f"the query is too large: more than {limits.max_operators} operators, commas, separators and clauses",
        hint="split it, pass long lists of values in a VALUES block, "
        "or ask the server's operator for a larger --max-operators",
    )


def _content_length(string: str) -> int:
    quotes = 3 if string[:3] in ('"""', "'''") and len(string) >= 6 else 1
    return len(string) - 2 * quotes


def check_size(text: str, limits: Limits) -> None:
    """Refuse (:class:`Refused`, 400) a query with a string longer than ``limits.max_literal``,
    more operators and clauses than ``limits.max_operators``, or brackets nested deeper than
    ``limits.max_depth``.  The scan stops at the first excess."""
    operators = depth = 0
    for token in _TOKEN.finditer(text):
        kind = token.lastgroup
        if (kind == "op" and token.group() != "^^") or (kind == "word" and token.group().upper() in CLAUSES):
            operators += 1
            if operators > limits.max_operators:
                raise _too_many(limits)
        elif kind == "string" and _content_length(token.group()) > limits.max_literal:
            raise Refused(
                f"a string in the query is longer than {limits.max_literal} characters",
                hint="ask the server's operator for a larger --max-literal",
            )
        elif kind == "open":
            depth += 1
            if depth > limits.max_depth:
                raise Refused(f"the query nests brackets deeper than {limits.max_depth} levels")
        elif kind == "close":
            depth -= 1


@dataclass(frozen=True)
class Inspection:
    """What the endpoint needs to know about a query before running it."""

    form: str
    #: IRIs of ``FROM`` clauses, in order.
    from_graphs: tuple[str, ...] = ()
    #: IRIs of ``FROM NAMED`` clauses, in order.
    from_named: tuple[str, ...] = ()

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)


def _nodes(tree: Any) -> Iterator[Any]:
    """Every parse-tree node (rdflib ``CompValue`` objects and pyparsing result lists), depth
    first, without recursion: a deeply nested query must not exhaust the Python stack."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple):
            stack.extend(node)


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # any parser failure means: not an update either
        return False
    return True


@functools.lru_cache(maxsize=256)
def inspect(text: str, limits: Limits = Limits()) -> Inspection:
    """The form and dataset of a query, or :class:`Refused`.  Cached: the same query text (a
    named query, a page reloaded) is parsed once per worker."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    if not text.strip():
        raise Refused("no query given", hint="send the query in the 'query' parameter")
    check_size(text, limits)
    try:
        tree = parseQuery(text)
    except ParseBaseException as exc:
        if _is_update(text):
            raise Refused(
                "SPARQL Update is refused: this endpoint is read-only",
                hint="load data with `trialgraph build`",
            ) from None
        raise Refused(f"the query does not parse: line {exc.lineno}, column {exc.col}: {exc.msg}") from None
    except RecursionError:
        raise Refused("the query is nested too deeply to be read") from None
    body = tree[1]
    form = _FORMS.get(getattr(body, "name", ""))
    if form is None:
        raise Refused("not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)")
    for node in _nodes(tree):
        if node.name == "ServiceGraphPattern":
            raise Refused(
                "SERVICE is refused: this endpoint never calls other endpoints",
                hint="query the other endpoint yourself",
            )
    prefixes, base = _prologue(tree[0])
    default: list[str] = []
    named: list[str] = []
    for clause in body.get("datasetClause") or []:
        if not isinstance(clause, CompValue):
            continue
        if "default" in clause:
            default.append(_iri(clause["default"], prefixes, base))
        if "named" in clause:
            named.append(_iri(clause["named"], prefixes, base))
    return Inspection(form, tuple(default), tuple(named))


# CompValue.get(key, default) would read the default as a flag: dict.get is the plain lookup.


def _prologue(prologue: Any) -> tuple[dict[str, str], str]:
    prefixes: dict[str, str] = {}
    base = ""
    for decl in prologue or []:
        if getattr(decl, "name", "") == "PrefixDecl":
            prefixes[str(dict.get(decl, "prefix", ""))] = str(decl["iri"])
        elif getattr(decl, "name", "") == "Base":
            base = str(decl["iri"])
    return prefixes, base


def _iri(value: Any, prefixes: dict[str, str], base: str) -> str:
    """A dataset clause IRI written as ``<iri>``, ``<relative>`` or ``prefix:local``."""
    from urllib.parse import urljoin

    if getattr(value, "name", "") == "pname":
        prefix = str(dict.get(value, "prefix", ""))
        if prefix not in prefixes:
            raise Refused(f"unknown prefix {prefix!r} in a FROM clause")
        return prefixes[prefix] + str(dict.get(value, "localname", ""))
    text = str(value)
    return urljoin(base, text) if base else text
