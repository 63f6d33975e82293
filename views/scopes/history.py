"""What the scopes show, kept Qt-free: bounded spike and trace histories fed by chunks.

Every population keeps its spikes in time order in a :class:`RowBuffer` (so a
time window is two binary searches and a zero-copy slice); every sampling
recorder keeps its samples the same way.  The histories are bounded: when a
buffer is full its older half is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.run.simulation import Chunk
from views.scopes.stats import IsiStats


class RowBuffer:
    """Preallocated columns with a bounded number of rows, appended at the end.

    Storage starts small and doubles up to ``capacity``; when full, the newest
    half is copied into fresh arrays, so slices handed out earlier stay valid.
    """

    def __init__(self, capacity: int, columns: dict[str, tuple[np.dtype, tuple[int, ...]]]):
        self.capacity = int(capacity)
        self._specs = dict(columns)
        self._count = 0
        self._cols = self._allocate(min(4096, self.capacity))

    def _allocate(self, rows: int) -> dict[str, np.ndarray]:
        return {name: np.empty((rows, *tail), dtype) for name, (dtype, tail) in self._specs.items()}

    def __len__(self) -> int:
        return self._count

    def append(self, **arrays: np.ndarray) -> None:
        """Append the same number of rows to every column."""
        k = len(next(iter(arrays.values())))
        if k > self.capacity:
            arrays = {name: a[-self.capacity:] for name, a in arrays.items()}
            k = self.capacity
        room = len(next(iter(self._cols.values())))
        if self._count + k > room:
            room = min(self.capacity, max(room * 2, self._count + k))
            keep = min(self._count, room - k)
            if keep < self._count:
                keep = min(keep, self.capacity // 2)
            fresh = self._allocate(room)
            for name, col in self._cols.items():
                fresh[name][:keep] = col[self._count - keep:self._count]
            self._cols, self._count = fresh, keep
        for name, a in arrays.items():
            self._cols[name][self._count:self._count + k] = a
        self._count += k

    def column(self, name: str) -> np.ndarray:
        """The filled part of a column (a view)."""
        return self._cols[name][:self._count]

    def between(self, key: str, lo: float, hi: float) -> dict[str, np.ndarray]:
        """Views of the rows whose sorted column ``key`` lies in ``[lo, hi]``."""
        keys = self.column(key)
        a, b = int(np.searchsorted(keys, lo, side="left")), int(np.searchsorted(keys, hi, side="right"))
        return {name: col[a:b] for name, col in self._cols.items()}


@dataclass(frozen=True)
class RecorderInfo:
    """Names of a sampling recorder's variables and the neurons it samples."""

    variables: tuple[str, ...]
    neurons: tuple[int, ...]


@dataclass
class ScopeData:
    """Spikes, samples and ISI statistics of a run, as far as the scopes have been fed.

    ``version`` changes on every change, so a scope knows when to redraw.
    """

    max_spikes: int = 1_000_000
    max_samples: int = 200_000
    sizes: dict[str, int] = field(default_factory=dict)
    recorders: dict[str, RecorderInfo] = field(default_factory=dict)
    spikes: dict[str, RowBuffer] = field(default_factory=dict)
    samples: dict[str, RowBuffer] = field(default_factory=dict)
    isi: IsiStats = field(default_factory=IsiStats)
    t_ms: float = 0.0
    received: int = 0
    dropped: int = 0
    version: int = 0

    def configure(self, sizes: dict[str, int], recorders: dict[str, RecorderInfo] | None = None) -> None:
        """Declare the populations (in display order, with their sizes) and the sampling recorders."""
        self.sizes = {name: int(n) for name, n in sizes.items()}
        self.recorders = dict(recorders or {})
        self.version += 1

    def reset(self) -> None:
        """Forget everything recorded (the configuration stays)."""
        self.spikes.clear()
        self.samples.clear()
        self.isi = IsiStats()
        self.t_ms, self.received, self.dropped = 0.0, 0, 0
        self.version += 1

    def add(self, chunk: Chunk) -> None:
        """Take one chunk's spikes and samples."""
        for name, (t, n) in chunk.spikes.items():
            if name not in self.sizes:
                self.sizes[name] = 0
            if n.size:
                self.sizes[name] = max(self.sizes[name], int(n.max()) + 1)
            buf = self.spikes.get(name)
            if buf is None:
                buf = self.spikes[name] = RowBuffer(self.max_spikes, {"t": (np.float64, ()), "n": (np.int32, ())})
            buf.append(t=t, n=n)
            self.isi.add(name, t, n, self.sizes[name])
            self.received += t.size
        for name, (t, v) in chunk.traces.items():
            buf = self.samples.get(name)
            if buf is None:
                if name not in self.recorders:
                    self.recorders[name] = RecorderInfo(tuple(f"var{q}" for q in range(v.shape[1])),
                                                        tuple(range(v.shape[2])))
                buf = self.samples[name] = RowBuffer(self.max_samples,
                                                     {"t": (np.float64, ()), "v": (np.float64, v.shape[1:])})
            buf.append(t=t, v=v)
        self.dropped += chunk.dropped_spikes
        self.t_ms = max(self.t_ms, chunk.t_stop_ms)
        self.version += 1

    def offsets(self, shown: list[str]) -> dict[str, int]:
        """The first raster row of each shown population, stacked in order from the bottom."""
        out, row = {}, 0
        for name in shown:
            out[name] = row
            row += self.sizes.get(name, 0)
        return out
