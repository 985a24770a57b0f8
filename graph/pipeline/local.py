"""A build's second pass into an embedded Oxigraph store: records, quarantine, ledger,
inferences and summaries in one atomic write.

- an empty store, or one whose inferences are stale: the graphs are loaded in bulk as the
  workers send them; then the places where records meet are worked out;
- a store with current inferences: the changed records are replaced, and the inferences are
  maintained incrementally (:mod:`graph.pipeline.refresh`).

The store's size (quads and trials, kept in the ledger) is counted once after a full load, else
followed graph by graph and trial by trial: the shared inferred graphs and the quarantine are
counted before and after, and the others report their own change (the changed records' graphs,
the ledger and the summaries)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

import graph.store.ledger as ledger
import graph.summaries as summaries
from graph.constants import INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH, SUMMARY_GRAPH
from graph.pipeline.jobs import Outcome
from graph.pipeline.outcomes import Places, SecondPass
from graph.pipeline.refresh import refresh_records
from graph.pipeline.terms import TRIAL, TYPE
from graph.reason.engine import reasoner_for
from graph.reason.full import finish_full, recompute
from graph.reason.graphs import is_current, replace_graph
from graph.store.base import Store, Writer
from graph.store.bulkload import StreamingLoader
from graph.store.layout import STATE_GRAPH, SUPPORT_GRAPH, is_record_graph
from graph.summary_rows import Collected
from graph.validate.quarantine import update_quarantine


def fill_staged(store: Store, w: Writer, second: SecondPass) -> bool:
    """Records, quarantine, ledger and inferences written into the database that the write
    ``w`` stages (:meth:`~graph.store.base.Writer.staging`); False, with nothing done, for a
    store whose writes are not staged in a database (an endpoint).  The staging database must
    have no other handle when the write commits: all of it happens here, whose locals are gone
    by then."""
    db = w.staging()
    if db is None:
        return False
    _fill(store, w, db, second)
    return True


def _fill(store: Store, w: Writer, db: ox.Store, second: SecondPass) -> None:
    jobs, onto, outcomes, progress, engine = second.jobs, second.onto, second.outcomes, second.progress, second.engine
    report = outcomes.report
    total = second.total()
    done = 0
    progress("records", 0, total)
    reasoner = reasoner_for(onto) if engine == "fast" else None
    stored_records = _has_records(db)
    incremental = reasoner is not None and stored_records and is_current(db, reasoner)
    previous = ledger.read_totals(db)
    sizes = ledger.Sizes(db)
    if incremental:
        # the ledger and the summaries report their own change (counting them costs most)
        sizes.touch(INFERRED_GRAPH, SUPPORT_GRAPH, QUARANTINE_GRAPH, STATE_GRAPH)
    loader = StreamingLoader(db)
    places = Places()
    changed: dict[str, Outcome] = {}
    empty = not (stored_records or incremental)
    # a new store: its summaries come from the rows the workers read from the records
    rows = Collected() if empty else None
    try:
        for index, result in enumerate(second.results()):
            for out in outcomes.take(result.outcomes):
                if incremental:
                    changed[str(out.name)] = out
                elif stored_records:
                    loader.replace(str(out.name), out.nquads)
                else:
                    loader.add(out.nquads)
                if rows is not None and out.summary is not None:
                    rows.add(out.summary)
            if empty:  # nothing stored yet: the batch's ledger entries go in with its graphs
                entries = ledger.nquads(outcomes.unsent_entries())
                outcomes.quads += entries.count(b"\n")
                loader.add(entries)
            places.add(result, index)
            done += len(result.outcomes)
            progress("records", done, total)
        if rows is not None and rows.complete:
            loader.add(summaries.nquads(rows))
        else:
            rows = None
        loader.close()
    finally:
        loader.stop()
    if stored_records or incremental:
        sizes.add(ledger.write(db, outcomes.entries))
    if outcomes.changed:
        update_quarantine(store, w, outcomes.quarantine, outcomes.cleared)
    progress("reasoning", 0, None)
    if reasoner is None or (stored_records and not incremental):
        report.reasoning = recompute(db, engine=engine, ontology=onto, progress=progress)
    elif incremental:
        stored = {n: e for job in jobs for n, e in job.stored.items()}
        report.reasoning, trials = refresh_records(db, reasoner, changed, stored, sizes)
    else:
        replace_graph(db, ONTOLOGY_GRAPH, onto)
        report.reasoning = finish_full(db, reasoner, places.resolve())
        report.reasoning.inferred = report.inferred_quads + report.reasoning.cross_record
    summary = summaries.refresh(db, store.reader(), report.loaded, rows)
    sizes.add(-ledger.drop_totals(db))
    # counted once after a full load, else followed graph by graph and trial by trial
    if incremental and previous is not None and summary.change is not None:
        sizes.add(summary.change)
        totals = ledger.Totals(sizes.total(previous.quads) + ledger.Totals.OWN, previous.trials + trials)
    elif not stored_records and reasoner is not None:  # a fresh store: what was loaded, and what came after
        after = (
            ONTOLOGY_GRAPH,
            INFERRED_GRAPH,
            SUPPORT_GRAPH,
            STATE_GRAPH,
            QUARANTINE_GRAPH,
            SUMMARY_GRAPH,
        )
        quads = outcomes.quads + sum(ledger.size(db, g) for g in after)
        totals = ledger.Totals(quads + ledger.Totals.OWN, len(outcomes.trials | _trials_in(db, INFERRED_GRAPH)))
    else:
        totals = ledger.Totals(len(db) + ledger.Totals.OWN, _count_trials(db))
    ledger.put_totals(db, totals)
    report.triples, report.trials = totals.quads, totals.trials


def _has_records(db: Any) -> bool:
    return any(type(g) is ox.NamedNode and is_record_graph(g.value) for g in db.named_graphs())


def _count_trials(db: Any) -> int:
    return len({q.subject for q in db.quads_for_pattern(None, TYPE, TRIAL, None)})


def _trials_in(db: Any, graph: str) -> set[str]:
    return {q.subject.value for q in db.quads_for_pattern(None, TYPE, TRIAL, ox.NamedNode(graph))}
