"""The QC gates: every ``queries/qc/*-violation.rq`` run over the store, each row a violation.
A row with a ``?trial`` (or any other variable bound to a trial) is reported under that trial's
preferred id and the files of its records; a new gate is one query file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rdflib import URIRef
from rdflib.term import Node

import graph.query.named as queries
from graph.sparql import internal_query, safe_iri, with_tokens
from graph.store.base import Store
from graph.validate.report import Finding, Issue, attribute


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
        batch = [t for t in trials[start : start + 500] if safe_iri(str(t))]
        if not batch:
            continue
        result = store.query(with_tokens(internal_query("internal/trial-owners"), "trial", (t.n3() for t in batch)))
        for trial, ident, file in result.rows:
            assert trial is not None
            out[trial].append((str(ident) if ident is not None else str(trial), "" if file is None else str(file)))
    return out
