"""Firing rate against constant injected current (f-I curve) and the rheobase."""

from __future__ import annotations

from dataclasses import dataclass
import threading
from typing import Mapping

import numpy as np

from engine.analysis.batch import BatchRun, run_batch
from engine.analysis.common import AnalysisError, Model, Progress, checked, current_unit


@dataclass(frozen=True)
class FICurve:
    """Rates (Hz) for ``currents`` (``current_unit``) over ``duration`` seconds.

    ``rates`` counts every spike of the run; ``steady_rates`` is one over the
    mean of the last half of the inter-spike intervals (0 with fewer than two
    spikes).  ``rheobase`` is the smallest current found that fires at least once
    within ``duration`` (NaN if none does); it lies in ``rheobase_bracket``
    ``(highest silent current, rheobase)``, narrower than the tolerance asked for
    (the lower end is NaN when the smallest current of the grid already fires).
    """

    currents: np.ndarray
    rates: np.ndarray
    steady_rates: np.ndarray
    current_unit: str
    duration: float
    rheobase: float
    rheobase_bracket: tuple[float, float]


def fi_curve(model: Model, currents, *, duration: float = 1.0, dt: float = 1e-4,
             overrides: Mapping[str, str] | None = None, tolerance: float | None = None,
             probes: int = 8, cancel: threading.Event | None = None,
             progress: Progress | None = None) -> FICurve:
    """The f-I curve of ``model`` for constant ``currents`` (model current unit), all run as one population.

    Each current is applied from the first step, the neuron starting from its
    initial state.  The rheobase is then refined between the highest silent and
    the lowest firing current of the grid by multi-section: each round runs
    ``probes`` evenly spaced currents inside the bracket at once and keeps the
    sub-interval where firing starts, until the bracket is narrower than
    ``tolerance`` (default: 1e-3 of the current range).  With ``probes=1`` this
    is bisection.  ``cancel`` stops the run (raising ``Cancelled``);
    ``progress`` hears the fraction done of the grid run (the refinement
    reports 1.0 when it ends).
    """
    grid = np.sort(np.asarray(currents, dtype=np.float64))
    if grid.ndim != 1 or len(grid) == 0:
        raise AnalysisError("an f-I curve needs at least one current")
    unit = current_unit(checked(model, overrides))
    run = run_batch(model, len(grid), duration=duration, dt=dt, current=grid, overrides=overrides,
                    cancel=cancel, progress=progress)
    counts = run.counts()
    rheobase, bracket = np.nan, (np.nan, np.nan)
    firing = np.flatnonzero(counts > 0)
    if len(firing):
        hi = grid[firing[0]]
        lo = grid[firing[0] - 1] if firing[0] > 0 else np.nan
        tol = tolerance if tolerance is not None else 1e-3 * max(np.ptp(grid), abs(hi), 1e-12)
        if not np.isnan(lo):
            lo, hi = _refine(model, lo, hi, tol, probes, duration, dt, overrides, cancel)
        rheobase, bracket = float(hi), (float(lo), float(hi))
    if progress is not None:
        progress(1.0)
    return FICurve(grid, run.rates(), _steady_rates(run), unit, duration, rheobase, bracket)


def _refine(model, lo: float, hi: float, tol: float, probes: int, duration, dt, overrides,
            cancel: threading.Event | None) -> tuple[float, float]:
    while hi - lo > tol:
        trial = lo + (hi - lo) * np.arange(1, probes + 1) / (probes + 1)
        fires = run_batch(model, probes, duration=duration, dt=dt, current=trial, overrides=overrides,
                          cancel=cancel).counts() > 0
        k = int(np.argmax(fires)) if fires.any() else probes
        lo, hi = (trial[k - 1] if k > 0 else lo), (trial[k] if k < probes else hi)
    return lo, hi


def _steady_rates(run: BatchRun) -> np.ndarray:
    out = np.zeros(run.n)
    order = np.lexsort((run.spike_steps, run.spike_neurons))
    steps, neurons = run.spike_steps[order], run.spike_neurons[order]
    bounds = np.searchsorted(neurons, np.arange(run.n + 1))
    for j in range(run.n):
        s = steps[bounds[j]:bounds[j + 1]]
        if len(s) >= 2:
            isi = np.diff(s)[-(len(s) // 2):]
            out[j] = 1.0 / (isi.mean() * run.dt)
    return out
