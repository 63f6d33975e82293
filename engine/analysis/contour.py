"""Zero contours of a function sampled on a rectangular grid (marching squares)."""

from __future__ import annotations

import numpy as np


def zero_contour(x: np.ndarray, y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Line segments ``[(x0, y0), (x1, y1)]`` along ``f == 0``, shape ``(m, 2, 2)``.

    ``f[j, i]`` is the value at ``(x[i], y[j])``.  Each grid cell whose corners
    change sign contributes one segment between the linearly interpolated
    crossings of its edges, or two in a saddle cell (paired by the sign of the
    cell's mean value).  Segments are unordered; draw them as pairs.
    """
    f = np.asarray(f, dtype=np.float64)
    if f.shape != (len(y), len(x)):
        raise ValueError(f"values of shape {f.shape} for a grid of {len(y)} x {len(x)}")
    a, b, c, d = f[:-1, :-1], f[:-1, 1:], f[1:, 1:], f[1:, :-1]  # corners counter-clockwise from (x0, y0)
    X, Y = np.meshgrid(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    x0, x1, y0, y1 = X[:-1, :-1], X[:-1, 1:], Y[:-1, :-1], Y[1:, :-1]
    # Crossing points of the four edges (bottom, right, top, left) and whether each edge is crossed.
    edges = [(a, b, x0, y0, x1, y0), (b, c, x1, y0, x1, y1), (d, c, x0, y1, x1, y1), (a, d, x0, y0, x0, y1)]
    points, crossed = [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q, px, py, qx, qy in edges:
            hit = (p > 0) != (q > 0)
            s = np.where(hit, p / (p - q), 0.0)
            points.append(np.stack([px + s * (qx - px), py + s * (qy - py)], axis=-1))
            crossed.append(hit)
    hits = np.stack(crossed)
    count = hits.sum(axis=0)
    segments = []
    two = count == 2
    if two.any():
        order = np.argsort(~hits[:, two], axis=0, kind="stable")[:2]  # the two crossed edges, in edge order
        pts = np.stack(points)[:, two]
        segments.append(np.stack([pts[order[0], np.arange(two.sum())], pts[order[1], np.arange(two.sum())]], axis=1))
    four = count == 4
    if four.any():
        pts = [p[four] for p in points]
        # When the centre has the sign of corners a and c they join through it, and the
        # contour cuts off corners b (bottom-right edges) and d (top-left); else a and c.
        joined = (((a + b + c + d)[four] > 0) == (a[four] > 0))[:, None]
        segments.append(np.stack([pts[0], np.where(joined, pts[1], pts[3])], axis=1))
        segments.append(np.stack([pts[2], np.where(joined, pts[3], pts[1])], axis=1))
    if not segments:
        return np.zeros((0, 2, 2))
    return np.concatenate(segments)
