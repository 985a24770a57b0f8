"""The quarantine graph: what a build writes for a record that failed validation (its source,
id, file and problems, while its last good version stays published), and reading it back."""

from __future__ import annotations

import json
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef

import graph.resolve.identity as ids
from graph.constants import QUARANTINE_GRAPH
from graph.namespace import TG
from graph.store.base import Store
from graph.validate.report import Issue

__all__ = ["quarantine_triples", "quarantined", "update_quarantine"]


def quarantine_triples(key: str, source_file: str, problems: list[Issue]) -> Graph:
    g = Graph()
    source, _, record_id = key.partition("/")
    node = URIRef(f"{QUARANTINE_GRAPH}/{source}/{ids.record_graph(source, record_id).rsplit('/', 1)[-1]}")
    g.add((node, RDF.type, TG.QuarantinedRecord))
    g.add((node, TG.sourceKind, Literal(source)))
    g.add((node, TG.recordId, Literal(record_id)))
    g.add((node, TG.quarantinedFrom, Literal(source_file)))
    for issue in problems:
        g.add((node, TG.problem, Literal(json.dumps(issue.as_dict(), sort_keys=True))))
    return g


def quarantined(store: Store) -> list[dict[str, Any]]:
    """Quarantined records with their problems, as stored by the last builds."""
    g = store.graph(URIRef(QUARANTINE_GRAPH))
    out = []
    for node in sorted(g.subjects(RDF.type, TG.QuarantinedRecord), key=str):
        out.append(
            {
                "record": f"{g.value(node, TG.sourceKind)}/{g.value(node, TG.recordId)}",
                "file": str(g.value(node, TG.quarantinedFrom)),
                "problems": [json.loads(str(p)) for p in sorted(g.objects(node, TG.problem), key=str)],
            }
        )
    return out


def update_quarantine(store: Store, w: object, new: dict[str, Graph], cleared: set[str]) -> None:
    """Quarantine entries: add this build's, drop those whose record now loads cleanly."""
    current = store.graph(URIRef(QUARANTINE_GRAPH))
    keep = Graph()
    for s, p, o in current:
        src = current.value(s, TG.sourceKind)
        rid = current.value(s, TG.recordId)
        key = f"{src}/{rid}"
        if key in cleared or key in new:
            continue
        keep.add((s, p, o))
    for g in new.values():
        keep += g
    w.replace_graph(URIRef(QUARANTINE_GRAPH), keep)  # type: ignore[attr-defined]
