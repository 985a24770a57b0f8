"""Records waiting between the two passes of a build: written to temporary pickle files a batch
at a time by the read pass (:mod:`graph.pipeline.read`), read back a batch at a time by the
workers of the second (:mod:`graph.pipeline.batch`)."""

from __future__ import annotations

import pickle
from pathlib import Path

from graph.model import TrialRecord
from graph.resolve.merge import record_key


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
