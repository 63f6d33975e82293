"""What a board has reported in a HIL session, kept as arrays, and where it first parts from the engine.

:class:`Telemetry` takes the board's messages as they arrive (:meth:`~Telemetry.add`):
spikes by step and global neuron, probe samples by (neuron, variable), the latest
``Status``, and how far the board is known to have run (:attr:`~Telemetry.horizon`).
:func:`first_divergence` compares two spike sets over a range of steps, :func:`first_probe_mismatch`
the board's probe samples with the engine's values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hdl.hil_protocol import Message, ProbeSamples, Spikes, Status


class _Rows:
    """Columns of int64 appended to at their end, grown by doubling (appending stays cheap on average)."""

    def __init__(self, columns: int):
        self._data = np.zeros((columns, 256), np.int64)
        self.size = 0

    def append(self, n: int, *columns) -> None:
        """Append ``n`` rows: each of ``columns`` is one value for all of them, or ``n`` values."""
        if self.size + n > self._data.shape[1]:
            grown = np.zeros((len(self._data), 2 * (self.size + n)), np.int64)
            grown[:, :self.size] = self._data[:, :self.size]
            self._data = grown
        for row, values in zip(self._data, columns):
            row[self.size:self.size + n] = values
        self.size += n

    def columns(self) -> tuple[np.ndarray, ...]:
        """The rows so far, column by column (views: copy to keep)."""
        return tuple(self._data[:, :self.size])


@dataclass
class Telemetry:
    """The board's spikes, probe samples and status so far.

    Attributes
    ----------
    status
        The latest ``Status`` (``None`` before the first).
    horizon
        Steps the board has surely finished: the latest Status's ``step``, or the step of its newest spike
        (the steps before it are complete; a spike frame of that step may still follow).
    """

    status: Status | None = None
    horizon: int = 0
    messages: int = 0
    _spikes: _Rows = field(default_factory=lambda: _Rows(2))  # steps, neurons
    _probes: dict[tuple[int, int], _Rows] = field(default_factory=dict)  # steps, raw values

    def add(self, message: Message) -> None:
        """Take one message from the board (commands' Acks are the session's business)."""
        self.messages += 1
        if isinstance(message, Spikes):
            self._spikes.append(len(message.neurons), message.step, message.neurons)
            self.horizon = max(self.horizon, message.step)
        elif isinstance(message, ProbeSamples):
            for neuron, variable, value in message.samples:
                pair = self._probes.get((neuron, variable))
                if pair is None:
                    pair = self._probes[(neuron, variable)] = _Rows(2)
                pair.append(1, message.step, value)
            self.horizon = max(self.horizon, message.step)
        elif isinstance(message, Status):
            self.status = message
            self.horizon = max(self.horizon, message.step)

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Every spike received: (steps, global neurons), in order of arrival (views: copy to keep)."""
        return self._spikes.columns()

    @property
    def probed(self) -> list[tuple[int, int]]:
        """The (neuron, variable) pairs samples arrived for."""
        return sorted(self._probes)

    def probe(self, neuron: int, variable: int) -> tuple[np.ndarray, np.ndarray]:
        """The samples of ``variable`` of ``neuron``: (steps, raw values), in order of arrival (views: copy to
        keep)."""
        rows = self._probes.get((neuron, variable))
        return rows.columns() if rows is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))


def first_divergence(board: tuple[np.ndarray, np.ndarray], engine: tuple[np.ndarray, np.ndarray],
                     start: int, stop: int) -> dict | None:
    """The first (step, neuron) in ``start <= step < stop`` where one side spiked and the other did not:
    ``{"step", "neuron", "board", "engine"}`` (1 where that side spiked), or None when they agree there."""
    def keys(steps, neurons):
        inside = (steps >= start) & (steps < stop)
        return np.unique(steps[inside] * (1 << 20) + neurons[inside])

    ours, theirs = keys(*board), keys(*engine)
    differ = np.setxor1d(ours, theirs, assume_unique=True)
    if not differ.size:
        return None
    key = int(differ[0])
    step, neuron = key >> 20, key & ((1 << 20) - 1)
    return {"step": step, "neuron": neuron, "board": int(np.isin(key, ours)), "engine": int(np.isin(key, theirs))}


def first_probe_mismatch(telemetry: Telemetry, engine_probe) -> dict | None:
    """The first sample (by step, then neuron and variable) where the board's value is not the engine's:
    ``{"step", "neuron", "variable", "board", "engine"}`` (``engine`` None where the engine has no value
    at that step), or None when every sample agrees.  ``engine_probe(neuron, variable)`` gives the
    engine's (steps, raw values)."""
    worst = None
    for neuron, variable in telemetry.probed:
        steps, values = telemetry.probe(neuron, variable)
        known = dict(zip(*(a.tolist() for a in engine_probe(neuron, variable))))
        for step, value in zip(steps.tolist(), values.tolist()):
            if known.get(step) != value:
                found = {"step": step, "neuron": neuron, "variable": variable, "board": value,
                         "engine": known.get(step)}
                if worst is None or (step, neuron, variable) < (worst["step"], worst["neuron"], worst["variable"]):
                    worst = found
                break
    return worst
