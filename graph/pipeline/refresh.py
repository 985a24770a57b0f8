"""The changed records of a build written into an embedded store whose inferences are current:
each record graph changed by its difference only (its inferred graphs left alone when the new
version entails the same), the inferences maintained incrementally
(:func:`graph.reason.incremental.refresh`), and the change in the number of trials worked out
from the graphs that changed."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

import graph.store.ledger as ledger
from graph.pipeline.jobs import Outcome
from graph.pipeline.terms import TRIAL, TYPE
from graph.reason.engine import Reasoner
from graph.reason.full import InferenceStats
from graph.reason.incremental import RecordState, refresh
from graph.store.bulkload import drop
from graph.store.layout import inferred_graph_of, support_graph_of


def refresh_records(
    db: Any,
    reasoner: Reasoner,
    changed: dict[str, Outcome],
    stored: dict[str, ledger.Entry],
    sizes: ledger.Sizes,
) -> tuple[InferenceStats, int]:
    """The changed records' graphs rewritten where they changed (a record's inferred graphs are
    left alone when the new version entails the same), and the inferences maintained.  Returns
    the inference statistics and how many trials the store gained."""
    if not changed:
        return InferenceStats("fast", "unchanged"), 0
    started = time.perf_counter()
    scratch = ox.Store()  # in memory: the new graphs as triples (a bulk load takes lines of any size)
    scratch.bulk_load(b"".join(out.nquads for out in changed.values()), format=ox.RdfFormat.N_QUADS)
    old: dict[str, RecordState] = {}
    new: dict[str, RecordState | None] = {}
    # the records' graphs are read or written whole, or changed by a difference: their change
    # in size is known without counting them (the inferences only move triples between a
    # record's inferred and support graphs, which never share one)
    change = 0
    for name, out in changed.items():
        fresh = RecordState.read(scratch, name)
        entry = stored.get(name)
        if entry is not None and out.entry is not None and entry.inferred and entry.inferred == out.entry.inferred:
            gone, came = _difference(db, name, fresh.asserted)
            _rewrite(db, name, gone, came)
            before, fresh = RecordState(gone, [], []), RecordState(came, [], [])
        else:
            before = RecordState.read(db, name)
            drop(db, name)
            fresh.write(db, name)
        change += fresh.size() - before.size()
        old[name], new[name] = before, fresh
    sizes.add(change)
    stats = refresh(db, reasoner, old, new)
    stats.seconds = time.perf_counter() - started
    return stats, _trial_change(db, old, new)


def _trial_change(db: Any, old: dict[str, RecordState], new: dict[str, RecordState | None]) -> int:
    """How many trials the store gained (or lost) when the changed records' graphs changed from
    ``old`` to ``new`` (which hold at least every triple that changed)."""
    mine = {g for name in old for g in (name, inferred_graph_of(name), support_graph_of(name))}

    def typed(states: Iterable[RecordState | None]) -> set[Any]:
        return {t[0] for state in states if state is not None for t in state.all() if t[1] == TYPE and t[2] == TRIAL}

    before, after = typed(old.values()), typed(new.values())
    change = 0
    for trial in after - before:  # new here: new in the store unless another graph typed it already
        graphs = {q.graph_name for q in db.quads_for_pattern(trial, TYPE, TRIAL, None)}
        change += not any(type(g) is ox.NamedNode and g.value not in mine for g in graphs)
    for trial in before - after:  # gone here: gone from the store unless another graph types it
        change -= not any(True for _ in db.quads_for_pattern(trial, TYPE, TRIAL, None))
    return change


def _difference(db: Any, name: str, new: list[Any]) -> tuple[list[Any], list[Any]]:
    """(triples of the stored graph ``name`` not in ``new``, triples of ``new`` not in it).  The
    stored graph is read back by pattern: for a record's few hundred triples that is faster than
    a query that sends the new triples to be compared."""
    before = RecordState.read(db, name, own_only=True).asserted
    stored, keep = set(before), set(new)
    return [t for t in before if t not in keep], [t for t in new if t not in stored]


def _rewrite(db: Any, name: str, gone: list[Any], came: list[Any]) -> None:
    """A graph changed by its difference only."""
    graph = ox.NamedNode(name)
    for s, p, o in gone:
        db.remove(ox.Quad(s, p, o, graph))
    db.extend(ox.Quad(s, p, o, graph) for s, p, o in came)
