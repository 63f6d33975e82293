"""Bifurcation sweep: extrema of a variable on the attractor, for each value of a parameter."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.analysis.batch import estimate_seconds, run_batch
from engine.analysis.common import AnalysisError, Model, Progress, checked


@dataclass(frozen=True)
class Bifurcation:
    """Points ``(param_values[k], extrema[k])`` of the diagram.

    ``kind[k]`` is +1 for a local maximum of ``variable`` (``variable_unit``),
    -1 for a minimum and 0 for a steady state (the last value; no extremum
    after the transient, or a variation below the resolution).  ``values`` are the swept values of
    ``parameter`` (``parameter_unit``); ``spike_counts`` the spikes per value
    after the transient.
    """

    parameter: str
    parameter_unit: str
    variable: str
    variable_unit: str
    values: np.ndarray
    param_values: np.ndarray
    extrema: np.ndarray
    kind: np.ndarray
    spike_counts: np.ndarray


def bifurcation(model: Model, parameter: str, values, *, variable: str | None = None, current: float = 0.0,
                transient: float = 0.5, duration: float = 0.5, dt: float = 1e-4, max_points: int = 64,
                resolution: float = 1e-3, overrides: Mapping[str, str] | None = None,
                cancel: threading.Event | None = None, progress: Progress | None = None) -> Bifurcation:
    """Sweep ``parameter`` over ``values`` (model units), all values run at once as one population.

    Each value runs ``transient`` seconds (discarded) and then ``duration``
    seconds in which the local extrema of ``variable`` (default: the first
    state, the membrane potential) are collected; at most ``max_points``
    distinct extrema are kept per value, extrema closer than ``resolution`` times
    the variable's range over the sweep counting as one (the samples of a
    limit cycle differ by the time step).

    Raises
    ------
    Cancelled
        ``cancel`` was set; ``progress`` receives the fraction done.
    """
    cm = checked(model, overrides)
    if parameter not in cm.parameters:
        raise AnalysisError(f"`{parameter}` is not a parameter of the model")
    variable = variable or next(iter(cm.states))
    if variable not in cm.states:
        raise AnalysisError(f"`{variable}` is not a state variable of the model")
    values = np.asarray(values, dtype=np.float64)
    run = run_batch(model, len(values), duration=duration, dt=dt, parameters={parameter: values}, current=current,
                    overrides=overrides, transient=transient, record=variable, cancel=cancel, progress=progress)
    rec = run.record
    span = float(np.ptp(rec[np.isfinite(rec)])) if np.isfinite(rec).any() else 1.0
    grain = max(span, 1e-12) * resolution
    xs, ys, ks = [], [], []
    for j, p in enumerate(values):
        ext, kind = _extrema(rec[:, j]) if np.ptp(rec[:, j]) > grain else (rec[-1:, j], np.zeros(1, int))
        _, first = np.unique(np.stack([np.round(ext / grain), kind]), axis=1, return_index=True)
        first = np.sort(first)[:max_points]
        xs.append(np.full(len(first), p))
        ys.append(ext[first])
        ks.append(kind[first])
    return Bifurcation(parameter, cm.display_unit(parameter), variable, cm.display_unit(variable), values,
                       np.concatenate(xs), np.concatenate(ys), np.concatenate(ks).astype(np.int8), run.counts())


def _extrema(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima (+1) and minima (-1) of ``v`` (plateaus count once); the last value (0) if there are none."""
    keep = np.concatenate([[True], np.diff(v) != 0])
    w = v[keep]
    if len(w) >= 3:
        mid = w[1:-1]
        is_max = (mid > w[:-2]) & (mid > w[2:])
        is_min = (mid < w[:-2]) & (mid < w[2:])
        if is_max.any() or is_min.any():
            sel = is_max | is_min
            return mid[sel], np.where(is_max[sel], 1, -1)
    return np.array([v[-1]]), np.array([0])


def estimate_cost(model: Model, parameter: str, values, *, transient: float = 0.5, duration: float = 0.5,
                  dt: float = 1e-4, overrides: Mapping[str, str] | None = None) -> float:
    """Seconds :func:`bifurcation` would take with these arguments, from a short timed probe run."""
    values = np.asarray(values, dtype=np.float64)
    return estimate_seconds(model, len(values), duration=transient + duration, dt=dt,
                            parameters={parameter: values}, overrides=overrides)
