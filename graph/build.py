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
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef

from graph import fastvalidate, merge, orgs, rdf, reason, sources
from graph import identity as ids
from graph.constants import GRAPH_NS, INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH
from graph.errors import RecordError
from graph.model import Identifier, TrialRecord
from graph.namespace import TG
from graph.store import OxigraphStore, Store
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

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.quarantined or any(i.severity == "violation" for i in self.issues):
            return 1
        return 0


def _noop(_stage: str, _done: int, _total: int | None) -> None:
    return None


def _record_key(record: TrialRecord) -> str:
    return f"{record.source}/{record.record_id}"


def existing_identifiers(store: Store) -> dict[str, str]:
    """Registry id value -> preferred id of the trial that already holds it in the store."""
    q = """PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?value ?pref WHERE { GRAPH ?g { ?t tg:identifier/tg:idValue ?value ; dcterms:identifier ?pref } }"""
    return {str(v): str(p) for v, p in store.query(q).rows}


def assign_identity(
    records: Sequence[TrialRecord], existing: dict[str, str]
) -> tuple[dict[str, Identifier], dict[str, Graph], list[str]]:
    """Preferred identifier per record key, the merge evidence of each record as triples (kept in
    the record's own graph, so it goes when the record goes), and the identity conflicts that were
    reported instead of merged (see :mod:`graph.merge`)."""
    result = merge.cluster(list(records), existing)
    preferred: dict[str, Identifier] = {}
    evidence: dict[str, Graph] = {}
    for c in result.clusters:
        for key in c.keys:
            preferred[key] = c.preferred
        for ev in c.evidence:
            if ev.kind == "existing-id":
                # joining a stored trial depends on what earlier builds stored, not on the
                # records: keeping it would make re-imports differ.  The shared id shows it.
                continue
            g = evidence.setdefault(ev.from_record, Graph())
            source, _, record_id = ev.from_record.partition("/")
            node = URIRef(
                f"{ids.record_graph(source, record_id)}/evidence/{ev.kind}/{ids.text_key(ev.to_record + ' ' + ev.id, 30)}"
            )
            g.add((node, RDF.type, TG.MergeEvidence))
            g.add((node, TG.evidenceKind, Literal(ev.kind)))
            g.add((node, TG.mergedIdentifier, Literal(ev.id)))
            g.add((node, RDFS.comment, Literal(f"{ev.from_record} -> {ev.to_record}")))
            g.add((ids.trial_iri(c.preferred), TG.evidence, node))
    return preferred, evidence, [c.message for c in result.conflicts]


def _registry_of(value: str) -> str:
    from graph.normalize import guess_registry

    return guess_registry(value) or "OTHER"


def _versions(store: Store) -> dict[str, str]:
    q = """PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    SELECT ?g ?v WHERE { GRAPH ?g { ?g tg:recordVersion ?v } }"""
    return {str(g): str(v) for g, v in store.query(q).rows}


def _ntriples(g: Graph) -> set[str]:
    return {f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in g if p != URIRef("http://www.w3.org/ns/prov#generatedAtTime")}


def _quarantine_triples(record: TrialRecord, problems: list[Issue]) -> Graph:
    g = Graph()
    node = URIRef(
        f"{QUARANTINE_GRAPH}/{record.source}/{ids.record_graph(record.source, record.record_id).rsplit('/', 1)[-1]}"
    )
    g.add((node, RDF.type, TG.QuarantinedRecord))
    g.add((node, TG.sourceKind, Literal(record.source)))
    g.add((node, TG.recordId, Literal(record.record_id)))
    g.add((node, TG.quarantinedFrom, Literal(record.source_file)))
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
    special = {URIRef(ONTOLOGY_GRAPH), URIRef(QUARANTINE_GRAPH)}
    return [
        g
        for g in store.named_graphs()
        if g not in special and str(g).startswith(GRAPH_NS) and not reason.is_reasoner_graph(g)
    ]


def asserted_data(store: Store) -> Graph:
    """The union of all source-record graphs (no ontology, no inferences)."""
    out = Graph()
    if isinstance(store, OxigraphStore):
        from graph.store import from_ox

        for q in store.quads(asserted_graph_names(store)):
            out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
        return out
    for name in asserted_graph_names(store):
        out += store.graph(name)
    return out


def build(
    paths: Iterable[str | Path],
    store: Store,
    *,
    progress: Progress = _noop,
    extra_shapes: Sequence[Path] = (),
    validate_records: bool = True,
    engine: reason.Engine = "fast",
    ror_dump: Path | None = None,
) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    records: list[TrialRecord] = []
    for item in sources.read_all(paths):
        if isinstance(item, RecordError):
            report.errors.append(item)
        else:
            records.append(item)
            report.warnings.extend(f"{item.source_file}: {item.record_id}: {w}" for w in item.warnings)
        progress("read", len(records) + len(report.errors), None)
    report.records_read = len(records)

    records = _resolve_organizations(records, ror_dump, report)
    existing = existing_identifiers(store)
    preferred, evidence, report.identity_conflicts = assign_identity(records, existing)
    versions = _versions(store)
    stored_graphs = set(store.named_graphs())
    shapes = shapes_graph(extra_shapes)
    onto = reason.ontology_graph()

    staged: dict[URIRef, Graph] = {}
    quarantine: dict[str, Graph] = {}
    cleared: set[str] = set()
    candidates: dict[str, tuple[TrialRecord, URIRef, Graph]] = {}
    for n, record in enumerate(records, 1):
        key = _record_key(record)
        name = ids.record_graph(record.source, record.record_id)
        old_version = versions.get(str(name))
        if old_version and record.version and record.version < old_version:
            report.older.append(f"{key} (store has {old_version}, file has {record.version})")
            continue
        g = rdf.record_graph(record, preferred[key])
        if key in evidence:
            g += evidence[key]
        candidates[key] = (record, name, g)
        progress("records", n, len(records))

    results: dict[str, list[Issue]] = {}
    if validate_records and candidates:
        progress("validating", 0, len(candidates))
        results = fastvalidate.validate_records({key: g for key, (_r, _n, g) in candidates.items()}, shapes=shapes)
    for key, (record, name, g) in candidates.items():
        problems = [replace(i, source=record.source_file) for i in results.get(key, []) if i.severity == "violation"]
        if problems:
            report.quarantined[key] = problems
            quarantine[key] = _quarantine_triples(record, problems)
            continue
        cleared.add(key)
        if name in stored_graphs and _ntriples(store.graph(name)) == _ntriples(g):
            report.unchanged.append(key)
            continue
        staged[name] = g
        report.loaded.append(key)

    changed = bool(staged) or bool(quarantine) or bool(cleared)
    progress("reasoning", 0, None)
    if isinstance(store, OxigraphStore):
        # records, quarantine and inferences land in one atomic write
        with store.write() as w:
            if changed:
                _update_quarantine(store, w, quarantine, cleared)
            report.reasoning = reason.maintain(w.db, staged, engine=engine, ontology=onto, progress=progress)
    else:  # a remote endpoint: atomic per graph
        with store.write() as remote:
            remote.replace_graph(URIRef(ONTOLOGY_GRAPH), onto)
            for name, g in staged.items():
                remote.replace_graph(name, g)
            if changed:
                _update_quarantine(store, remote, quarantine, cleared)
        if staged or not store.graph(URIRef(INFERRED_GRAPH)):
            inferred = reason.inferred_for(asserted_data(store), engine=engine, ontology=onto)
            with store.write() as remote:
                remote.replace_graph(URIRef(INFERRED_GRAPH), inferred)
    report.trials = int(
        str(
            store.query(
                "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }"
            ).rows[0][0]
        )
    )
    report.triples = int(str(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]))
    report.seconds = time.perf_counter() - started
    return report


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


def _resolve_organizations(records: list[TrialRecord], ror_dump: Path | None, report: BuildReport) -> list[TrialRecord]:
    """Canonical organisation names from the curated aliases (``data/organizations.yaml``) and,
    when given, a ROR dump; uncertain matches go to ``report.review``, never merged."""
    resolver = orgs.OrgResolver.load(ror_dump=ror_dump)
    resolved, resolutions = orgs.resolve_records_with_report(records, resolver)
    report.review = orgs.review_report(resolutions)
    return resolved
