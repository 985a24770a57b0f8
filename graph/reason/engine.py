"""The engines by name, and what every run starts from: the ontology read from ``ontology/``, and
(for the fast engine) compiled once per process (:class:`Reasoner`), with the fingerprint a
store's inferences are checked against; what one record entails on its own; and the inferred
triples of an in-memory graph, by either engine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rdflib import BNode, Graph

import graph.cache as cache
from graph.constants import ONTOLOGY_DIR
from graph.errors import TrialgraphError
from graph.reason.closure import Base, Closure, LocalRules, Triple, close, kept, signatures
from graph.reason.reference import owlrl_inferred
from graph.reason.rules import Schema, compile_schema
from graph.store.terms import Triples, from_ox, to_ox, turtle_graph

Engine = Literal["fast", "owlrl"]
ENGINES: tuple[str, ...] = ("fast", "owlrl")
#: Bumped whenever the engine's storage or algorithm changes: stored closures are then remade.
ENGINE_VERSION = "fast-2"


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise TrialgraphError(f"unknown reasoner {engine!r}", hint="use one of: " + ", ".join(ENGINES))


def ontology_graph() -> Graph:
    """``ontology/*.ttl`` in one graph (local files only; nothing is imported over HTTP).  Its
    blank nodes (the axioms' lists and restrictions) get labels made from what they hold, so
    that two parses, and two builds, write the very same graph.  Kept in :mod:`graph.cache` by a
    digest of the files: a process reads it back in milliseconds, where parsing and labelling
    take about 0.09 s."""
    paths = sorted(ONTOLOGY_DIR.glob("*.ttl"))
    parts = [b"%s\n%s" % (p.name.encode(), p.read_bytes()) for p in paths]
    return cache.cached("ontology", parts, lambda: _parse_ontology(paths), lambda g: isinstance(g, Graph))


def _parse_ontology(paths: list[Path]) -> Graph:
    from rdflib.compare import to_canonical_graph

    g = Graph()
    for path in paths:
        g += turtle_graph(path)
    out = Graph()
    for t in to_canonical_graph(g):
        out.add(t)
    return out


def ox_triples(g: Triples) -> list[Triple]:
    return [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in g]


@dataclass
class Reasoner:
    """The ontology compiled once: the rules, the ontology's own closure, and the fingerprint
    a store's closure is checked against."""

    ontology: Graph
    schema: Schema
    rules: LocalRules
    base: Base
    fingerprint: str

    @classmethod
    def of(cls, ontology: Graph | None = None) -> Reasoner:
        onto = ontology if ontology is not None else ontology_graph()
        schema = compile_schema(onto)  # refuses what it cannot compile
        rules = LocalRules.compile(schema)
        return cls(onto, schema, rules, Base.of(ox_triples(onto), rules), _fingerprint(schema, onto))

    def close(self, asserted: Iterable[Triple]) -> Closure:
        return close(asserted, self.rules, self.base)

    def record(self, name: str, asserted: Iterable[Triple]) -> RecordInferences:
        """One record's own inferences, and its signatures."""
        closure = self.close(asserted)
        inferred, hidden = closure.split()
        found = signatures(closure, self.rules, self.base)
        return RecordInferences(name, inferred, hidden, found.digests, found.terms)


@dataclass
class RecordInferences:
    name: str
    inferred: list[Triple]
    hidden: list[Triple]
    signatures: dict[int, int]
    #: what each signature key stands for (see :class:`graph.reason.closure.Signatures`)
    terms: dict[int, tuple[str, Any, Any]]

    def derived(self) -> list[Triple]:
        """Everything the record entails on its own, wherever it is kept."""
        return [*self.inferred, *self.hidden]


_REASONERS: dict[int, Reasoner] = {}


def reasoner_for(ontology: Graph | None) -> Reasoner:
    """A :class:`Reasoner`, compiled once per ontology graph object."""
    key = id(ontology) if ontology is not None else 0
    found = _REASONERS.get(key)
    if found is None or (ontology is not None and found.ontology is not ontology):
        found = _REASONERS[key] = Reasoner.of(ontology)
    return found


def _fingerprint(schema: Schema, onto: Graph) -> str:
    """The rules plus the ontology's own assertions (its blank nodes only carry axioms, which the
    rules already reflect, so they are left out and a re-parse gives the same fingerprint)."""
    lines = sorted(
        f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in onto if not any(isinstance(t, BNode) for t in (s, p, o))
    )
    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}\n{schema.fingerprint}\n".encode())
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def inferred_for(data: Graph, *, engine: Engine = "fast", ontology: Graph | None = None) -> Graph:
    """The inferred triples of an in-memory graph, under the definition of :mod:`graph.reason`."""
    check_engine(engine)
    if engine == "owlrl":
        return owlrl_inferred(data, ontology if ontology is not None else ontology_graph())
    reasoner = reasoner_for(ontology)
    closure = reasoner.close(dict.fromkeys(ox_triples(data)))
    out = Graph()
    for t in (*closure.derived, *reasoner.base.derived):
        if kept(t):
            out.add((from_ox(t[0]), from_ox(t[1]), from_ox(t[2])))  # type: ignore[arg-type]
    return out
