"""Where the view draws each node: a force layout of the network (igraph's Fruchterman-Reingold
over groups of equivalent nodes, each group opened into a sunflower disc), and the packing that
keeps the clusters of the aggregated first picture apart.  Deterministic: the same graph gets the
same picture."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence

import networkx as nx

#: The least gap, in pixels, between two packed clusters.
_PACK_GAP = 12.0


def layout(graph: nx.MultiDiGraph, order: Sequence[str], *, large: bool) -> list[tuple[float, float]]:
    """Positions in pixels, indexed like ``order``.

    Nodes of one kind with the same few neighbours (the 900 US sites of one trial, the
    interventions only one trial uses) are laid out as one point first: this shrinks a registry
    network ten-fold, and it is what keeps it from becoming a hairball.  igraph's
    Fruchterman-Reingold places those points (its grid approximation when there are many,
    linear per iteration), from a seeded start so that the same graph gets the same picture.
    Each group then opens into a sunflower disc, pushed outwards from its neighbours so that it
    does not cover them."""
    n = len(order)
    if n == 0:
        return []
    import igraph

    index = {node: i for i, node in enumerate(order)}
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for u, v in graph.edges():
        if u != v:
            neighbours[index[u]].add(index[v])
            neighbours[index[v]].add(index[u])
    group_of, members = _equivalence_groups(graph, order, neighbours)
    pairs = sorted(
        {
            (min(group_of[a], group_of[b]), max(group_of[a], group_of[b]))
            for a in range(n)
            for b in neighbours[a]
            if group_of[a] != group_of[b]
        }
    )
    m = len(members)
    rng = random.Random(7)
    radius = math.sqrt(m) / 2  # igraph's own start; a wider one makes the grid variant slower
    seed = [[rng.uniform(-radius, radius), rng.uniform(-radius, radius)] for _ in range(m)]
    # igraph draws from Python's ``random`` module unless told otherwise: give it a seeded one
    igraph.set_random_number_generator(random.Random(7))
    try:
        coords = igraph.Graph(n=m, edges=pairs).layout_fruchterman_reingold(seed=seed, niter=500, grid=m > 1000).coords
    finally:
        igraph.set_random_number_generator(random)
    scale = _scale([(float(x), float(y)) for x, y in coords], pairs, n, target=140.0 if large else 120.0)
    points = [(float(x) * scale, float(y) * scale) for x, y in coords]
    out: list[tuple[float, float]] = [(0.0, 0.0)] * n
    centre = (sum(p[0] for p in points) / m, sum(p[1] for p in points) / m)
    outside = _Outskirts(points, centre)
    for g in sorted(range(m), key=lambda g: -len(members[g])):
        group = members[g]
        linked = [points[h] for h in {group_of[b] for b in neighbours[group[0]]} - {g}]
        radius = _DISC_SPACING * math.sqrt(len(group))
        if radius > _BIG_DISC:
            middle = outside.place(points[g], radius)
        else:
            middle = _disc_centre(points[g], linked, centre, radius) if len(group) > 1 else points[g]
        for i, pos in zip(group, _sunflower(middle, len(group)), strict=True):
            out[i] = (round(pos[0], 1), round(pos[1], 1))
    return out


_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
_DISC_SPACING = 15.0
_DISC_MARGIN = 60.0
#: Discs wider than this (in pixels) go to the outskirts of the layout.
_BIG_DISC = 200.0


def _equivalence_groups(
    graph: nx.MultiDiGraph, order: Sequence[str], neighbours: Sequence[set[int]]
) -> tuple[list[int], list[list[int]]]:
    """Group nodes of the same kind with the same (at most three) neighbours."""
    keys: dict[object, int] = {}
    group_of: list[int] = []
    members: list[list[int]] = []
    for i, node in enumerate(order):
        nb = neighbours[i]
        key: object = (graph.nodes[node].get("kind"), frozenset(nb)) if 0 < len(nb) <= 3 else i
        g = keys.setdefault(key, len(members))
        if g == len(members):
            members.append([])
        members[g].append(i)
        group_of.append(g)
    return group_of, members


def _disc_centre(
    at: tuple[float, float], linked: Sequence[tuple[float, float]], centre: tuple[float, float], radius: float
) -> tuple[float, float]:
    """Where a group's disc goes: next to its point, on the side away from what it links to."""
    ref = (sum(p[0] for p in linked) / len(linked), sum(p[1] for p in linked) / len(linked)) if linked else centre
    ux, uy = _unit(at[0] - ref[0], at[1] - ref[1]) or _unit(at[0] - centre[0], at[1] - centre[1]) or (1.0, 0.0)
    return at[0] + ux * radius * 0.8, at[1] + uy * radius * 0.8


def _unit(dx: float, dy: float) -> tuple[float, float] | None:
    length = math.hypot(dx, dy)
    return (dx / length, dy / length) if length > 1e-6 else None


def _sunflower(centre: tuple[float, float], count: int) -> list[tuple[float, float]]:
    """``count`` evenly spread positions in a disc (Vogel's spiral)."""
    if count == 1:
        return [centre]
    out = []
    for k in range(count):
        r = _DISC_SPACING * math.sqrt(k + 0.5)
        out.append((centre[0] + r * math.cos(k * _GOLDEN_ANGLE), centre[1] + r * math.sin(k * _GOLDEN_ANGLE)))
    return out


class _Outskirts:
    """Places the discs too big to sit among the other nodes (hundreds of sites of one trial in
    one country) beyond the edge of the layout, in the direction of their own point, without
    overlapping one another."""

    def __init__(self, points: Sequence[tuple[float, float]], centre: tuple[float, float]) -> None:
        self.points = points
        self.centre = centre
        self.placed: list[tuple[tuple[float, float], float]] = []

    def place(self, at: tuple[float, float], radius: float) -> tuple[float, float]:
        cx, cy = self.centre
        ux, uy = _unit(at[0] - cx, at[1] - cy) or (1.0, 0.0)
        reach = max(((p[0] - cx) * ux + (p[1] - cy) * uy for p in self.points), default=0.0)
        distance = max(0.0, reach) + radius + _DISC_MARGIN
        spot = (cx + ux * distance, cy + uy * distance)
        while any(math.dist(spot, c) < radius + r + _DISC_MARGIN for c, r in self.placed):
            distance += radius / 2
            spot = (cx + ux * distance, cy + uy * distance)
        self.placed.append((spot, radius))
        return spot


def _scale(
    points: Sequence[tuple[float, float]], pairs: Sequence[tuple[int, int]], nodes: int, *, target: float
) -> float:
    """The factor that makes the median edge ``target`` pixels long, or larger if needed to give
    every node about 45 x 45 pixels (a tangled network has long edges and a crowded middle)."""
    lengths = sorted(math.dist(points[a], points[b]) for a, b in pairs)
    median = lengths[len(lengths) // 2] if lengths else 0.0
    by_edges = target / median if median > 0 else 1.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    area = (max(xs) - min(xs)) * (max(ys) - min(ys))
    by_area = math.sqrt(nodes * 45.0**2 / area) if area > 0 else 1.0
    return max(by_edges, by_area)


def pack_circles(circles: Sequence[tuple[float, float, float]]) -> list[tuple[float, float]]:
    """Centres for circles ``(x, y, radius)`` such that no two overlap (a gap of a third of the
    larger radius, at least :data:`_PACK_GAP` pixels, between them), each as near its own
    centre as the circles placed before it allow.  The largest are placed first, at their own
    centre; each other one at the first free point of a golden-angle spiral around its centre.
    A grid of cells (each placed circle is listed in the cells it covers) finds the neighbours of
    a point, so the cost grows with the number of circles, not its square."""
    if not circles:
        return []
    radii = sorted(r for _x, _y, r in circles)
    cell = 2 * (radii[len(radii) // 2] + _gap(radii[len(radii) // 2]))
    grid: dict[tuple[int, int], list[int]] = {}
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(circles)

    def cells(x: float, y: float, reach: float) -> Iterator[tuple[int, int]]:
        for gx in range(math.floor((x - reach) / cell), math.floor((x + reach) / cell) + 1):
            for gy in range(math.floor((y - reach) / cell), math.floor((y + reach) / cell) + 1):
                yield gx, gy

    def free(x: float, y: float, r: float) -> bool:
        seen: set[int] = set()
        for key in cells(x, y, r + _gap(r)):
            for j in grid.get(key, ()):
                if j in seen:
                    continue
                seen.add(j)
                rj = circles[j][2]
                if math.hypot(x - out[j][0], y - out[j][1]) < r + rj + _gap(max(r, rj)):
                    return False
        return True

    for i in sorted(range(len(circles)), key=lambda i: (-circles[i][2], i)):
        x0, y0, r = circles[i]
        step = max(r, 20.0)
        x, y, k = x0, y0, 0
        while not free(x, y, r):
            k += 1
            d = step * math.sqrt(k)
            x, y = x0 + d * math.cos(k * _GOLDEN_ANGLE), y0 + d * math.sin(k * _GOLDEN_ANGLE)
        out[i] = (x, y)
        for key in cells(x, y, r + _gap(r)):
            grid.setdefault(key, []).append(i)
    return out


def _gap(radius: float) -> float:
    return max(_PACK_GAP, radius / 3)
