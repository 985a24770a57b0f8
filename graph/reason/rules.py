"""The ontology's axioms, compiled once into the rules the fast reasoner runs.

owlrl applies every OWL 2 RL rule to every triple, cycle after cycle, in Python.  Almost all of
that work is schema reasoning redone on each cycle.  Here the schema is closed once, in Python,
and what is left for the data is a handful of rule shapes, which :mod:`graph.reason.closure` applies
to each record in Python (see :mod:`graph.reason` for how and when):

- **property rules**: ``(x p y) => (x q y)`` and ``(x p y) => (y q x)``.  They cover ``prp-spo1``
  (sub-properties), ``prp-eqp1/2`` (equivalent properties), ``prp-inv1/2`` (inverses) and
  ``prp-symp`` (symmetric properties), already composed with one another: ``p`` reaches ``q``
  through any path of sub-property and inverse steps;
- **type rules**: ``(x p y) => (x a C)``, ``(x p y) => (y a C)``, ``(x a B) => (x a C)``.  They
  cover ``prp-dom``, ``prp-rng`` and ``cax-sco``/``cax-eqc1/2``, composed the same way (the
  domain of a super-property, the super-classes of a range...);
- **join rules**: ``prp-spo2`` (property chains) and ``prp-trp`` (transitive properties).  They
  are the only rules whose premises are two triples, and so the only ones that can combine facts
  from two source records.

Rules that only report inconsistencies (``cax-dw``, ``prp-irp``, ``prp-asyp``, ``prp-pdw``,
``cls-com``, ``cls-nothing2``, ``eq-diff*``...) derive no triple that is kept, so they are not
compiled.  Constructs whose rules would derive kept triples but are not compiled here
(functional and inverse-functional properties, keys, ``owl:sameAs``, intersections, restrictions,
enumerations) make :func:`compile_schema` raise :class:`UnsupportedOntology`: the fast engine then
refuses to run rather than give a different answer from owlrl, and ``engine="owlrl"`` still works.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from graph.constants import ONTOLOGY_NS
from graph.errors import TrialgraphError

#: Namespaces whose terms are the RDF, RDFS and OWL vocabulary itself.
_META_NS = (str(RDF), str(RDFS), str(OWL))

#: Constructs whose OWL 2 RL rules derive triples this module does not compile (rule names from
#: the OWL 2 RL profile, section 4.3).
_REFUSED_TYPES = {
    OWL.FunctionalProperty: "prp-fp (functional property)",
    OWL.InverseFunctionalProperty: "prp-ifp (inverse-functional property)",
}
_REFUSED_PREDICATES = {
    OWL.sameAs: "eq-* (owl:sameAs)",
    OWL.hasKey: "prp-key (owl:hasKey)",
    OWL.intersectionOf: "cls-int1/2 (owl:intersectionOf)",
    OWL.someValuesFrom: "cls-svf1/2 (owl:someValuesFrom)",
    OWL.allValuesFrom: "cls-avf (owl:allValuesFrom)",
    OWL.hasValue: "cls-hv1/2 (owl:hasValue)",
    OWL.oneOf: "cls-oo (owl:oneOf)",
}
#: Cardinality restrictions derive owl:sameAs unless the bound is 0 (then they only report).
_CARDINALITY = (OWL.maxCardinality, OWL.maxQualifiedCardinality)


class UnsupportedOntology(TrialgraphError):
    """The ontology uses an OWL 2 RL construct the fast engine does not compile."""


@dataclass(frozen=True)
class Chain:
    """``head`` holds between the two ends of a path ``steps[0]/steps[1]/...``."""

    head: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    """The closed schema, as the rule tables the engine needs (IRIs as plain strings)."""

    #: target property -> source properties p with (x p y) => (x target y)
    forward: dict[str, tuple[str, ...]]
    #: target property -> source properties p with (x p y) => (y target x)
    backward: dict[str, tuple[str, ...]]
    #: kept class -> properties whose subjects are members
    subject_of: dict[str, tuple[str, ...]]
    #: kept class -> properties whose (non-literal) objects are members
    object_of: dict[str, tuple[str, ...]]
    #: kept class -> strict sub-classes
    sub_classes: dict[str, tuple[str, ...]]
    #: property chains (length >= 2), transitive properties as chains (p, p)
    chains: tuple[Chain, ...]
    #: properties whose literal objects the fast engine cannot follow (empty unless the ontology
    #: lets a literal subject reach a chain in a way that matters: see :func:`_literal_danger`)
    literal_hazards: tuple[str, ...]
    #: derived properties the engine stores (targets of property rules and chain heads)
    derived_properties: tuple[str, ...]

    @property
    def kept_classes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.subject_of) | set(self.object_of) | set(self.sub_classes)))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the rules change: a stored closure made under other rules is stale."""
        text = json.dumps(
            {
                "forward": self.forward,
                "backward": self.backward,
                "subject_of": self.subject_of,
                "object_of": self.object_of,
                "sub_classes": self.sub_classes,
                "chains": [[c.head, *c.steps] for c in self.chains],
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


def is_kept_term(term: str) -> bool:
    """Terms of the trialgraph ontology: the only predicates and classes the inferred graph keeps."""
    return term.startswith(ONTOLOGY_NS)


# -- reading the axioms ---------------------------------------------------------------------------


def _iri(term: Node, where: str) -> str:
    if not isinstance(term, URIRef):
        raise UnsupportedOntology(
            f"{where}: {term!r} is not an IRI; the fast reasoner compiles named properties only",
            hint="use engine='owlrl', or name the property",
        )
    return str(term)


def _check_property(p: str, where: str) -> None:
    if p.startswith(_META_NS):
        raise UnsupportedOntology(
            f"{where}: an axiom about {p}, part of the RDF/RDFS/OWL vocabulary itself",
            hint="use engine='owlrl' for meta-level axioms",
        )


def _refuse(onto: Graph) -> None:
    for cls, rule in _REFUSED_TYPES.items():
        for s in onto.subjects(RDF.type, cls):
            raise UnsupportedOntology(f"{s} is an {cls}: rule {rule} is not compiled", hint="use engine='owlrl'")
    for pred, rule in _REFUSED_PREDICATES.items():
        for s in onto.subjects(pred, None):
            raise UnsupportedOntology(f"{s} uses {pred}: rule {rule} is not compiled", hint="use engine='owlrl'")
    for pred in _CARDINALITY:
        for s, o in onto.subject_objects(pred):
            if not (isinstance(o, Literal) and str(o).strip() == "0"):
                raise UnsupportedOntology(
                    f"{s} has {pred} {o}: cls-maxc2/cls-maxqc3-4 derive owl:sameAs and are not compiled",
                    hint="use engine='owlrl'",
                )


def _class_edges(onto: Graph) -> dict[Node, set[Node]]:
    """Direct super-classes, as owlrl's scm-sco/scm-eqc/scm-uni/scm-cls rules close them."""
    supers: dict[Node, set[Node]] = defaultdict(set)
    for c, d in onto.subject_objects(RDFS.subClassOf):
        if c != d:
            supers[c].add(d)
    for c, d in onto.subject_objects(OWL.equivalentClass):
        if c != d:
            supers[c].add(d)
            supers[d].add(c)
    for union, members in onto.subject_objects(OWL.unionOf):
        for member in onto.items(members):
            if member != union:
                supers[member].add(union)
    for c in onto.subjects(RDF.type, OWL.Class):
        if c != OWL.Thing:
            supers[c].add(OWL.Thing)
    return supers


def _closure(start: Node, edges: dict[Node, set[Node]]) -> set[Node]:
    """Everything reachable from ``start`` in one or more steps."""
    seen: set[Node] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(edges.get(node, ()))
    return seen


@dataclass
class _PropertyAxioms:
    supers: dict[str, set[str]]
    inverses: dict[str, set[str]]
    domains: dict[str, set[Node]]
    ranges: dict[str, set[Node]]
    chains: list[Chain]
    transitive: set[str]


def _property_axioms(onto: Graph) -> _PropertyAxioms:
    ax = _PropertyAxioms(defaultdict(set), defaultdict(set), defaultdict(set), defaultdict(set), [], set())
    for a, b in onto.subject_objects(RDFS.subPropertyOf):
        pa, pb = _iri(a, "rdfs:subPropertyOf"), _iri(b, "rdfs:subPropertyOf")
        if pa != pb:
            ax.supers[pa].add(pb)
    for a, b in onto.subject_objects(OWL.equivalentProperty):
        pa, pb = _iri(a, "owl:equivalentProperty"), _iri(b, "owl:equivalentProperty")
        if pa != pb:
            ax.supers[pa].add(pb)
            ax.supers[pb].add(pa)
    for a, b in onto.subject_objects(OWL.inverseOf):
        pa, pb = _iri(a, "owl:inverseOf"), _iri(b, "owl:inverseOf")
        ax.inverses[pa].add(pb)
        ax.inverses[pb].add(pa)
    for a in onto.subjects(RDF.type, OWL.SymmetricProperty):
        p = _iri(a, "owl:SymmetricProperty")
        ax.inverses[p].add(p)
    for a in onto.subjects(RDF.type, OWL.TransitiveProperty):
        ax.transitive.add(_iri(a, "owl:TransitiveProperty"))
    for a, c in onto.subject_objects(RDFS.domain):
        ax.domains[_iri(a, "rdfs:domain")].add(c)
    for a, c in onto.subject_objects(RDFS.range):
        ax.ranges[_iri(a, "rdfs:range")].add(c)
    for a, lst in onto.subject_objects(OWL.propertyChainAxiom):
        head = _iri(a, "owl:propertyChainAxiom")
        steps = tuple(_iri(s, f"the chain of {head}") for s in onto.items(lst))
        if len(steps) == 1:
            if steps[0] != head:
                ax.supers[steps[0]].add(head)
        elif steps:
            ax.chains.append(Chain(head, steps))
    for p in _all_properties(ax):
        _check_property(p, "property axioms")
    return ax


def _reach(p: str, ax: _PropertyAxioms) -> set[tuple[str, bool]]:
    """(q, flipped) for every q that (x p y) entails through sub-property and inverse steps;
    ``flipped`` when it entails (y q x).  Includes (p, False)."""
    seen = {(p, False)}
    todo = [(p, False)]
    while todo:
        q, flipped = todo.pop()
        steps = [(r, flipped) for r in ax.supers.get(q, ())] + [(r, not flipped) for r in ax.inverses.get(q, ())]
        for step in steps:
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return seen


def compile_schema(onto: Graph) -> Schema:
    """Close the ontology's schema once and tabulate the rules the data needs."""
    _refuse(onto)
    ax = _property_axioms(onto)
    class_supers = _class_edges(onto)
    chains = tuple(sorted(ax.chains + [Chain(p, (p, p)) for p in ax.transitive], key=lambda c: (c.head, c.steps)))
    join_steps = {s for c in chains for s in c.steps}
    derived = {p for p in _all_properties(ax) if is_kept_term(p)} | join_steps | {c.head for c in chains}

    forward: dict[str, set[str]] = defaultdict(set)
    backward: dict[str, set[str]] = defaultdict(set)
    subject_of: dict[str, set[str]] = defaultdict(set)
    object_of: dict[str, set[str]] = defaultdict(set)
    flip_sources: set[str] = set()

    def kept_supers(classes: Iterable[Node]) -> set[str]:
        out: set[str] = set()
        for c in classes:
            out |= {str(d) for d in {c} | _closure(c, class_supers) if isinstance(d, URIRef) and is_kept_term(str(d))}
        return out

    for p in _all_properties(ax):
        for q, flipped in _reach(p, ax):
            if (q, flipped) != (p, False) and q in derived:
                (backward if flipped else forward)[q].add(p)
            if flipped:
                flip_sources.add(p)
            subj, obj = (ax.ranges, ax.domains) if flipped else (ax.domains, ax.ranges)
            for c in kept_supers(subj.get(q, ())):
                subject_of[c].add(p)
            for c in kept_supers(obj.get(q, ())):
                object_of[c].add(p)
    sub_classes: dict[str, set[str]] = defaultdict(set)
    for cls in list(class_supers):
        for d in kept_supers(_closure(cls, class_supers)):
            if d != str(cls) and isinstance(cls, URIRef):
                sub_classes[d].add(str(cls))

    return Schema(
        forward=_frozen(forward),
        backward=_frozen(backward),
        subject_of=_frozen(subject_of),
        object_of=_frozen(object_of),
        sub_classes=_frozen(sub_classes),
        chains=chains,
        literal_hazards=tuple(sorted(flip_sources)) if _literal_danger(ax, chains) else (),
        derived_properties=tuple(sorted(set(forward) | set(backward) | {c.head for c in chains})),
    )


def _literal_danger(ax: _PropertyAxioms, chains: tuple[Chain, ...]) -> bool:
    """Can a triple with a literal subject change the answer?  owlrl makes such triples (an
    inverse turns ``(x p "v")`` into ``("v" q x)``); Oxigraph cannot store them.  The one-premise
    rules are composed at compile time, so what such a triple gives through them is derived from
    its source directly.  What is lost is what a chain makes of it: a chain joining through the
    literal (a later step that can have a literal subject), or a chain starting from it whose
    result an inverse turns back into a triple about a resource."""
    reach = {p: _reach(p, ax) for p in _all_properties(ax)}
    literal_subject = {q for r in reach.values() for q, flipped in r if flipped}
    changed = True
    while changed:  # chain results that start from a literal have a literal subject too
        changed = False
        for chain in chains:
            if chain.steps[0] in literal_subject:
                for q, flipped in reach.get(chain.head, {(chain.head, False)}):
                    if not flipped and q not in literal_subject:
                        literal_subject.add(q)
                        changed = True
    for chain in chains:
        if any(step in literal_subject for step in chain.steps[1:]):
            return True
        if chain.steps[0] in literal_subject and any(f for _, f in reach.get(chain.head, set())):
            return True
    return False


def _all_properties(ax: _PropertyAxioms) -> set[str]:
    out = set(ax.supers) | set(ax.inverses) | ax.transitive | set(ax.domains) | set(ax.ranges)
    out |= {q for qs in ax.supers.values() for q in qs} | {q for qs in ax.inverses.values() for q in qs}
    out |= {c.head for c in ax.chains} | {s for c in ax.chains for s in c.steps}
    return out


def _frozen(table: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(sorted(v)) for k, v in sorted(table.items()) if v}
