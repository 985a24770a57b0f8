"""The main job: read sources, resolve identity, write one named graph per record, reason,
validate.  Each step is a function of its own module; this one only puts them in order.

Rules kept here:
- a record that cannot be read costs only itself (reported, exit 2);
- a record whose graph violates the shapes is quarantined: it is not written to the published
  graphs, its problems are kept in the quarantine graph, and the version already in the store
  (if any) stays (exit 1);
- the same record again changes nothing (its ledger digest says so before any triple is made);
  a newer version replaces that record's graphs only; an older version never overwrites a newer
  one, and a version that cannot be right (a date in the future) never wins over one that can;
- every change of one build is one atomic write.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, Graph, URIRef

import graph.batch as batch
import graph.ingest as ingest
import graph.processes as processes
import graph.resolve.identity as ids
import graph.resolve.merge as merge
import graph.resolve.orgs as orgs
import graph.store.ledger as ledger
import graph.summaries as summaries
import graph.summary as summary
from graph.assign import assign_identity, existing_identifiers
from graph.constants import BATCH_SIZE, INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH, SUMMARY_GRAPH
from graph.digest import Fold, hex_digest
from graph.errors import InputError, RecordError
from graph.model import TrialRecord
from graph.namespace import TG
from graph.progress import Callback as Progress
from graph.progress import no_progress
from graph.quarantine import quarantine_triples, update_quarantine
from graph.reason.engine import Engine, Reasoner, ontology_graph, reasoner_for
from graph.reason.full import InferenceStats, Places, finish_full, recompute
from graph.reason.graphs import graph_of, is_current, replace_graph
from graph.reason.incremental import RecordState, refresh
from graph.store.base import Store
from graph.store.bulkload import StreamingLoader, drop
from graph.store.layout import (
    LEDGER_GRAPH,
    STATE_GRAPH,
    SUPPORT_GRAPH,
    asserted_data,
    asserted_graph_names,
    inferred_graph_of,
    is_reasoner_graph,
    is_record_graph,
    support_graph_of,
)
from graph.store.local import OxigraphStore
from graph.store.terms import graph_quads
from graph.summary import ImportSummary
from graph.validate import Issue, shapes_fingerprint, shapes_graph

__all__ = ["BuildReport", "asserted_data", "asserted_graph_names", "build"]


@dataclass
class BuildReport:
    records_read: int = 0
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)
    quarantined: dict[str, list[Issue]] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    trials: int = 0
    triples: int = 0
    reasoning: InferenceStats | None = None
    identity_conflicts: list[str] = field(default_factory=list)
    review: list[dict[str, object]] = field(default_factory=list)
    #: quads written to the inferred graphs of the loaded records
    inferred_quads: int = 0
    #: Warnings and quarantines by kind, with counts and example records (see graph.summary).
    summary: ImportSummary = field(default_factory=ImportSummary)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.quarantined or any(i.severity == "violation" for i in self.issues):
            return 1
        return 0


_FINGERPRINTED = ("graph", "ontology", "shapes")


def load_time(timestamp: datetime | None = None) -> datetime | None:
    """The load time written into the records: ``timestamp``, else ``SOURCE_DATE_EPOCH`` (the
    reproducible-builds convention), else ``None`` (now)."""
    if timestamp is not None:
        return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise InputError(
            f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds", hint="e.g. SOURCE_DATE_EPOCH=1704067200"
        ) from None


def fingerprint(extra_shapes: Sequence[Path], validate: bool) -> str:
    """A digest of what turns a record into its graphs, besides the record: trialgraph's code,
    the ontology and the shapes.  A change of any of them makes every record new again."""
    from graph.constants import ONTOLOGY_DIR, PACKAGE_DIR, SHAPES_DIR

    files = sorted(PACKAGE_DIR.rglob("*.py")) + sorted(ONTOLOGY_DIR.glob("*.ttl")) + sorted(SHAPES_DIR.glob("*.ttl"))
    for p in extra_shapes:
        files.extend(sorted(p.glob("*.ttl")) if p.is_dir() else [p])
    return hex_digest((f"validate={validate}\n".encode(), *(f.read_bytes() for f in files)))


def build(
    paths: Iterable[str | Path],
    store: Store,
    *,
    progress: Progress = no_progress,
    extra_shapes: Sequence[Path] = (),
    validate_records: bool = True,
    engine: Engine = "fast",
    ror_dump: Path | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    force: bool = False,
    timestamp: datetime | None = None,
    orgs_files: Sequence[Path] = (),
) -> BuildReport:
    """Two passes, so that memory stays bounded however many records come in.  The first reads
    every record (in ``workers`` processes; default: one per core), spills it to a temporary
    file and keeps only its head (identifiers and participations): organisation names and trial
    identity are decided across all records.  The second turns the spilled records into
    triples, validates them, works out what each entails, and writes them a batch at a time
    (:mod:`graph.batch`).  ``force`` replaces stored records whatever their version;
    ``timestamp`` (or ``SOURCE_DATE_EPOCH``) is the load time written into every record.
    Organisation aliases come from the ``organizations.yaml`` files in the folders built and
    ``orgs_files`` (:func:`graph.resolve.orgs.alias_files`)."""
    paths = list(paths)
    references = orgs.alias_files(paths, orgs_files)
    started = time.perf_counter()
    report = BuildReport()
    loaded_at = load_time(timestamp)
    with (
        tempfile.TemporaryDirectory(prefix="trialgraph-build-") as tmp,
        processes.optional_pool(workers) as executor,
    ):
        spill = batch.Spill(Path(tmp), batch_size)
        heads = ingest.read(paths, spill, report, progress, executor)
        report.records_read = len(spill)
        settings = batch.Settings(
            fingerprint(extra_shapes, validate_records),
            validate_records,
            force,
            loaded_at,
            Path(tmp),
            tuple(extra_shapes),
        )
        _write_records(store, spill, heads, report, progress, settings, engine, ror_dump, executor, references)
    if not isinstance(store, OxigraphStore):  # an Oxigraph store: the build counted as it wrote
        report.trials, report.triples = _counts(store)
    summary.add_outcomes(report.summary, report.errors, report.older, report.identity_conflicts)
    report.seconds = time.perf_counter() - started
    return report


def _counts(store: Store) -> tuple[int, int]:
    """Trials and triples in a store that only answers SPARQL."""
    q_trials = (
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }"
    )
    q_triples = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    return int(str(store.query(q_trials).rows[0][0])), int(str(store.query(q_triples).rows[0][0]))


def _write_records(
    store: Store,
    spill: batch.Spill,
    heads: dict[str, TrialRecord],
    report: BuildReport,
    progress: Progress,
    settings: batch.Settings,
    engine: Engine,
    ror_dump: Path | None,
    executor: Executor | None,
    references: Sequence[Path] = (),
) -> None:
    progress("identity", 0, None)
    resolved = _resolve_organizations(list(heads.values()), ror_dump, report, references)
    participations = {merge.record_key(r): r.participations for r in resolved}
    values = {i.value for r in resolved for i in r.identifiers}
    preferred, evidence, report.identity_conflicts = assign_identity(resolved, existing_identifiers(store, values))
    del resolved
    winners = {key: head.source_file for key, head in heads.items()}
    names = {str(ids.record_graph(head.source, head.record_id)) for head in heads.values()}
    shapes = shapes_graph(settings.extra_shapes)
    settings.shapes = shapes_fingerprint(shapes)
    onto = ontology_graph()
    if isinstance(store, OxigraphStore):
        stored = ledger.read(store.db, names)
    else:
        stored = {n: e for n, e in ledger.read_remote(store).items() if n in names}
    jobs = batch.jobs_for(spill, winners, participations, preferred, evidence, stored, settings)
    second = _Pass(jobs, shapes, onto, _Outcomes(report), progress, engine, executor)
    if isinstance(store, OxigraphStore):
        _write_oxigraph(store, second)
    else:
        _write_remote(store, second)


class _Outcomes:
    """The parent's side of the second pass: the report, the quarantine, the ledger."""

    def __init__(self, report: BuildReport) -> None:
        self.report = report
        self.quarantine: dict[str, Graph] = {}
        self.cleared: set[str] = set()
        self.entries: dict[str, ledger.Entry] = {}
        #: quads of the graphs loaded, and the nodes they type as trials
        self.quads = 0
        self.trials: set[str] = set()

    @property
    def changed(self) -> bool:
        return bool(self.report.loaded) or bool(self.quarantine) or bool(self.cleared)

    def take(self, results: list[batch.Outcome]) -> Iterator[batch.Outcome]:
        """The outcomes whose graphs are to be written."""
        for out in results:
            self.report.warnings.extend(out.warnings)
            if out.kind == "older":
                self.report.older.append(out.message)
            elif out.kind == "quarantined":
                self.report.quarantined[out.key] = out.problems
                summary.add_quarantine(self.report.summary, out.key, out.problems)
                self.quarantine[out.key] = quarantine_triples(out.key, out.source_file, out.problems)
            else:
                self.cleared.add(out.key)
                summary.add_findings(self.report.summary, out.key, out.findings)
                if out.entry is not None:
                    self.entries[str(out.name)] = out.entry
                if out.kind == "unchanged":
                    self.report.unchanged.append(out.key)
                    continue
                self.report.loaded.append(out.key)
                self.report.inferred_quads += out.inferred
                self.quads += out.quads
                self.trials.update(out.trials)
                yield out


def _has_records(db: Any) -> bool:
    return any(type(g) is ox.NamedNode and is_record_graph(g.value) for g in db.named_graphs())


class _Places:
    """The parent's fold of the batches' signatures: where records must be reasoned about
    together (:func:`graph.reason.full.cross_record`)."""

    def __init__(self) -> None:
        self.fold: Fold[int] = Fold()
        self.places = Places()
        #: keys that diverged across batches -> batch whose terms file holds them
        self.unresolved: dict[int, Path] = {}

    def add(self, result: batch.BatchResult, index: int) -> None:
        for term in result.divergent.values():
            self.places.add(_ox_term(term))
        for key, _before, _now in self.fold.add(result.signatures, index):
            if key not in result.divergent and result.terms_file is not None:
                self.unresolved[key] = result.terms_file

    def resolve(self) -> Places:
        import pickle

        by_file: dict[Path, list[int]] = {}
        for key, path in self.unresolved.items():
            by_file.setdefault(path, []).append(key)
        for path, keys in by_file.items():
            with path.open("rb") as f:
                terms = pickle.load(f)  # written by this build's workers
            for key in keys:
                self.places.add(_ox_term(terms[key]))
        return self.places


def _ox_term(term: tuple[str, str | None, str]) -> tuple[str, Any, Any]:
    kind, predicate, node = term
    value = ox.BlankNode(node[2:]) if node.startswith("_:") else ox.NamedNode(node[1:-1])
    return kind, None if predicate is None else ox.NamedNode(predicate), value


@dataclass
class _Pass:
    """The second pass of a build: its jobs and what runs them."""

    jobs: list[batch.Job]
    shapes: Graph
    onto: Graph
    outcomes: _Outcomes
    progress: Progress
    engine: Engine
    executor: Executor | None

    def results(self) -> Iterator[batch.BatchResult]:
        return batch.run_jobs(self.jobs, self.executor, self.shapes, self.onto)


def _write_oxigraph(store: OxigraphStore, second: _Pass) -> None:
    """Records, quarantine, ledger and inferences in one atomic write.

    - an empty store, or one whose inferences are stale: the graphs are loaded in bulk as the
      workers send them; then the places where records meet are worked out;
    - a store with current inferences: the changed records are replaced, and the inferences are
      maintained incrementally (:func:`graph.reason.incremental.refresh`)."""
    with store.write() as w, processes.frozen_gc():
        # the staging store must have no other handle when the write commits: all of it
        # happens in a function whose locals are gone by then
        _fill(store, w, second)


def _fill(store: OxigraphStore, w: Any, second: _Pass) -> None:
    jobs, onto, outcomes, progress, engine = second.jobs, second.onto, second.outcomes, second.progress, second.engine
    report = outcomes.report
    total = sum(len(job.winners) for job in jobs)
    done = 0
    progress("records", 0, total)
    db = w.db
    reasoner = reasoner_for(onto) if engine == "fast" else None
    stored_records = _has_records(db)
    incremental = reasoner is not None and stored_records and is_current(db, reasoner)
    previous = ledger.read_totals(db)
    sizes = ledger.Sizes(db)
    if incremental:
        sizes.touch(LEDGER_GRAPH, INFERRED_GRAPH, SUPPORT_GRAPH, QUARANTINE_GRAPH, STATE_GRAPH, SUMMARY_GRAPH)
    loader = StreamingLoader(db)
    places = _Places()
    changed: dict[str, batch.Outcome] = {}
    try:
        for index, result in enumerate(second.results()):
            for out in outcomes.take(result.outcomes):
                if incremental:
                    changed[str(out.name)] = out
                elif stored_records:
                    loader.replace(str(out.name), out.nquads)
                else:
                    loader.add(out.nquads)
            places.add(result, index)
            done += len(result.outcomes)
            progress("records", done, total)
        if not (stored_records or incremental):  # nothing stored yet: the entries go in with the last load
            entries = ledger.nquads(outcomes.entries)
            outcomes.quads += entries.count(b"\n")
            loader.add(entries)
        loader.close()
    finally:
        loader.stop()
    if stored_records or incremental:
        ledger.write(db, outcomes.entries)
    if outcomes.changed:
        update_quarantine(store, w, outcomes.quarantine, outcomes.cleared)
    progress("reasoning", 0, None)
    if reasoner is None or (stored_records and not incremental):
        report.reasoning = recompute(db, engine=engine, ontology=onto, progress=progress)
    elif incremental:
        stored = {n: e for job in jobs for n, e in job.stored.items()}
        report.reasoning, trials = _refresh(db, reasoner, changed, stored, sizes)
    else:
        replace_graph(db, ONTOLOGY_GRAPH, onto)
        report.reasoning = finish_full(db, reasoner, places.resolve())
        report.reasoning.inferred = report.inferred_quads + report.reasoning.cross_record
    summaries.refresh(db, store.db, report.loaded)
    ledger.drop_totals(db)
    # counted once after a full load, else followed graph by graph and trial by trial
    if incremental and previous is not None:
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


_TYPE = ox.NamedNode(str(RDF.type))
_TRIAL = ox.NamedNode(str(TG.Trial))


def _count_trials(db: Any) -> int:
    return len({q.subject for q in db.quads_for_pattern(None, _TYPE, _TRIAL, None)})


def _trials_in(db: Any, graph: str) -> set[str]:
    return {q.subject.value for q in db.quads_for_pattern(None, _TYPE, _TRIAL, ox.NamedNode(graph))}


def _trial_change(db: Any, old: dict[str, RecordState], new: dict[str, RecordState | None]) -> int:
    """How many trials the store gained (or lost) when the changed records' graphs changed from
    ``old`` to ``new`` (which hold at least every triple that changed)."""
    mine = {g for name in old for g in (name, inferred_graph_of(name), support_graph_of(name))}

    def typed(states: Iterable[RecordState | None]) -> set[Any]:
        return {t[0] for state in states if state is not None for t in state.all() if t[1] == _TYPE and t[2] == _TRIAL}

    before, after = typed(old.values()), typed(new.values())
    change = 0
    for trial in after - before:  # new here: new in the store unless another graph typed it already
        graphs = {q.graph_name for q in db.quads_for_pattern(trial, _TYPE, _TRIAL, None)}
        change += not any(type(g) is ox.NamedNode and g.value not in mine for g in graphs)
    for trial in before - after:  # gone here: gone from the store unless another graph types it
        change -= not any(True for _ in db.quads_for_pattern(trial, _TYPE, _TRIAL, None))
    return change


def _refresh(
    db: Any,
    reasoner: Reasoner,
    changed: dict[str, batch.Outcome],
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
    for name in changed:
        sizes.touch(name, inferred_graph_of(name), support_graph_of(name))
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
        old[name], new[name] = before, fresh
    stats = refresh(db, reasoner, old, new)
    stats.seconds = time.perf_counter() - started
    return stats, _trial_change(db, old, new)


#: Literals longer than this are compared by reading the stored graph, not in a query's text.
_QUERY_TERM_LIMIT = 1 << 16


def _difference(db: Any, name: str, new: list[Any]) -> tuple[list[Any], list[Any]]:
    """(triples of the stored graph ``name`` not in ``new``, triples of ``new`` not in it),
    found in the store without reading the stored graph's unchanged triples back."""
    graph = ox.NamedNode(name)
    came = [t for t in new if ox.Quad(t[0], t[1], t[2], graph) not in db]
    texts = [" ".join(str(x) for x in t) for t in new]
    if any(len(t) > _QUERY_TERM_LIMIT for t in texts):
        before = RecordState.read(db, name, own_only=True).asserted
        keep = set(new)
        return [t for t in before if t not in keep], came
    query = (
        f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} "
        f"MINUS {{ VALUES (?s ?p ?o) {{ {' '.join(f'({t})' for t in texts)} }} }} }}"
    )
    gone = [(row[0], row[1], row[2]) for row in db.query(query)]
    return gone, came


def _rewrite(db: Any, name: str, gone: list[Any], came: list[Any]) -> None:
    """A graph changed by its difference only."""
    graph = ox.NamedNode(name)
    for s, p, o in gone:
        db.remove(ox.Quad(s, p, o, graph))
    db.extend(ox.Quad(s, p, o, graph) for s, p, o in came)


def _write_remote(store: Store, second: _Pass) -> None:
    """A remote endpoint: graphs are sent one by one (atomic per graph), then the inferences
    are worked out on a copy of the premises in memory and sent."""
    outcomes, progress, onto = second.outcomes, second.progress, second.onto
    report = outcomes.report
    total = sum(len(job.winners) for job in second.jobs)
    done = 0
    progress("records", 0, total)
    with store.write() as remote:
        remote.replace_graph(URIRef(ONTOLOGY_GRAPH), onto)
        for result in second.results():
            for out in outcomes.take(result.outcomes):
                remote.replace_graph(out.name, _asserted_graph(out))
            done += len(result.outcomes)
            progress("records", done, total)
        if outcomes.changed:
            update_quarantine(store, remote, outcomes.quarantine, outcomes.cleared)
        if outcomes.entries:
            entries = ledger.read_remote(store)
            entries.update(outcomes.entries)
            remote.replace_graph(URIRef(LEDGER_GRAPH), ledger.as_graph(entries))
    progress("reasoning", 0, None)
    if report.loaded or not _has_reasoner_graphs(store):
        _send_inferences(store, onto, second.engine)
    if report.loaded or not store.graph(URIRef(SUMMARY_GRAPH)):
        with store.write() as remote:
            remote.replace_graph(URIRef(SUMMARY_GRAPH), summaries.summary_graph(store))
    if outcomes.entries or report.loaded:
        trials, quads = _counts(store)
        with store.write() as remote:
            remote.add_to_graph(
                URIRef(LEDGER_GRAPH), ledger.totals_graph(ledger.Totals(quads + ledger.Totals.OWN, trials))
            )


def _asserted_graph(out: batch.Outcome) -> Graph:
    """The record's own graph out of its N-Quads (its inferred graphs are made again with all
    the others: see :func:`_send_inferences`)."""
    from graph.store.terms import from_ox

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


def _resolve_organizations(
    records: list[TrialRecord], ror_dump: Path | None, report: BuildReport, references: Sequence[Path] = ()
) -> list[TrialRecord]:
    """Canonical organisation names from the curated alias files (``references``; the package's
    default when there is none) and, when given, a ROR dump; uncertain matches go to
    ``report.review``, never merged."""
    resolver = orgs.OrgResolver.load(references, ror_dump=ror_dump)
    resolved, resolutions = orgs.resolve_records_with_report(records, resolver)
    report.review = orgs.review_report(resolutions)
    return resolved
