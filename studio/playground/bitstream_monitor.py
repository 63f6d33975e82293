"""What the bitstream scope shows, Qt-free: chosen stochastic-computing streams over time, their statistics, and
the triggers that stop the display when a stream misbehaves.

A :class:`BitstreamMonitor` is fed one step at a time with named packed streams of ``L`` bits
(engine/stochastic/sc_streams.py: uint64 words, least significant bit first) and the value each should
encode.  For every stream it keeps, over a bounded number of recent steps, the popcount, the density
``popcount / L`` against the expected value, and the effective bits (:func:`effective_bits`); for a chosen pair
the stochastic cross-correlation (SCC) per step.  Triggers (:class:`DensityTrigger`, :class:`SccTrigger`)
are checked as steps arrive; each firing is a :class:`TriggerHit` the scope marks (and pauses on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.stochastic.sc_streams import popcount, scc, word_count

DEFAULT_CAPACITY = 2048  # steps kept per stream


def effective_bits(density, expected, length: int) -> np.ndarray:
    """The bits a stream's value is good to: ``-log2 |density - expected|``, at most ``log2 L`` (a stream of
    ``L`` bits resolves ``1/L``, so an exact one has all ``log2 L`` bits)."""
    error = np.abs(np.asarray(density, dtype=float) - np.asarray(expected, dtype=float))
    cap = np.log2(length)
    with np.errstate(divide="ignore"):
        bits = -np.log2(error)
    return np.minimum(bits, cap)


@dataclass(frozen=True)
class StreamSeries:
    """One stream over the steps kept, oldest first: time (ms), popcount, density, expected value, the error
    ``density - expected`` and the effective bits."""

    t_ms: np.ndarray
    popcount: np.ndarray
    density: np.ndarray
    expected: np.ndarray
    error: np.ndarray
    effective_bits: np.ndarray


@dataclass(frozen=True)
class DensityTrigger:
    """Fires when stream ``stream``'s density leaves the band ``expected ± band``."""

    stream: str
    band: float

    def describe(self) -> str:
        return f"{self.stream}: density outside expected ± {self.band:g}"


@dataclass(frozen=True)
class SccTrigger:
    """Fires when the SCC of streams ``a`` and ``b`` exceeds ``bound`` in magnitude (correlated streams make
    an AND multiply wrong)."""

    a: str
    b: str
    bound: float

    def describe(self) -> str:
        return f"|SCC({self.a}, {self.b})| > {self.bound:g}"


Trigger = DensityTrigger | SccTrigger


@dataclass(frozen=True)
class TriggerHit:
    """A trigger fired at step ``step`` (time ``t_ms``) with the value that broke it."""

    trigger: Trigger
    step: int
    t_ms: float
    value: float

    def __str__(self) -> str:
        what = "density error" if isinstance(self.trigger, DensityTrigger) else "SCC"
        return f"t = {self.t_ms:g} ms: {self.trigger.describe()} ({what} {self.value:+.3f})"


class _History:
    """A stream's last ``capacity`` steps: packed bits, time, expected value (a ring)."""

    def __init__(self, capacity: int, width: int):
        self.bits = np.zeros((capacity, width), dtype=np.uint64)
        self.t_ms = np.zeros(capacity)
        self.expected = np.zeros(capacity)
        self.count = 0

    def add(self, t_ms: float, bits: np.ndarray, expected: float) -> None:
        row = self.count % len(self.t_ms)
        self.bits[row], self.t_ms[row], self.expected[row] = bits, t_ms, expected
        self.count += 1

    def ordered(self, column: np.ndarray) -> np.ndarray:
        """``column`` (one of this ring's arrays) oldest first."""
        size = len(self.t_ms)
        if self.count <= size:
            return column[:self.count]
        start = self.count % size
        return np.concatenate([column[start:], column[:start]])


class BitstreamMonitor:
    """Streams of ``length`` bits fed step by step (see the module's description).

    Attributes
    ----------
    triggers : list
        The :class:`DensityTrigger` and :class:`SccTrigger` checked on every step.
    hits : list[TriggerHit]
        Every firing so far, oldest first.
    version : int
        Changes on every change (a scope redraws when it did).
    """

    def __init__(self, length: int, capacity: int = DEFAULT_CAPACITY):
        self.length = int(length)
        self.capacity = int(capacity)
        self.width = word_count(self.length)
        self.streams: dict[str, _History] = {}
        self.triggers: list[Trigger] = []
        self.hits: list[TriggerHit] = []
        self.steps = 0
        self.version = 0

    @property
    def names(self) -> list[str]:
        """The streams fed so far, in the order they first came."""
        return list(self.streams)

    def add(self, t_ms: float, streams: Mapping[str, np.ndarray], expected: Mapping[str, float]) -> list[TriggerHit]:
        """Take one step: ``streams[name]`` the packed bits, ``expected[name]`` the value it should encode
        (unipolar, in [0, 1]); the triggers that fired on it."""
        for name, bits in streams.items():
            history = self.streams.get(name)
            if history is None:
                history = self.streams[name] = _History(self.capacity, self.width)
            history.add(t_ms, np.asarray(bits, dtype=np.uint64).reshape(self.width), float(expected[name]))
        fired = [hit for trigger in self.triggers if (hit := self._check(trigger, t_ms)) is not None]
        self.hits += fired
        self.steps += 1
        self.version += 1
        return fired

    def reset(self) -> None:
        """Forget every step and firing (the triggers stay)."""
        self.streams.clear()
        self.hits.clear()
        self.steps = 0
        self.version += 1

    def series(self, name: str) -> StreamSeries:
        """Stream ``name`` over the steps kept."""
        h = self.streams[name]
        counts = popcount(h.ordered(h.bits)) if h.count else np.zeros(0, dtype=np.int64)
        density = counts / self.length
        expected = h.ordered(h.expected)
        return StreamSeries(h.ordered(h.t_ms), counts, density, expected, density - expected,
                            effective_bits(density, expected, self.length))

    def scc_series(self, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        """(time in ms, SCC per step) of streams ``a`` and ``b`` over the steps both kept."""
        ha, hb = self.streams[a], self.streams[b]
        n = min(ha.count, hb.count, self.capacity)
        if n == 0:
            return np.zeros(0), np.zeros(0)
        return ha.ordered(ha.t_ms)[-n:], scc(ha.ordered(ha.bits)[-n:], hb.ordered(hb.bits)[-n:], self.length)

    def _latest(self, name: str) -> tuple[np.ndarray, float] | None:
        h = self.streams.get(name)
        if h is None or h.count == 0:
            return None
        row = (h.count - 1) % self.capacity
        return h.bits[row], h.expected[row]

    def _check(self, trigger: Trigger, t_ms: float) -> TriggerHit | None:
        if isinstance(trigger, DensityTrigger):
            latest = self._latest(trigger.stream)
            if latest is None:
                return None
            error = int(popcount(latest[0])) / self.length - latest[1]
            return TriggerHit(trigger, self.steps, t_ms, error) if abs(error) > trigger.band else None
        a, b = self._latest(trigger.a), self._latest(trigger.b)
        if a is None or b is None:
            return None
        value = float(scc(a[0], b[0], self.length))
        return TriggerHit(trigger, self.steps, t_ms, value) if abs(value) > trigger.bound else None
