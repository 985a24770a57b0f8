"""The build: read sources, resolve identity, write one named graph per record, reason,
validate.  Each step is a module of :mod:`graph.pipeline`; this one only puts them in order.

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
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path

import graph.processes as processes
import graph.resolve.identity as ids
import graph.resolve.merge as merge
import graph.resolve.orgs as orgs
import graph.store.ledger as ledger
from graph.constants import BATCH_SIZE
from graph.digest import hex_digest
from graph.errors import InputError
from graph.model import TrialRecord
from graph.pipeline.assign import assign_identity, existing_identifiers
from graph.pipeline.endpoint import send_derived, send_records
from graph.pipeline.jobs import Settings, jobs_for
from graph.pipeline.local import fill_staged
from graph.pipeline.outcomes import Outcomes, SecondPass
from graph.pipeline.read import read
from graph.pipeline.report import BuildReport
from graph.pipeline.spill import Spill
from graph.pipeline.summary import add_outcomes
from graph.progress import Callback as Progress
from graph.progress import no_progress
from graph.reason.engine import Engine, ontology_graph
from graph.store.base import Store
from graph.validate.shapes import shapes_fingerprint, shapes_graph

__all__ = ["build"]


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
    (:mod:`graph.pipeline.batch`).  ``force`` replaces stored records whatever their version;
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
        spill = Spill(Path(tmp), batch_size)
        heads = read(paths, spill, report, progress, executor)
        report.records_read = len(spill)
        settings = Settings(
            fingerprint(extra_shapes, validate_records),
            validate_records,
            force,
            loaded_at,
            Path(tmp),
            tuple(extra_shapes),
        )
        _write_records(store, spill, heads, report, progress, settings, engine, ror_dump, executor, references)
    add_outcomes(report.summary, report.errors, report.older, report.identity_conflicts)
    report.seconds = time.perf_counter() - started
    return report


def _write_records(
    store: Store,
    spill: Spill,
    heads: dict[str, TrialRecord],
    report: BuildReport,
    progress: Progress,
    settings: Settings,
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
    stored = ledger.read(store.reader(), names)
    jobs = jobs_for(spill, winners, participations, preferred, evidence, stored, settings)
    _write(store, SecondPass(jobs, shapes, onto, Outcomes(report), progress, engine, executor))


def _write(store: Store, second: SecondPass) -> None:
    """The second pass's graphs written: in one atomic write into a store that stages its
    writes in a database of its own (:meth:`~graph.store.base.Writer.staging`: the embedded
    store); else graph by graph, and then the inferences, summaries and counts (an endpoint)."""
    with store.write() as w, processes.frozen_gc():
        staged = fill_staged(store, w, second)
        if not staged:
            send_records(store, w, second)
    if not staged:
        send_derived(store, second)


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
