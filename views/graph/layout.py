"""Automatic placement of nodes that have no position (imported graphs), with networkx."""

from __future__ import annotations

from typing import Iterable

import networkx as nx

SPACING = 260.0
ROW = 130.0


def auto_layout(nodes: Iterable[str], links: Iterable[tuple[str, str]],
                fixed: dict[str, tuple[float, float]] | None = None) -> dict[str, tuple[float, float]]:
    """Positions (scene units) for every node, keeping those in ``fixed`` where they are.

    Sources flow left to right: a directed acyclic graph is laid out in layers
    by generation (``topological_generations``); a graph with cycles uses a
    spring layout seeded for reproducibility, with the fixed nodes pinned.

    Parameters
    ----------
    nodes
        Every node name.
    links
        ``(source, target)`` pairs; self-loops are ignored.
    fixed
        Nodes that already have a position.

    Returns
    -------
    dict
        ``{name: (x, y)}`` for every node.
    """
    fixed = dict(fixed or {})
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in links if a != b and a in graph and b in graph)
    free = [n for n in graph if n not in fixed]
    if not free:
        return {n: fixed[n] for n in graph}
    if nx.is_directed_acyclic_graph(graph) and not fixed:
        out = {}
        for layer, names in enumerate(nx.topological_generations(graph)):
            for i, name in enumerate(sorted(names)):
                out[name] = (layer * SPACING, (i - (len(names) - 1) / 2) * ROW)
        return out
    scale = SPACING * max(1.0, graph.number_of_nodes() ** 0.5)
    initial = {n: (x / scale, y / scale) for n, (x, y) in fixed.items()}
    raw = nx.spring_layout(graph.to_undirected(), pos=initial or None, fixed=list(fixed) or None, seed=1,
                           k=1.5 / max(1, graph.number_of_nodes()) ** 0.5)
    return {n: fixed[n] if n in fixed else (float(raw[n][0]) * scale, float(raw[n][1]) * scale) for n in graph}
