"""The board's spikes as the bitstream scope reads a run: the streams of an SC projection rebuilt from them.

The HIL protocol carries spikes, not stream bits; but an SC projection's streams are fixed by its sources and
by which source neurons spiked in each step (docs/stochastic-computing.md section 9), so the board's spikes
and a twin of the projection's sources give the bits the board's projection unit drew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoardChunk:
    """Board spikes of some steps in the form of a run's chunk (``{population: (times_ms, local neurons)}``,
    a spike of step ``s`` at ``(s + 1) * dt``)."""

    spikes: dict


def board_chunk(spikes: tuple[np.ndarray, np.ndarray], populations: tuple[tuple[str, int, int], ...], first: int,
                last: int, dt_ms: float) -> BoardChunk:
    """The spikes ``(steps, global neurons)`` of steps ``first <= step < last``, by population (``populations``:
    ``(name, first neuron, size)``)."""
    steps, neurons = (np.asarray(a, np.int64) for a in spikes)
    inside = (steps >= first) & (steps < last)
    steps, neurons = steps[inside], neurons[inside]
    out = {}
    for name, base, size in populations:
        mine = (neurons >= base) & (neurons < base + size)
        out[name] = ((steps[mine] + 1) * dt_ms, neurons[mine] - base)
    return BoardChunk(out)
