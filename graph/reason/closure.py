"""The compiled rules (:mod:`graph.reason.rules`) applied in Python, to one record at a time.

Almost everything the ontology entails about a record follows from that record alone: the
shortcut properties from its qualified roles, the inverses, the types from domains and ranges,
the MeSH ancestors it lists.  So a build works those out in its worker processes, next to the
record's triples, and writes them to the record's own inferred graph (:mod:`graph.store.layout`).
Only what joins triples of *different* records needs the store: :mod:`graph.reason.full` finds those
places with the signatures computed here, and works them out there.

Terms are pyoxigraph terms (they hash and compare in Rust, and the store speaks them).  The
ontology graph is a premise of every record, so its own closure (:class:`Base`) is worked out
once per process and joined with each record.

The rules (see :mod:`graph.reason.rules` for how they are compiled):

- one-premise rules: ``(x p y) => (x q y)``, ``(x p y) => (y q x)``, ``(x p y) => (x a C)``,
  ``(x p y) => (y a C)``, ``(x a B) => (x a C)``, already composed, so one application to a
  triple gives everything they can give;
- chains ``p1/p2/.../pn => head`` (transitive properties are the chain ``p/p``), applied
  semi-naively until nothing new comes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pyoxigraph as ox

from graph.constants import ONTOLOGY_NS, VOCAB_NS
from graph.digest import text_hash, texts_hash
from graph.errors import TrialgraphError
from graph.reason.rules import Schema

Term: TypeAlias = Any  # ox.NamedNode | ox.BlankNode | ox.Literal
Triple: TypeAlias = tuple[Any, Any, Any]

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class ReasoningError(TrialgraphError):
    """The fast engine cannot give owlrl's answer for this data."""


def kept(triple: Triple) -> bool:
    """The filter of the definition of an inferred triple (docs/reasoning.md): a data-node IRI
    as subject, and a trialgraph property or a trialgraph class."""
    s, p, o = triple
    if type(s) is not ox.NamedNode:
        return False
    text = s.value
    if text.startswith(ONTOLOGY_NS) or text.startswith(VOCAB_NS):
        return False
    if p == RDF_TYPE:
        return type(o) is ox.NamedNode and o.value.startswith(ONTOLOGY_NS)
    return bool(p.value.startswith(ONTOLOGY_NS))


@dataclass(frozen=True)
class Chain:
    head: Any
    steps: tuple[Any, ...]


@dataclass
class LocalRules:
    """The rule tables of a :class:`graph.reason.rules.Schema`, indexed the way one record is
    reasoned about: by the premise's predicate."""

    #: p -> (q with (x p y) => (x q y), q with (x p y) => (y q x), classes of x, classes of y)
    by_predicate: dict[Any, tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]]
    #: class B -> classes C with (x a B) => (x a C)
    supers: dict[Any, tuple[Any, ...]]
    chains: tuple[Chain, ...]
    #: chain step predicate -> (chain, position) for every place it takes in a chain
    positions: dict[Any, tuple[tuple[Chain, int], ...]]
    #: predicates that are a later step of a chain -> the steps right before them (the two sides
    #: of a join: what a cross-record join needs to look at)
    joins: dict[Any, frozenset[Any]]
    #: predicates a record may assert and the rules may derive: where a derived triple can also
    #: be asserted by another record
    derivable: frozenset[Any]
    #: properties whose literal objects the engine cannot follow (see graph.reason.rules)
    hazards: frozenset[Any]
    #: the rules backwards: what one step derives a property from / a class from
    sources_of_property: dict[Any, tuple[tuple[Any, ...], tuple[Any, ...], tuple[Chain, ...]]] = field(
        default_factory=dict
    )
    sources_of_class: dict[Any, tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=dict)

    @classmethod
    def compile(cls, schema: Schema) -> LocalRules:
        n = ox.NamedNode
        forward, backward = _invert(schema.forward), _invert(schema.backward)
        subj, obj, supers = _invert(schema.subject_of), _invert(schema.object_of), _invert(schema.sub_classes)
        preds = set(forward) | set(backward) | set(subj) | set(obj)

        def terms(values: Iterable[str]) -> tuple[Any, ...]:
            return tuple(n(v) for v in sorted(values))

        by_predicate = {n(p): (terms(forward[p]), terms(backward[p]), terms(subj[p]), terms(obj[p])) for p in preds}
        chains = tuple(Chain(n(c.head), tuple(n(s) for s in c.steps)) for c in schema.chains)
        positions: dict[Any, list[tuple[Chain, int]]] = defaultdict(list)
        joins: dict[Any, set[Any]] = defaultdict(set)
        for chain in chains:
            for i, step in enumerate(chain.steps):
                positions[step].append((chain, i))
                if i:
                    joins[step].add(chain.steps[i - 1])
        rules = cls(
            by_predicate=by_predicate,
            supers={n(b): terms(cs) for b, cs in supers.items()},
            chains=chains,
            positions={p: tuple(v) for p, v in positions.items()},
            joins={p: frozenset(v) for p, v in joins.items()},
            derivable=frozenset({RDF_TYPE, *(n(p) for p in schema.derived_properties)}),
            hazards=frozenset(n(p) for p in schema.literal_hazards),
        )
        rules._index_backwards()
        return rules

    def _index_backwards(self) -> None:
        props: dict[Any, tuple[list[Any], list[Any], list[Chain]]] = defaultdict(lambda: ([], [], []))
        classes: dict[Any, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
        for p, (fwd, bwd, subj, obj) in self.by_predicate.items():
            for q in fwd:
                props[q][0].append(p)
            for q in bwd:
                props[q][1].append(p)
            for c in subj:
                classes[c][0].append(p)
            for c in obj:
                classes[c][1].append(p)
        for b, cs in self.supers.items():
            for c in cs:
                classes[c][2].append(b)
        for chain in self.chains:
            props[chain.head][2].append(chain)
        self.sources_of_property = {q: (tuple(a), tuple(b), tuple(c)) for q, (a, b, c) in props.items()}
        self.sources_of_class = {c: (tuple(a), tuple(b), tuple(d)) for c, (a, b, d) in classes.items()}

    def one_step(self, s: Term, p: Term, o: Term) -> Iterator[Triple]:
        """What the one-premise rules derive from ``(s p o)``."""
        rules = self.by_predicate.get(p)
        literal = type(o) is ox.Literal
        if rules is not None:
            fwd, bwd, subj, obj = rules
            for q in fwd:
                yield s, q, o
            for c in subj:
                yield s, RDF_TYPE, c
            if not literal:
                for q in bwd:
                    yield o, q, s
                for c in obj:
                    yield o, RDF_TYPE, c
        if p == RDF_TYPE and not literal:
            for c in self.supers.get(o, ()):
                yield s, RDF_TYPE, c


def _invert(table: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """``target -> sources`` as ``source -> targets``."""
    out: dict[str, set[str]] = defaultdict(set)
    for target, sources in table.items():
        for source in sources:
            out[source].add(target)
    return out


class Index:
    """Triples of the predicates that chains join on, by subject and by object."""

    def __init__(self) -> None:
        self.out: dict[Any, dict[Any, set[Any]]] = defaultdict(dict)
        self.inc: dict[Any, dict[Any, set[Any]]] = defaultdict(dict)

    def add(self, s: Term, p: Term, o: Term) -> None:
        by_s = self.out[p]
        if s in by_s:
            by_s[s].add(o)
        else:
            by_s[s] = {o}
        by_o = self.inc[p]
        if o in by_o:
            by_o[o].add(s)
        else:
            by_o[o] = {s}

    def objects(self, s: Term, p: Term) -> set[Any]:
        return self.out.get(p, {}).get(s, _EMPTY)

    def subjects(self, p: Term, o: Term) -> set[Any]:
        return self.inc.get(p, {}).get(o, _EMPTY)


_EMPTY: set[Any] = set()


@dataclass
class Base:
    """What the ontology graph entails on its own: every triple true without any record, and
    the chain steps among them indexed for joins."""

    true: set[Triple]
    index: Index
    #: derived from the ontology alone (kept ones go to the cross-record graph)
    derived: list[Triple]

    @classmethod
    def empty(cls) -> Base:
        return cls(set(), Index(), [])

    @classmethod
    def of(cls, ontology: Iterable[Triple], rules: LocalRules) -> Base:
        asserted = list(dict.fromkeys(ontology))
        result = close(asserted, rules, cls.empty())
        index = Index()
        for s, p, o in (*asserted, *result.derived):
            if p in rules.positions:
                index.add(s, p, o)
        return cls(set(asserted) | set(result.derived), index, result.derived)


@dataclass
class Closure:
    """What one record entails beyond itself and the ontology."""

    asserted: dict[Triple, None]
    derived: list[Triple]
    index: Index

    def split(self) -> tuple[list[Triple], list[Triple]]:
        """(kept, hidden): the record's inferred triples, and the derived triples the
        definition leaves out (a vocabulary concept's type...)."""
        inferred: list[Triple] = []
        hidden: list[Triple] = []
        for t in self.derived:
            (inferred if kept(t) else hidden).append(t)
        return inferred, hidden


def close(asserted: Iterable[Triple], rules: LocalRules, base: Base) -> Closure:
    """The closure of one record's triples with the ontology: every triple the rules derive
    that is neither asserted by the record nor true from the ontology alone."""
    facts = dict.fromkeys(asserted)
    if rules.hazards:
        _check_literals(facts, rules)
    derived: dict[Triple, None] = {}
    index = Index()
    true = base.true
    positions = rules.positions
    one_step = rules.one_step
    delta: list[Triple] = list(facts)
    while delta:
        arrived = list(delta)
        for t in delta:
            for d in one_step(*t):
                if d not in facts and d not in derived and d not in true:
                    derived[d] = None
                    arrived.append(d)
        chained = [t for t in arrived if t[1] in positions]
        for s, p, o in chained:
            index.add(s, p, o)
        delta = []
        for t in chained:
            for chain, i in positions[t[1]]:
                for d in _extend(t, chain, i, index, base.index):
                    if d not in facts and d not in derived and d not in true:
                        derived[d] = None
                        delta.append(d)
    return Closure(facts, list(derived), index)


def _check_literals(facts: Mapping[Triple, None], rules: LocalRules) -> None:
    for s, p, o in facts:
        if p in rules.hazards and type(o) is ox.Literal:
            raise ReasoningError(
                f"{s} has the literal {o} as value of {p}, whose inverse feeds a property chain; "
                "the fast engine cannot follow a literal there",
                hint="fix the record (that property takes a resource) or reason with engine='owlrl'",
            )


def _extend(t: Triple, chain: Chain, i: int, *indexes: Index) -> Iterator[Triple]:
    """Every instance of ``chain`` whose step ``i`` is ``t``, the other steps read from
    ``indexes``: the chain's head for each."""
    steps = chain.steps
    lefts = {t[0]}
    for j in range(i - 1, -1, -1):
        lefts = {x for y in lefts for ix in indexes for x in ix.subjects(steps[j], y)}
        if not lefts:
            return
    rights = {t[2]}
    for j in range(i + 1, len(steps)):
        rights = {z for y in rights for ix in indexes for z in ix.objects(y, steps[j])}
        if not rights:
            return
    for x in lefts:
        for z in rights:
            yield x, chain.head, z


# -- signatures: where another record could change the answer --------------------------------------


@dataclass
class Signatures:
    #: key -> digest (the keys are :func:`join_key` and :func:`mask_key`)
    digests: dict[int, int]
    #: key -> what it stands for: ("join", q, y) or ("describe", None, node)
    terms: dict[int, tuple[str, Any, Any]]


def signatures(closure: Closure, rules: LocalRules, base: Base) -> Signatures:
    """Digests of what this record says at the places where another record's triples could
    combine with its own.

    - A *join*: a node ``y`` that a chain passes through (``x p y`` then ``y q z``).  The digest
      covers every ``z`` this record knows for ``y q z``.  If every record that reaches or
      leaves ``y`` agrees on it, no chain through ``y`` combines two records' triples into
      something one record alone does not give.
    - A *description*: a node this record derives something about, or asserts a derivable
      triple about.  The digest covers the derivable triples the record asserts about it.  If
      every record that describes the node agrees, no triple this record derives is asserted by
      another one (an inferred triple must not be asserted anywhere)."""
    digests: dict[int, int] = {}
    terms: dict[int, tuple[str, Any, Any]] = {}
    record = closure.index
    for q, befores in rules.joins.items():
        nodes = set(record.out.get(q, {}))
        for p in befores:
            nodes.update(record.inc.get(p, {}))
        for y in nodes:
            if type(y) is ox.Literal:  # no chain goes on from a literal
                continue
            values = record.objects(y, q) | base.index.objects(y, q)
            key = join_key(q, y)
            digests[key] = texts_hash(str(z) for z in values)
            terms[key] = ("join", q, y)
    derivable = rules.derivable
    described: dict[Any, list[str]] = defaultdict(list)
    for s, p, o in closure.asserted:
        if p in derivable:
            described[s].append(f"{p} {o}")
    for s, _p, _o in closure.derived:
        described.setdefault(s, [])
    for s, texts in described.items():
        key = mask_key(s)
        digests[key] = texts_hash(texts)
        terms[key] = ("describe", None, s)
    return Signatures(digests, terms)


def join_key(predicate: Term, node: Term) -> int:
    return text_hash(f"join {predicate} {node}")


def mask_key(node: Term) -> int:
    return text_hash(f"describe {node}")
