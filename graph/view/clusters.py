"""The aggregated first picture of a large network: sites folded into cities (or countries), and
each community of the trial-organisation network drawn as one cluster node, packed apart from the
others, that opens in place; with the legend of the coloured communities."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from graph.network.sites import fold_sites
from graph.view.layout import pack_circles
from graph.view.styles import COMMUNITY_COLORS, community_color, node_size, short_label

#: Sites fold into cities, unless that makes more cities than this: then into countries.
CITY_LIMIT = 2000


#: In an aggregated view, only the largest clusters carry a permanent label (all keep a tooltip):
#: at most this many ...
LABELLED_CLUSTERS = 12
#: ... of at least this many trials.
LABEL_MIN_TRIALS = 3


def folded(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Sites folded into cities, or into countries when the cities would be too many."""
    cities = fold_sites(graph, "city")
    if sum(1 for _n, k in cities.nodes(data="kind") if k == "city") <= CITY_LIMIT:
        return cities
    return fold_sites(graph, "country")


def community_legend(graph: nx.MultiDiGraph, groups: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The coloured communities (the largest), each named after its organisation with the most
    trials, with its numbers of trials and organisations."""
    out = []
    for number, members in enumerate(groups[: len(COMMUNITY_COLORS)], start=1):
        if len(members) < 2:
            break
        out.append({"number": number, "color": community_color(number), **_community_summary(graph, members)})
    return out


def _community_summary(graph: nx.MultiDiGraph, members: Sequence[str]) -> dict[str, Any]:
    orgs = [n for n in members if graph.nodes[n].get("kind") == "organization"]
    trials = [n for n in members if graph.nodes[n].get("kind") == "trial"]
    lead = sorted(orgs, key=lambda n: (-int(graph.nodes[n].get("trials", 0)), str(graph.nodes[n]["label"]).casefold()))
    first = lead[0] if lead else min(members, key=lambda n: str(graph.nodes[n].get("label")))
    name = str(graph.nodes[first].get("label"))
    return {
        "name": name + (f" and {len(orgs) - 1} more" if len(orgs) > 1 else ""),
        "lead": name,
        "trials": len(trials),
        "organizations": len(orgs),
        "leading": [str(graph.nodes[n]["label"]) for n in lead[:5]],
    }


def cluster_nodes(
    graph: nx.MultiDiGraph,
    order: Sequence[str],
    community: Mapping[str, int],
    positions: list[tuple[float, float]],
    count: int,
) -> list[dict[str, Any]]:
    """The clusters of the aggregated first picture: every community of two members or more
    (countries stay apart, as landmarks), about as wide as its members spread, first put at the
    centre of its members in the layout of the whole network.  The clusters and the nodes drawn
    beside them are then packed apart (:func:`pack_circles`), and each cluster's members move
    with it (``positions`` is updated), so that it still opens in place.  Only the
    :data:`LABELLED_CLUSTERS` largest clusters of :data:`LABEL_MIN_TRIALS` trials or more carry a
    permanent label; every cluster keeps its ``name`` for the tooltip."""
    members: list[list[int]] = [[] for _ in range(count + 1)]
    for i, node in enumerate(order):
        if graph.nodes[node].get("kind") != "country":
            members[community.get(node, 0)].append(i)
    out = []
    for number in range(1, count + 1):
        group = members[number]
        if len(group) < 2:
            continue
        summary = _community_summary(graph, [order[i] for i in group])
        x = sum(positions[i][0] for i in group) / len(group)
        y = sum(positions[i][1] for i in group) / len(group)
        spread = math.sqrt(sum((positions[i][0] - x) ** 2 + (positions[i][1] - y) ** 2 for i in group) / len(group))
        out.append(
            {
                "community": number,
                "color": community_color(number),
                "label": "",
                "caption": short_label(summary["lead"]) + f" ({_count(summary['trials'], 'trial')})",
                "name": summary["name"],
                "trials": summary["trials"],
                "organizations": summary["organizations"],
                "leading": summary["leading"],
                "members": group,
                # about as wide as its members spread once opened
                "size": round(min(600.0, max(30.0, 0.6 * spread)), 1),
                "x": round(x, 1),
                "y": round(y, 1),
            }
        )
    _spread(graph, order, out, positions)
    ranked = sorted(out, key=lambda c: (-c["trials"], c["community"]))
    for c in ranked[:LABELLED_CLUSTERS]:
        if c["trials"] >= LABEL_MIN_TRIALS:
            c["label"] = c["caption"]
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _spread(
    graph: nx.MultiDiGraph, order: Sequence[str], clusters: list[dict[str, Any]], positions: list[tuple[float, float]]
) -> None:
    """Pack the clusters and the nodes drawn beside them (countries, nodes of no cluster) so that
    none overlaps another; members move with their cluster."""
    clustered = {i for c in clusters for i in c["members"]}
    free = [i for i in range(len(order)) if i not in clustered]
    circles = [(c["x"], c["y"], c["size"]) for c in clusters]
    circles += [(positions[i][0], positions[i][1], node_size(graph.nodes[order[i]])) for i in free]
    placed = pack_circles(circles)
    for c, (x, y) in zip(clusters, placed, strict=False):
        dx, dy = x - c["x"], y - c["y"]
        c["x"], c["y"] = round(x, 1), round(y, 1)
        for i in c["members"]:
            positions[i] = (round(positions[i][0] + dx, 1), round(positions[i][1] + dy, 1))
    for i, (x, y) in zip(free, placed[len(clusters) :], strict=True):
        positions[i] = (round(x, 1), round(y, 1))
