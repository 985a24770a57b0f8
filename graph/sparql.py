"""What every store shares about SPARQL: binding values into a query's text, the answer, and
the text of trialgraph's own queries.

Both stores (the embedded Oxigraph database in :mod:`graph.store.local` and a remote endpoint in
:mod:`graph.store.remote`) take a query with :func:`with_values` bindings and give a :class:`Result`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph.constants import QUERIES_DIR
from graph.errors import QueryError


def with_values(sparql: str, bindings: Mapping[str, Node]) -> str:
    """Bind variables with a ``VALUES`` block placed at the start of the outermost ``WHERE``
    group.  Values are written as RDF terms in N-Triples syntax (quotes, backslashes and line
    breaks escaped by the serializer), so a value can never become query syntax."""
    return _at_where(sparql, " ".join(f"VALUES ?{name} {{ {value_token(term)} }}" for name, term in bindings.items()))


def with_tokens(sparql: str, name: str, tokens: Iterable[str]) -> str:
    """Bind one variable to many values, as :func:`with_values` does; the ``tokens`` are terms
    a serializer wrote in N-Triples syntax (pyoxigraph's ``str(term)``, rdflib's ``n3()``)."""
    return _at_where(sparql, f"VALUES ?{name} {{ {' '.join(tokens)} }}")


def _at_where(sparql: str, block: str) -> str:
    m = re.search(r"\bWHERE\s*\{", sparql, flags=re.IGNORECASE)
    if m is None:
        raise QueryError("cannot bind parameters: the query has no WHERE clause")
    return sparql[: m.end()] + " " + block + " " + sparql[m.end() :]


def safe_iri(iri: str) -> bool:
    """Whether ``iri`` has none of the characters that N-Triples forbids in an IRI (so that,
    written between ``<`` and ``>``, it cannot end early and become query syntax)."""
    return not any(c in iri for c in '<>"{}|^`\\ \n')


def value_token(term: Node) -> str:
    """``term`` as a value to bind (:func:`with_values`, :func:`with_tokens`): N-Triples syntax,
    or :class:`QueryError` for an IRI that could break out of it."""
    if isinstance(term, URIRef | Literal):
        if isinstance(term, URIRef) and not safe_iri(str(term)):
            raise QueryError(f"not a valid IRI: {str(term)!r}")
        return term.n3()
    raise QueryError(f"cannot bind {term!r}")


@dataclass
class Result:
    """A query result with rdflib terms.  ``kind`` is SELECT, ASK or CONSTRUCT."""

    kind: str
    variables: list[str]
    rows: list[tuple[Node | None, ...]]
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False
    #: Rows of the whole answer when the rows are one page of it (:func:`graph.query.named.run`).
    total: int | None = None


@functools.cache
def internal_query(name: str) -> str:
    """The text of one of trialgraph's own queries, ``queries/<name>.rq`` (``summaries/...``,
    ``internal/...``): the queries the stages run for themselves, which the named-query
    catalogue does not list to users."""
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
