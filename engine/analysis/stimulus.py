"""Stimulus protocols: injected currents sampled per time step, and input spike trains.

A current protocol's ``current(nsteps, dt)`` gives one value per step in the
model's current unit (``pA`` in NEST units): element ``k`` is the protocol at
``t = k*dt`` and acts during step ``k``.  Times are in seconds, frequencies in
Hz.  Protocols add up (:func:`current_array`).  Spike trains are
:class:`~engine.run.neuron.SpikeInput` values sent to a receptor port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from engine.analysis.common import AnalysisError
from engine.equations.model import CheckedModel, ModelSpec
from engine.models.base import LibraryModel
from engine.run.neuron import SpikeInput


class CurrentProtocol(Protocol):
    def current(self, nsteps: int, dt: float) -> np.ndarray: ...


def _times(nsteps: int, dt: float) -> np.ndarray:
    return np.arange(nsteps) * dt


def _window(t: np.ndarray, onset: float, offset: float | None) -> np.ndarray:
    # Half a step of slack so that onsets given on the grid are not lost to rounding.
    eps = 0.5 * (t[1] - t[0]) if len(t) > 1 else 0.0
    inside = t >= onset - eps
    if offset is not None:
        inside &= t < offset - eps
    return inside


@dataclass(frozen=True)
class Constant:
    """``amplitude`` for the whole run."""

    amplitude: float

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        return np.full(nsteps, float(self.amplitude))


@dataclass(frozen=True)
class Step:
    """``amplitude`` from ``onset`` until ``offset`` (``None``: the end), ``baseline`` outside."""

    amplitude: float
    onset: float = 0.0
    offset: float | None = None
    baseline: float = 0.0

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        return np.where(_window(_times(nsteps, dt), self.onset, self.offset), self.amplitude, self.baseline)


@dataclass(frozen=True)
class Ramp:
    """Linear from ``start`` at ``onset`` to ``amplitude`` at ``offset``; zero outside."""

    amplitude: float
    onset: float
    offset: float
    start: float = 0.0

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        if self.offset <= self.onset:
            raise AnalysisError("a ramp needs offset > onset")
        t = _times(nsteps, dt)
        frac = (t - self.onset) / (self.offset - self.onset)
        return np.where(_window(t, self.onset, self.offset), self.start + (self.amplitude - self.start) * frac, 0.0)


@dataclass(frozen=True)
class Sine:
    """``mean + amplitude*sin(2 pi frequency (t - onset) + phase)`` from ``onset`` (NEST's ac_generator)."""

    amplitude: float
    frequency: float
    mean: float = 0.0
    phase: float = 0.0
    onset: float = 0.0
    offset: float | None = None

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        t = _times(nsteps, dt)
        wave = self.mean + self.amplitude * np.sin(2 * np.pi * self.frequency * (t - self.onset) + self.phase)
        return np.where(_window(t, self.onset, self.offset), wave, 0.0)


@dataclass(frozen=True)
class PulseTrain:
    """Pulses of ``amplitude`` and ``width`` every ``period`` from ``onset``; ``count`` of them, or to the end."""

    amplitude: float
    width: float
    period: float
    onset: float = 0.0
    count: int | None = None

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        if self.period <= 0 or not 0 < self.width <= self.period:
            raise AnalysisError("a pulse train needs period > 0 and 0 < width <= period")
        k = np.arange(nsteps)
        first = int(round(self.onset / dt))
        per, wid = max(1, int(round(self.period / dt))), max(1, int(round(self.width / dt)))
        since = k - first
        on = (since >= 0) & (since % per < wid)
        if self.count is not None:
            on &= since < self.count * per
        return np.where(on, float(self.amplitude), 0.0)


@dataclass(frozen=True)
class Noise:
    """Gaussian current of ``mean`` and ``std``, a new value every ``interval`` (default: every step), seeded.

    Like NEST's ``noise_generator``, the value is held for ``interval``; its
    effect on the membrane therefore depends on ``interval``.
    """

    mean: float
    std: float
    seed: int = 0
    interval: float | None = None

    def current(self, nsteps: int, dt: float) -> np.ndarray:
        hold = 1 if self.interval is None else max(1, int(round(self.interval / dt)))
        draws = np.random.default_rng(self.seed).standard_normal(-(-nsteps // hold))
        return self.mean + self.std * np.repeat(draws, hold)[:nsteps]


def current_array(protocols: Iterable[CurrentProtocol], nsteps: int, dt: float) -> np.ndarray:
    """The sum of ``protocols`` sampled for ``nsteps`` steps of ``dt`` seconds (model current unit)."""
    total = np.zeros(nsteps)
    for p in protocols:
        total += p.current(nsteps, dt)
    return total


def receptor_port(model: LibraryModel | ModelSpec | CheckedModel, receptor: str) -> int:
    """The 1-based port of the receptor called ``receptor`` (what :class:`SpikeInput` takes)."""
    names = list(model.receptors)
    if receptor not in names:
        raise AnalysisError(f"`{receptor}` is not a receptor of the model (it has: {', '.join(names) or 'none'})")
    return names.index(receptor) + 1


def regular_spikes(rate: float, weight: str, *, onset: float = 0.0, offset: float, port: int = 0) -> SpikeInput:
    """Spikes every ``1/rate`` seconds from ``onset`` to before ``offset`` with ``weight`` (a quantity string)."""
    if rate <= 0:
        raise AnalysisError("a spike train needs a positive rate")
    times = onset + np.arange(int(np.ceil((offset - onset) * rate - 1e-9))) / rate
    return SpikeInput(tuple(float(s) for s in times), weight, port)


def poisson_spikes(rate: float, weight: str, *, onset: float = 0.0, offset: float, port: int = 0,
                   seed: int = 0) -> SpikeInput:
    """A Poisson train of ``rate`` Hz between ``onset`` and ``offset`` seconds, seeded."""
    if rate <= 0:
        raise AnalysisError("a spike train needs a positive rate")
    rng = np.random.default_rng(seed)
    count = rng.poisson(rate * (offset - onset))
    times = np.sort(rng.uniform(onset, offset, count))
    return SpikeInput(tuple(float(s) for s in times), weight, port)
