"""Spike-train statistics and how the firing rate depends on parameters.

ISI histogram and coefficient of variation, spike-triggered average of a
stimulus, the normalised sensitivity of the rate to each parameter and a
two-parameter rate map (the last two run every variant as one population).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from engine.analysis.batch import run_batch
from engine.analysis.common import AnalysisError, Model, Progress, checked
from engine.equations.model import CheckedModel


@dataclass(frozen=True)
class ISIStats:
    """Inter-spike intervals ``isi`` (ms), their histogram ``counts`` over ``edges`` (ms), mean (ms) and CV."""

    isi: np.ndarray
    counts: np.ndarray
    edges: np.ndarray
    mean: float
    cv: float


def isi_stats(spike_times: np.ndarray, *, bins: int = 30, max_isi: float | None = None) -> ISIStats:
    """ISI statistics of one spike train (times in ms); CV is NaN with fewer than two intervals."""
    isi = np.diff(np.sort(np.asarray(spike_times, dtype=np.float64)))
    top = max_isi if max_isi is not None else (float(isi.max()) if len(isi) else 1.0)
    counts, edges = np.histogram(isi, bins=bins, range=(0.0, max(top, 1e-9)))
    mean = float(isi.mean()) if len(isi) else float("nan")
    cv = float(isi.std() / mean) if len(isi) >= 2 and mean > 0 else float("nan")
    return ISIStats(isi, counts, edges, mean, cv)


@dataclass(frozen=True)
class SpikeTriggeredAverage:
    """The stimulus averaged around ``count`` spikes; ``lags`` in ms relative to the spike (negative: before)."""

    lags: np.ndarray
    average: np.ndarray
    count: int


def spike_triggered_average(stimulus: np.ndarray, spike_times: np.ndarray, dt: float, *, before: float = 0.05,
                            after: float = 0.0) -> SpikeTriggeredAverage:
    """Average of ``stimulus`` (one value per step of ``dt`` seconds) in a window around each spike (ms times).

    Sample ``m`` of the stimulus covers ``m*dt .. (m+1)*dt``; its lag from a
    spike at ``s`` is ``m*dt - s``.  Spikes whose window leaves the stimulus
    are skipped.  ``before`` and ``after`` are in seconds.
    """
    stimulus = np.asarray(stimulus, dtype=np.float64)
    lo, hi = int(round(before / dt)), int(round(after / dt))
    offsets = np.arange(-lo, hi + 1)
    steps = np.rint(np.asarray(spike_times, dtype=np.float64) * 1e-3 / dt).astype(np.int64)
    steps = steps[(steps - lo >= 0) & (steps + hi < len(stimulus))]
    if len(steps) == 0:
        return SpikeTriggeredAverage(offsets * dt * 1e3, np.full(len(offsets), np.nan), 0)
    windows = stimulus[steps[:, None] + offsets[None, :]]
    return SpikeTriggeredAverage(offsets * dt * 1e3, windows.mean(axis=0), len(steps))


@dataclass(frozen=True)
class Sensitivity:
    """Rate (Hz) at the base values and at ``(1 -+ delta)`` times each parameter.

    ``sensitivity[k] = (rate_plus - rate_minus) / (2 delta base_rate)``: the
    relative change of the rate per relative change of parameter ``k`` (NaN
    when the base rate is zero).  ``values`` are the base values in ``units``.
    """

    parameters: tuple[str, ...]
    units: tuple[str, ...]
    values: np.ndarray
    delta: float
    base_rate: float
    rate_minus: np.ndarray
    rate_plus: np.ndarray
    sensitivity: np.ndarray


def tunable_parameters(model: CheckedModel) -> tuple[str, ...]:
    """Numeric parameters with a non-zero value, other than the current input and run_regularly variables."""
    variables = {t for t, _ in model.run_regularly}
    return tuple(n for n, p in model.parameters.items()
                 if p.var_type == "float" and p.value != 0 and n != model.spec.current_input and n not in variables)


def rate_sensitivity(model: Model, *, current: float = 0.0, parameters: Sequence[str] | None = None,
                     delta: float = 0.1, duration: float = 1.0, transient: float = 0.0, dt: float = 1e-4,
                     overrides: Mapping[str, str] | None = None, cancel: threading.Event | None = None,
                     progress: Progress | None = None) -> Sensitivity:
    """Normalised central-difference sensitivity of the firing rate to each parameter (±``delta``).

    The base model and the ``2*len(parameters)`` variants run as one population
    under the constant ``current`` (model current unit); rates are counted over
    ``duration`` seconds after ``transient``.  Default parameters:
    :func:`tunable_parameters`.
    """
    cm = checked(model, overrides)
    names = tuple(parameters) if parameters is not None else tunable_parameters(cm)
    base = np.array([cm.parameters[n].value for n in names]) if names else np.zeros(0)
    k = len(names)
    table = np.tile(base, (2 * k + 1, 1))
    for q in range(k):
        table[1 + q, q] *= 1 - delta
        table[1 + k + q, q] *= 1 + delta
    run = run_batch(model, 2 * k + 1, duration=duration, transient=transient, dt=dt, current=current,
                    parameters={n: table[:, q] for q, n in enumerate(names)}, overrides=overrides,
                    cancel=cancel, progress=progress)
    rates = run.rates()
    r0, minus, plus = float(rates[0]), rates[1:1 + k], rates[1 + k:]
    with np.errstate(divide="ignore", invalid="ignore"):
        sens = np.where(r0 > 0, (plus - minus) / (2 * delta * r0), np.nan)
    return Sensitivity(names, tuple(cm.display_unit(n) for n in names), base, delta, r0, minus, plus, sens)


@dataclass(frozen=True)
class RateMap:
    """Rates (Hz) ``rates[j, i]`` at ``x[i]`` of ``x_parameter`` and ``y[j]`` of ``y_parameter`` (model units)."""

    x_parameter: str
    y_parameter: str
    x_unit: str
    y_unit: str
    x: np.ndarray
    y: np.ndarray
    rates: np.ndarray


def rate_map(model: Model, x_parameter: str, x_values, y_parameter: str, y_values, *, current: float = 0.0,
             duration: float = 1.0, transient: float = 0.0, dt: float = 1e-4,
             overrides: Mapping[str, str] | None = None, cancel: threading.Event | None = None,
             progress: Progress | None = None) -> RateMap:
    """Firing rate over a grid of two parameters, every grid point one neuron of one population.

    Either parameter may be the model's current input (then its values are the
    injected current); otherwise the constant ``current`` is injected.
    """
    cm = checked(model, overrides)
    if x_parameter == y_parameter:
        raise AnalysisError("a rate map needs two different parameters")
    xs, ys = np.asarray(x_values, dtype=np.float64), np.asarray(y_values, dtype=np.float64)
    X, Y = np.meshgrid(xs, ys)
    columns = {x_parameter: X.ravel(), y_parameter: Y.ravel()}
    currents = columns.pop(cm.spec.current_input, current) if cm.spec.current_input else current
    run = run_batch(model, X.size, duration=duration, transient=transient, dt=dt, current=currents,
                    parameters=columns, overrides=overrides, cancel=cancel, progress=progress)
    return RateMap(x_parameter, y_parameter, cm.display_unit(x_parameter), cm.display_unit(y_parameter), xs, ys,
                   run.rates().reshape(X.shape))
