"""The analysis ``path``: the shortest chain of links between two nodes of the projection, and
how each link reads in either direction.
"""

from __future__ import annotations

import networkx as nx

from graph.errors import InputError
from graph.network.projection import Row, find_nodes, node_name


def path(g: nx.MultiDiGraph, source: str, target: str) -> list[Row]:
    """The shortest chain of links (followed either way) from ``source`` to ``target``: each a
    registry id of a trial, or the name or IRI of any other node.  One row per step; the
    ``relation`` of a step is the link from the step before (``condition``), or to it
    (``condition of``).  No rows when the two are not connected."""
    start, end = endpoint(g, source, "--from"), endpoint(g, target, "--to")
    simple = nx.Graph()
    simple.add_nodes_from(sorted(g))
    simple.add_edges_from(sorted((u, v) if u <= v else (v, u) for u, v in g.edges() if u != v))
    try:
        steps = nx.shortest_path(simple, start, end)
    except nx.NetworkXNoPath:
        return []
    rows = []
    for i, node in enumerate(steps):
        relation = _relation(g, steps[i - 1], node) if i else ""
        rows.append(
            {"step": i, "node": node, "name": node_name(g, node), "kind": g.nodes[node]["kind"], "relation": relation}
        )
    return rows


def endpoint(g: nx.MultiDiGraph, text: str, option: str) -> str:
    """The one node ``text`` names; several or none is an error."""
    try:
        found = find_nodes(g, text)
    except InputError as exc:
        raise InputError(f"{option}: {exc.message}", hint=exc.hint) from None
    if len(found) > 1:
        shown = "; ".join(f"{_singular(g.nodes[n]['kind'])} {n}" for n in found)
        raise InputError(
            f"{option}: {text!r} names {len(found)} nodes: {shown}", hint="give the IRI of the one you mean"
        )
    return found[0]


def _singular(kind: object) -> str:
    return {"organization": "organisation"}.get(str(kind), str(kind))


#: How a link reads when a path follows it backwards (from the country to the site in it).
INVERSE_RELATIONS = {
    "lead sponsor": "lead sponsor of",
    "collaborator": "collaborator in",
    "funder": "funder of",
    "partner": "partner in",
    "site": "site of",
    "condition": "condition of",
    "intervention": "intervention of",
    "located in": "location of",
    "broader": "narrower",
}


def _relation(g: nx.MultiDiGraph, before: str, node: str) -> str:
    """The links from ``before`` to ``node`` (``condition``: node is a condition of before), then
    those from ``node`` to ``before`` read backwards (``condition of``)."""
    forward = sorted({str(d["relation"]) for d in g.get_edge_data(before, node, default={}).values()})
    backward = sorted(
        {
            INVERSE_RELATIONS.get(str(d["relation"]), str(d["relation"]))
            for d in g.get_edge_data(node, before, default={}).values()
        }
    )
    return ", ".join(forward + backward)
