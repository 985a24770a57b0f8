"""The second pass of a build: the records of one batch become checked N-Quads.

:func:`graph.build.build` reads every record first and keeps only what identity needs; the
records themselves wait in temporary files (:class:`Spill`), a batch per file.  Each batch is
then turned, by :func:`run_job`, in a worker process, into:

- for each record whose input changed since the last build (its ledger digest, see
  :mod:`graph.store.ledger`): its triples, validated against the shapes (a record with a violation
  is quarantined), what it entails on its own (:mod:`graph.reason.closure`), and its graphs as
  N-Quads, ready for a bulk load;
- the signatures of the batch's records (:func:`graph.reason.closure.signatures`), which the parent
  folds to find where records must be reasoned about together.

A job carries everything a worker needs (the decisions made across all records: canonical
participations, preferred ids, merge evidence, the ledger entries of the stored versions), so
workers never open the store.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

import graph.fastvalidate as fastvalidate
import graph.rdf as rdf
import graph.resolve.identity as ids
import graph.store.layout as layout
import graph.versions as versions
from graph.digest import Fold, hex_digest
from graph.model import Identifier, Participation, TrialRecord
from graph.processes import WORKER_GC, no_full_gc
from graph.reason.closure import Triple
from graph.reason.engine import reasoner_for
from graph.resolve.merge import record_key
from graph.store.ledger import Entry
from graph.store.terms import from_ox, to_ox
from graph.summary import finding_label
from graph.validate import Issue

_GENERATED_AT = "<http://www.w3.org/ns/prov#generatedAtTime>"


class Spill:
    """Records written to temporary pickle files in batches, and read back batch by batch."""

    def __init__(self, folder: Path, batch_size: int, prefix: str = "batch") -> None:
        self.folder = folder
        self.batch_size = max(1, batch_size)
        self.prefix = prefix
        self.files: list[tuple[Path, list[str]]] = []
        self.pending: list[TrialRecord] = []
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, record: TrialRecord) -> None:
        self.pending.append(record)
        self.count += 1
        if len(self.pending) >= self.batch_size:
            self._flush()

    def close(self) -> None:
        if self.pending:
            self._flush()

    def _flush(self) -> None:
        path = self.folder / f"{self.prefix}-{len(self.files):06d}.pickle"
        with path.open("wb") as out:
            pickle.dump(self.pending, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.files.append((path, [record_key(r) for r in self.pending]))
        self.pending = []


def load_batch(path: Path) -> list[TrialRecord]:
    with path.open("rb") as f:
        batch: list[TrialRecord] = pickle.load(f)  # written by this build, see Spill
    return batch


@dataclass
class Settings:
    """What every job of a build shares."""

    #: digest of the code, ontology and shapes that turn a record into its graphs
    fingerprint: str
    validate: bool = True
    #: replace stored records whatever their version
    force: bool = False
    #: the load time written into each record graph (``None``: now)
    loaded_at: datetime | None = None
    #: folder for the signature terms of each batch (see :class:`BatchResult`)
    folder: Path | None = None
    #: shapes given besides the built-in ones (workers read them themselves)
    extra_shapes: tuple[Path, ...] = ()
    #: the shapes' fingerprint (:func:`graph.validate.shapes_fingerprint`): validation results
    #: are kept in the ledger under it
    shapes: str = ""


@dataclass
class Job:
    """One spilled batch and the build-wide decisions about its records."""

    path: Path
    #: key -> the source file of the copy of that record that wins (the last one read)
    winners: dict[str, str]
    participations: dict[str, list[Participation]]
    preferred: dict[str, Identifier]
    evidence: dict[str, list[rdf.Triple]]
    #: graph name -> ledger entry of the version the store holds
    stored: dict[str, Entry]
    settings: Settings
    index: int = 0


@dataclass
class Outcome:
    """What became of one record of a batch."""

    key: str
    name: URIRef
    source_file: str
    kind: str  # "ok", "unchanged", "older" or "quarantined"
    message: str = ""
    problems: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the ledger entry to store ("ok", and "unchanged" when only the input digest moved)
    entry: Entry | None = None
    #: the record's graphs as N-Quads ("ok"), and how many quads
    nquads: bytes = b""
    quads: int = 0
    inferred: int = 0
    #: the nodes its graphs type as trials
    trials: list[str] = field(default_factory=list)
    #: (rule, label) of each warning the shapes found in the record, for the import summary
    findings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    #: signature key -> digest, for the batch's loaded records (the first digest of each key)
    signatures: dict[int, int]
    #: keys two records of the batch disagree on -> what they stand for
    divergent: dict[int, tuple[str, str | None, str]]
    #: where the terms of every key are, should the parent need them
    terms_file: Path | None = None


def jobs_for(
    spill: Spill,
    winners: Mapping[str, str],
    participations: Mapping[str, list[Participation]],
    preferred: Mapping[str, Identifier],
    evidence: Mapping[str, list[rdf.Triple]],
    stored: Mapping[str, Entry],
    settings: Settings,
) -> list[Job]:
    out = []
    for i, (path, keys) in enumerate(spill.files):
        names = {str(ids.record_graph(*key.split("/", 1))) for key in keys}
        out.append(
            Job(
                path,
                {k: winners[k] for k in keys},
                {k: participations[k] for k in keys},
                {k: preferred[k] for k in keys},
                {k: evidence[k] for k in keys if k in evidence},
                {n: stored[n] for n in names if n in stored},
                settings,
                i,
            )
        )
    return out


class Worker:
    """A process's compiled shapes and ontology, and its term caches (IRIs, classes and shared
    nodes recur in every record; the caches start again when they hold ``LIMIT`` terms)."""

    LIMIT = 200_000

    def __init__(self, shapes: Graph, ontology: Graph | None = None) -> None:
        self.shapes = shapes
        self.plan = fastvalidate.compile_plan(shapes, "each")
        self.reasoner = reasoner_for(ontology)
        self._iri: dict[str, Any] = {}
        self._ox: dict[Any, Any] = {}
        self._text: dict[Any, str] = {}
        self._stored: dict[Any, Any] = {}

    def ox(self, term: Any) -> Any:
        if type(term) is URIRef:  # most terms: looked up by their text (rdflib's hash and
            key = str.__str__(term)  # equality run in Python, a str's in C)
            found = self._iri.get(key)
            if found is None:
                found = self._iri[key] = ox.NamedNode(key)
            return found
        found = self._ox.get(term)
        if found is None:
            found = self._ox[term] = to_ox(term)
        return found

    def text(self, term: Any) -> str:
        found = self._text.get(term)
        if found is None:
            found = self._text[term] = str(term)
        return found

    def as_stored(self, triples: list[rdf.Triple], terms: list[Triple]) -> tuple[list[rdf.Triple], list[Triple]]:
        """A record's triples (rdflib, and the same as Oxigraph terms) with their literals in
        the form the store gives them back (a valid number in its canonical form:
        ``"52.10"^^xsd:decimal`` comes back as ``52.1``): what ``trialgraph validate`` reads, so
        that a finding kept now reads as one found then."""
        stored = self._stored
        fresh = {o for _s, _p, o in terms if type(o) is ox.Literal and o not in stored and _typed(o)}
        if fresh:
            self._canonicalise(fresh)
        rdf_out = []
        ox_out = []
        for (s, p, o), (xs, xp, xo) in zip(triples, terms, strict=True):
            found = stored.get(xo) if type(xo) is ox.Literal else None
            if found is None:
                if type(o) is Literal and o.datatype is not None:  # "x"^^xsd:string comes back as "x"
                    o = Literal(str(o))
                rdf_out.append((s, p, o))
                ox_out.append((xs, xp, xo))
            else:
                rdf_out.append((s, p, found[1]))
                ox_out.append((xs, xp, found[0]))
        return rdf_out, ox_out

    def _canonicalise(self, literals: set[Any]) -> None:
        scratch = ox.Store()
        p = ox.NamedNode("urn:x-trialgraph:value")
        order = list(literals)
        scratch.extend(
            ox.Quad(ox.NamedNode(f"urn:x-trialgraph:{i}"), p, lit, ox.DefaultGraph()) for i, lit in enumerate(order)
        )
        for q in scratch:
            self._stored[order[int(q.subject.value.rsplit(":", 1)[1])]] = (q.object, from_ox(q.object))

    def trim(self) -> None:
        """Forget the cached terms when there are too many (called between batches)."""
        for cache in (self._iri, self._ox, self._text, self._stored):
            if len(cache) > self.LIMIT:
                cache.clear()

    def convert(self, triples: list[rdf.Triple]) -> list[Triple]:
        conv = self.ox
        return [(conv(s), conv(p), conv(o)) for s, p, o in triples]

    def lines(self, triples: list[Triple], graph: str) -> list[str]:
        text = self.text
        return [f"{text(s)} {text(p)} {text(o)} {graph} .\n" for s, p, o in triples]


@dataclass
class _Candidate:
    record: TrialRecord
    name: URIRef
    triples: list[rdf.Triple]
    entry: Entry
    warnings: list[str]
    #: the triples as Oxigraph terms
    terms: list[Triple]


def run_job(job: Job, worker: Worker) -> BatchResult:
    """Triples, validation, inferences and N-Quads for the records of one batch."""
    worker.trim()
    with no_full_gc():
        return _run_job(job, worker)


def _run_job(job: Job, worker: Worker) -> BatchResult:
    outcomes: list[Outcome] = []
    candidates: dict[str, _Candidate] = {}
    settings = job.settings
    for record in load_batch(job.path):
        key = record_key(record)
        if job.winners[key] != record.source_file or key in candidates:
            continue  # an earlier copy of a record that comes again later
        name = ids.record_graph(record.source, record.record_id)
        stored = job.stored.get(str(name))
        verdict = versions.compare(record.version, stored.version if stored else None, force=settings.force)
        if not verdict.wins:
            outcomes.append(Outcome(key, name, record.source_file, "older", f"{key} ({verdict.message})"))
            continue
        warnings = [f"{record.source_file}: {record.record_id}: {verdict.message}"] if verdict.message else []
        record = replace(record, participations=job.participations[key])
        evidence = job.evidence.get(key, [])
        entry = Entry(input_digest(settings.fingerprint, record, job.preferred[key], evidence), version=record.version)
        if stored is not None and stored.input == entry.input and not settings.force:
            outcomes.append(Outcome(key, name, record.source_file, "unchanged", warnings=warnings))
            continue
        triples = rdf.record_triples(record, job.preferred[key], loaded_at=settings.loaded_at)
        triples.extend(evidence)
        candidates[key] = _Candidate(record, name, triples, entry, warnings, worker.convert(triples))
    results: dict[str, tuple[list[Issue], fastvalidate.Kept | None]] = {}
    if settings.validate and candidates:
        results = fastvalidate.validate_and_keep(
            worker.plan, {k: worker.as_stored(c.triples, c.terms) for k, c in candidates.items()}
        )
        keep = settings.shapes and fastvalidate.local_sparql(worker.plan)
        for key, (_issues, kept) in results.items():
            if keep and kept is not None:
                candidates[key].entry.validation = kept.dumps(settings.shapes)
    fold: Fold[int] = Fold()
    divergent: dict[int, tuple[str, str | None, str]] = {}
    terms: dict[int, tuple[str, str | None, str]] = {}
    for key, c in candidates.items():
        issues = results[key][0] if key in results else []
        problems = [replace(i, source=c.record.source_file) for i in issues if i.severity == "violation"]
        if problems:
            outcomes.append(Outcome(key, c.name, c.record.source_file, "quarantined", problems=problems))
            continue
        out, sigs, sig_terms = _graphs(key, c, worker, job.stored.get(str(c.name)))
        out.findings = [(i.rule, finding_label(i.field, i.message)) for i in issues if i.severity == "warning"]
        outcomes.append(out)
        if out.kind != "ok":
            continue
        for k, _before, _now in fold.add(sigs, len(outcomes)):
            divergent[k] = sig_terms[k]
        terms.update(sig_terms)
    terms_file = None
    if settings.folder is not None and terms:
        terms_file = settings.folder / f"terms-{job.index:06d}.pickle"
        with terms_file.open("wb") as f:
            pickle.dump(terms, f, protocol=pickle.HIGHEST_PROTOCOL)
    return BatchResult(outcomes, fold.seen, divergent, terms_file)


def _graphs(
    key: str, c: _Candidate, worker: Worker, stored: Entry | None
) -> tuple[Outcome, dict[int, int], dict[int, tuple[str, str | None, str]]]:
    """A valid record's N-Quads: its own graph, what it entails alone, what is left out."""
    asserted = c.terms
    graph = f"<{c.name}>"
    lines = worker.lines(asserted, graph)
    tail = len(graph) + 3
    c.entry.content = hex_digest(
        line[:-tail].encode("utf-8", "surrogatepass") + b"\n"
        for line in sorted(lines)
        if f" {_GENERATED_AT} " not in line
    )
    if stored is not None and stored.content == c.entry.content:
        # new input, same triples: only the ledger learns the new input digest
        return Outcome(key, c.name, c.record.source_file, "unchanged", entry=c.entry, warnings=c.warnings), {}, {}
    found = worker.reasoner.record(str(c.name), asserted)
    inferred = worker.lines(found.inferred, f"<{layout.inferred_graph_of(c.name)}>")
    hidden = worker.lines(found.hidden, f"<{layout.support_graph_of(c.name)}>")
    c.entry.inferred = hex_digest(
        t.encode("utf-8", "surrogatepass") + b"\n" for t in sorted(worker.lines(found.derived(), ""))
    )
    data = "".join((*lines, *inferred, *hidden)).encode("utf-8", "surrogatepass")
    terms = {k: (kind, None if p is None else p.value, str(node)) for k, (kind, p, node) in found.terms.items()}
    out = Outcome(
        key,
        c.name,
        c.record.source_file,
        "ok",
        warnings=c.warnings,
        entry=c.entry,
        nquads=data,
        quads=len(lines) + len(inferred) + len(hidden),
        inferred=len(inferred),
        trials=sorted({t[0].value for t in (*asserted, *found.derived()) if t[1] == _TYPE and t[2] == _TRIAL}),
    )
    return out, found.signatures, terms


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_TRIAL = ox.NamedNode("https://w3id.org/trialgraph/ontology#Trial")


def _typed(literal: Any) -> bool:
    """A literal the store may give back in another form (a number, a date: not a string)."""
    return literal.language is None and literal.datatype.value != _XSD_STRING


def input_digest(fingerprint: str, record: TrialRecord, preferred: Identifier, evidence: list[rdf.Triple]) -> str:
    """Everything a record's graphs are made from (see :mod:`graph.store.ledger`)."""
    return hex_digest(
        (
            fingerprint.encode(),
            orjson.dumps(record),
            orjson.dumps(preferred),
            "\n".join(sorted(" ".join(t.n3() for t in triple) for triple in evidence)).encode(),
        )
    )


# -- running the jobs --------------------------------------------------------------------------------

_WORKERS: dict[tuple[Path, ...], Worker] = {}


def _run_in_worker(job: Job) -> BatchResult:
    """A job in a worker process: the shapes and the ontology are read and compiled once per
    process, on its first job."""
    key = job.settings.extra_shapes
    worker = _WORKERS.get(key)
    if worker is None:
        from graph.reason.engine import ontology_graph
        from graph.validate import shapes_graph

        worker = _WORKERS[key] = Worker(shapes_graph(key), ontology_graph())
    WORKER_GC.start()
    worker.trim()
    return _run_job(job, worker)


def run_jobs(
    jobs: list[Job], executor: Executor | None, shapes: Graph, ontology: Graph | None = None
) -> Iterator[BatchResult]:
    """The result of each job, in job order.  One job, or no ``executor``: in this process
    (with ``shapes`` and ``ontology``); more: in ``executor``'s worker processes."""
    if len(jobs) <= 1 or executor is None:
        worker = Worker(shapes, ontology)
        for job in jobs:
            yield run_job(job, worker)
        return
    from collections import deque

    window = 2 * (os.cpu_count() or 1)
    # a bounded window: finished batches wait in memory only until the parent takes them
    pending: deque[Any] = deque()
    for job in jobs:
        pending.append(executor.submit(_run_in_worker, job))
        if len(pending) > window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def parse_nquads(data: bytes) -> list[Any]:
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
