"""The first pass of a build: every record read, spilled to temporary files, and its *head*
kept (identifiers, version and participations: what identity and organisation resolution need
across all records).

Reading is split into tasks (each input file, and slices of a ClinicalTrials.gov bulk-download
zip), run in worker processes when there are several; each task spills its own batches, and
the parent takes their heads, errors and warnings in input order, so the outcome is the one a
single reader in file order gives (the last copy of a record read wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import graph.sources as sources
from graph.errors import RecordError
from graph.model import TrialRecord
from graph.pipeline.spill import Spill
from graph.pipeline.summary import ImportSummary
from graph.processes import WORKER_GC, no_full_gc
from graph.progress import Callback as Progress
from graph.resolve.merge import record_key

#: A zip is read in this many slices (each opens the zip and reads its directory again),
#: and in slices of at least ``ZIP_SLICE`` members.
ZIP_SLICES = 16
ZIP_SLICE = 500


class Report(Protocol):
    errors: list[RecordError]
    warnings: list[str]
    summary: ImportSummary


@dataclass(frozen=True)
class Task:
    """Some records to read: a whole file, or the members ``start:stop`` of a ClinicalTrials.gov
    zip."""

    path: Path
    format: str
    start: int = 0
    stop: int | None = None

    def records(self) -> Iterator[TrialRecord | RecordError]:
        if not self.format:  # no reader wants the file, or a folder holds no file
            yield sources.unread(self.path)
            return
        if self.stop is not None:
            from graph.sources.ctgov import read_zip

            yield from read_zip(self.path, self.start, self.stop)
            return
        yield from sources.records_of(self.path, sources.formats()[self.format])


@dataclass(frozen=True)
class Unreadable:
    """A :class:`RecordError` as plain data, to cross a process boundary."""

    reason: str
    file: str
    record: str | None
    field: str | None
    hint: str | None
    #: what kind of input it is (:class:`sources.UnreadInput`), for the import summary
    kind: str | None = None

    @classmethod
    def of(cls, error: RecordError) -> Unreadable:
        return cls(error.reason, error.file, error.record, error.field, error.hint, getattr(error, "kind", None))

    def error(self) -> RecordError:
        if self.kind is not None:
            return sources.UnreadInput(self.kind, self.reason, file=self.file, hint=self.hint)
        return RecordError(self.reason, file=self.file, record=self.record, field=self.field, hint=self.hint)


@dataclass
class Read:
    """What one task read."""

    files: list[tuple[Path, list[str]]] = field(default_factory=list)
    heads: list[tuple[str, TrialRecord]] = field(default_factory=list)
    errors: list[Unreadable] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: each reader warning with its record id, for the import summary
    noted: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0


def tasks(paths: Iterable[str | Path]) -> list[Task]:
    out: list[Task] = []
    for path, fmt in sources.inputs(paths):
        if fmt is None:
            out.append(Task(path, ""))
            continue
        if fmt.name == "ctgov" and path.suffix.lower() == ".zip":
            from graph.sources.ctgov import zip_members

            n = zip_members(path)
            size = max(ZIP_SLICE, -(-n // ZIP_SLICES))
            if n > size:
                out.extend(Task(path, fmt.name, i, min(i + size, n)) for i in range(0, n, size))
                continue
        out.append(Task(path, fmt.name))
    return out


def head(record: TrialRecord) -> TrialRecord:
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


def read_task(task: Task, folder: Path, batch_size: int, index: int) -> Read:
    with no_full_gc():
        return _read_task(task, folder, batch_size, index)


def _read_task(task: Task, folder: Path, batch_size: int, index: int) -> Read:
    spill = Spill(folder, batch_size, prefix=f"read-{index:06d}")
    out = Read()
    for item in task.records():
        if isinstance(item, RecordError):
            out.errors.append(Unreadable.of(item))
            continue
        spill.add(item)
        out.heads.append((record_key(item), head(item)))
        out.warnings.extend(f"{item.source_file}: {item.record_id}: {w}" for w in item.warnings)
        out.noted.extend((w, item.record_id) for w in item.warnings)
    spill.close()
    out.files, out.count = spill.files, len(spill)
    return out


def _read_in_worker(args: tuple[Task, Path, int, int]) -> Read:
    WORKER_GC.start()
    return _read_task(*args)


def read(
    paths: Iterable[str | Path], spill: Spill, report: Report, progress: Progress, executor: Executor | None = None
) -> dict[str, TrialRecord]:
    """Read every record under ``paths`` into ``spill`` (in ``executor``'s processes when there
    are several tasks); returns the heads by record key (a key seen twice: the last record wins)."""
    found = tasks(paths)
    heads: dict[str, TrialRecord] = {}
    args = [(t, spill.folder, spill.batch_size, i) for i, t in enumerate(found)]
    if len(found) <= 1 or executor is None:
        return _take((read_task(*a) for a in args), spill, heads, report, progress)
    return _take(executor.map(_read_in_worker, args), spill, heads, report, progress)


def _take(
    results: Iterable[Read], spill: Spill, heads: dict[str, TrialRecord], report: Report, progress: Progress
) -> dict[str, TrialRecord]:
    for part in results:
        spill.files.extend(part.files)
        spill.count += part.count
        heads.update(part.heads)
        report.errors.extend(e.error() for e in part.errors)
        report.warnings.extend(part.warnings)
        for warning, record in part.noted:
            report.summary.warning(warning, record)
        progress("read", len(spill) + len(report.errors), None)
    return heads
