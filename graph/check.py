"""``trialgraph validate``: the SHACL shapes and the QC gate queries over a whole store, plus
the records that builds quarantined."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rdflib import Graph

from graph import queries, reason
from graph.build import asserted_data, quarantined
from graph.store import Store
from graph.validate import Issue, Report, shapes_graph, validate_graph


def gate_issues(store: Store) -> list[Issue]:
    """Rows of every ``queries/qc/*-violation.rq`` as violations."""
    out: list[Issue] = []
    for q in queries.gates():
        result = store.query(q.text)
        for row in result.rows:
            values = {v: "" if t is None else str(t) for v, t in zip(result.variables, row, strict=True)}
            focus = next(iter(values.values()), "")
            out.append(
                Issue(
                    severity="violation",
                    trial=values.get("trial", focus),
                    field=q.title,
                    value=", ".join(f"{k}={v}" for k, v in values.items()),
                    rule=q.name,
                    message=q.description,
                    focus=focus,
                )
            )
    return out


def quarantine_issues(store: Store) -> tuple[list[Issue], list[dict[str, str]]]:
    issues: list[Issue] = []
    listing: list[dict[str, str]] = []
    for entry in quarantined(store):
        listing.append({"record": str(entry["record"]), "file": str(entry["file"])})
        for p in entry["problems"]:  # type: ignore[union-attr]
            issues.append(Issue(**p))
    return issues, listing


def check_store(store: Store, *, extra_shapes: Sequence[Path] = (), only_quarantine: bool = False) -> tuple[Report, list[str]]:
    report = Report()
    q_issues, listing = quarantine_issues(store)
    report.quarantined = listing
    report.issues.extend(q_issues)
    if only_quarantine:
        return report, sorted({i.trial for i in q_issues})
    data: Graph = asserted_data(store)
    report.issues.extend(validate_graph(data, shapes_graph(extra_shapes), reason.ontology_graph()))
    report.issues.extend(gate_issues(store))
    from rdflib.namespace import DCTERMS

    trials = sorted({str(o) for o in data.objects(None, DCTERMS.identifier)})
    report.checked_trials = len(trials)
    return report, trials
