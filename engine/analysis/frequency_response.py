"""Frequency response: how a neuron's firing follows a sinusoidal drive, swept over frequency.

For each frequency ``f`` the neuron runs under ``mean + amplitude*sin(2 pi f t)``
for a whole number of cycles after a transient.  The rate's modulation at
``f`` is the first Fourier coefficient of the spike train,
``r1 = (1/T) sum_k exp(-2 pi i f t_k)``: a rate ``r0 + A sin(2 pi f t + phi)``
gives ``A = 2|r1|`` and ``phi = arg(r1) + 90°``.  The gain is ``A`` over the
drive's amplitude; a negative phase is a lag behind the drive.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.analysis.common import AnalysisError, Model, Progress, check_cancel, checked, current_unit
from engine.analysis.stimulus import Sine
from engine.analysis.traces import trace


@dataclass(frozen=True)
class FrequencyResponse:
    """Per frequency (Hz): mean rate (Hz), modulation amplitude (Hz), gain (Hz per current unit), phase (degrees)."""

    frequencies: np.ndarray
    mean_rate: np.ndarray
    modulation: np.ndarray
    gain: np.ndarray
    phase: np.ndarray
    mean: float
    amplitude: float
    current_unit: str


def rate_modulation(spike_times_ms: np.ndarray, frequency: float, start_ms: float, stop_ms: float) -> tuple[float, float, float]:
    """Mean rate (Hz), modulation amplitude (Hz) and phase (degrees) at ``frequency`` of spikes in ``[start, stop)``."""
    t = np.asarray(spike_times_ms, dtype=np.float64)
    t = t[(t >= start_ms) & (t < stop_ms)] * 1e-3
    span = (stop_ms - start_ms) * 1e-3
    r1 = np.exp(-2j * np.pi * frequency * t).sum() / span
    phase = math.degrees(np.angle(r1) + np.pi / 2)
    return len(t) / span, 2 * abs(r1), (phase + 180.0) % 360.0 - 180.0


def frequency_response(model: Model, frequencies, *, mean: float, amplitude: float, cycles: int = 20,
                       min_duration: float = 1.0, transient: float = 0.2, dt: float = 1e-4,
                       overrides: Mapping[str, str] | None = None, cancel: threading.Event | None = None,
                       progress: Progress | None = None) -> FrequencyResponse:
    """Sweep a sinusoidal drive (model current unit) over ``frequencies`` (Hz), one run each.

    Each run measures at least ``cycles`` whole cycles and ``min_duration``
    seconds after ``transient``.  ``cancel`` stops between and within runs
    (raising ``Cancelled``); ``progress`` hears the fraction of frequencies done.
    """
    freqs = np.asarray(frequencies, dtype=np.float64)
    if len(freqs) == 0 or np.any(freqs <= 0):
        raise AnalysisError("frequencies must be positive (Hz)")
    unit = current_unit(checked(model, overrides))
    rows = []
    for i, f in enumerate(freqs):
        check_cancel(cancel)
        whole = math.ceil(max(cycles, min_duration * f)) / f
        run = trace(model, duration=transient + whole, dt=dt, overrides=overrides,
                    stimuli=(Sine(amplitude, f, mean=mean, onset=0.0),))
        rows.append(rate_modulation(run.spike_times, f, transient * 1e3, (transient + whole) * 1e3))
        if progress is not None:
            progress((i + 1) / len(freqs))
    mean_rate, modulation, phase = (np.array(col) for col in zip(*rows))
    return FrequencyResponse(freqs, mean_rate, modulation, modulation / abs(amplitude) if amplitude else
                             np.full(len(freqs), np.nan), phase, mean, amplitude, unit)
