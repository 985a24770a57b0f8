"""The main job: read sources, resolve identity, write one named graph per record, reason,
validate.  Each step is a function of its own module; this one only puts them in order.

Rules kept here:
- a record that cannot be read costs only itself (reported, exit 2);
- a record whose graph violates the shapes is quarantined: it is not written to the published
  graphs, its problems are kept in the quarantine graph, and the version already in the store
  (if any) stays (exit 1);
- the same record again changes nothing; a newer version replaces that record's graph only; an
  older version never overwrites a newer one;
- every change of one build is one atomic write.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from graph import batch, merge, orgs, rdf, reason, sources, summaries, summary
from graph import identity as ids
from graph.constants import BATCH_SIZE, GRAPH_NS, INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH, SUMMARY_GRAPH
from graph.errors import RecordError
from graph.model import Identifier, TrialRecord
from graph.namespace import TG
from graph.store import OxigraphStore, Store, from_ox
from graph.summary import ImportSummary
from graph.validate import Issue, shapes_graph

Progress = Callable[[str, int, int | None], None]


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
    reasoning: reason.InferenceStats | None = None
    identity_conflicts: list[str] = field(default_factory=list)
    review: list[dict[str, object]] = field(default_factory=list)
    #: Warnings and quarantines by kind, with counts and example records (see graph.summary).
    summary: ImportSummary = field(default_factory=ImportSummary)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.quarantined or any(i.severity == "violation" for i in self.issues):
            return 1
        return 0


def _noop(_stage: str, _done: int, _total: int | None) -> None:
    return None


def existing_identifiers(store: Store) -> dict[str, str]:
    """Registry id value -> preferred id of the trial that already holds it in the store."""
    q = """PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?value ?pref WHERE { GRAPH ?g { ?t tg:identifier/tg:idValue ?value ; dcterms:identifier ?pref } }"""
    return {str(v): str(p) for v, p in store.query(q).rows}


def assign_identity(
    records: Sequence[TrialRecord], existing: dict[str, str]
) -> tuple[dict[str, Identifier], dict[str, list[rdf.Triple]], list[str]]:
    """Preferred identifier per record key, the merge evidence of each record as triples (kept in
    the record's own graph, so it goes when the record goes), and the identity conflicts that were
    reported instead of merged (see :mod:`graph.merge`)."""
    result = merge.cluster(list(records), existing)
    preferred: dict[str, Identifier] = {}
    evidence: dict[str, list[rdf.Triple]] = {}
    for c in result.clusters:
        for key in c.keys:
            preferred[key] = c.preferred
        for ev in c.evidence:
            if ev.kind == "existing-id":
                # joining a stored trial depends on what earlier builds stored, not on the
                # records: keeping it would make re-imports differ.  The shared id shows it.
                continue
            source, _, record_id = ev.from_record.partition("/")
            key = ids.text_key(ev.to_record + " " + ev.id, 30)
            node = URIRef(f"{ids.record_graph(source, record_id)}/evidence/{ev.kind}/{key}")
            evidence.setdefault(ev.from_record, []).extend(
                [
                    (node, RDF.type, TG.MergeEvidence),
                    (node, TG.evidenceKind, Literal(ev.kind)),
                    (node, TG.mergedIdentifier, Literal(ev.id)),
                    (node, RDFS.comment, Literal(f"{ev.from_record} -> {ev.to_record}")),
                    (ids.trial_iri(c.preferred), TG.evidence, node),
                ]
            )
    return preferred, evidence, [c.message for c in result.conflicts]


def _registry_of(value: str) -> str:
    from graph.normalize import guess_registry

    return guess_registry(value) or "OTHER"


def _versions(store: Store) -> dict[str, str]:
    q = """PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    SELECT ?g ?v WHERE { GRAPH ?g { ?g tg:recordVersion ?v } }"""
    return {str(g): str(v) for g, v in store.query(q).rows}


_GENERATED_AT = "http://www.w3.org/ns/prov#generatedAtTime"


def _same_content(store: Store, name: URIRef, nquads: bytes) -> bool:
    """Whether the stored graph ``name`` holds exactly the triples of ``nquads`` (the load
    time aside)."""
    new = [q for q in batch.parse_nquads(nquads) if q.predicate.value != _GENERATED_AT]
    if isinstance(store, OxigraphStore):
        stored = {
            (q.subject, q.predicate, q.object)
            for q in store.db.quads_for_pattern(None, None, None, ox.NamedNode(str(name)))
            if q.predicate.value != _GENERATED_AT
        }
        return stored == {(q.subject, q.predicate, q.object) for q in new}
    return _ntriples(store.graph(name)) == _ntriples(_rdflib_triples(new))


def _ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> set[str]:
    return {f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in triples if str(p) != _GENERATED_AT}


def _quarantine_triples(key: str, source_file: str, problems: list[Issue]) -> Graph:
    g = Graph()
    source, _, record_id = key.partition("/")
    node = URIRef(f"{QUARANTINE_GRAPH}/{source}/{ids.record_graph(source, record_id).rsplit('/', 1)[-1]}")
    g.add((node, RDF.type, TG.QuarantinedRecord))
    g.add((node, TG.sourceKind, Literal(source)))
    g.add((node, TG.recordId, Literal(record_id)))
    g.add((node, TG.quarantinedFrom, Literal(source_file)))
    for issue in problems:
        g.add((node, TG.problem, Literal(json.dumps(issue.as_dict(), sort_keys=True))))
    return g


def quarantined(store: Store) -> list[dict[str, Any]]:
    """Quarantined records with their problems, as stored by the last builds."""
    g = store.graph(URIRef(QUARANTINE_GRAPH))
    out = []
    for node in sorted(g.subjects(RDF.type, TG.QuarantinedRecord), key=str):
        out.append(
            {
                "record": f"{g.value(node, TG.sourceKind)}/{g.value(node, TG.recordId)}",
                "file": str(g.value(node, TG.quarantinedFrom)),
                "problems": [json.loads(str(p)) for p in sorted(g.objects(node, TG.problem), key=str)],
            }
        )
    return out


def asserted_graph_names(store: Store) -> list[URIRef]:
    special = {URIRef(ONTOLOGY_GRAPH), URIRef(QUARANTINE_GRAPH), URIRef(SUMMARY_GRAPH)}
    return [
        g
        for g in store.named_graphs()
        if g not in special and str(g).startswith(GRAPH_NS) and not reason.is_reasoner_graph(g)
    ]


def asserted_data(store: Store) -> Graph:
    """The union of all source-record graphs (no ontology, no inferences)."""
    out = Graph()
    if isinstance(store, OxigraphStore):
        for triple in _rdflib_triples(store.quads(asserted_graph_names(store))):
            out.add(triple)
        return out
    for name in asserted_graph_names(store):
        out += store.graph(name)
    return out


#: N-Quads gathered before one bulk load into the staging store.
LOAD_CHUNK = 64 << 20


def build(
    paths: Iterable[str | Path],
    store: Store,
    *,
    progress: Progress = _noop,
    extra_shapes: Sequence[Path] = (),
    validate_records: bool = True,
    engine: reason.Engine = "fast",
    ror_dump: Path | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    orgs_files: Sequence[Path] = (),
) -> BuildReport:
    """Two passes, so that memory stays bounded however many records come in.  The first reads
    every record, spills it to a temporary file and keeps only its head (identifiers and
    participations): organisation names and trial identity are decided across all records.  The
    second turns the spilled records into triples, validates and writes them a batch at a time
    (:mod:`graph.batch`, in ``workers`` processes; default: one per core).  Organisation aliases
    come from the ``organizations.yaml`` files in the folders built and ``orgs_files``
    (:func:`graph.orgs.alias_files`)."""
    paths = list(paths)
    references = orgs.alias_files(paths, orgs_files)
    started = time.perf_counter()
    report = BuildReport()
    with tempfile.TemporaryDirectory(prefix="trialgraph-build-") as tmp:
        spill = batch.Spill(Path(tmp), batch_size)
        heads: dict[str, TrialRecord] = {}
        for item in sources.read_all(paths):
            if isinstance(item, RecordError):
                report.errors.append(item)
            else:
                spill.add(item)
                heads[merge.record_key(item)] = _head(item)  # a key seen twice: the last record wins
                report.warnings.extend(f"{item.source_file}: {item.record_id}: {w}" for w in item.warnings)
                for w in item.warnings:
                    report.summary.warning(w, item.record_id)
            progress("read", len(spill) + len(report.errors), None)
        spill.close()
        report.records_read = len(spill)
        _write_records(
            store, spill, heads, report, progress, extra_shapes, validate_records, engine, ror_dump, workers, references
        )
    report.trials = int(
        str(
            store.query(
                "PREFIX tg: <https://w3id.org/trialgraph/ontology#> "
                "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }"
            ).rows[0][0]
        )
    )
    report.triples = int(str(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]))
    summary.add_outcomes(report.summary, report.errors, report.older, report.identity_conflicts)
    report.seconds = time.perf_counter() - started
    return report


def _head(record: TrialRecord) -> TrialRecord:
    """What identity and organisation resolution need of a record: its ids and its
    participations.  Everything else waits in the spill files; the build holds one head per
    record, so a head must stay small."""
    return TrialRecord(
        record.source,
        record.record_id,
        record.source_file,
        record.identifiers,
        version=record.version,
        participations=record.participations,
    )


def _write_records(
    store: Store,
    spill: batch.Spill,
    heads: dict[str, TrialRecord],
    report: BuildReport,
    progress: Progress,
    extra_shapes: Sequence[Path],
    validate_records: bool,
    engine: reason.Engine,
    ror_dump: Path | None,
    workers: int | None,
    references: Sequence[Path] = (),
) -> None:
    progress("identity", 0, None)
    resolved = _resolve_organizations(list(heads.values()), ror_dump, report, references)
    participations = {merge.record_key(r): r.participations for r in resolved}
    preferred, evidence, report.identity_conflicts = assign_identity(resolved, existing_identifiers(store))
    del resolved
    winners = {key: head.source_file for key, head in heads.items()}
    stored_graphs = set(store.named_graphs())
    shapes = shapes_graph(extra_shapes)
    onto = reason.ontology_graph()
    jobs = batch.jobs_for(spill, winners, participations, preferred, evidence, _versions(store), validate_records)
    # most of the store changes, or the closure is to be remade anyway: load as we go and
    # remake the closure once, rather than hold every graph for the incremental reasoner
    large = len(heads) > max(reason.LARGE_BATCH, len(stored_graphs) // 4) or (
        isinstance(store, OxigraphStore) and reason.needs_recompute(store.db, engine=engine, ontology=onto)
    )
    outcomes = _Outcomes(store, stored_graphs, report)
    done, total = 0, len(spill)
    progress("records", 0, total)
    if isinstance(store, OxigraphStore):
        # records, quarantine and inferences land in one atomic write
        with store.write() as w:
            loader = _Loader(w.db)
            staged: dict[URIRef, list[rdf.Triple]] = {}
            for results in batch.run_jobs(jobs, shapes, workers):
                for name, nquads in outcomes.take(results):
                    if large:
                        loader.replace(name, nquads)
                    else:
                        staged[name] = _triples(nquads)
                done += len(results)
                progress("records", done, total)
            loader.close()
            written = loader.written
            del loader  # the staging store must have no other handle when the write commits
            if outcomes.changed:
                _update_quarantine(store, w, outcomes.quarantine, outcomes.cleared)
            progress("reasoning", 0, None)
            if large and written:
                report.reasoning = reason.recompute(w.db, engine=engine, ontology=onto, progress=progress)
            else:
                report.reasoning = reason.maintain(w.db, staged, engine=engine, ontology=onto, progress=progress)
            summaries.refresh(w.db, store.db, report.loaded)
        return
    # a remote endpoint: atomic per graph
    written = 0
    with store.write() as remote:
        remote.replace_graph(URIRef(ONTOLOGY_GRAPH), onto)
        for results in batch.run_jobs(jobs, shapes, workers):
            for name, nquads in outcomes.take(results):
                remote.replace_graph(name, _as_graph(_triples(nquads)))
                written += 1
            done += len(results)
            progress("records", done, total)
        if outcomes.changed:
            _update_quarantine(store, remote, outcomes.quarantine, outcomes.cleared)
    progress("reasoning", 0, None)
    if written or not store.graph(URIRef(INFERRED_GRAPH)):
        inferred = reason.inferred_for(asserted_data(store), engine=engine, ontology=onto)
        with store.write() as remote:
            remote.replace_graph(URIRef(INFERRED_GRAPH), inferred)
    if written or not store.graph(URIRef(SUMMARY_GRAPH)):
        with store.write() as remote:
            remote.replace_graph(URIRef(SUMMARY_GRAPH), summaries.summary_graph(store))


def _triples(nquads: bytes) -> list[rdf.Triple]:
    return _rdflib_triples(batch.parse_nquads(nquads))


def _rdflib_triples(quads: Iterable[Any]) -> list[rdf.Triple]:
    """Oxigraph quads as rdflib triples (the graph name dropped)."""
    return [
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))  # type: ignore[misc]
        for q in quads
    ]


def _as_graph(triples: Iterable[rdf.Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


class _Outcomes:
    """The parent's side of the second pass: the report, the quarantine, and whether a record's
    graph differs from the stored one."""

    def __init__(self, store: Store, stored_graphs: set[URIRef], report: BuildReport) -> None:
        self.store = store
        self.stored_graphs = stored_graphs
        self.report = report
        self.quarantine: dict[str, Graph] = {}
        self.cleared: set[str] = set()

    @property
    def changed(self) -> bool:
        return bool(self.report.loaded) or bool(self.quarantine) or bool(self.cleared)

    def take(self, results: list[batch.Outcome]) -> Iterator[tuple[URIRef, bytes]]:
        """(graph name, N-Quads) of each record to be written."""
        for out in results:
            if out.kind == "older":
                self.report.older.append(out.message)
            elif out.kind == "quarantined":
                self.report.quarantined[out.key] = out.problems
                summary.add_quarantine(self.report.summary, out.key, out.problems)
                self.quarantine[out.key] = _quarantine_triples(out.key, out.source_file, out.problems)
            else:
                self.cleared.add(out.key)
                summary.add_findings(self.report.summary, out.key, out.findings)
                if out.name in self.stored_graphs and _same_content(self.store, out.name, out.nquads):
                    self.report.unchanged.append(out.key)
                    continue
                self.report.loaded.append(out.key)
                yield out.name, out.nquads


class _Loader:
    """Record graphs into an Oxigraph staging store, in bulk: a replaced graph is dropped first,
    and the N-Quads go in with one bulk load per chunk (several times faster than transactional
    inserts; the staging store is private until the write commits)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.pending: list[bytes] = []
        self.size = 0
        self.written = 0

    def replace(self, name: URIRef, nquads: bytes) -> None:
        node = ox.NamedNode(str(name))
        if self.db.contains_named_graph(node):
            self.db.remove_graph(node)
        self.pending.append(nquads)
        self.size += len(nquads)
        self.written += 1
        if self.size >= LOAD_CHUNK:
            self.close()

    def close(self) -> None:
        if self.pending:
            self.db.bulk_load(b"".join(self.pending), format=ox.RdfFormat.N_QUADS)
            self.pending, self.size = [], 0


def _update_quarantine(store: Store, w: object, new: dict[str, Graph], cleared: set[str]) -> None:
    """Quarantine entries: add this build's, drop those whose record now loads cleanly."""
    current = store.graph(URIRef(QUARANTINE_GRAPH))
    keep = Graph()
    for s, p, o in current:
        src = current.value(s, TG.sourceKind)
        rid = current.value(s, TG.recordId)
        key = f"{src}/{rid}"
        if key in cleared or key in new:
            continue
        keep.add((s, p, o))
    for g in new.values():
        keep += g
    w.replace_graph(URIRef(QUARANTINE_GRAPH), keep)  # type: ignore[attr-defined]


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
