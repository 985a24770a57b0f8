"""The summary graph: one row per trial, per lead sponsor and per country, kept up to date by
every build, so that the whole-graph queries (``trials``, ``sponsors``, ``countries``) read a
few facts per row instead of aggregating the union of every record graph.

Why it is needed: the default graph that queries read is the union of the record graphs, and a
shared node (a sponsor, a site, a country) has its triples repeated in the graph of every record
that names it.  A count over the union is then a count over those copies, and it grows with the
square of a popular node's records.  The summaries are computed record graph by record graph
(``queries/summaries/*.rq``), where each node appears once, and written once into
:data:`SUMMARY_GRAPH`:

- a trial: ``tg:summaryId``, ``tg:summaryTitle``, ``tg:summaryStatus``, ``tg:summaryPhase``,
  ``tg:summaryEnrollment``, ``tg:summarySponsor`` (the same reductions ``trials`` always made:
  the first id, title, status and sponsor name in code-point order, the largest enrolment, the
  phases joined with "/");
- a lead sponsor: ``tg:summaryName`` and ``tg:leadTrialCount``;
- a country: ``tg:summaryCode``, ``tg:trialCount`` and ``tg:siteCount``;
- a condition row, one per condition and label (:func:`condition_row`): ``tg:summaryCondition``,
  ``tg:summaryLabel``, and the preferred id of every trial whose records name that condition
  with that label (``tg:summaryTrialId``); an ancestor row the same with
  ``tg:summaryAncestorOf``, for the trials whose records list the condition as an ancestor of
  their MeSH conditions.  ``trials-by-condition`` reads a condition's trials from there in one
  index scan, where the record graphs need two look-ups per trial (its id and the label its
  record gives the condition), about 10 µs each.

A build refreshes the rows of the trials its changed records describe (before and after the
change), their condition rows, and the counts of their sponsors and countries.  A quarantined
record changes no graph and so no row.  A build of many records, or a store without summaries,
recomputes them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha256

import pyoxigraph as ox
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.term import Node

import graph.resolve.identity as ids
from graph.constants import SUMMARY_GRAPH
from graph.errors import StoreError
from graph.namespace import TG
from graph.sparql import internal_query, value_token, with_tokens, with_values
from graph.store.base import QuadReader, Store
from graph.store.terms import convert_result, graph_quads, to_ox

#: Reads rows: (SPARQL text, bindings) -> rows of rdflib terms.
Rows = Callable[[str, Mapping[str, Node]], list[tuple[Node | None, ...]]]
Triple = tuple[URIRef, URIRef, Node]

#: More changed records than this are summarised from scratch rather than row by row.
FULL_REFRESH = 1000


def _text(name: str) -> str:
    return internal_query(f"summaries/{name}")


@dataclass
class SummaryStats:
    """What one refresh did."""

    full: bool = False
    trials: int = 0
    sponsors: int = 0
    countries: int = 0


@dataclass
class _Facts:
    ids: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    enrollments: set[int] = field(default_factory=set)
    #: lead sponsor -> the names the trial's records give it
    sponsors: dict[URIRef, set[str]] = field(default_factory=dict)


# -- reading ---------------------------------------------------------------------------------------


def ox_rows(db: ox.Store) -> Rows:
    """Rows from an Oxigraph database (a build's staging copy), its named graphs as the
    default graph, the way :class:`graph.store.local.OxigraphStore` queries."""

    def rows(text: str, bindings: Mapping[str, Node]) -> list[tuple[Node | None, ...]]:
        bound = with_values(text, bindings) if bindings else text
        return convert_result(db.query(bound, use_default_graph_as_union=True), None).rows

    return rows


def store_rows(store: Store) -> Rows:
    def rows(text: str, bindings: Mapping[str, Node]) -> list[tuple[Node | None, ...]]:
        return store.query(text, bindings or None).rows

    return rows


#: Queries with a form of their own for every node at once (``name-all.rq``): one that joins
#: whole predicates by hashing, where the bound form looks each node's values up.
WHOLE_FORMS = frozenset({"trial-facts", "condition-rows"})


def _each(rows: Rows, name: str, variable: str, nodes: Iterable[URIRef] | None) -> list[tuple[Node | None, ...]]:
    """The rows of ``summaries/name.rq``: for every node when ``nodes`` is None, else for each
    node bound to ``variable`` (one small query each, answered from the indexes)."""
    if nodes is None:
        return rows(_text(f"{name}-all" if name in WHOLE_FORMS else name), {})
    text = _text(name)
    out: list[tuple[Node | None, ...]] = []
    for node in nodes:
        out.extend(rows(text, {variable: node}))
    return out


# -- rows as triples -------------------------------------------------------------------------------


def trial_facts(rows: Rows, trials: Iterable[URIRef] | None = None) -> dict[URIRef, _Facts]:
    """What the records of ``trials`` (of every trial when None) say, per trial; a trial no
    record describes any more is missing."""
    facts: dict[URIRef, _Facts] = {}
    for trial, pid, title, status, phase, enrollment, lead, sponsor in _each(rows, "trial-facts", "trial", trials):
        f = facts.setdefault(trial, _Facts())  # type: ignore[arg-type]
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
    return facts


def trial_triples(facts: dict[URIRef, _Facts]) -> list[Triple]:
    """One summary row per trial."""
    out: list[Triple] = []
    for trial, f in facts.items():
        out.append((trial, TG.summaryId, Literal(min(f.ids))))
        if f.titles:
            out.append((trial, TG.summaryTitle, Literal(min(f.titles))))
        if f.statuses:
            out.append((trial, TG.summaryStatus, Literal(min(f.statuses))))
        if f.phases:
            out.append((trial, TG.summaryPhase, Literal("/".join(sorted(f.phases)))))
        if f.enrollments:
            out.append((trial, TG.summaryEnrollment, Literal(max(f.enrollments), datatype=XSD.integer)))
        if f.sponsors:
            out.append((trial, TG.summarySponsor, Literal(min(min(names) for names in f.sponsors.values()))))
    return out


def condition_row(condition: URIRef, label: Node, *, ancestor: bool = False) -> URIRef:
    """The node of the condition row (or, with ``ancestor``, the ancestor row) of ``condition``
    under ``label``: an IRI under the condition's own, so that a refresh finds and replaces it."""
    kind = "ancestor" if ancestor else "condition"
    digest = sha256(f"{kind}\n{condition}\n{label.n3()}".encode()).hexdigest()[:16]  # type: ignore[union-attr]
    return URIRef(f"{condition}#summary-{digest}")


def condition_triples(rows: Rows, facts: dict[URIRef, _Facts], trials: Iterable[URIRef] | None = None) -> list[Triple]:
    """The condition rows of ``trials`` (of every trial when None): each condition and label the
    trials' records give, with the trials' ids (the ``tg:summaryId`` of ``facts``)."""
    out: set[Triple] = set()
    nodes: dict[tuple[Node | None, Node | None, Node | None], URIRef] = {}
    pids: dict[Node, Literal] = {}
    for trial, link, condition, label in _each(rows, "condition-rows", "trial", trials):
        if trial not in pids:
            f = facts.get(trial)  # type: ignore[call-overload]
            if f is None or not f.ids:
                continue
            pids[trial] = Literal(min(f.ids))  # type: ignore[index]
        key = (link, condition, label)
        row = nodes.get(key)  # type: ignore[arg-type]
        if row is None:
            ancestor = link != TG.condition
            row = nodes[key] = condition_row(condition, label, ancestor=ancestor)  # type: ignore[arg-type,index]
            out.add((row, TG.summaryAncestorOf if ancestor else TG.summaryCondition, condition))  # type: ignore[arg-type]
            out.add((row, TG.summaryLabel, label))  # type: ignore[arg-type]
        out.add((row, TG.summaryTrialId, pids[trial]))  # type: ignore[index]
    return list(out)


def sponsor_triples(rows: Rows, sponsors: Iterable[URIRef]) -> list[Triple]:
    """Rows of ``sponsors``, counted in one query (up to :data:`SPONSORS_PER_QUERY` at a time)."""
    listed = list(sponsors)
    counted: list[tuple[Node | None, ...]] = []
    for start in range(0, len(listed), SPONSORS_PER_QUERY):
        batch = (value_token(s) for s in listed[start : start + SPONSORS_PER_QUERY])
        counted.extend(rows(with_tokens(_text("sponsor-counts"), "sponsor", batch), {}))
    return _sponsor_rows((s, str(name), int(str(trials))) for s, name, trials in counted if s is not None)


#: Sponsors bound in one ``sponsor-counts`` query.
SPONSORS_PER_QUERY = 500


def all_sponsor_triples(facts: dict[URIRef, _Facts]) -> list[Triple]:
    """Rows of every lead sponsor, from the facts of every trial (what ``sponsor-counts.rq``
    counts, without reading the sponsors' participations again)."""
    trials: dict[URIRef, set[URIRef]] = {}
    names: dict[URIRef, set[str]] = {}
    for trial, f in facts.items():
        for sponsor, given in f.sponsors.items():
            trials.setdefault(sponsor, set()).add(trial)
            names.setdefault(sponsor, set()).update(given)
    return _sponsor_rows((s, min(names[s]), len(led)) for s, led in trials.items())


def _sponsor_rows(counted: Iterable[tuple[Node, str, int]]) -> list[Triple]:
    out: list[Triple] = []
    for sponsor, name, trials in counted:
        if trials:  # an aggregate over no match still gives one empty row
            out.append((sponsor, TG.summaryName, Literal(name)))  # type: ignore[arg-type]
            out.append((sponsor, TG.leadTrialCount, Literal(trials, datatype=XSD.integer)))  # type: ignore[arg-type]
    return out


def country_triples(rows: Rows, countries: Iterable[URIRef] | None = None) -> list[Triple]:
    """Rows of ``countries`` (of every country when None), counted one country at a time."""
    out: list[Triple] = []
    for country, code in _each(rows, "country-codes", "country", countries):
        if country is None:
            continue
        trials = _count(rows, "country-trials", country)
        if not trials:
            continue
        out.append((country, TG.summaryCode, Literal(str(code))))  # type: ignore[arg-type]
        out.append((country, TG.trialCount, Literal(trials, datatype=XSD.integer)))  # type: ignore[arg-type]
        sites = _count(rows, "country-sites", country)
        out.append((country, TG.siteCount, Literal(sites, datatype=XSD.integer)))  # type: ignore[arg-type]
    return out


def _count(rows: Rows, name: str, country: Node) -> int:
    """The count of ``summaries/name.rq`` (its last column) for one country."""
    found = _each(rows, name, "country", [country])  # type: ignore[list-item]
    return int(str(found[0][-1])) if found and found[0][-1] is not None else 0


def summary_graph(store: Store) -> Graph:
    """Every summary row of the store, computed from scratch (a remote store's build uses it)."""
    g = Graph()
    for triple in _everything(store_rows(store)):
        g.add(triple)
    return g


def _everything(rows: Rows) -> list[Triple]:
    facts = trial_facts(rows)
    return trial_triples(facts) + all_sponsor_triples(facts) + country_triples(rows) + condition_triples(rows, facts)


#: Terms that only the summary graph holds: a query that uses one reads the summaries.
TERMS = ("tg:summary", "tg:leadTrialCount", "tg:trialCount", "tg:siteCount")


def check(store: Store, text: str) -> None:
    """Fail when ``text`` reads the summaries and the store has none although it has records
    (a store built by a trialgraph that kept none): an empty answer would be wrong."""
    if any(term in text for term in TERMS) and store.query(_text("stale")).boolean:
        raise StoreError(
            f"{store.location}: the store has no summaries of its trials",
            hint="build it again (`trialgraph build` with the same files writes them)",
        )


# -- keeping them up to date in a build ------------------------------------------------------------


@dataclass
class _Touched:
    trials: set[URIRef] = field(default_factory=set)
    sponsors: set[URIRef] = field(default_factory=set)
    countries: set[URIRef] = field(default_factory=set)

    def add(self, db: QuadReader, graphs: Iterable[URIRef]) -> None:
        for trial, sponsor, country in _record_links(db, graphs):
            self.trials.add(trial)  # type: ignore[arg-type]
            if sponsor is not None:
                self.sponsors.add(sponsor)  # type: ignore[arg-type]
            if country is not None:
                self.countries.add(country)  # type: ignore[arg-type]


def _record_links(db: QuadReader, graphs: Iterable[URIRef]) -> list[tuple[Node | None, ...]]:
    """The rows of ``summaries/record-links.rq`` for each record graph, read with that graph as
    the default graph: Oxigraph answers it from the graph's own quads (bound to a ``GRAPH ?g``
    pattern instead, it scans every graph: 0.2 s a record in a 5,000-study store)."""
    text = _text("record-links")
    out: list[tuple[Node | None, ...]] = []
    for name in graphs:
        bound = with_values(text, {"g": name})
        out.extend(convert_result(db.query(bound, default_graph=to_ox(name)), None).rows)
    return out


def refresh(db: ox.Store, before: QuadReader | None, loaded: Iterable[str]) -> SummaryStats:
    """Bring the summary graph of ``db`` (a build's staging database, records already written)
    up to date.  ``before`` is the database as it was before the build (None for a new store),
    ``loaded`` the keys (``source/record_id``) of the records the build wrote."""
    keys = list(loaded)
    graph = ox.NamedNode(SUMMARY_GRAPH)
    if not db.contains_named_graph(graph) or len(keys) > FULL_REFRESH:
        return rebuild(db)
    if not keys:
        return SummaryStats()
    names = [ids.record_graph(*_split(key)) for key in keys]
    touched = _Touched()
    touched.add(db, names)
    if before is not None:
        touched.add(before, names)
    rows = ox_rows(db)
    emptied = _remove_condition_ids(db, touched.trials)
    for node in touched.trials | touched.sponsors | touched.countries:
        for quad in list(db.quads_for_pattern(to_ox(node), None, None, graph)):
            db.remove(quad)
    facts = trial_facts(rows, sorted(touched.trials))
    new = (
        trial_triples(facts)
        + sponsor_triples(rows, sorted(touched.sponsors))
        + country_triples(rows, sorted(touched.countries))
        + condition_triples(rows, facts, sorted(touched.trials))
    )
    db.extend(graph_quads(new, URIRef(SUMMARY_GRAPH)))
    _drop_rows_without_trials(db, emptied)
    return SummaryStats(False, len(touched.trials), len(touched.sponsors), len(touched.countries))


_ROW_ID = to_ox(TG.summaryTrialId)


def _remove_condition_ids(db: ox.Store, trials: Iterable[URIRef]) -> set[ox.NamedNode]:
    """Take the ids of ``trials`` (as the summary graph holds them) out of every condition row;
    the rows they were in."""
    graph = ox.NamedNode(SUMMARY_GRAPH)
    rows: set[ox.NamedNode] = set()
    for trial in trials:
        for held in list(db.quads_for_pattern(to_ox(trial), to_ox(TG.summaryId), None, graph)):
            for quad in list(db.quads_for_pattern(None, _ROW_ID, held.object, graph)):
                rows.add(quad.subject)  # type: ignore[arg-type]
                db.remove(quad)
    return rows


def _drop_rows_without_trials(db: ox.Store, rows: Iterable[ox.NamedNode]) -> None:
    """Remove the condition rows that no trial is in any more."""
    graph = ox.NamedNode(SUMMARY_GRAPH)
    for row in rows:
        if next(db.quads_for_pattern(row, _ROW_ID, None, graph), None) is None:
            for quad in list(db.quads_for_pattern(row, None, None, graph)):
                db.remove(quad)


def rebuild(db: ox.Store) -> SummaryStats:
    """Compute the summary graph of ``db`` from scratch, in place of the one it holds."""
    triples = _everything(ox_rows(db))
    graph = ox.NamedNode(SUMMARY_GRAPH)
    if db.contains_named_graph(graph):
        db.remove_graph(graph)
    db.add_graph(graph)  # an empty store still has its (empty) summaries
    # a staging database, published atomically later: no transaction needed for this write
    db.bulk_extend(graph_quads(triples, URIRef(SUMMARY_GRAPH)))
    kinds = [p for _s, p, _o in triples]
    return SummaryStats(True, kinds.count(TG.summaryId), kinds.count(TG.leadTrialCount), kinds.count(TG.summaryCode))


def _split(key: str) -> tuple[str, str]:
    source, _, record_id = key.partition("/")
    return source, record_id
