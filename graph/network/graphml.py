"""The projection as GraphML, for Gephi and Cytoscape: attributes made to fit what GraphML can
hold, written by networkx (``trialgraph export --format graphml``, :func:`graph.export.export`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx


def graphml_safe(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attributes GraphML can hold: lists become ``"; "``-joined text and missing
    values are left out (GraphML has no null)."""
    out = nx.MultiDiGraph()
    for node, data in g.nodes(data=True):
        out.add_node(node, **_safe_attrs(data))
    for u, v, key, data in g.edges(keys=True, data=True):
        out.add_edge(u, v, key=key, **_safe_attrs(data))
    return out


def _safe_attrs(data: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    out: dict[str, str | int | float | bool] = {}
    for name, value in data.items():
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, list | tuple | set):
            out[name] = "; ".join(str(v) for v in value)
        elif isinstance(value, bool | int | float | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def graphml_bytes(g: nx.MultiDiGraph) -> bytes:
    """The projection as GraphML, UTF-8."""
    import io

    buf = io.BytesIO()
    nx.write_graphml(graphml_safe(g), buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def to_graphml(g: nx.MultiDiGraph, path: Path) -> Path:
    """Write the projection as GraphML (for Gephi and Cytoscape), atomically."""
    from graph.files import write_atomic

    return write_atomic(Path(path), graphml_bytes(g))
