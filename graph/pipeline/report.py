"""What a build reports: the records it read, loaded, kept out and quarantined, the errors and
warnings, the store's size after it, its exit code, and the counts of its last line."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.errors import RecordError
from graph.pipeline.summary import ImportSummary
from graph.reason.full import InferenceStats
from graph.validate.report import Issue


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
    reasoning: InferenceStats | None = None
    identity_conflicts: list[str] = field(default_factory=list)
    review: list[dict[str, object]] = field(default_factory=list)
    #: quads written to the inferred graphs of the loaded records
    inferred_quads: int = 0
    #: Warnings and quarantines by kind, with counts and example records (see graph.pipeline.summary).
    summary: ImportSummary = field(default_factory=ImportSummary)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.quarantined or any(i.severity == "violation" for i in self.issues):
            return 1
        return 0

    def counts(self, store: str) -> dict[str, object]:
        """The counts of the build's last line (``store``: where it wrote), as
        ``build --format json`` writes them."""
        return {
            "records_read": self.records_read,
            "loaded": len(self.loaded),
            "unchanged": len(self.unchanged),
            "older": len(self.older),
            "quarantined": len(self.quarantined),
            "unreadable": len(self.errors),
            "store": str(store),
            "trials": self.trials,
            "triples": self.triples,
            "exit_code": self.exit_code,
        }

    def last_line(self, store: str) -> str:
        """The build's last line: its counts for people."""
        c = self.counts(store)
        return (
            f"{c['records_read']} records read: {c['loaded']} loaded, {c['unchanged']} unchanged, "
            f"{c['older']} older kept out, {c['quarantined']} quarantined, {c['unreadable']} unreadable. "
            f"Store {c['store']}: {c['trials']} trials, {c['triples']} triples ({self.seconds:.1f} s)."
        )
