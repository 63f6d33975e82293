"""The stochastic-computing streams of one target neuron of an SC projection, step by step, for the bitstream scope.

Per step, each input ``k`` into the target has a weight stream (its weight magnitude, as a fraction of the
projection's largest, encoded against the projection's source), an activity stream (all ones when a spike
arrives from its source neuron this step, else all zeros), their product (AND), and the target's input is
the MUX of the products, driven by a select sequence from a second, decorrelated source
(docs/stochastic-computing.md).  :meth:`ProjectionStreams.step` returns the named streams and the value each
should encode, ready for :meth:`~studio.playground.bitstream_monitor.BitstreamMonitor.add`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.stochastic.sc_sources import default_seed, source_words
from engine.stochastic.sc_streams import (and_streams, encode, mux_inputs, select_index, unipolar_level,
                                          word_count)

STREAMS = ("weight", "activity", "product", "mux")  # the first input's three streams, then the target's sum
ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


@dataclass(frozen=True)
class ScSettings:
    """An SC arithmetic: the source (``"lfsr16"``, ``"sobol16"``, ``"halton"``), the length ``L`` and the seed
    (``None``: derived from the element's ``index``)."""

    source: str
    length: int
    seed: int | None = None
    index: int = 0

    @classmethod
    def of(cls, arithmetic, index: int = 0) -> "ScSettings | None":
        """The settings of a project's ``"arithmetic"`` mapping, or ``None`` unless its mode is ``"sc"``."""
        if not arithmetic or arithmetic.get("mode") != "sc":
            return None
        return cls(str(arithmetic.get("source", "lfsr16")), int(arithmetic.get("length", 256)),
                   arithmetic.get("seed"), index)

    def weight_seed(self) -> int:
        return self.seed if self.seed is not None else default_seed(self.source, 2 * self.index)

    def select_seed(self) -> int:
        return default_seed(self.source, 2 * self.index + 1)


class ProjectionStreams:
    """The streams of a target with ``len(weights)`` inputs of weight magnitudes ``weights`` (fractions in
    [0, 1]) under ``settings``."""

    def __init__(self, settings: ScSettings, weights):
        self.settings = settings
        self.weights = np.clip(np.abs(np.asarray(weights, dtype=float)), 0.0, 1.0)
        if self.weights.size == 0:
            raise ValueError("the target has no inputs to show")
        length = settings.length
        self.weight_streams = encode(source_words(settings.source, length, settings.weight_seed()),
                                     unipolar_level(self.weights))
        self.select = select_index(source_words(settings.source, length, settings.select_seed()), self.weights.size)
        self._ones = np.full(word_count(length), ALL_ONES, dtype=np.uint64)
        tail = length % 64
        if tail:
            self._ones[-1] = np.uint64((1 << tail) - 1)

    def step(self, arrived) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """(streams by name, expected value by name) of one step; ``arrived[k]``: a spike reaches input ``k``."""
        arrived = np.asarray(arrived, dtype=bool)
        activity = np.where(arrived[:, None], self._ones, np.uint64(0))
        products = and_streams(self.weight_streams, activity)
        mux = mux_inputs(products, self.select)
        levels = unipolar_level(self.weights) / 65536.0
        exact = levels * arrived
        streams = {"weight": self.weight_streams[0], "activity": activity[0], "product": products[0], "mux": mux}
        expected = {"weight": float(levels[0]), "activity": float(arrived[0]), "product": float(exact[0]),
                    "mux": float(exact.mean())}
        return streams, expected


class ProjectionProbe:
    """The streams of neuron ``target`` of a built projection (:class:`engine.network.build.Projection`), fed
    from a run's spikes: a spike of source neuron ``i`` at step ``s`` reaches each of its inputs into the
    target ``delay`` steps later."""

    def __init__(self, projection, target: int, settings: ScSettings, dt_ms: float):
        indptr = np.asarray(projection.indptr)
        sources = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        into = np.asarray(projection.targets) == target
        weights = (np.full(len(into), projection.weight) if projection.weights is None
                   else np.asarray(projection.weights, dtype=float))
        delays = (np.full(len(into), projection.delay) if projection.delays is None
                  else np.asarray(projection.delays, dtype=np.int64))
        top = float(np.max(np.abs(weights))) if weights.size else 0.0
        self.population = projection.source.definition.name
        self.target, self.dt_ms = int(target), float(dt_ms)
        self.sources, self.delays = sources[into], delays[into]
        self.streams = ProjectionStreams(settings, np.abs(weights[into]) / (top or 1.0))
        self._pending: dict[int, list[int]] = {}  # arrival step -> inputs reached then

    def feed(self, monitor, t_start_ms: float, t_stop_ms: float, spikes: dict) -> list:
        """Feed ``monitor`` the steps from ``t_start_ms`` to ``t_stop_ms`` (the last ``monitor.capacity`` of
        them), given the chunk's ``spikes`` (``{population: (times_ms, neurons)}``); the trigger hits."""
        times, neurons = spikes.get(self.population, (np.zeros(0), np.zeros(0, dtype=np.int64)))
        for t, n in zip(np.rint(np.asarray(times) / self.dt_ms).astype(np.int64), np.asarray(neurons)):
            for k in np.flatnonzero(self.sources == n):
                self._pending.setdefault(int(t + self.delays[k]), []).append(int(k))
        first, stop = round(t_start_ms / self.dt_ms), round(t_stop_ms / self.dt_ms)
        hits = []
        for step in range(first, stop):
            reached = self._pending.pop(step, ())
            if step < stop - monitor.capacity:
                continue
            arrived = np.zeros(len(self.sources), dtype=bool)
            arrived[list(reached)] = True
            hits += monitor.add(step * self.dt_ms, *self.streams.step(arrived))
        return hits
