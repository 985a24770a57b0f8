"""``trialgraph validate``: the SHACL shapes over the whole store, the QC gate queries, and the
records that builds quarantined, in one report.

- Shapes: :func:`graph.fastvalidate.validate_store` (``engine="fast"``, the default), or plain
  pyshacl over the union of the source-record graphs (``engine="plain"``, the reference; slow).
  Both give the same issues.
- Gates: every ``queries/qc/*-violation.rq``; each row is a violation.  A row with a ``?trial``
  is reported under that trial's preferred id and the files of its records.
- Quarantine: the problems each quarantined record had when a build refused it; they stay
  violations until the record is fixed or removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from rdflib import URIRef
from rdflib.term import Node

import graph.query.named as queries
from graph.sparql import internal_query, with_tokens
from graph.store.base import Store
from graph.validate import Finding, Issue, Report, attribute, shapes_graph, sorted_issues

ENGINES = ("fast", "plain")

def gate_rows(store: Store) -> list[tuple[queries.NamedQuery, dict[str, Node | None]]]:
    """Rows of every ``queries/qc/*-violation.rq`` (gates return no rows when the data is
    sound)."""
    out = []
    for q in queries.gates():
        result = store.query(q.text)
        for row in result.rows:
            out.append((q, dict(zip(result.variables, row, strict=True))))
    return out


def gate_issues(store: Store) -> list[Issue]:
    """Gate rows as violations, reported under every trial the row names (``?trial``,
    ``?other``...), or under its first value when it names none."""
    rows = gate_rows(store)
    iris = sorted({v for _q, r in rows for v in r.values() if isinstance(v, URIRef)})
    owners = trial_owners(store, iris)
    out: list[Issue] = []
    for q, values in rows:
        text = {k: "" if v is None else str(v) for k, v in values.items()}
        named = [v for v in values.values() if v in owners]
        finding = Finding(
            severity="violation",
            field=q.title,
            value=", ".join(f"{k}={v}" for k, v in text.items()),
            rule=q.name,
            message=q.description,
            focus=str(named[0]) if named else next(iter(text.values()), ""),
        )
        out.extend(attribute(finding, [o for trial in named for o in owners[trial]]))
    return out


def trial_owners(store: Store, trials: Sequence[URIRef]) -> dict[Node, list[tuple[str, str]]]:
    """(preferred id, source file) of each record of each trial."""
    out: dict[Node, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(trials), 500):
        batch = [t for t in trials[start : start + 500] if _safe_iri(t)]
        if not batch:
            continue
        result = store.query(with_tokens(internal_query("internal/trial-owners"), "trial", (t.n3() for t in batch)))
        for trial, ident, file in result.rows:
            assert trial is not None
            out[trial].append((str(ident) if ident is not None else str(trial), "" if file is None else str(file)))
    return out


def _safe_iri(iri: URIRef) -> bool:
    return not any(c in str(iri) for c in '<>"{}|^`\\ \n')


def quarantine_issues(store: Store) -> tuple[list[Issue], list[dict[str, str]]]:
    """The stored problems of quarantined records, and the list of those records."""
    from graph.quarantine import quarantined

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
    shapes = shapes_graph(extra_shapes)
    if engine == "fast":
        from graph.fastvalidate.union import validate_store

        result = validate_store(store, shapes=shapes, workers=workers)
        shape_issues, trials = result.issues, result.trials
    else:
        shape_issues, trials = _plain(store, shapes)
    report.issues.extend(shape_issues)
    report.issues.extend(gate_issues(store))
    report.issues = sorted_issues(report.issues)
    report.checked_trials = len(trials)
    return report, trials


def _plain(store: Store, shapes: object) -> tuple[list[Issue], list[str]]:
    """Plain pyshacl over the union of the source-record graphs (the reference engine)."""
    from graph.fastvalidate.index import owner_of
    from graph.store.layout import asserted_graph_names
    from graph.validate import validate_units_plain

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
