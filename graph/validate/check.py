"""``trialgraph validate``: the SHACL shapes over the whole store, the QC gate queries, and the
records that builds quarantined, in one report; and the part of a report a ``--scope`` covers.

- Shapes: :func:`graph.validate.fast.union.validate_store` (``engine="fast"``, the default), or plain
  pyshacl over the union of the source-record graphs (``engine="plain"``, the reference; slow).
  Both give the same issues.
- Gates: every ``queries/qc/*-violation.rq``; each row is a violation (:mod:`graph.validate.gates`).
- Quarantine: the problems each quarantined record had when a build refused it; they stay
  violations until the record is fixed or removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graph.store.base import Store
from graph.validate.gates import gate_issues
from graph.validate.report import Issue, Report, sorted_issues
from graph.validate.shapes import shapes_graph

ENGINES = ("fast", "plain")


def quarantine_issues(store: Store) -> tuple[list[Issue], list[dict[str, str]]]:
    """The stored problems of quarantined records, and the list of those records."""
    from graph.validate.quarantine import quarantined

    issues: list[Issue] = []
    listing: list[dict[str, str]] = []
    for entry in quarantined(store):
        listing.append({"record": str(entry["record"]), "file": str(entry["file"])})
        problems = entry["problems"]
        assert isinstance(problems, list)
        issues.extend(Issue(**p) for p in problems)
    return issues, listing


def check_store(
    store: Store,
    *,
    extra_shapes: Sequence[Path] = (),
    only_quarantine: bool = False,
    engine: str = "fast",
    workers: int | None = None,
) -> tuple[Report, list[str]]:
    """The whole validation of a store: (report, the preferred ids of the trials checked)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    report = Report()
    q_issues, listing = quarantine_issues(store)
    report.quarantined = listing
    report.issues.extend(q_issues)
    if only_quarantine:
        trials = sorted({i.trial for i in q_issues})
        report.checked_trials = len(trials)
        return report, trials
    # the gates are queries the store answers on its own threads: they run while the shapes are
    # checked in Python (a quarter of a re-validation's time when they ran one after the other)
    pool = ThreadPoolExecutor(1, thread_name_prefix="qc-gates")
    gates = pool.submit(gate_issues, store)
    try:
        shapes = shapes_graph(extra_shapes)
        if engine == "fast":
            from graph.validate.fast.union import validate_store

            result = validate_store(store, shapes=shapes, workers=workers)
            shape_issues, trials = result.issues, result.trials
        else:
            shape_issues, trials = _plain(store, shapes)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    report.issues.extend(shape_issues)
    report.issues.extend(gates.result())
    report.issues = sorted_issues(report.issues)
    report.checked_trials = len(trials)
    return report, trials


def _plain(store: Store, shapes: object) -> tuple[list[Issue], list[str]]:
    """Plain pyshacl over the union of the source-record graphs (the reference engine)."""
    from graph.store.layout import asserted_graph_names
    from graph.validate.fast.index import owner_of
    from graph.validate.plain import validate_units_plain

    units = {str(n): store.graph(n) for n in asserted_graph_names(store)}
    issues = validate_units_plain(units, shapes)  # type: ignore[arg-type]
    trials = sorted({t for t in (owner_of(list(g))[0] for g in units.values()) if t})
    return issues, trials


def in_scope(report: Report, roots: Sequence[Path]) -> Report:
    """The part of ``report`` about records read from files under ``roots`` (compared as
    absolute paths; a zip member counts as its zip file), for ``validate --scope``: problems of
    other records, quarantined ones included, stay in the full report but do not decide the exit
    code.  A problem no record file owns is out of every scope."""
    resolved = [Path(root).resolve() for root in roots]

    def under(source: str) -> bool:
        if not source:
            return False
        path = Path(source.split("!", 1)[0]).resolve()
        return any(path == root or path.is_relative_to(root) for root in resolved)

    issues = [i for i in report.issues if under(i.source)]
    quarantined = [q for q in report.quarantined if under(q.get("file", ""))]
    return Report(issues=issues, checked_trials=report.checked_trials, quarantined=quarantined)
