"""Which trial each record of a build belongs to, before its triples are written: the registry
ids the store already holds, the clusters of records that share an id, and the merge evidence
kept in each record's own graph (see :mod:`graph.resolve.merge`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib import RDF, RDFS, Literal, URIRef

import graph.rdf as rdf
import graph.resolve.identity as ids
import graph.resolve.merge as merge
import graph.store.ledger as ledger
from graph.model import Identifier, TrialRecord
from graph.namespace import TG
from graph.sparql import internal_query
from graph.store.base import Store
from graph.store.layout import is_record_graph

__all__ = ["assign_identity", "existing_identifiers"]


_ID_VALUE = ox.NamedNode(str(TG.idValue))
_IDENTIFIER = ox.NamedNode(str(TG.identifier))
_DCT_IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")


def existing_identifiers(store: Store, values: Iterable[str] | None = None) -> dict[str, str]:
    """Registry id value -> preferred id of the trial that already holds it in the store (of
    ``values`` only, when given).  A few values are looked up one by one by pattern; for more
    (as for :func:`graph.store.ledger.read`), one query over every id costs less, and a remote
    store answers it in one request."""
    wanted = None if values is None else list(dict.fromkeys(values))
    if wanted is None or len(wanted) > ledger.BY_NAME_AT_MOST:
        every = {str(v): str(p) for v, p in store.query(internal_query("internal/build-identifier-values")).rows}
        return every if wanted is None else {v: every[v] for v in wanted if v in every}
    db = store.reader()
    out: dict[str, str] = {}
    for value in wanted:
        for q in db.quads_for_pattern(None, _ID_VALUE, ox.Literal(value), None):
            if not is_record_graph(getattr(q.graph_name, "value", "")):
                continue
            for t in db.quads_for_pattern(None, _IDENTIFIER, q.subject, q.graph_name):
                for pref in db.quads_for_pattern(t.subject, _DCT_IDENTIFIER, None, q.graph_name):
                    out[value] = pref.object.value  # type: ignore[union-attr]
    return out


def assign_identity(
    records: Sequence[TrialRecord], existing: dict[str, str]
) -> tuple[dict[str, Identifier], dict[str, list[rdf.Triple]], list[str]]:
    """Preferred identifier per record key, the merge evidence of each record as triples (kept in
    the record's own graph, so it goes when the record goes), and the identity conflicts that were
    reported instead of merged (see :mod:`graph.resolve.merge`)."""
    result = merge.cluster(list(records), existing)
    preferred: dict[str, Identifier] = {}
    evidence: dict[str, list[rdf.Triple]] = {}
    for c in result.clusters:
        for key in c.keys:
            preferred[key] = c.preferred
        for ev in c.evidence:
            if ev.kind == "existing-id":
                # joining a stored trial depends on what earlier builds stored, not on the
                # records: keeping it would make re-imports differ.  The shared id shows it.
                continue
            source, _, record_id = ev.from_record.partition("/")
            key = ids.text_key(ev.to_record + " " + ev.id, 30)
            node = URIRef(f"{ids.record_graph(source, record_id)}/evidence/{ev.kind}/{key}")
            evidence.setdefault(ev.from_record, []).extend(
                [
                    (node, RDF.type, TG.MergeEvidence),
                    (node, TG.evidenceKind, Literal(ev.kind)),
                    (node, TG.mergedIdentifier, Literal(ev.id)),
                    (node, RDFS.comment, Literal(f"{ev.from_record} -> {ev.to_record}")),
                    (ids.trial_iri(c.preferred), TG.evidence, node),
                ]
            )
    return preferred, evidence, [c.message for c in result.conflicts]
