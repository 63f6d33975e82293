"""Numbers the scopes draw, Qt-free: raster pixels, binned rates, ISI histograms and CVs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def rasterize(parts: list[tuple[np.ndarray, np.ndarray, int]], x_range: tuple[float, float],
              row_range: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Paint spikes into a uint8 image of ``shape = (rows, columns)``.

    Parameters
    ----------
    parts
        ``(times, raster rows, value)`` triples; every spike sets its pixel to ``value``
        (a lookup-table index, one per population).
    x_range
        Times of the left edge of the first column and the right edge of the last.
    row_range
        Raster rows ``[first, stop)`` spread evenly over the image rows (row 0 at the bottom).
    shape
        Image rows and columns.

    Returns
    -------
    numpy.ndarray
        The image, row-major.
    """
    nrows, ncols = shape
    image = np.zeros(shape, np.uint8)
    x0, x1 = x_range
    r0, r1 = row_range
    if ncols <= 0 or nrows <= 0 or x1 <= x0 or r1 <= r0:
        return image
    for t, rows, value in parts:
        c = ((t - x0) * (ncols / (x1 - x0))).astype(np.int64)
        np.minimum(c, ncols - 1, out=c, where=t <= x1)
        r = (rows.astype(np.int64) - r0) * nrows // (r1 - r0)
        keep = (c >= 0) & (c < ncols) & (r >= 0) & (r < nrows) & (t >= x0)
        image[r[keep], c[keep]] = value
    return image


def binned_rate(times: np.ndarray, t0: float, t1: float, bin_ms: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Population rate in Hz over whole bins ``[k*bin, (k+1)*bin)`` inside ``[t0, t1]``.

    Returns the bin edges (ms) and one rate per bin (spikes / neurons / bin width).
    """
    first, last = int(np.ceil(t0 / bin_ms - 1e-9)), int(np.floor(t1 / bin_ms + 1e-9))
    edges = np.arange(first, max(last, first) + 1) * bin_ms
    if edges.size < 2 or size <= 0:
        return edges, np.zeros(max(edges.size - 1, 0))
    k = np.floor(times / bin_ms + 1e-9).astype(np.int64) - first
    k = k[(k >= 0) & (k < edges.size - 1)]
    counts = np.bincount(k, minlength=edges.size - 1)
    return edges, counts / (size * bin_ms * 1e-3)


@dataclass
class _PopIsi:
    last: np.ndarray
    count: np.ndarray
    total: np.ndarray
    squares: np.ndarray
    hist: np.ndarray
    beyond: int = 0

    def grow(self, size: int) -> None:
        extra = size - self.last.size
        if extra > 0:
            self.last = np.concatenate([self.last, np.full(extra, np.nan)])
            self.count, self.total, self.squares = (np.concatenate([a, np.zeros(extra)])
                                                    for a in (self.count, self.total, self.squares))


@dataclass
class IsiStats:
    """Inter-spike intervals of every neuron, accumulated chunk by chunk.

    The histogram has bins of ``bin_ms`` up to ``max_ms`` (longer intervals are
    counted in ``beyond``); per neuron it keeps the count, sum and sum of squares
    of its intervals, from which the coefficient of variation follows.
    """

    bin_ms: float = 2.0
    max_ms: float = 500.0
    pops: dict[str, _PopIsi] = field(default_factory=dict)

    @property
    def edges(self) -> np.ndarray:
        return np.arange(int(round(self.max_ms / self.bin_ms)) + 1) * self.bin_ms

    def add(self, name: str, times: np.ndarray, neurons: np.ndarray, size: int) -> None:
        """Take spikes of population ``name`` in time order (all later than any taken before)."""
        nbins = self.edges.size - 1
        pop = self.pops.get(name)
        if pop is None:
            pop = self.pops[name] = _PopIsi(np.full(size, np.nan), np.zeros(size), np.zeros(size), np.zeros(size),
                                            np.zeros(nbins, np.int64))
        pop.grow(size)
        if times.size == 0:
            return
        order = np.argsort(neurons, kind="stable")
        n, t = neurons[order], times[order]
        first = np.ones(n.size, bool)
        first[1:] = n[1:] != n[:-1]
        prev = np.empty_like(t)
        prev[1:] = t[:-1]
        prev[first] = pop.last[n[first]]
        isi = t - prev
        ok = isi >= 0
        n_ok, isi = n[ok], isi[ok]
        pop.count += np.bincount(n_ok, minlength=size)
        pop.total += np.bincount(n_ok, weights=isi, minlength=size)
        pop.squares += np.bincount(n_ok, weights=isi * isi, minlength=size)
        k = (isi / self.bin_ms).astype(np.int64)
        pop.beyond += int(np.count_nonzero(k >= nbins))
        pop.hist += np.bincount(k[k < nbins], minlength=nbins)
        last = np.ones(n.size, bool)
        last[:-1] = n[1:] != n[:-1]
        pop.last[n[last]] = t[last]

    def histogram(self, name: str) -> np.ndarray:
        """Interval counts per bin of ``edges``."""
        pop = self.pops.get(name)
        return pop.hist if pop is not None else np.zeros(self.edges.size - 1, np.int64)

    def cv(self, name: str) -> np.ndarray:
        """Coefficient of variation of the intervals of every neuron with at least two intervals."""
        pop = self.pops.get(name)
        if pop is None:
            return np.zeros(0)
        has = pop.count >= 2
        mean = pop.total[has] / pop.count[has]
        var = np.maximum(pop.squares[has] / pop.count[has] - mean * mean, 0.0)
        return np.sqrt(var) / mean

    def spiked(self, name: str) -> bool:
        """Whether any neuron of ``name`` has spiked."""
        pop = self.pops.get(name)
        return pop is not None and not np.isnan(pop.last).all()

    def intervals(self, name: str) -> int:
        """How many intervals were counted."""
        pop = self.pops.get(name)
        return int(pop.count.sum()) if pop is not None else 0
