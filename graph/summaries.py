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

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.term import Node

import graph.resolve.identity as ids
import graph.store.layout as layout
from graph.constants import INFERRED_GRAPH, SUMMARY_GRAPH
from graph.errors import StoreError
from graph.namespace import TG
from graph.sparql import internal_query, value_token, with_tokens, with_values
from graph.store.base import QuadReader, Store
from graph.store.ledger import remove_all, size
from graph.store.terms import convert_result, graph_quads, to_ox
from graph.summary_rows import AS_OXIGRAPH, AS_RDFLIB, CONDITION_LINKS, Collected, Facts, Make

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
    #: quads the summary graph gained (negative: lost), when a refresh of a stored graph
    #: followed them; ``None`` for a new store's
    change: int | None = None


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


def trial_facts(rows: Rows, trials: Iterable[URIRef] | None = None) -> dict[URIRef, Facts]:
    """What the records of ``trials`` (of every trial when None) say, per trial; a trial no
    record describes any more is missing."""
    found = Collected()
    found.add_facts(_each(rows, "trial-facts", "trial", trials))
    return found.facts


def trial_triples(facts: dict[URIRef, Facts], make: Make = AS_RDFLIB) -> list[tuple[Any, Any, Any]]:
    """One summary row per trial."""
    out: list[tuple[Any, Any, Any]] = []
    text = make.text
    p_id, p_title, p_status, p_phase, p_enrollment, p_sponsor = (
        make.tg(f"summary{name}") for name in ("Id", "Title", "Status", "Phase", "Enrollment", "Sponsor")
    )
    for trial, f in facts.items():
        t = make.node(trial)
        out.append((t, p_id, text(min(f.ids))))
        if f.titles:
            out.append((t, p_title, text(min(f.titles))))
        if f.statuses:
            out.append((t, p_status, text(min(f.statuses))))
        if f.phases:
            out.append((t, p_phase, text("/".join(sorted(f.phases)))))
        if f.enrollments:
            out.append((t, p_enrollment, make.integer(max(f.enrollments))))
        if f.sponsors:
            out.append((t, p_sponsor, text(min(min(names) for names in f.sponsors.values()))))
    return out


def condition_triples(rows: Rows, facts: dict[URIRef, Facts], trials: Iterable[URIRef] | None = None) -> list[Triple]:
    """The condition rows of ``trials`` (of every trial when None): each condition and label the
    trials' records give, with the trials' ids (the ``tg:summaryId`` of ``facts``)."""
    found = Collected(facts)
    found.add_conditions(_each(rows, "condition-rows", "trial", trials))
    return found.condition_triples()


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


def all_sponsor_triples(facts: dict[URIRef, Facts], make: Make = AS_RDFLIB) -> list[tuple[Any, Any, Any]]:
    """Rows of every lead sponsor, from the facts of every trial (what ``sponsor-counts.rq``
    counts, without reading the sponsors' participations again)."""
    trials: dict[URIRef, set[URIRef]] = {}
    names: dict[URIRef, set[str]] = {}
    for trial, f in facts.items():
        for sponsor, given in f.sponsors.items():
            trials.setdefault(sponsor, set()).add(trial)
            names.setdefault(sponsor, set()).update(given)
    return _sponsor_rows(((s, min(names[s]), len(led)) for s, led in trials.items()), make)


def _sponsor_rows(counted: Iterable[tuple[Node, str, int]], make: Make = AS_RDFLIB) -> list[tuple[Any, Any, Any]]:
    out: list[tuple[Any, Any, Any]] = []
    p_name, p_count = make.tg("summaryName"), make.tg("leadTrialCount")
    for sponsor, name, trials in counted:
        if trials:  # an aggregate over no match still gives one empty row
            s = make.node(sponsor)
            out.append((s, p_name, make.text(name)))
            out.append((s, p_count, make.integer(trials)))
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


def _everything(rows: Rows, make: Make = AS_RDFLIB) -> list[tuple[Any, Any, Any]]:
    """Every summary row, from the queries."""
    found = Collected()
    found.add_facts(_each(rows, "trial-facts", "trial", None))
    found.add_conditions(_each(rows, "condition-rows", "trial", None))
    return _folded(found, make) + _country_triples(rows, make)


def _folded(found: Collected, make: Make) -> list[tuple[Any, Any, Any]]:
    """The rows of the trials, of their lead sponsors and of their conditions."""
    return trial_triples(found.facts, make) + all_sponsor_triples(found.facts, make) + found.condition_triples(make)


def _country_triples(rows: Rows, make: Make) -> list[tuple[Any, ...]]:
    return [tuple(make.node(t) for t in triple) for triple in country_triples(rows)]


def nquads(found: Collected) -> bytes:
    """The rows of the trials, lead sponsors and conditions of ``found`` as N-Quads of the
    summary graph: in a build into a new store, they go in with the records' own bulk load
    (a bulk load of its own into the loaded store costs several times more), and
    :func:`refresh` adds the countries once the records are in."""
    end = f" <{SUMMARY_GRAPH}> .\n"
    return "".join(f"{s} {p} {o}{end}" for s, p, o in _folded(found, AS_OXIGRAPH)).encode("utf-8", "surrogatepass")


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


def refresh(
    db: ox.Store, before: QuadReader | None, loaded: Iterable[str], found: Collected | None = None
) -> SummaryStats:
    """Bring the summary graph of ``db`` (a build's staging database, records already written)
    up to date.  ``before`` is the database as it was before the build (None for a new store),
    ``loaded`` the keys (``source/record_id``) of the records the build wrote; ``found``, in a
    build into a new store, the rows the workers read from every record it wrote (used when
    they are all the rows the store gives, :func:`only_record_rows`)."""
    if found is not None:
        return _complete(db, found)
    keys = list(loaded)
    graph = ox.NamedNode(SUMMARY_GRAPH)
    if not db.contains_named_graph(graph) or len(keys) > FULL_REFRESH:
        return rebuild(db)
    if not keys:
        return SummaryStats(change=0)
    names = [ids.record_graph(*_split(key)) for key in keys]
    touched = _Touched()
    touched.add(db, names)
    if before is not None:
        touched.add(before, names)
    rows = ox_rows(db)
    emptied, removed = _remove_condition_ids(db, touched.trials)
    change = -removed
    for node in touched.trials | touched.sponsors | touched.countries:
        change -= remove_all(db, db.quads_for_pattern(to_ox(node), None, None, graph))
    facts = trial_facts(rows, sorted(touched.trials))
    new = (
        trial_triples(facts)
        + sponsor_triples(rows, sorted(touched.sponsors))
        + country_triples(rows, sorted(touched.countries))
        + condition_triples(rows, facts, sorted(touched.trials))
    )
    # rows that stay hold some of these already: only the others count as gained
    added = [q for q in dict.fromkeys(graph_quads(new, URIRef(SUMMARY_GRAPH))) if q not in db]
    db.extend(added)
    change += len(added) - _drop_rows_without_trials(db, emptied)
    return SummaryStats(False, len(touched.trials), len(touched.sponsors), len(touched.countries), change)


_ROW_ID = to_ox(TG.summaryTrialId)


def _remove_condition_ids(db: ox.Store, trials: Iterable[URIRef]) -> tuple[set[ox.NamedNode], int]:
    """Take the ids of ``trials`` (as the summary graph holds them) out of every condition row;
    the rows they were in, and how many quads that removed."""
    graph = ox.NamedNode(SUMMARY_GRAPH)
    rows: set[ox.NamedNode] = set()
    removed = 0
    for trial in trials:
        for held in list(db.quads_for_pattern(to_ox(trial), to_ox(TG.summaryId), None, graph)):
            found = list(db.quads_for_pattern(None, _ROW_ID, held.object, graph))
            rows.update(quad.subject for quad in found)  # type: ignore[misc]
            removed += remove_all(db, found)
    return rows, removed


def _drop_rows_without_trials(db: ox.Store, rows: Iterable[ox.NamedNode]) -> int:
    """Remove the condition rows that no trial is in any more; how many quads that removed."""
    graph = ox.NamedNode(SUMMARY_GRAPH)
    removed = 0
    for row in rows:
        if next(db.quads_for_pattern(row, _ROW_ID, None, graph), None) is None:
            removed += remove_all(db, db.quads_for_pattern(row, None, None, graph))
    return removed


def rebuild(db: ox.Store) -> SummaryStats:
    """Compute the summary graph of ``db`` from scratch, in place of the one it holds."""
    triples = _everything(ox_rows(db), AS_OXIGRAPH)
    graph = ox.NamedNode(SUMMARY_GRAPH)
    before = None
    if db.contains_named_graph(graph):
        before = size(db, SUMMARY_GRAPH)
        db.remove_graph(graph)
    db.add_graph(graph)  # an empty store still has its (empty) summaries
    # a staging database, published atomically later: no transaction needed for this write
    db.bulk_extend(ox.Quad(s, p, o, graph) for s, p, o in triples)
    stats = _stats(triples)
    stats.change = None if before is None else size(db, SUMMARY_GRAPH) - before
    return stats


def _complete(db: ox.Store, found: Collected) -> SummaryStats:
    """A new store whose records went in with the rows of ``found`` (:func:`nquads`): the
    countries added, or everything computed again when the store gives rows that the records'
    own graphs do not (:func:`only_record_rows`)."""
    if not only_record_rows(db, found):
        return rebuild(db)
    graph = ox.NamedNode(SUMMARY_GRAPH)
    db.add_graph(graph)  # an empty store still has its (empty) summaries
    countries = _country_triples(ox_rows(db), AS_OXIGRAPH)
    db.extend(ox.Quad(s, p, o, graph) for s, p, o in countries)
    sponsors = {s for f in found.facts.values() for s in f.sponsors}
    return SummaryStats(True, len(found.facts), len(sponsors), len(countries) // 3)


def _stats(triples: list[tuple[Any, ...]]) -> SummaryStats:
    kinds = Counter(p for _s, p, _o in triples)
    return SummaryStats(True, *(kinds[AS_OXIGRAPH.tg(n)] for n in ("summaryId", "leadTrialCount", "summaryCode")))


def only_record_rows(db: ox.Store, found: Collected) -> bool:
    """Whether the rows ``found`` (each record graph's, :func:`record_rows`) are all the rows
    that the ``-all`` queries give for ``db``: no derived graph of a record holds a label, and no
    graph of the store's own (the ontology, the shared inferred graphs, the ledger...) links a
    trial to a condition.  A condition row needs both in one graph, the facts of a trial need
    the graph of its record."""
    if not found.complete:
        return False
    for name in _OWN_GRAPHS:
        g = ox.NamedNode(name)
        if any(next(db.quads_for_pattern(None, p, None, g), None) is not None for p in CONDITION_LINKS):
            return False
    return True


#: The graphs a build writes besides each record's own three (its graph, inferred and support
#: graphs, whose rows :func:`record_rows` gives): listed, not found among the named graphs,
#: which take 0.6 s to list in a store of 20,000 records.
_OWN_GRAPHS = sorted(layout.SPECIAL_GRAPHS | {INFERRED_GRAPH, layout.SUPPORT_GRAPH, layout.STATE_GRAPH})


def _split(key: str) -> tuple[str, str]:
    source, _, record_id = key.partition("/")
    return source, record_id
