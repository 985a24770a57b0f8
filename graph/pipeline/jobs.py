"""What a batch of a build's second pass carries to a worker process, and what it brings back.

A job carries everything a worker needs (the decisions made across all records: canonical
participations, preferred ids, merge evidence, the ledger entries of the stored versions), so
workers never open the store; its result is an :class:`Outcome` per record and the signatures the
parent folds to find where records must be reasoned about together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import URIRef

import graph.rdf as rdf
import graph.resolve.identity as ids
from graph.model import Identifier, Participation
from graph.pipeline.spill import Spill
from graph.pipeline.terms import SignatureTerm
from graph.store.ledger import Entry
from graph.summary_rows import RecordRows
from graph.validate.report import Issue


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
    #: the shapes' fingerprint (:func:`graph.validate.shapes.shapes_fingerprint`): validation results
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
    #: its rows of the summary graph ("ok"), for a build into a new store
    summary: RecordRows | None = None


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    #: signature key -> digest, for the batch's loaded records (the first digest of each key)
    signatures: dict[int, int]
    #: keys two records of the batch disagree on -> what they stand for
    divergent: dict[int, SignatureTerm]
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
