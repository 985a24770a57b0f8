"""The rows of the summary graph (:mod:`graph.summaries`) before they are triples: what the
records of each trial say of it (:class:`Facts`) and which trials each condition row holds,
folded by :class:`Collected` from the rows of the ``-all`` queries or, in a build into a new
store, from the rows that each worker reads from its records' own triples
(:func:`record_rows`), with no query over the store; and the terms the rows are written in
(:class:`Make`: rdflib's, or Oxigraph's for a staging database)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

import pyoxigraph as ox
from rdflib import RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from graph.namespace import TG
from graph.store.terms import to_ox


@dataclass
class Facts:
    """What the records of one trial say of it (the values of the columns of ``trial-facts``)."""

    ids: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    enrollments: set[int] = field(default_factory=set)
    #: lead sponsor -> the names the trial's records give it
    sponsors: dict[URIRef, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Make:
    """The terms summary triples are made of: rdflib's (:data:`AS_RDFLIB`, what a refresh and a
    remote store write) or Oxigraph's (:data:`AS_OXIGRAPH`, what a rebuild writes into its
    staging database without a conversion per triple)."""

    #: a node of the rows (trial, sponsor, condition, label, or a predicate of ``TG``)
    node: Callable[[Node], Any]
    text: Callable[[str], Any]
    integer: Callable[[int], Any]

    def tg(self, name: str) -> Any:
        return self.node(TG[name])


AS_RDFLIB = Make(lambda n: n, Literal, lambda n: Literal(n, datatype=XSD.integer))
_XSD_INTEGER = ox.NamedNode(str(XSD.integer))
AS_OXIGRAPH = Make(to_ox, ox.Literal, lambda n: ox.Literal(str(n), datatype=_XSD_INTEGER))


def condition_row(condition: URIRef, label: Node, *, ancestor: bool = False) -> URIRef:
    """The node of the condition row (or, with ``ancestor``, the ancestor row) of ``condition``
    under ``label``: an IRI under the condition's own, so that a refresh finds and replaces it."""
    kind = "ancestor" if ancestor else "condition"
    digest = sha256(f"{kind}\n{condition}\n{label.n3()}".encode()).hexdigest()[:16]  # type: ignore[union-attr]
    return URIRef(f"{condition}#summary-{digest}")


@dataclass
class Collected:
    """Rows of ``trial-facts`` and of ``condition-rows`` folded as they come: the facts per trial,
    and per (link, condition, label) the trials whose records give it.  Rows can come from the
    queries or, in a build into a new store, from the workers (:func:`record_rows`), in any order
    and any number of times."""

    facts: dict[URIRef, Facts] = field(default_factory=dict)
    links: dict[tuple[Node, Node, Node], set[Node]] = field(default_factory=dict)
    #: False once some record's rows may not be all that the store gives for it
    complete: bool = True

    def add_facts(self, rows: Iterable[tuple[Node | None, ...]]) -> None:
        facts = self.facts
        for trial, pid, title, status, phase, enrollment, lead, sponsor in rows:
            f = facts.get(trial)  # type: ignore[call-overload]
            if f is None:
                f = facts[trial] = Facts()  # type: ignore[index]
            f.ids.add(str(pid))
            if title is not None:
                f.titles.add(str(title))
            if status is not None:
                f.statuses.add(str(status))
            if phase is not None:
                f.phases.add(str(phase))
            if enrollment is not None:
                f.enrollments.add(int(str(enrollment)))
            if lead is not None and sponsor is not None:
                f.sponsors.setdefault(lead, set()).add(str(sponsor))  # type: ignore[arg-type]

    def add_conditions(self, rows: Iterable[tuple[Node | None, ...]]) -> None:
        links = self.links
        for trial, link, condition, label in rows:
            key = (link, condition, label)
            held = links.get(key)  # type: ignore[arg-type]
            if held is None:
                held = links[key] = set()  # type: ignore[index]
            held.add(trial)  # type: ignore[arg-type]

    def add(self, rows: RecordRows) -> None:
        self.complete = self.complete and not rows.derived_labels
        self.add_facts(rows.facts)
        self.add_conditions(rows.conditions)

    def condition_triples(self, make: Make = AS_RDFLIB) -> list[tuple[Any, Any, Any]]:
        """A row per (link, condition, label) with the ids of its trials that have facts."""
        out: list[tuple[Any, Any, Any]] = []
        pids: dict[Node, Any] = {}
        p_ancestor, p_condition, p_label, p_id = (
            make.tg(name) for name in ("summaryAncestorOf", "summaryCondition", "summaryLabel", "summaryTrialId")
        )
        for (link, condition, label), trials in self.links.items():
            ids = set()
            for trial in trials:
                if trial not in pids:
                    f = self.facts.get(trial)  # type: ignore[call-overload]
                    pids[trial] = make.text(min(f.ids)) if f is not None and f.ids else None
                pid = pids[trial]
                if pid is not None:
                    ids.add(pid)
            if not ids:
                continue
            ancestor = link != TG.condition
            row = make.node(condition_row(condition, label, ancestor=ancestor))  # type: ignore[arg-type]
            out.append((row, p_ancestor if ancestor else p_condition, make.node(condition)))
            out.append((row, p_label, make.node(label)))
            out.extend((row, p_id, pid) for pid in ids)
        return out


#: What :func:`record_rows` reads, as Oxigraph terms.
_OX = {
    name: to_ox(term)
    for name, term in (
        ("source", TG.sourceRecord),
        ("id", DCTERMS.identifier),
        ("title", TG.title),
        ("status", TG.status),
        ("phase", TG.phase),
        ("enrollment", TG.enrollment),
        ("lead", TG.leadSponsorParticipation),
        ("agent", TG.agent),
        ("label", RDFS.label),
        ("condition", TG.condition),
        ("ancestor", TG.conditionAncestor),
    )
}


@dataclass
class RecordRows:
    """The rows that ``trial-facts-all`` and ``condition-rows-all`` give for one record graph."""

    facts: list[tuple[Node | None, ...]] = field(default_factory=list)
    conditions: list[tuple[Node | None, ...]] = field(default_factory=list)
    #: the record's inferred or support graph holds a label: the store may then give rows of
    #: those graphs that these do not hold (none does unless an ontology derives labels)
    derived_labels: bool = False


#: The two links of a trial to a condition that condition rows are made of, as Oxigraph terms.
CONDITION_LINKS = (_OX["condition"], _OX["ancestor"])


def record_rows(
    name: str,
    triples: Iterable[tuple[Any, Any, Any]],
    node: Callable[[Any], Node],
    derived: Iterable[Iterable[tuple[Any, Any, Any]]] = (),
) -> RecordRows:
    """The summary rows of the record graph ``name`` holding ``triples`` (Oxigraph terms), as the
    two ``-all`` queries read them from the store, with ``node`` converting a term to rdflib:
    what a worker gives the parent, so that a build into a new store writes the summaries
    without querying every record graph again.  Every value appears in some fact row (the
    queries give their product; the fold keeps sets, so either gives the same facts).
    ``derived`` are the triples of the record's inferred and support graphs, looked at only for
    labels (:attr:`RecordRows.derived_labels`)."""
    o = _OX
    p_label = o["label"]
    by: dict[tuple[Any, Any], list[Any]] = {}
    labels: dict[Any, list[Any]] = {}
    links: list[tuple[Any, Any, Any]] = []
    for s, p, obj in triples:
        if p == p_label:
            labels.setdefault(s, []).append(obj)
        elif p in CONDITION_LINKS:
            links.append((s, p, obj))
        else:
            by.setdefault((s, p), []).append(obj)
    out = RecordRows(derived_labels=any(p == p_label for graph in derived for _s, p, _o in graph))
    for trial in by.get((ox.NamedNode(name), o["source"]), ()):
        ids: list[Any] | None = by.get((trial, o["id"]))
        if not ids:
            continue
        sponsors = [
            (lead, label)
            for lp in by.get((trial, o["lead"]), ())
            for lead in by.get((lp, o["agent"]), ())
            for label in labels.get(lead, ())
        ]
        columns: tuple[list[Any], ...] = (
            ids,
            by.get((trial, o["title"]), []),
            [_local(t) for t in by.get((trial, o["status"]), ())],
            [_local(t) for t in by.get((trial, o["phase"]), ())],
            by.get((trial, o["enrollment"]), []),
            sponsors,
        )
        t = node(trial)
        for i in range(max(len(c) for c in columns)):
            _pid, title, status, phase, enrollment, sponsor = (c[i] if i < len(c) else None for c in columns)
            lead, label = sponsor if sponsor is not None else (None, None)
            title, enrollment, lead, label = (_node(node, x) for x in (title, enrollment, lead, label))
            out.facts.append((t, node(ids[i % len(ids)]), title, status, phase, enrollment, lead, label))
    for s, p, obj in links:
        for label in labels.get(obj, ()):
            out.conditions.append((node(s), node(p), node(obj), node(label)))
    return out


def _local(term: Any) -> Literal | None:
    """``IF(isIRI(?x), REPLACE(STR(?x), "^.*/", ""), STR(?x))``: an IRI's last segment, a
    literal's text, nothing for a blank node."""
    if type(term) is ox.NamedNode:
        return Literal(term.value.rsplit("/", 1)[-1])
    if type(term) is ox.Literal:
        return Literal(term.value)
    return None


def _node(node: Callable[[Any], Node], term: Any) -> Node | None:
    return None if term is None else node(term)
