"""The stochastic-computing streams of one target neuron of an SC projection, step by step, for the bitstream scope.

An SC projection (engine/network/sc_projection.py) computes, in every step in which one of its source
neurons spikes, ``L`` bits per target: bit ``b`` picks input ``k`` with the select word (the MUX), and is 1
when ``k``'s source spiked (the activity stream) and the data word is below ``k``'s weight level (the weight
stream).  :class:`ProjectionProbe` follows a run's spikes with a twin of the projection's sources, so it draws
the very words the run draws, and rebuilds three streams of the chosen target:

``weight``
    the weight stream of the target's first input (data word < its level);
``activity``
    the activity stream the MUX picks (1 where the chosen input spiked);
``output``
    the MUX output, ``activity AND weight`` of the input picked at each bit, whose popcount the target decodes.

Each comes with the value it should encode, for
:meth:`~studio.playground.bitstream_monitor.BitstreamMonitor.add`.
"""

from __future__ import annotations

import numpy as np

from engine.network.sc_projection import ScProjection
from engine.stochastic.sc_sources import FULL_SCALE, WORD_BITS
from engine.stochastic.sc_streams import pack

STREAMS = ("weight", "activity", "output")


class ProjectionProbe:
    """The streams of neuron ``target`` of the SC projection ``projection`` (an
    :class:`~engine.network.sc_projection.ScProjection` of a built network) from source population ``source``,
    joining a run after ``emitted`` emission steps (:func:`emission_steps`).

    Raises
    ------
    ValueError
        ``target`` has no inputs in the projection.
    """

    def __init__(self, projection: ScProjection, source: str, target: int, dt_ms: float, emitted: int = 0):
        plan = projection.plan
        rows = np.flatnonzero(plan.targets == target)
        if rows.size == 0:
            raise ValueError(f"neuron {target} has no inputs in {plan.name}")
        self.plan, self.population, self.target, self.dt_ms = plan, source, int(target), float(dt_ms)
        self.row = int(rows[0])
        self.twin = ScProjection(plan, projection.target_size)
        self.twin.position = emitted * plan.targets.size * plan.length  # where the run's sources stand
        first, last = plan.starts[self.row], plan.starts[self.row + 1]
        self.inputs, self.levels = plan.inputs[first:last], plan.levels[first:last]
        self._source_size = int(plan.inputs.max(initial=0)) + 1

    @property
    def n_inputs(self) -> int:
        return int(self.inputs.size)

    def step(self, active: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]] | None:
        """(streams by name, expected value by name) of one step with source spikes ``active`` (bool per source
        neuron); ``None`` (and no words drawn) when no source spiked, as in the run."""
        if not active.any():
            return None
        plan, length = self.plan, self.plan.length
        self.twin.position += self.row * length  # the targets before this one draw their words first
        data, select = self.twin.words(length)
        self.twin.position += (plan.targets.size - self.row - 1) * length
        k = (select * self.n_inputs) >> WORD_BITS
        spiking = active[self.inputs]
        weight = data < self.levels[0]
        activity = spiking[k]
        output = activity & (data < self.levels[k])
        streams = {"weight": pack(weight), "activity": pack(activity), "output": pack(output)}
        expected = {"weight": self.levels[0] / FULL_SCALE, "activity": float(spiking.mean()),
                    "output": float((spiking * self.levels).mean() / FULL_SCALE)}
        return streams, expected

    def feed(self, monitor, spikes: dict) -> list:
        """Feed ``monitor`` the emission steps of a run's chunk, given its ``spikes`` (``{population: (times_ms,
        neurons)}``, a spike of step ``s`` at ``(s + 1) * dt``, chunks in order); the trigger hits."""
        steps, neurons = _spike_steps(spikes, self.population, self.dt_ms)
        hits = []
        for step in np.unique(steps):
            active = np.zeros(max(self._source_size, int(neurons.max(initial=0)) + 1), dtype=bool)
            active[neurons[steps == step]] = True
            found = self.step(active)
            if found is not None:
                hits += monitor.add((step + 1) * self.dt_ms, *found)
        return hits


def _spike_steps(spikes: dict, population: str, dt_ms: float) -> tuple[np.ndarray, np.ndarray]:
    times, neurons = spikes.get(population, (np.zeros(0), np.zeros(0, dtype=np.int64)))
    return np.rint(np.asarray(times) / dt_ms).astype(np.int64) - 1, np.asarray(neurons, dtype=np.int64)


def emission_steps(spikes: dict, population: str, dt_ms: float) -> int:
    """How many steps of a chunk's ``spikes`` an SC projection from ``population`` emits in (draws words in)."""
    return int(np.unique(_spike_steps(spikes, population, dt_ms)[0]).size)
