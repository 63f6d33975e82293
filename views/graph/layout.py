"""Automatic placement of nodes that have no position (imported graphs), with networkx."""

from __future__ import annotations

from typing import Iterable

import networkx as nx

SPACING = 260.0
ROW = 190.0  # room for a node with three input ports, and for a self-loop above the node below


def auto_layout(nodes: Iterable[str], links: Iterable[tuple[str, str]],
                fixed: dict[str, tuple[float, float]] | None = None) -> dict[str, tuple[float, float]]:
    """Positions (scene units) for every node, keeping those in ``fixed`` where they are.

    Sources flow left to right, compactly: nodes are laid out in columns by
    generation (``topological_generations``), the nodes of a cycle (E and I
    projecting to each other) stacked in one column, each node level with its
    sources; when some nodes are fixed,
    a spring layout seeded for reproducibility places the others around them.

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
    if not fixed:
        cycles = nx.condensation(graph)
        out = {}
        for layer, groups in enumerate(nx.topological_generations(cycles)):
            names = sorted((n for g in groups for n in cycles.nodes[g]["members"]),
                           key=lambda n: (_mean_y(graph.predecessors(n), out), n))
            for i, name in enumerate(names):
                out[name] = (layer * SPACING, (i - (len(names) - 1) / 2) * ROW)
        return out
    scale = SPACING * max(1.0, graph.number_of_nodes() ** 0.5)
    initial = {n: (x / scale, y / scale) for n, (x, y) in fixed.items()}
    raw = nx.spring_layout(graph.to_undirected(), pos=initial or None, fixed=list(fixed) or None, seed=1,
                           k=1.5 / max(1, graph.number_of_nodes()) ** 0.5)
    return {n: fixed[n] if n in fixed else (float(raw[n][0]) * scale, float(raw[n][1]) * scale) for n in graph}


def _mean_y(names, placed: dict[str, tuple[float, float]]) -> float:
    """The mean height of the placed ``names`` (0 when none is): a node goes level with its sources."""
    ys = [placed[n][1] for n in names if n in placed]
    return sum(ys) / len(ys) if ys else 0.0
