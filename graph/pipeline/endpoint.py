"""A build's second pass into a store that only answers SPARQL and the Graph Store Protocol (a
remote endpoint): the record graphs are sent one by one (atomic per graph), then the inferences
are worked out on a copy of the premises in memory and sent, and the store is counted with
queries."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef

import graph.store.ledger as ledger
import graph.summaries as summaries
from graph.constants import ONTOLOGY_GRAPH, SUMMARY_GRAPH
from graph.pipeline.jobs import Outcome
from graph.pipeline.outcomes import SecondPass
from graph.reason.engine import Engine
from graph.reason.full import recompute
from graph.reason.graphs import graph_of
from graph.sparql import internal_query
from graph.store.base import Store, Writer
from graph.store.layout import LEDGER_GRAPH, STATE_GRAPH, asserted_graph_names, is_reasoner_graph
from graph.store.terms import from_ox, graph_quads
from graph.validate.quarantine import update_quarantine


def send_records(store: Store, remote: Writer, second: SecondPass) -> None:
    """Records, quarantine and ledger entries, graph by graph, in the write ``remote``."""
    outcomes, progress, onto = second.outcomes, second.progress, second.onto
    total = second.total()
    done = 0
    progress("records", 0, total)
    remote.replace_graph(URIRef(ONTOLOGY_GRAPH), onto)
    for result in second.results():
        for out in outcomes.take(result.outcomes):
            remote.replace_graph(out.name, _asserted_graph(out))
        done += len(result.outcomes)
        progress("records", done, total)
    if outcomes.changed:
        update_quarantine(store, remote, outcomes.quarantine, outcomes.cleared)
    if outcomes.entries:
        entries = ledger.read(store.reader())
        entries.update(outcomes.entries)
        remote.replace_graph(URIRef(LEDGER_GRAPH), ledger.as_graph(entries))


def send_derived(store: Store, second: SecondPass) -> None:
    """After the records were sent: the inferences, the summaries and the totals, when the
    records changed (or were never reasoned about); the report's counts of the store."""
    outcomes, progress, onto = second.outcomes, second.progress, second.onto
    report = outcomes.report
    progress("reasoning", 0, None)
    if report.loaded or not _has_reasoner_graphs(store):
        _send_inferences(store, onto, second.engine)
    if report.loaded or not store.graph(URIRef(SUMMARY_GRAPH)):
        with store.write() as remote:
            remote.replace_graph(URIRef(SUMMARY_GRAPH), summaries.summary_graph(store))
    trials, quads = counts(store)
    if outcomes.entries or report.loaded:  # the totals count the quads that record them
        quads += ledger.Totals.OWN
        with store.write() as remote:
            remote.add_to_graph(URIRef(LEDGER_GRAPH), ledger.totals_graph(ledger.Totals(quads, trials)))
    report.trials, report.triples = trials, quads


def counts(store: Store) -> tuple[int, int]:
    """Trials and quads in a store that only answers SPARQL."""
    trials = store.query(internal_query("internal/build-trial-count")).rows[0][0]
    return int(str(trials)), len(store.reader())


def _asserted_graph(out: Outcome) -> Graph:
    """The record's own graph out of its N-Quads (its inferred graphs are made again with all
    the others: see :func:`_send_inferences`)."""
    tmp = ox.Store()
    tmp.bulk_load(out.nquads, format=ox.RdfFormat.N_QUADS)
    g = Graph()
    for q in tmp.quads_for_pattern(None, None, None, ox.NamedNode(str(out.name))):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g


def _has_reasoner_graphs(store: Store) -> bool:
    return any(is_reasoner_graph(g) for g in store.named_graphs())


def _send_inferences(store: Store, onto: Graph, engine: Engine) -> None:
    """Every reasoner graph, made from scratch on an in-memory copy of the premises, replaces
    the remote ones (the state graph stays local: it describes a local closure)."""
    copy = ox.Store()
    for name in asserted_graph_names(store):
        copy.extend(graph_quads(store.graph(name), name))
    recompute(copy, engine=engine, ontology=onto)
    fresh = {
        n.value: graph_of(copy, n.value)
        for n in copy.named_graphs()
        if type(n) is ox.NamedNode and is_reasoner_graph(n.value) and n.value != STATE_GRAPH
    }
    with store.write() as remote:
        for name in store.named_graphs():
            if is_reasoner_graph(name) and str(name) not in fresh:
                remote.remove_graph(name)
        for fresh_name, g in fresh.items():
            remote.replace_graph(URIRef(fresh_name), g)
