"""The second pass of a build: the records of one batch become checked N-Quads.

:func:`graph.build.build` reads every record first and keeps only what identity needs; the
records themselves wait in temporary files (:class:`Spill`), a batch per file.  Each batch is
then turned into triples, validated against the shapes and serialised as N-Quads by
:func:`run_job`, in worker processes when there is more than one batch, so that both cores
work while the parent process loads the previous batch into the store.

A job carries everything a worker needs (the decisions made across all records: canonical
participations, preferred ids, merge evidence, stored versions), so workers never open the
store.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from graph import fastvalidate, rdf
from graph import identity as ids
from graph.merge import record_key
from graph.model import Identifier, Participation, TrialRecord
from graph.store import to_ox
from graph.summary import finding_label
from graph.validate import Issue


class Spill:
    """Records written to temporary pickle files in batches, and read back batch by batch."""

    def __init__(self, folder: Path, batch_size: int) -> None:
        self.folder = folder
        self.batch_size = max(1, batch_size)
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
        path = self.folder / f"batch-{len(self.files):06d}.pickle"
        with path.open("wb") as out:
            pickle.dump(self.pending, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.files.append((path, [record_key(r) for r in self.pending]))
        self.pending = []


def load_batch(path: Path) -> list[TrialRecord]:
    with path.open("rb") as f:
        batch: list[TrialRecord] = pickle.load(f)  # written by this build, see Spill
    return batch


@dataclass
class Job:
    """One spilled batch and the build-wide decisions about its records."""

    path: Path
    #: key -> the source file of the copy of that record that wins (the last one read)
    winners: dict[str, str]
    participations: dict[str, list[Participation]]
    preferred: dict[str, Identifier]
    evidence: dict[str, list[rdf.Triple]]
    #: graph name -> version the store holds
    versions: dict[str, str]
    validate: bool = True


@dataclass
class Outcome:
    """What became of one record of a batch."""

    key: str
    name: URIRef
    source_file: str
    kind: str  # "ok", "older" or "quarantined"
    message: str = ""
    problems: list[Issue] = field(default_factory=list)
    #: the record's graph as N-Quads (kind "ok")
    nquads: bytes = b""
    #: (rule, label) of each warning the shapes found in the record, for the import summary
    findings: list[tuple[str, str]] = field(default_factory=list)


def jobs_for(
    spill: Spill,
    winners: Mapping[str, str],
    participations: Mapping[str, list[Participation]],
    preferred: Mapping[str, Identifier],
    evidence: Mapping[str, list[rdf.Triple]],
    versions: Mapping[str, str],
    validate: bool,
) -> list[Job]:
    out = []
    for path, keys in spill.files:
        names = {str(ids.record_graph(*key.split("/", 1))) for key in keys}
        out.append(
            Job(
                path,
                {k: winners[k] for k in keys},
                {k: participations[k] for k in keys},
                {k: preferred[k] for k in keys},
                {k: evidence[k] for k in keys if k in evidence},
                {n: versions[n] for n in names if n in versions},
                validate,
            )
        )
    return out


def run_job(job: Job, shapes: Graph) -> list[Outcome]:
    """Triples, validation and N-Quads for the records of one batch."""
    outcomes: list[Outcome] = []
    candidates: dict[str, tuple[TrialRecord, URIRef, list[rdf.Triple]]] = {}
    for record in load_batch(job.path):
        key = record_key(record)
        if job.winners[key] != record.source_file or key in candidates:
            continue  # an earlier copy of a record that comes again later
        name = ids.record_graph(record.source, record.record_id)
        old = job.versions.get(str(name))
        if old and record.version and record.version < old:
            message = f"{key} (store has {old}, file has {record.version})"
            outcomes.append(Outcome(key, name, record.source_file, "older", message))
            continue
        record = replace(record, participations=job.participations[key])
        triples = rdf.record_triples(record, job.preferred[key])
        triples.extend(job.evidence.get(key, ()))
        candidates[key] = (record, name, triples)
    results: dict[str, list[Issue]] = {}
    if job.validate and candidates:
        graphs = {k: t for k, (_r, _n, t) in candidates.items()}
        results = fastvalidate.validate_records(graphs, shapes=shapes, workers=1)
    cache: dict[Node, Any] = {}
    for key, (record, name, triples) in candidates.items():
        problems = [replace(i, source=record.source_file) for i in results.get(key, []) if i.severity == "violation"]
        if problems:
            outcomes.append(Outcome(key, name, record.source_file, "quarantined", problems=problems))
            continue
        findings = [
            (i.rule, finding_label(i.field, i.message)) for i in results.get(key, []) if i.severity == "warning"
        ]
        outcomes.append(
            Outcome(key, name, record.source_file, "ok", nquads=_nquads(name, triples, cache), findings=findings)
        )
    return outcomes


def _nquads(name: URIRef, triples: list[rdf.Triple], cache: dict[Node, Any]) -> bytes:
    graph = ox.NamedNode(str(name))
    quads = [ox.Quad(_term(s, cache), _term(p, cache), _term(o, cache), graph) for s, p, o in triples]
    return bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")


def _term(term: Node, cache: dict[Node, Any]) -> Any:
    """:func:`graph.store.to_ox`, remembered: predicates, classes, concepts, countries and shared
    sites recur in every record of a batch."""
    found = cache.get(term)
    if found is None:
        found = cache[term] = to_ox(term)
    return found


def parse_nquads(data: bytes) -> list[Any]:
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))


# -- running the jobs --------------------------------------------------------------------------------

_SHAPES: dict[str, Graph] = {}


def _init_worker(shapes: Graph) -> None:
    _SHAPES["shapes"] = shapes


def _run_in_worker(job: Job) -> list[Outcome]:
    return run_job(job, _SHAPES["shapes"])


def run_jobs(jobs: list[Job], shapes: Graph, workers: int | None = None) -> Iterator[list[Outcome]]:
    """The outcomes of each job, in job order.  One job runs in this process; more run in a pool
    of fresh (``spawn``) worker processes, never forked from a process that holds a store."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if len(jobs) <= 1 or n <= 1:
        for job in jobs:
            yield run_job(job, shapes)
        return
    import multiprocessing
    from collections import deque

    n = min(n, len(jobs))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n, mp_context=context, initializer=_init_worker, initargs=(shapes,)) as pool:
        # a bounded window: finished batches wait in memory only until the parent takes them
        pending: deque[Any] = deque()
        for job in jobs:
            pending.append(pool.submit(_run_in_worker, job))
            if len(pending) > n:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
