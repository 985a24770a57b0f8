"""Sites in the network: folded into their cities or countries (the view draws places, not
every site), and the sites several trials share (the analysis ``shared-sites``).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graph.errors import InputError
from graph.network.projection import Row, name_order, node_name, related_trials

#: Keys of the city nodes :func:`fold_sites` makes: view-only nodes, not IRIs of the graph.
CITY_PREFIX = "city:"


def fold_sites(g: nx.MultiDiGraph, level: str = "city") -> nx.MultiDiGraph:
    """A copy of the projection with every site folded into a place: its city (``level="city"``;
    a site with no city goes to its country) or its country (``level="country"``).

    A city is a node of kind ``city`` keyed ``city:<country>/<city>``, named "Lyon, FR", with
    ``sites`` (the names of its sites) and ``trials``; it is ``located in`` its country.  A trial
    links once to each place of its sites (relation ``site`` to a city, ``located in`` to a
    country), and a country records the names of the ``sites`` folded into it.  The copy's
    ``graph["folded"]`` maps each site to its place."""
    from graph.normalize.text import slug

    if level not in ("city", "country"):
        raise InputError(f"sites fold into a city or a country, not {level!r}")
    out = nx.MultiDiGraph()
    out.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if d.get("kind") != "site")
    place: dict[str, str] = {}
    for site, data in g.nodes(data=True):
        if data.get("kind") != "site":
            continue
        country = next((v for _s, v, rel in g.out_edges(site, data="relation") if rel == "located in"), None)
        city = data.get("city")
        if level == "city" and city:
            code = str(data.get("country") or "").upper()
            key = f"{CITY_PREFIX}{code.lower() or 'xx'}/{slug(str(city))}"
            if key not in out:
                out.add_node(key, kind="city", label=f"{city}, {code}" if code else str(city), sites=[], aliases=[])
                if code:
                    out.nodes[key]["country"] = code
                if country is not None:
                    out.add_edge(key, country, key="located in", relation="located in")
            place[site] = key
        elif country is not None:
            place[site] = country
        else:
            continue
        folded = out.nodes[place[site]]
        folded["sites"] = [*folded.get("sites", []), str(data.get("label", site))]
    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for u, v, key, data in g.edges(keys=True, data=True):
        if u in place or v in place:
            if data.get("relation") == "site" and v in place:
                relation = "site" if out.nodes[place[v]].get("kind") == "city" else "located in"
                edges.append((u, place[v], relation, {"relation": relation}))
            continue
        edges.append((u, v, key, dict(data)))
    out.add_edges_from(edges)
    for node, trials in related_trials(out).items():
        out.nodes[node]["trials"] = len(trials)
    out.graph["folded"] = place
    return out


def shared_sites(g: nx.MultiDiGraph, minimum: int = 2) -> list[Row]:
    """Sites that recruit for at least ``minimum`` trials of the network, most trials first."""
    rows = []
    for node, data in g.nodes(data=True):
        if data.get("kind") != "site":
            continue
        trials = _trials_linked(g, node)
        if trials >= minimum:
            rows.append(
                {
                    "site": node,
                    "name": node_name(g, node),
                    "city": data.get("city"),
                    "country": data.get("country"),
                    "trials": trials,
                }
            )
    return sorted(rows, key=lambda r: (-r["trials"], *name_order(g, r["site"])))


def _trials_linked(g: nx.MultiDiGraph, node: str) -> int:
    return sum(1 for u in g.predecessors(node) if g.nodes[u].get("kind") == "trial")
