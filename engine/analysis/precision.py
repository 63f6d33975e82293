"""The same neuron in float64 and in fixed point: errors, spike-time differences, overflows.

A fixed-point run stores every state in the format's ``total`` bits and
counts each store that saturates (or wraps) as an overflow of that variable
(:attr:`engine.population_vm.PopulationVM.overflows`).  Inputs (the injected current,
spike weights) are brought into the storage range silently by the VM, so the
report counts those clipped values separately.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.analysis.common import AnalysisError, Model, Progress, check_cancel, checked
from engine.analysis.stimulus import CurrentProtocol
from engine.analysis.traces import Trace, trace
from engine.equations.units import UnitError, quantity_in
from engine.fixedpoint import QFormat
from engine.run.neuron import SpikeInput

# Spike times are multiples of dt computed in floating point: compare them with this slack (ms).
_SLACK = 1e-9


@dataclass(frozen=True)
class SpikeMatch:
    """Spikes of a reference and a test train paired in order within a window (times in ms).

    ``differences = test - reference`` of each matched pair; ``missing`` are
    reference spikes without a partner, ``extra`` test spikes without one.
    """

    reference: np.ndarray
    test: np.ndarray
    differences: np.ndarray
    missing: np.ndarray
    extra: np.ndarray

    @property
    def max_difference(self) -> float:
        """Largest absolute time difference of a matched pair (ms; 0 without pairs)."""
        return float(np.max(np.abs(self.differences))) if len(self.differences) else 0.0

    def within(self, tolerance_ms: float) -> bool:
        """Every spike matched, each within ``tolerance_ms``."""
        return not len(self.missing) and not len(self.extra) and self.max_difference <= tolerance_ms + _SLACK


def match_spikes(reference: np.ndarray, test: np.ndarray, window_ms: float) -> SpikeMatch:
    """Pair two sorted spike trains in order: a pair is at most ``window_ms`` apart."""
    ref, tst = np.sort(np.asarray(reference, float)), np.sort(np.asarray(test, float))
    pairs: list[tuple[int, int]] = []
    missing, extra = [], []
    i = j = 0
    while i < len(ref) and j < len(tst):
        d = tst[j] - ref[i]
        if abs(d) <= window_ms + _SLACK:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif d < 0:
            extra.append(j)
            j += 1
        else:
            missing.append(i)
            i += 1
    missing += range(i, len(ref))
    extra += range(j, len(tst))
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return SpikeMatch(ref[a], tst[b], tst[b] - ref[a], ref[np.array(missing, dtype=np.int64)],
                      tst[np.array(extra, dtype=np.int64)])


@dataclass(frozen=True)
class PrecisionReport:
    """Float64 ``reference`` and fixed-point ``fixed`` runs of one protocol, overlaid.

    ``errors[name]`` is ``fixed - reference`` per step (the variable's unit);
    ``ranges[name]`` the (min, max) of the reference; ``overflows`` the
    saturated stores per variable in the fixed run; ``clipped_inputs`` the
    input values (current samples, spikes per weight) outside the storage range.
    """

    fmt: QFormat
    reference: Trace
    fixed: Trace
    errors: Mapping[str, np.ndarray]
    ranges: Mapping[str, tuple[float, float]]
    spikes: SpikeMatch
    overflows: Mapping[str, int]
    clipped_inputs: Mapping[str, int]

    @property
    def max_errors(self) -> dict[str, float]:
        return {k: float(np.max(np.abs(v))) if len(v) else 0.0 for k, v in self.errors.items()}


def compare_precision(model: Model, fmt: QFormat, *, duration: float = 1.0, dt: float = 1e-4,
                      stimuli: tuple[CurrentProtocol, ...] = (), spikes: tuple[SpikeInput, ...] = (),
                      overrides: Mapping[str, str] | None = None, window_ms: float = 5.0,
                      reference: Trace | None = None) -> PrecisionReport:
    """Run ``model`` in float64 and in ``fmt`` under the same protocol and compare.

    Spikes are paired in order within ``window_ms``.  Pass ``reference`` to
    reuse a float run of the same protocol.
    """
    args = dict(duration=duration, dt=dt, stimuli=stimuli, spikes=spikes, overrides=overrides)
    ref = reference if reference is not None else trace(model, **args)
    fx = trace(model, fixed=fmt, **args)
    errors = {k: fx.values[k] - ref.values[k] for k in ref.values}
    ranges = {k: (float(np.min(v)), float(np.max(v))) for k, v in ref.values.items()}
    return PrecisionReport(fmt, ref, fx, errors, ranges, match_spikes(ref.spike_times, fx.spike_times, window_ms),
                           dict(fx.overflows), _clipped(model, fmt, ref, spikes, overrides))


def _clipped(model: Model, fmt: QFormat, ref: Trace, spikes: tuple[SpikeInput, ...], overrides) -> dict[str, int]:
    top = fmt.store_max / fmt.one
    out: dict[str, int] = {}
    if len(ref.current) and np.any(np.abs(ref.current) > top):
        out["current"] = int(np.count_nonzero(np.abs(ref.current) > top))
    if spikes:
        system = checked(model, overrides).system
        for si in spikes:
            if abs(_weight(si, system)) > top:
                key = f"weight {si.weight}"
                out[key] = out.get(key, 0) + len(si.times)
    return out


def _weight(si: SpikeInput, system) -> float:
    try:
        return quantity_in(si.weight, system)[0]
    except UnitError as exc:
        raise AnalysisError(f"spike weight `{si.weight}`: {exc}") from exc


@dataclass(frozen=True)
class FormatTrial:
    """One format tried: whether spikes stayed within tolerance, the worst shift (ms), overflows."""

    fmt: QFormat
    ok: bool
    max_difference: float
    missing: int
    extra: int
    overflows: int


@dataclass(frozen=True)
class FormatSearch:
    """The narrowest format found (``None`` if none up to the widest tried) and every trial, narrowest first."""

    fmt: QFormat | None
    integer_bits: int
    largest_value: float
    tolerance_ms: float
    trials: tuple[FormatTrial, ...]


def narrowest_format(model: Model, tolerance_ms: float, *, duration: float = 1.0, dt: float = 1e-4,
                     stimuli: tuple[CurrentProtocol, ...] = (), spikes: tuple[SpikeInput, ...] = (),
                     overrides: Mapping[str, str] | None = None, max_total: int = 32,
                     overflow: str = "saturate", rounding: str = "truncate",
                     cancel: threading.Event | None = None, progress: Progress | None = None) -> FormatSearch:
    """The narrowest Q format whose spike times stay within ``tolerance_ms`` of the float64 run.

    The search: run the protocol once in float64; the integer bits (sign
    included) are the fewest that hold the largest magnitude of any state
    variable, the injected current, a spike weight or the refractory period
    (all stored in the format's storage width).  With those integer bits fixed,
    fraction bits grow from 0 until a run has exactly the reference's spikes,
    each within ``tolerance_ms`` (spikes are paired in order), or the total
    width would exceed ``max_total``.  The first such format is returned; its
    accumulator is ``min(2*total, 32)`` bits as in :meth:`QFormat.parse`.
    Widths are not assumed monotone: every narrower fraction width was tried
    and failed.  ``cancel`` stops the search between trials (raising
    ``Cancelled``); ``progress`` hears the fraction of widths tried.
    """
    cm = checked(model, overrides)
    args = dict(duration=duration, dt=dt, stimuli=stimuli, spikes=spikes, overrides=overrides)
    ref = trace(model, **args)
    magnitudes = [float(np.max(np.abs(v))) for v in ref.values.values() if len(v)]
    magnitudes.append(float(np.max(np.abs(ref.current))) if len(ref.current) else 0.0)
    magnitudes += [abs(_weight(si, cm.system)) for si in spikes]
    if cm.refractory[0] == "param":
        magnitudes.append(abs(cm.parameters[cm.refractory[1]].value))
    largest = max(magnitudes)
    integer = max(1, math.floor(math.log2(largest)) + 2) if largest > 0 else 1
    trials = []
    widths = max_total - integer + 1
    for frac in range(0, widths):
        check_cancel(cancel)
        if progress is not None:
            progress(frac / widths)
        total = integer + frac
        if total < 2:
            continue
        fmt = QFormat(total, frac, max(total, min(2 * total, 32)), overflow, rounding)
        fx = trace(model, fixed=fmt, **args)
        match = match_spikes(ref.spike_times, fx.spike_times, tolerance_ms)
        ok = match.within(tolerance_ms)
        trials.append(FormatTrial(fmt, ok, match.max_difference, len(match.missing), len(match.extra),
                                  sum(fx.overflows.values())))
        if ok:
            return FormatSearch(fmt, integer, largest, tolerance_ms, tuple(trials))
    return FormatSearch(None, integer, largest, tolerance_ms, tuple(trials))
