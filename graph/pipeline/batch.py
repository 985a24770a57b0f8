"""A batch of a build's second pass in a worker process: its records become checked N-Quads.

:func:`graph.pipeline.run.build` reads every record first and keeps only what identity needs; the
records themselves wait in temporary files (:mod:`graph.pipeline.spill`), a batch per file.  Each
batch is then turned, by :func:`run_job`, in a worker process, into:

- for each record whose input changed since the last build (its ledger digest, see
  :mod:`graph.store.ledger`): its triples, validated against the shapes (a record with a violation
  is quarantined), what it entails on its own (:mod:`graph.reason.closure`), and its graphs as
  N-Quads, ready for a bulk load;
- the signatures of the batch's records (:func:`graph.reason.closure.signatures`), which the parent
  folds to find where records must be reasoned about together.

What a job carries and gives back is :mod:`graph.pipeline.jobs`; :func:`run_jobs` runs the jobs
in worker processes, in order.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox
from rdflib import Graph, URIRef

import graph.rdf as rdf
import graph.resolve.identity as ids
import graph.store.layout as layout
import graph.versions as versions
from graph.digest import Fold, hex_digest
from graph.model import Identifier, TrialRecord
from graph.pipeline.jobs import BatchResult, Job, Outcome
from graph.pipeline.spill import load_batch
from graph.pipeline.summary import finding_label
from graph.pipeline.terms import TRIAL, TYPE, SignatureTerm, TermCache, signature_texts
from graph.processes import WORKER_GC, no_full_gc
from graph.reason.closure import Triple
from graph.reason.engine import ox_triples, reasoner_for
from graph.resolve.merge import record_key
from graph.store.ledger import Entry
from graph.summary_rows import record_rows
from graph.validate.fast.kept import Kept
from graph.validate.fast.plan import compile_plan, local_sparql
from graph.validate.fast.records import validate_and_keep
from graph.validate.report import Issue

_GENERATED_AT = " <http://www.w3.org/ns/prov#generatedAtTime> "


class Worker:
    """A process's compiled shapes and ontology, and its term cache."""

    def __init__(self, shapes: Graph, ontology: Graph | None = None) -> None:
        self.shapes = shapes
        self.plan = compile_plan(shapes, "each")
        self.reasoner = reasoner_for(ontology)
        self.terms = TermCache()
        #: the predicates whose triples the shapes can read, as Oxigraph terms (``None``: all)
        self.read = None if self.plan.read is None else frozenset(ox.NamedNode(str(p)) for p in self.plan.read)


@dataclass
class _Candidate:
    record: TrialRecord
    name: URIRef
    entry: Entry
    warnings: list[str]
    #: the record's triples (Oxigraph terms)
    terms: list[Triple]


def run_job(job: Job, worker: Worker) -> BatchResult:
    """Triples, validation, inferences and N-Quads for the records of one batch."""
    worker.terms.trim()
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
        asserted = rdf.record_terms(record, job.preferred[key], loaded_at=settings.loaded_at)
        asserted.extend(ox_triples(evidence))
        candidates[key] = _Candidate(record, name, entry, warnings, asserted)
    results: dict[str, tuple[list[Issue], Kept | None]] = {}
    if settings.validate and candidates:
        results = validate_and_keep(
            worker.plan, {k: worker.terms.as_stored(c.terms, worker.read) for k, c in candidates.items()}
        )
        keep = settings.shapes and local_sparql(worker.plan)
        for key, (_issues, kept) in results.items():
            if keep and kept is not None:
                candidates[key].entry.validation = kept.dumps(settings.shapes)
    fold: Fold[int] = Fold()
    divergent: dict[int, SignatureTerm] = {}
    terms: dict[int, SignatureTerm] = {}
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
) -> tuple[Outcome, dict[int, int], dict[int, SignatureTerm]]:
    """A valid record's N-Quads: its own graph, what it entails alone, what is left out."""
    asserted = c.terms
    graph = f"<{c.name}>"
    lines = worker.terms.lines(asserted, graph)
    c.entry.content = _content_digest(lines, graph)
    if stored is not None and stored.content == c.entry.content:
        # new input, same triples: only the ledger learns the new input digest
        return Outcome(key, c.name, c.record.source_file, "unchanged", entry=c.entry, warnings=c.warnings), {}, {}
    found = worker.reasoner.record(str(c.name), asserted)
    inferred = worker.terms.lines(found.inferred, f"<{layout.inferred_graph_of(c.name)}>")
    hidden = worker.terms.lines(found.hidden, f"<{layout.support_graph_of(c.name)}>")
    derived = sorted(worker.terms.lines(found.derived(), ""))
    c.entry.inferred = hex_digest(["".join(t + "\n" for t in derived).encode("utf-8", "surrogatepass")])
    data = "".join((*lines, *inferred, *hidden)).encode("utf-8", "surrogatepass")
    terms = signature_texts(found.terms)
    summary = record_rows(str(c.name), asserted, worker.terms.node, (found.inferred, found.hidden))
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
        trials=sorted({t[0].value for t in (*asserted, *found.derived()) if t[1] == TYPE and t[2] == TRIAL}),
        summary=summary,
    )
    return out, found.signatures, terms


def _content_digest(lines: list[str], graph: str) -> str:
    """The ledger's digest of a record's triples: their lines, sorted, without the load time and
    without the graph name (every line of ``lines`` ends in ``{graph} .\\n``; N-Quads text has no
    other line break, so that ending is cut wherever it is found)."""
    kept = sorted(line for line in lines if _GENERATED_AT not in line)
    return hex_digest(["".join(kept).replace(f"{graph} .\n", "\n").encode("utf-8", "surrogatepass")])


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
        from graph.validate.shapes import shapes_graph

        worker = _WORKERS[key] = Worker(shapes_graph(key), ontology_graph())
    WORKER_GC.start()
    worker.terms.trim()
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
