"""The parent's side of a build's second pass: the batches' results taken in order into the
report, the quarantine and the ledger entries (:class:`Outcomes`), and their signatures folded
into the places where records must be reasoned about together (:class:`Places`)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

import graph.pipeline.summary as summary
import graph.reason.full as full
import graph.store.ledger as ledger
from graph.digest import Fold
from graph.pipeline.batch import run_jobs
from graph.pipeline.jobs import BatchResult, Job, Outcome
from graph.pipeline.report import BuildReport
from graph.pipeline.terms import signature_term
from graph.progress import Callback as Progress
from graph.reason.engine import Engine
from graph.validate.quarantine import quarantine_triples


class Outcomes:
    """The parent's side of the second pass: the report, the quarantine, the ledger."""

    def __init__(self, report: BuildReport) -> None:
        self.report = report
        self.quarantine: dict[str, Graph] = {}
        self.cleared: set[str] = set()
        self.entries: dict[str, ledger.Entry] = {}
        #: the entries taken since :meth:`unsent_entries` was last called
        self._unsent: dict[str, ledger.Entry] = {}
        #: quads of the graphs loaded, and the nodes they type as trials
        self.quads = 0
        self.trials: set[str] = set()

    @property
    def changed(self) -> bool:
        return bool(self.report.loaded) or bool(self.quarantine) or bool(self.cleared)

    def take(self, results: list[Outcome]) -> Iterator[Outcome]:
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
                    self.entries[str(out.name)] = self._unsent[str(out.name)] = out.entry
                if out.kind == "unchanged":
                    self.report.unchanged.append(out.key)
                    continue
                self.report.loaded.append(out.key)
                self.report.inferred_quads += out.inferred
                self.quads += out.quads
                self.trials.update(out.trials)
                yield out

    def unsent_entries(self) -> dict[str, ledger.Entry]:
        """The entries taken since the last call: a build into an empty store loads them batch by
        batch, beside the records' graphs, instead of all at the end."""
        out, self._unsent = self._unsent, {}
        return out


class Places:
    """The parent's fold of the batches' signatures: where records must be reasoned about
    together (:func:`graph.reason.full.cross_record`)."""

    def __init__(self) -> None:
        self.fold: Fold[int] = Fold()
        self.places = full.Places()
        #: keys that diverged across batches -> batch whose terms file holds them
        self.unresolved: dict[int, Path] = {}

    def add(self, result: BatchResult, index: int) -> None:
        for term in result.divergent.values():
            self.places.add(signature_term(term))
        for key, _before, _now in self.fold.add(result.signatures, index):
            if key not in result.divergent and result.terms_file is not None:
                self.unresolved[key] = result.terms_file

    def resolve(self) -> full.Places:
        by_file: dict[Path, list[int]] = {}
        for key, path in self.unresolved.items():
            by_file.setdefault(path, []).append(key)
        for path, keys in by_file.items():
            with path.open("rb") as f:
                terms = pickle.load(f)  # written by this build's workers
            for key in keys:
                self.places.add(signature_term(terms[key]))
        return self.places


@dataclass
class SecondPass:
    """The second pass of a build: its jobs and what runs them."""

    jobs: list[Job]
    shapes: Graph
    onto: Graph
    outcomes: Outcomes
    progress: Progress
    engine: Engine
    executor: Executor | None

    def results(self) -> Iterator[BatchResult]:
        return run_jobs(self.jobs, self.executor, self.shapes, self.onto)

    def total(self) -> int:
        """Records of the jobs: what the progress of the second pass counts to."""
        return sum(len(job.winners) for job in self.jobs)
