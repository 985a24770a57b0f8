"""The Insights panel: the top shared sites, partner pairs and central organisations of the
drawn network (the analyses of :mod:`graph.network.sites` and :mod:`graph.network.organisations`),
each row pointing at the node a click focuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from graph.network.organisations import centrality, partners
from graph.network.sites import shared_sites

#: Rows in each list of the Insights panel.
INSIGHT_ROWS = 10


def insights(graph: nx.MultiDiGraph, shown_at: Mapping[str, int]) -> dict[str, list[list[Any]]]:
    """The Insights panel: the top shared sites, partner pairs and central organisations of the
    drawn network, each row with the index of the node that a click focuses.  Partner pairs with
    as many trials together come busiest first (the two organisations' trials added up), not
    alphabetically as ``trialgraph analyze partners`` lists them."""
    sites = shared_sites(graph)[:INSIGHT_ROWS]
    # among pairs with as many trials together, those of the busiest organisations first
    pairs = sorted(
        partners(graph),
        key=lambda r: (-r["trials"], -_trials_of(graph, r["organization"]) - _trials_of(graph, r["partner"])),
    )[:INSIGHT_ROWS]
    central = centrality(graph, "degree", "organization")[:INSIGHT_ROWS]
    return {
        "sites": [
            [shown_at[r["site"]], r["name"], ", ".join(str(p) for p in (r["city"], r["country"]) if p), r["trials"]]
            for r in sites
        ],
        "partners": [
            [shown_at[r["organization"]], r["name"], shown_at[r["partner"]], r["partner_name"], r["trials"]]
            for r in pairs
        ],
        "central": [[shown_at[r["node"]], r["name"], r["trials"], round(r["score"], 4)] for r in central],
    }


def _trials_of(graph: nx.MultiDiGraph, node: str) -> int:
    return int(graph.nodes[node].get("trials", 0))
