"""The data the page draws, from a projection (:func:`graph.network.projection.project`): nodes and edges
for vis-network (built with pyvis), the facts of each node, the legend, the filter choices, the
insights, the communities and, for a large network, the clusters.

Small graphs get a Python layout as a starting point and vis-network's physics to settle it;
physics stops once stabilised.  Above :data:`PHYSICS_THRESHOLD` nodes the layout is computed in
Python and physics is off, so the page is interactive as soon as it is drawn.  Above
:data:`AGGREGATE_THRESHOLD` nodes the view opens aggregated (:mod:`graph.view.clusters`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from graph.network.organisations import node_communities, partition
from graph.network.projection import KINDS, RELATIONS, related_trials
from graph.view.clusters import cluster_nodes, community_legend, folded
from graph.view.facts import node_info, phase_choices, status_choices
from graph.view.insights import insights
from graph.view.layout import layout
from graph.view.styles import (
    KIND_SINGULAR,
    KIND_STYLES,
    RELATION_STYLES,
    SIZE_NOTE,
    node_color,
    node_size,
    short_label,
)

PHYSICS_THRESHOLD = 1500
#: Networks with more nodes than this open aggregated (sites folded, communities as clusters).
AGGREGATE_THRESHOLD = 3000


def view_data(graph: nx.MultiDiGraph, *, title: str, physics: bool, aggregate: bool = False) -> dict[str, Any]:
    """Nodes and edges for vis-network (built with pyvis), the facts each node shows, the legend,
    the filter choices, the insights, the communities and (``aggregate``) the clusters."""
    from pyvis.network import Network

    groups = partition(graph)
    drawn = folded(graph) if aggregate else graph
    order = sorted(
        drawn.nodes, key=lambda n: (_kind_rank(drawn.nodes[n].get("kind")), str(drawn.nodes[n].get("label")), n)
    )
    index = {node: i for i, node in enumerate(order)}
    related = related_trials(drawn)
    community = node_communities(drawn, groups, related)
    positions = layout(drawn, order, large=not physics)
    clusters = cluster_nodes(drawn, order, community, positions, len(groups)) if aggregate else None
    shown_at = dict(index)
    if aggregate:  # a folded site is found at its place
        for site, place in drawn.graph["folded"].items():
            shown_at[site] = index[place]
    graph, full = drawn, graph

    net = Network(height="100%", width="100%", directed=True, heading="", cdn_resources="in_line")
    # pyvis's add_node/add_edge scan every node and edge already added (quadratic at 10,000
    # nodes): fill its lists directly, in the shape add_node and add_edge would give them.
    net.nodes = [_vis_node(graph.nodes[n], i, positions[i]) for i, n in enumerate(order)]
    for i in _context_conditions(graph, order):
        net.nodes[i]["font"] = {"size": 12, "color": "#6b7280"}
    net.node_ids = list(range(len(order)))
    net.node_map = {node["id"]: node for node in net.nodes}
    rel_index = {r: i for i, r in enumerate(RELATIONS)}
    # Links travel compact ([from, to, relation, role]); the page gives them their style from
    # the relation (vis-network objects cost 80 bytes a link: 7 MB at 5,000 studies).
    edges = [
        _edge(index[u], index[v], data, rel_index)
        for u, v, data in sorted(graph.edges(data=True), key=lambda e: (index[e[0]], index[e[1]], e[2]["relation"]))
    ]
    _configure(net, physics=physics, size=len(order))
    nodes, _edges, _heading, _height, _width, options = net.get_network_data()

    info = [node_info(graph, n, index, related) for n in order]
    for i, node in enumerate(order):
        info[i]["community"] = community.get(node, 0)
    kinds = Counter(graph.nodes[n].get("kind") for n in order)
    relations = Counter(data["relation"] for _u, _v, data in graph.edges(data=True))
    trials = [n for n in order if graph.nodes[n].get("kind") == "trial"]
    return {
        "title": title,
        "physics": physics,
        "options": json.loads(options),
        "nodes": nodes,
        "edges": edges,
        "info": info,
        "insights": insights(full, shown_at),
        "communities": community_legend(full, groups),
        "clusters": clusters,
        "sizeNote": SIZE_NOTE,
        "kinds": [
            {
                "key": k,
                "label": s.label,
                "color": s.color,
                "border": s.border,
                "shape": s.shape,
                "size": s.size,
                "count": kinds.get(k, 0),
            }
            for k, s in KIND_STYLES.items()
            if kinds.get(k)
        ],
        "kindLabels": {k: KIND_SINGULAR[k] for k in KINDS},
        "relations": [
            {
                "key": r,
                "label": r,
                "color": RELATION_STYLES[r][0],
                "width": RELATION_STYLES[r][1],
                "dashed": RELATION_STYLES[r][2],
                "count": relations.get(r, 0),
            }
            for r in RELATIONS
        ],
        "statuses": status_choices(graph, trials),
        "phases": phase_choices(graph, trials),
        "countries": [index[n] for n in order if graph.nodes[n].get("kind") == "country"],
        "conditions": sorted(
            (index[n] for n in order if graph.nodes[n].get("kind") == "condition"),
            key=lambda i: str(graph.nodes[order[i]].get("label")).casefold(),
        ),
    }


def _context_conditions(graph: nx.MultiDiGraph, order: Sequence[str]) -> list[int]:
    """Conditions no trial studies directly (MeSH ancestors, there to connect): smaller labels."""
    studied = {v for _u, v, rel in graph.edges(data="relation") if rel == "condition"}
    return [i for i, n in enumerate(order) if graph.nodes[n].get("kind") == "condition" and n not in studied]


def _kind_rank(kind: object) -> int:
    return KINDS.index(str(kind)) if kind in KINDS else len(KINDS)


def _vis_node(data: Mapping[str, Any], i: int, pos: tuple[float, float] | None) -> dict[str, Any]:
    kind = str(data.get("kind"))
    node: dict[str, Any] = {
        "id": i,
        "label": short_label(str(data.get("label", ""))),
        "group": kind,
        "size": node_size(data),
    }
    if pos is not None:
        node["x"], node["y"] = pos
    return node


def _edge(u: int, v: int, data: Mapping[str, Any], rel_index: Mapping[str, int]) -> list[Any]:
    """``[from, to, relation index]``, and the role's label for a consortium role."""
    edge: list[Any] = [u, v, rel_index[str(data["relation"])]]
    if data.get("role_label"):
        edge.append(str(data["role_label"]))
    return edge


def _configure(net: Any, *, physics: bool, size: int) -> None:
    """vis-network options: physics (when on) stops after stabilisation, straight edges (curved
    ones cost a hidden node each), labels drawn only when readable, no automatic re-layout."""
    net.force_atlas_2based(
        gravity=-90, central_gravity=0.015, spring_length=85, spring_strength=0.05, damping=0.5, overlap=1
    )
    net.toggle_physics(physics)
    net.toggle_stabilization(physics)
    net.toggle_hide_edges_on_drag(size > PHYSICS_THRESHOLD)
    options = json.loads(net.options.to_json())
    options["physics"]["stabilization"].update({"iterations": 600, "updateInterval": 100, "fit": True})
    options["physics"]["minVelocity"] = 1.0
    options["edges"] = {"smooth": False, "color": {"inherit": False}, "selectionWidth": 1.5, "hoverWidth": 0.5}
    options["nodes"] = {
        # a border costs a canvas stroke per node and drawing: left out on large networks
        "borderWidth": 0 if size > PHYSICS_THRESHOLD else 1.5,
        "borderWidthSelected": 3,
        "font": {
            "size": 16,
            "color": "#1d2430",
            "strokeWidth": 4,
            "strokeColor": "#ffffff",
            "face": "system-ui, sans-serif",
        },
        "scaling": {"label": {"drawThreshold": 7}},
    }
    options["layout"] = {"improvedLayout": False, "randomSeed": 7}
    # Styles by kind live in groups: vis-network copies a node's own options for every node,
    # and 10,000 copies of the same colours cost seconds.
    options["groups"] = {
        kind: {
            "shape": style.shape,
            "color": node_color(style.color, style.border),
        }
        for kind, style in KIND_STYLES.items()
    }
    # trials and organisations are the landmarks: their names stay readable when zoomed out
    options["groups"]["trial"]["font"] = {"size": 22, "color": "#0b2540"}
    options["groups"]["organization"]["font"] = {"size": 17}
    options["interaction"].update(
        {"hover": True, "tooltipDelay": 150, "hideEdgesOnZoom": size > PHYSICS_THRESHOLD, "navigationButtons": False}
    )
    net.options = options
