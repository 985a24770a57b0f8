"""The store written in one of the export formats registered in :mod:`graph.export_formats`:
an RDF format by the store's own dump, the network format (GraphML, for Gephi and Cytoscape) from
the projection of the view, with centrality scores and community numbers as node attributes."""

from __future__ import annotations

from graph.export_formats import export_format
from graph.network.graphml import graphml_bytes
from graph.network.organisations import annotate
from graph.network.projection import project
from graph.store.base import Store


def export(store: Store, name: str) -> bytes:
    """``store`` in the export format registered as ``name`` (an unknown name is a
    :class:`graph.errors.StoreError` that lists the known ones)."""
    if export_format(name).network:
        return graphml_bytes(annotate(project(store)))
    return store.dump(name)
