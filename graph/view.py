"""The interactive HTML view: one self-contained UTF-8 file, drawn by vis-network.

pyvis holds the nodes, the edges and the vis-network options; the page is our own Jinja template
(``graph/templates/view.html.j2``, autoescaped) because pyvis's templates fetch scripts from
CDNs and do not escape the heading.  The vis-network script is read from the pyvis package and
inlined, so the page loads nothing from the network; a Content-Security-Policy with the hashes of
the two inline scripts makes sure it cannot.

Registry text is data: it travels as JSON in a ``<script type="application/json">`` block, with
``<``, ``>`` and ``&`` escaped, and the page's script renders it with ``textContent``.

Small graphs get a Python layout as a starting point and vis-network's physics to settle it;
physics stops once stabilised.  Above :data:`PHYSICS_THRESHOLD` nodes the layout is computed in
Python (igraph's grid Fruchterman-Reingold, linear per iteration) and physics is off, so the page
is interactive as soon as it is drawn.

Above :data:`AGGREGATE_THRESHOLD` nodes the view opens aggregated: sites are folded into their
city (or their country, when there are more than :data:`CITY_LIMIT` cities), and each community
of the trial-organisation network (:func:`graph.analytics.partition`) is drawn as one cluster
node, linked to the clusters and countries it shares links with.  A click opens a cluster: its
members appear where the layout of the whole network put them.

Every page carries an Insights panel (the top shared sites, partners and central organisations
of the drawn network, from :mod:`graph.analytics`) and can colour the nodes by community.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

import graph.analytics as analytics
from graph.errors import InputError
from graph.files import write_atomic
from graph.network import KINDS, RELATIONS, fold_sites, project, related_trials
from graph.store import Store
from graph.view_layout import layout, pack_circles

PHYSICS_THRESHOLD = 1500
#: Networks with more nodes than this open aggregated (sites folded, communities as clusters).
AGGREGATE_THRESHOLD = 3000
#: Sites fold into cities, unless that makes more cities than this: then into countries.
CITY_LIMIT = 2000
#: Rows in each list of the Insights panel.
INSIGHT_ROWS = 10
TEMPLATE = "view.html.j2"
STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LABEL_LENGTH = 32
#: In an aggregated view, only the largest clusters carry a permanent label (all keep a tooltip):
#: at most this many ...
LABELLED_CLUSTERS = 12
#: ... of at least this many trials.
LABEL_MIN_TRIALS = 3


@dataclass(frozen=True)
class KindStyle:
    label: str
    color: str
    border: str
    shape: str
    #: what the size of a node of this kind tells, for the legend
    size: str


#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), one shape each.
KIND_STYLES = {
    "trial": KindStyle("Trials", "#0072B2", "#00446b", "dot", "size: target enrolment"),
    "organization": KindStyle("Organisations", "#E69F00", "#8f6300", "diamond", "size: number of its trials"),
    "site": KindStyle("Sites", "#009E73", "#005e45", "square", "size: number of its trials"),
    "city": KindStyle("Cities (sites folded)", "#009E73", "#005e45", "square", "size: trials at its sites"),
    "condition": KindStyle(
        "Conditions", "#CC79A7", "#8a4a6e", "triangle", "size: trials of it or of a narrower condition"
    ),
    "intervention": KindStyle("Interventions", "#D55E00", "#853b00", "star", "size: number of its trials"),
    "country": KindStyle("Countries", "#8C8C8C", "#555555", "hexagon", "size: trials that recruit there"),
}
KIND_SINGULAR = {
    "trial": "trial",
    "organization": "organisation",
    "site": "site",
    "city": "city",
    "condition": "condition",
    "intervention": "intervention",
    "country": "country",
}
#: How the size of a node reads, in the legend: smallest and largest circles and their meaning.
SIZE_NOTE = "Larger means more, on a log scale: 1 trial is the smallest, 100 trials or more the largest."

#: Community colours (Tableau 10): the ten largest communities; the others are grey.
COMMUNITY_COLORS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
OTHER_COMMUNITY_COLOR = "#d3d7dc"

#: The status filter's groups: the registers' coarser statuses of the vocabulary, and the
#: wordings outside it.
COARSE = "coarse"
WORDING = "wording"

#: Edge colour, width and dashes per relation.
RELATION_STYLES: dict[str, tuple[str, float, bool]] = {
    "lead sponsor": ("#b87f00", 2.5, False),
    "collaborator": ("#e0b355", 1.5, False),
    "funder": ("#6a51a3", 1.5, False),
    "partner": ("#e0b355", 1.5, False),
    "site": ("#7fc4ac", 1.0, False),
    "condition": ("#dcaac6", 1.0, False),
    "intervention": ("#e9a57f", 1.0, False),
    "located in": ("#bdbdbd", 1.0, False),
    "broader": ("#dcaac6", 1.0, True),
}


# -- public API -----------------------------------------------------------------------------------


def write_view(
    store: Store,
    output: Path,
    *,
    focus: str | None = None,
    depth: int = 1,
    query: str | None = None,
    params: dict[str, str] | None = None,
    title: str | None = None,
    png: Path | None = None,
) -> Path:
    """Write the view of the store (or of a focus or query, see :func:`graph.network.project`)
    to ``output``, atomically.  With ``png``, also a snapshot rendered by headless Chromium."""
    graph = project(store, focus=focus, depth=depth, query=query, params=params)
    heading = title or _default_title(focus, depth, query, params)
    html = render_html(graph, title=heading)
    path = write_atomic(Path(output), html.encode("utf-8"))
    if png is not None:
        snapshot(path, Path(png))
    return path


def render_html(
    graph: nx.MultiDiGraph,
    *,
    title: str = "trialgraph",
    physics_threshold: int = PHYSICS_THRESHOLD,
    aggregate_threshold: int = AGGREGATE_THRESHOLD,
) -> str:
    """The page for a projection, as text.  Above ``aggregate_threshold`` nodes it opens
    aggregated; above ``physics_threshold`` the layout comes from Python alone."""
    import jinja2
    from markupsafe import Markup

    aggregate = graph.number_of_nodes() > aggregate_threshold
    physics = not aggregate and graph.number_of_nodes() <= physics_threshold
    payload = view_data(graph, title=title, physics=physics, aggregate=aggregate)
    vis_js = _vis_script()
    app_js = (STATIC_DIR / "view.js").read_text(encoding="utf-8")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template(TEMPLATE)
    return template.render(
        title=title,
        csp=_csp(vis_js, app_js),
        css=Markup((STATIC_DIR / "view.css").read_text(encoding="utf-8")),
        data_json=Markup(script_json(payload)),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
    )


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: ``<``, ``>`` and ``&`` are written as
    ``\\u003c``, ``\\u003e``, ``\\u0026``, so no text can close the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# -- the data the page draws ----------------------------------------------------------------------


def view_data(graph: nx.MultiDiGraph, *, title: str, physics: bool, aggregate: bool = False) -> dict[str, Any]:
    """Nodes and edges for vis-network (built with pyvis), the facts each node shows, the legend,
    the filter choices, the insights, the communities and (``aggregate``) the clusters."""
    from pyvis.network import Network

    groups = analytics.partition(graph)
    drawn = _folded(graph) if aggregate else graph
    order = sorted(
        drawn.nodes, key=lambda n: (_kind_rank(drawn.nodes[n].get("kind")), str(drawn.nodes[n].get("label")), n)
    )
    index = {node: i for i, node in enumerate(order)}
    related = related_trials(drawn)
    community = analytics.node_communities(drawn, groups, related)
    positions = layout(drawn, order, large=not physics)
    clusters = _clusters(drawn, order, community, positions, len(groups)) if aggregate else None
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

    info = [_node_info(graph, n, index, related) for n in order]
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
        "communities": _community_legend(full, groups),
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
        "phases": _phase_choices(graph, trials),
        "countries": [index[n] for n in order if graph.nodes[n].get("kind") == "country"],
        "conditions": sorted(
            (index[n] for n in order if graph.nodes[n].get("kind") == "condition"),
            key=lambda i: str(graph.nodes[order[i]].get("label")).casefold(),
        ),
    }


def _folded(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Sites folded into cities, or into countries when the cities would be too many."""
    cities = fold_sites(graph, "city")
    if sum(1 for _n, k in cities.nodes(data="kind") if k == "city") <= CITY_LIMIT:
        return cities
    return fold_sites(graph, "country")


def insights(graph: nx.MultiDiGraph, shown_at: Mapping[str, int]) -> dict[str, list[list[Any]]]:
    """The Insights panel: the top shared sites, partner pairs and central organisations of the
    drawn network, each row with the index of the node that a click focuses.  Partner pairs with
    as many trials together come busiest first (the two organisations' trials added up), not
    alphabetically as ``trialgraph analyze partners`` lists them."""
    sites = analytics.shared_sites(graph)[:INSIGHT_ROWS]
    # among pairs with as many trials together, those of the busiest organisations first
    pairs = sorted(
        analytics.partners(graph),
        key=lambda r: (-r["trials"], -_trials_of(graph, r["organization"]) - _trials_of(graph, r["partner"])),
    )[:INSIGHT_ROWS]
    central = analytics.centrality(graph, "degree", "organization")[:INSIGHT_ROWS]
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


def community_color(number: int) -> str:
    return COMMUNITY_COLORS[number - 1] if 1 <= number <= len(COMMUNITY_COLORS) else OTHER_COMMUNITY_COLOR


def _community_legend(graph: nx.MultiDiGraph, groups: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
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


def _clusters(
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
                "caption": _short(summary["lead"]) + f" ({_count(summary['trials'], 'trial')})",
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
    circles += [(positions[i][0], positions[i][1], _size(graph.nodes[order[i]])) for i in free]
    placed = pack_circles(circles)
    for c, (x, y) in zip(clusters, placed, strict=False):
        dx, dy = x - c["x"], y - c["y"]
        c["x"], c["y"] = round(x, 1), round(y, 1)
        for i in c["members"]:
            positions[i] = (round(positions[i][0] + dx, 1), round(positions[i][1] + dy, 1))
    for i, (x, y) in zip(free, placed[len(clusters) :], strict=True):
        positions[i] = (round(x, 1), round(y, 1))


def _context_conditions(graph: nx.MultiDiGraph, order: Sequence[str]) -> list[int]:
    """Conditions no trial studies directly (MeSH ancestors, there to connect): smaller labels."""
    studied = {v for _u, v, rel in graph.edges(data="relation") if rel == "condition"}
    return [i for i, n in enumerate(order) if graph.nodes[n].get("kind") == "condition" and n not in studied]


def _kind_rank(kind: object) -> int:
    return KINDS.index(str(kind)) if kind in KINDS else len(KINDS)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


def _size(data: Mapping[str, Any]) -> float:
    """Trials by enrolment, the others by their number of trials, on a log scale so that one
    1,000-site trial does not dwarf the rest."""
    if data.get("kind") == "trial":
        enrollment = data.get("enrollment")
        return 14.0 if enrollment is None else round(min(40.0, 10.0 + 2.5 * math.log2(1 + max(0, int(enrollment)))), 1)
    return round(min(36.0, 8.0 + 5.0 * math.log2(max(1, int(data.get("trials", 1))))), 1)


def _vis_node(data: Mapping[str, Any], i: int, pos: tuple[float, float] | None) -> dict[str, Any]:
    kind = str(data.get("kind"))
    node: dict[str, Any] = {"id": i, "label": _short(str(data.get("label", ""))), "group": kind, "size": _size(data)}
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
            "color": _node_color(style.color, style.border),
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


def _node_color(fill: str, border: str) -> dict[str, Any]:
    return {
        "background": fill,
        "border": border,
        "highlight": {"background": fill, "border": "#111111"},
        "hover": {"background": fill, "border": "#111111"},
    }


def _node_info(
    graph: nx.MultiDiGraph, node: str, index: Mapping[str, int], related: Mapping[str, set[str]]
) -> dict[str, Any]:
    data = graph.nodes[node]
    kind = str(data.get("kind"))
    info: dict[str, Any] = {
        "iri": node,
        "kind": kind,
        "name": str(data.get("label", "")),
        "ids": [str(i) for i in data.get("ids", ())],
        "aliases": [str(a) for a in data.get("aliases", ())],
        "facts": _facts(data),
    }
    if kind == "trial":
        info["status"] = status_key(data)
        info["phases"] = str(data["phase"]).split("/") if data.get("phase") else []
        url = data.get("registry_url")
        if isinstance(url, str) and url.startswith("https://"):
            info["url"] = url
    else:
        info["trials"] = sorted(index[t] for t in related.get(node, ()) if t in index)
    return info


def _status_fact(data: Mapping[str, Any]) -> str | None:
    """The API v2 status, with the registry's own wording beside it when a source gave one."""
    label, wording = data.get("status_label"), data.get("status_text")
    if label and wording:
        return f"{label} (a registry says: {wording})"
    if wording:
        return f"{wording} (the registry's wording; no status of the vocabulary)"
    return str(label) if label else None


def _sites_fact(sites: Sequence[str] | None, shown: int = 12) -> str | None:
    if not sites:
        return None
    names = sorted(set(sites), key=str.casefold)
    more = f"; and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)}: " + "; ".join(names[:shown]) + more


def _facts(data: Mapping[str, Any]) -> list[list[str]]:
    """(label, text) pairs for the side panel and the tooltip, in reading order."""
    kind = data.get("kind")
    rows: list[tuple[str, Any]]
    if kind == "trial":
        rows = [
            ("Registry ids", ", ".join(data.get("ids", ()))),
            ("Title", data.get("title")),
            ("Status", _status_fact(data)),
            ("Phase", data.get("phase_label")),
            ("Enrolment", data.get("enrollment")),
            ("Start", data.get("start")),
            ("Completion", data.get("completion")),
        ]
    else:
        rows = [
            ("Trials", data.get("trials")),
            ("Sites", _sites_fact(data.get("sites"))),
            ("Type", data.get("intervention_type")),
            ("City", data.get("city")),
            ("Country", data.get("country")),
            ("MeSH", data.get("mesh")),
            ("Other names", ", ".join(data.get("aliases", ()))),
        ]
    return [[name, str(value)] for name, value in rows if value is not None and value != ""]


def status_key(data: Mapping[str, Any]) -> str:
    """The status filter entry of a trial: its status of the vocabulary (an API v2 status, or a
    register's coarser one); else ``wording:`` and the registry's own wording; else ``(none)``."""
    if data.get("status"):
        return str(data["status"])
    if data.get("status_text"):
        return f"{WORDING}:{data['status_text']}"
    return "(none)"


def status_choices(graph: nx.MultiDiGraph, trials: Sequence[str]) -> list[list[Any]]:
    """The status filter, one vocabulary: ``[key, label, count, group]`` for each API v2 status
    (by label); then the registers' coarser statuses of the vocabulary (ICTRP's "Not
    recruiting", the EU register's "Authorised") under one entry that ticks them all (their
    ``group`` is that entry's key); then the wordings outside the vocabulary, kept as the
    registry wrote them, under another; then "not stated"."""
    from graph.normalize.vocab import API_STATUSES

    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for t in trials:
        data = graph.nodes[t]
        key = status_key(data)
        counts[key] += 1
        labels[key] = str(data.get("status_label") or data.get("status_text") or "not stated")
    groups: dict[str, list[str]] = {"": [], COARSE: [], WORDING: []}
    for key in counts:
        if key == "(none)":
            continue
        group = WORDING if key.startswith(WORDING + ":") else "" if key in API_STATUSES else COARSE
        groups[group].append(key)
    out: list[list[Any]] = [[k, labels[k], counts[k], ""] for k in sorted(groups[""], key=lambda k: labels[k])]
    for group, title in ((COARSE, "Coarser statuses of other registers"), (WORDING, "Registry wording, no status")):
        keys = sorted(groups[group], key=lambda k: labels[k].casefold())
        if keys:
            out.append([group, title, sum(counts[k] for k in keys), ""])
            out.extend([k, labels[k], counts[k], group] for k in keys)
    if counts["(none)"]:
        out.append(["(none)", "not stated", counts["(none)"], ""])
    return out


def _phase_choices(graph: nx.MultiDiGraph, trials: Sequence[str]) -> list[list[Any]]:
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for t in trials:
        data = graph.nodes[t]
        codes = str(data["phase"]).split("/") if data.get("phase") else ["(none)"]
        names = str(data["phase_label"]).split("/") if data.get("phase_label") else ["not stated"]
        for code, name in zip(codes, names if len(names) == len(codes) else codes, strict=True):
            counts[code] += 1
            labels[code] = name
    return [[code, labels[code], counts[code]] for code in sorted(counts, key=lambda c: (c == "(none)", c))]


# -- resources ------------------------------------------------------------------------------------


def _vis_script() -> str:
    """vis-network 9.1.2 as shipped inside pyvis (Apache-2.0 or MIT, its licence header kept)."""
    import pyvis

    path = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise InputError(f"{path}: cannot be inlined (it contains '</script')")
    return text


def _csp(*scripts: str) -> str:
    """Only the page's own two scripts may run, nothing may be fetched."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _default_title(focus: str | None, depth: int, query: str | None, params: Mapping[str, str] | None) -> str:
    if focus is not None:
        return f"trialgraph: {focus} and {depth} step{'s' if depth != 1 else ''} around"
    if query is not None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        return f"trialgraph: {query}" + (f" ({shown})" if shown else "")
    return "trialgraph: trials, sponsors, sites and conditions"


# -- PNG snapshot ---------------------------------------------------------------------------------


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    raise InputError("cannot make a PNG: no Chromium found", hint="install it (Debian: apt-get install chromium)")


def snapshot(html: Path, png: Path, *, width: int = 1600, height: int = 1000, wait_ms: int = 20000) -> Path:
    """Render ``html`` to ``png`` with headless Chromium, network off (every host resolves to
    nothing, no proxy is reachable), after the page has had ``wait_ms`` of virtual time to lay
    out and draw."""
    chromium = find_chromium()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trialgraph-png-") as tmp:
        shot = Path(tmp) / "shot.png"
        cmd = [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={wait_ms}",
            f"--screenshot={shot}",
            Path(html).resolve().as_uri(),
        ]
        env = {**os.environ, "LANG": os.environ.get("LANG", "C.UTF-8")}
        proc = subprocess.run(cmd, capture_output=True, timeout=180, check=False, env=env)
        if proc.returncode != 0 or not shot.exists():
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise InputError(f"Chromium could not render {html} to PNG: {detail[0]}")
        write_atomic(png, shot.read_bytes())
    return png
