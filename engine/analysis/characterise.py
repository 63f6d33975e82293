"""One-click characterisation of a neuron model: firing pattern, rheobase, f-I curve, ISIs, sensitivities.

The model is probed as an electrophysiologist would probe a cell:

1. **Rheobase**: constant currents on a logarithmic grid (``1e-2 .. 1e5`` in
   the model's current unit, all run at once as one population), refined by
   :func:`~engine.analysis.fi_curve.fi_curve` between the last silent and the
   first firing current.
2. **f-I curve** from the rheobase to ten times it: the slope is the
   least-squares line through the rates of the first half of that range, the
   maximum rate the largest rate over all of it.
3. **Firing pattern** under a step from 100 ms to the end of a one-second
   trace, of twice the rheobase — or of the first current of the f-I range
   above it that gives at least three spikes (a neuron that fires once at the
   rheobase is probed where it fires repetitively).  The features measured
   there decide the pattern, in this order (thresholds as in the
   electrophysiology literature; the adaptation index is the Allen Cell Types
   one, the ISI ratio the last three ISIs' mean over the first):

   ========== ===========================================================
   silent     no spike at any current of the grid
   delayed    first spike later than 100 ms and than twice the mean ISI
   bursting   sorted ISIs split into short and long groups at a gap
              >= 3x, the short group >= 30% and the long >= 10%
   phasic     fewer than three spikes at every current of the f-I range
   fast-      >= 50 Hz, not adapting
   spiking
   adapting   adaptation index >= 0.05 or ISI ratio >= 2 (ISIs lengthen)
   irregular  ISI CV >= 0.3
   tonic      otherwise
   ========== ===========================================================

4. **Sensitivity** of the rate at the test current to each tunable parameter
   (±10%, :func:`~engine.analysis.isi.rate_sensitivity`), the five largest.
5. **State ranges**: the least and greatest value of each state in the trace.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from engine.analysis.batch import run_batch
from engine.analysis.common import AnalysisError, Model, Progress, check_cancel, checked, current_unit
from engine.analysis.fi_curve import fi_curve
from engine.analysis.isi import isi_stats, rate_sensitivity
from engine.analysis.stimulus import Step
from engine.analysis.traces import trace
from engine.models.base import LibraryModel

PATTERNS = ("tonic", "adapting", "bursting", "irregular", "fast-spiking", "delayed", "phasic", "silent")
GRID = np.geomspace(1e-2, 1e5, 36)
ONSET = 0.1  # s: the step of the pattern test starts here
DURATION = 1.0  # s: the pattern test's whole trace
ADAPTING, ISI_RATIO, FAST_HZ, IRREGULAR_CV = 0.05, 2.0, 50.0, 0.3
REPETITIVE = 3  # spikes
BURST_GAP, BURST_SHORT, BURST_LONG = 3.0, 0.3, 0.1


@dataclass(frozen=True)
class Characterisation:
    """What :func:`characterise` measured; currents in ``current_unit``, rates in Hz, times in ms."""

    model: str
    pattern: str
    reasons: tuple[str, ...]
    features: Mapping[str, float]
    current_unit: str
    rheobase: float
    test_current: float
    fi_currents: np.ndarray
    fi_rates: np.ndarray
    fi_slope: float
    max_rate: float
    isi_mean: float
    isi_cv: float
    sensitive: tuple[tuple[str, float], ...]
    state_ranges: Mapping[str, tuple[float, float, str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain JSON-ready data (NaN as ``None``)."""
        def number(x):
            return None if x is None or not math.isfinite(float(x)) else float(x)

        return {
            "model": self.model, "pattern": self.pattern, "reasons": list(self.reasons),
            "features": {k: number(v) for k, v in self.features.items()},
            "current_unit": self.current_unit, "rheobase": number(self.rheobase),
            "test_current": number(self.test_current), "fi_slope_hz_per_unit": number(self.fi_slope),
            "max_rate_hz": number(self.max_rate), "isi_mean_ms": number(self.isi_mean),
            "isi_cv": number(self.isi_cv),
            "fi_curve": {"currents": [float(c) for c in self.fi_currents], "rates_hz": [float(r) for r in self.fi_rates]},
            "most_sensitive": [{"parameter": n, "sensitivity": number(s)} for n, s in self.sensitive],
            "state_ranges": {k: {"min": number(lo), "max": number(hi), "unit": u}
                             for k, (lo, hi, u) in self.state_ranges.items()},
        }


def adaptation_index(isi: np.ndarray) -> float:
    """Mean of ``(ISI[k+1] - ISI[k]) / (ISI[k+1] + ISI[k])``: > 0 when intervals lengthen (NaN with < 2 ISIs)."""
    if len(isi) < 2:
        return float("nan")
    return float(np.mean(np.diff(isi) / (isi[1:] + isi[:-1])))


def isi_ratio(isi: np.ndarray) -> float:
    """The mean of the last three ISIs over the first (NaN with < 2 ISIs)."""
    return float(np.mean(isi[-3:]) / isi[0]) if len(isi) >= 2 else float("nan")


def burst_split(isi: np.ndarray) -> tuple[float, float]:
    """The largest ratio between consecutive sorted ISIs and the fraction of ISIs below that gap (NaN, NaN if < 3)."""
    if len(isi) < 3:
        return float("nan"), float("nan")
    ordered = np.sort(isi)
    ratios = ordered[1:] / np.maximum(ordered[:-1], 1e-12)
    k = int(np.argmax(ratios))
    return float(ratios[k]), (k + 1) / len(ordered)


def classify(features: Mapping[str, float]) -> tuple[str, tuple[str, ...]]:
    """The firing pattern the features name, with the measured features that decided it."""
    spikes = features["spikes"]
    if spikes == 0:
        return "silent", ("no spike at any current up to the largest tried",)
    if spikes < REPETITIVE:
        return "phasic", (f"{spikes:.0f} spike(s) after the step at every current up to 10 × the rheobase",)
    latency, mean_isi = features["latency_ms"], features["isi_mean_ms"]
    if latency > ONSET * 1e3 and (math.isnan(mean_isi) or latency > 2 * mean_isi):
        gap = f" > 2 × mean ISI {mean_isi:.3g} ms" if not math.isnan(mean_isi) else " with a single spike"
        return "delayed", (f"first spike {latency:.3g} ms after the step{gap}",)
    gap, short = features["burst_gap"], features["burst_short_fraction"]
    if gap >= BURST_GAP and BURST_SHORT <= short <= 1 - BURST_LONG:
        return "bursting", (f"ISIs split at a {gap:.3g}× gap", f"{short:.0%} of ISIs in the short group")
    rate, adapt, ratio, cv = (features[k] for k in ("rate_hz", "adaptation_index", "isi_ratio", "isi_cv"))
    adapting = adapt >= ADAPTING or ratio >= ISI_RATIO
    steady = (f"adaptation index {adapt:.3g} < {ADAPTING:g}", f"ISI ratio {ratio:.3g} < {ISI_RATIO:g}")
    if rate >= FAST_HZ and not adapting:
        return "fast-spiking", (f"{rate:.3g} Hz ≥ {FAST_HZ:g} Hz", *steady)
    if adapting:
        return "adapting", (f"adaptation index {adapt:.3g}, ISI ratio {ratio:.3g}: ISIs lengthen",)
    if cv >= IRREGULAR_CV:
        return "irregular", (f"ISI CV {cv:.3g} ≥ {IRREGULAR_CV:g}",)
    return "tonic", (*steady, f"ISI CV {cv:.3g} < {IRREGULAR_CV:g}")


def _pattern_features(spike_times: np.ndarray) -> dict[str, float]:
    after = spike_times[spike_times > ONSET * 1e3]
    isi = np.diff(after)
    stats = isi_stats(after)
    gap, short = burst_split(isi)
    return {"spikes": float(len(after)), "rate_hz": len(after) / (DURATION - ONSET),
            "latency_ms": float(after[0] - ONSET * 1e3) if len(after) else float("nan"),
            "isi_mean_ms": stats.mean, "isi_cv": stats.cv, "adaptation_index": adaptation_index(isi),
            "isi_ratio": isi_ratio(isi),
            "burst_gap": gap, "burst_short_fraction": short}


def characterise(model: Model, *, overrides: Mapping[str, str] | None = None, dt: float = 1e-4,
                 cancel: threading.Event | None = None, progress: Progress | None = None) -> Characterisation:
    """Characterise ``model`` (see the module's docstring); ``progress`` hears the fraction done, 0..1."""
    cm = checked(model, overrides)
    name = model.name if isinstance(model, LibraryModel) else "model"
    unit = current_unit(cm)
    report = progress or (lambda fraction: None)
    grid_run = run_batch(model, len(GRID), duration=0.5, dt=dt, current=GRID, overrides=overrides, cancel=cancel)
    firing = np.flatnonzero(grid_run.rates() > 0)
    report(0.2)
    if len(firing) == 0:
        features = {"spikes": 0.0}
        pattern, reasons = classify(features)
        return Characterisation(name, pattern, reasons, features, unit, float("nan"), float("nan"), np.zeros(0),
                                np.zeros(0), float("nan"), 0.0, float("nan"), float("nan"), ())
    lo = float(GRID[firing[0] - 1]) if firing[0] > 0 else 0.0
    hi = float(GRID[firing[0]])
    rheobase = fi_curve(model, [lo, hi], duration=0.5, dt=dt, overrides=overrides, cancel=cancel).rheobase
    report(0.35)
    currents = rheobase * np.linspace(1.0, 10.0, 19)
    fi = fi_curve(model, currents, duration=1.0, dt=dt, overrides=overrides, cancel=cancel)
    half = currents <= rheobase * 5.5
    fi_slope = float(np.polyfit(currents[half], fi.rates[half], 1)[0])
    report(0.55)
    for test_current in currents[2:]:
        check_cancel(cancel)
        run = trace(model, duration=DURATION, dt=dt, stimuli=(Step(test_current, onset=ONSET),), overrides=overrides)
        features = _pattern_features(run.spike_times)
        if features["spikes"] >= REPETITIVE:
            break
    pattern, reasons = classify(features)
    report(0.7)
    check_cancel(cancel)
    try:
        sens = rate_sensitivity(model, current=test_current, duration=1.0, dt=dt, overrides=overrides, cancel=cancel)
        order = np.argsort(-np.nan_to_num(np.abs(sens.sensitivity), nan=-1.0))[:5]
        sensitive = tuple((sens.parameters[k], float(sens.sensitivity[k])) for k in order)
    except AnalysisError:
        sensitive = ()
    report(1.0)
    ranges = {k: (float(np.min(v)), float(np.max(v)), run.units[k]) for k, v in run.values.items()}
    return Characterisation(name, pattern, reasons, features, unit, rheobase, test_current, currents, fi.rates,
                            fi_slope, float(fi.rates.max()), features["isi_mean_ms"], features["isi_cv"],
                            sensitive, ranges)
