"""What the fast engine needs to know about the query of a SPARQL constraint, worked out from
its algebra once and kept in :mod:`graph.cache` by the query's text: rdflib's SPARQL parser
takes tens of milliseconds on its first query in a process, which a refresh of a few records or
a re-validation of an unchanged store would otherwise pay for every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import URIRef, Variable

import graph.cache as cache
from graph.validate.fast.sparql import project_this, query_algebra, query_predicates, this_free_is_safe


@dataclass(frozen=True)
class QueryFacts:
    #: the predicates the query's patterns and paths use (``None``: it could match any)
    predicates: frozenset[URIRef] | None
    #: running it once with ``?this`` free equals pyshacl's pre-binding (see ``this_free_is_safe``)
    this_free_is_safe: bool
    #: the query with ``?this`` projected (``None``: its SELECT cannot be found)
    projected: str | None
    #: the predicates of its triple patterns when every pattern reads ``?this`` by a constant
    #: predicate, outside any GRAPH or SERVICE (``None`` otherwise)
    about_this: frozenset[URIRef] | None

    def with_this(self, text: str) -> str:
        """The query with ``?this`` projected; the reason when that cannot be done."""
        if self.projected is None:
            return project_this(text)  # raises Unsupported, naming what is missing
        return self.projected


_MEMO: dict[str, QueryFacts] = {}


def query_facts(text: str) -> QueryFacts:
    """The facts of a query's text (memoised in this process, cached on disk)."""
    found = _MEMO.get(text)
    if found is None:
        found = _MEMO[text] = cache.cached("sparql-facts", [text.encode()], lambda: _facts(text), _is_facts)
    return found


def _is_facts(found: object) -> bool:
    return isinstance(found, QueryFacts)


def _facts(text: str) -> QueryFacts:
    predicates = query_predicates(text)
    try:
        projected: str | None = project_this(text)
    except Exception:  # an algebra rdflib cannot make, or no SELECT to project into
        projected = None
    return QueryFacts(
        None if predicates is None else frozenset(predicates),
        this_free_is_safe(text),
        projected,
        _about_this(text),
    )


def _about_this(text: str) -> frozenset[URIRef] | None:
    try:
        algebra = query_algebra(text)
    except Exception:
        return None
    this = Variable("this")
    found: set[URIRef] = set()
    ok = True

    def walk(node: Any) -> None:
        nonlocal ok
        name = getattr(node, "name", None)
        if name in ("ServiceGraphPattern", "Graph"):
            ok = False
        if name == "BGP":
            for s_, p_, _o in node.triples:
                if s_ != this or not isinstance(p_, URIRef):
                    ok = False
                else:
                    found.add(p_)
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in ("PV", "_vars"):
                    walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    walk(algebra)
    return frozenset(found) if ok else None
