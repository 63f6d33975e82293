"""One neuron under a stimulus protocol: every state variable and the spike times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.analysis.common import Model
from engine.analysis.stimulus import CurrentProtocol, current_array
from engine.fixedpoint import QFormat
from engine.run.neuron import SpikeInput, simulate_neuron


@dataclass(frozen=True)
class Trace:
    """A single-neuron run.

    ``t`` (ms) is the end of each step; ``values[name]`` is each state variable
    in ``units[name]``; ``spike_times`` in ms; ``current`` the injected current
    per step in ``current_unit``; ``overflows`` counts saturated stores per
    variable (fixed point only).
    """

    t: np.ndarray
    values: Mapping[str, np.ndarray]
    units: Mapping[str, str]
    spike_times: np.ndarray
    current: np.ndarray
    current_unit: str
    dt: float
    overflows: Mapping[str, int]
    fmt: QFormat | None = None


def trace(model: Model, *, duration: float = 1.0, dt: float = 1e-4, stimuli: tuple[CurrentProtocol, ...] = (),
          spikes: tuple[SpikeInput, ...] = (), overrides: Mapping[str, str] | None = None,
          initial: Mapping[str, str | float] | None = None, spike_delay: float = 1e-3,
          fixed: QFormat | None = None, seed: int = 0) -> Trace:
    """Simulate one neuron of ``model`` for ``duration`` seconds under ``stimuli`` and ``spikes``.

    Parameters
    ----------
    stimuli
        Current protocols (:mod:`engine.analysis.stimulus`), summed, in the model's current unit.
    spikes
        Input spike trains (times in seconds, weight with unit, receptor port),
        received ``spike_delay`` seconds after they are sent (NEST timing, see
        :mod:`engine.run.neuron`).
    overrides, initial
        Parameter values and initial state values (quantity strings).
    fixed
        Run in this fixed-point format instead of float64.

    Raises
    ------
    ModelError
        The model is invalid, or has no current input while ``stimuli`` are given.
    SimulationError
        A variable became infinite or NaN.
    """
    current = current_array(stimuli, int(round(duration / dt)), dt) if stimuli else None
    run = simulate_neuron(model, duration=duration, dt=dt, overrides=dict(overrides or {}), current=current,
                          spike_inputs=tuple(spikes), spike_delay=spike_delay, fixed=fixed, seed=seed,
                          initial=dict(initial or {}))
    return Trace(run.t, run.values, run.units, run.spike_times,
                 current if current is not None else np.zeros(len(run.t)), run.current_unit, dt,
                 dict(run.overflows), fixed)
