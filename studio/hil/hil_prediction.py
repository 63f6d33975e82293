"""What the engine predicts a board running a project does: spikes, probed values and the parameter bank.

:class:`EnginePrediction` builds the project's network in the board's fixed-point
format and runs it in whole steps as far as it is asked (:meth:`~EnginePrediction.extend`),
so the prediction keeps ahead of a running board.  Neurons are named by their global
index (populations in project order, concatenated) and probe variables by their index
among the population's probed slots (:attr:`hdl.core.NetworkCore.probe_slots`), as the
HIL protocol names them.  A parameter write (:meth:`~EnginePrediction.write`) takes effect
from a given step: the prediction is run again from the start with it.
Building and running take a while: call them off the GUI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Fragment

from engine.fixedpoint import QFormat
from engine.network.devices import Sampler
from engine.run.simulation import Simulation
from hdl.core import NetworkCore
from hdl.design import HardwareError, param_banks, plan_network
from hdl.netcosim import DEFAULT_FORMAT
from studio.project.project_file import load_network

CHUNK_STEPS = 1000


@dataclass(frozen=True)
class BankEntry:
    """One entry of the board's parameter bank: a raw fixed-point constant of a population.

    The bank of a population is its index in the project; its entries are the values every neuron
    of it shares that the core reads as constants, in the core's order (:func:`hdl.design.param_banks`).
    """

    bank: int
    entry: int
    population: str
    name: str
    raw: int  # the value the project gives it
    unit: str = ""  # the unit of its value in the model's units ("pA"), "" when it is no model parameter


@dataclass(frozen=True)
class Write:
    """A parameter write applied from ``step`` on."""

    step: int
    bank: int
    entry: int
    value: int


class EnginePrediction:
    """The fixed-point engine's run of the project at ``path`` in format ``fmt``, as a board reports it.

    Attributes
    ----------
    populations
        ``(name, first global index, size)`` in project order.
    bank
        The parameter bank (:class:`BankEntry`), bank by bank.
    probe_slots
        Population -> the names of its probe variables, in the protocol's order.
    steps
        Steps predicted so far.

    Raises
    ------
    NeuroCoreError
        The project cannot be read or built, or the hardware cannot take it.
    """

    def __init__(self, path: str | os.PathLike, fmt: QFormat = DEFAULT_FORMAT):
        self.path = str(path)
        self.fmt = fmt
        self._network()
        plan = plan_network(self.network)
        self.dt = self.network.dt
        offsets = np.cumsum([0] + [p.size for p in plan.populations])
        self.populations = tuple((p.name, int(offsets[k]), p.size) for k, p in enumerate(plan.populations))
        self.n_neurons = int(offsets[-1])
        try:
            core = NetworkCore(plan)
            Fragment.get(core, None)  # only its layout is read here, but every part of it counts as used (0.1 s)
        except HardwareError as exc:
            raise HardwareError(f"{os.path.basename(self.path)}: {exc}") from exc
        self.probe_slots = core.probe_slots
        self.bank = tuple(BankEntry(k, e, name, slot, plan.populations[k].constants[slot], self._unit(name, slot))
                          for k, (name, slots) in enumerate(param_banks(plan)) for e, slot in enumerate(slots))
        self.writes: tuple[Write, ...] = ()

    def _network(self) -> None:
        _, self.network = load_network(self.path, fmt=self.fmt)
        self.simulation = Simulation(self.network, chunk_steps=CHUNK_STEPS)
        self._applied = 0

    def _unit(self, population: str, name: str) -> str:
        model = self.network.populations[population].model
        parameter = model.parameters.get(name)
        return model.system.unit_name(parameter.dim) if parameter is not None else ""

    def probe_pairs(self) -> tuple[tuple[int, int], ...]:
        """The (global neuron, variable) pairs the project's recorders sample: what a board can probe."""
        pairs = []
        for device in self.network.devices.values():
            if isinstance(device, Sampler):
                name, first, _ = next(p for p in self.populations if p[0] == device.population.name)
                slots = self.probe_slots.get(name, ())
                pairs += [(first + int(n), slots.index(s)) for n in device.neurons for s in device.record_from
                          if s in slots]
        return tuple(dict.fromkeys(pairs))

    @property
    def steps(self) -> int:
        return self.simulation.step

    def extend(self, steps: int) -> None:
        """Run the engine until it has predicted ``steps`` steps, applying the writes on their steps."""
        while self.simulation.step < steps:
            until = steps
            pending = self.writes[self._applied:]
            if pending:
                if pending[0].step <= self.simulation.step:
                    self._apply(pending[0])
                    continue
                until = min(until, pending[0].step)
            self.simulation.run((until - self.simulation.step) * self.dt)

    def write(self, write: Write) -> None:
        """Predict with ``write`` from its step on (the run starts again when it has gone past that step)."""
        steps = self.simulation.step
        self.writes = tuple(sorted((*self.writes, write), key=lambda w: w.step))
        if write.step < steps:
            self._network()
        self.extend(steps)

    def _apply(self, write: Write) -> None:
        entry = next(e for e in self.bank if (e.bank, e.entry) == (write.bank, write.entry))
        pop = self.network.populations[entry.population]
        pop.state.slots[pop.ir.slot_index(entry.name)][:] = write.value
        self._applied += 1

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Every predicted spike so far: (steps, global neuron indices), sorted by step then neuron."""
        rec = self.simulation.recording
        steps, neurons = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for name, first, _ in self.populations:
            steps += rec.spike_steps.get(name, [])
            neurons += [np.asarray(n, np.int64) + first for n in rec.spike_neurons.get(name, [])]
        s, n = np.concatenate(steps).astype(np.int64), np.concatenate(neurons)
        order = np.lexsort((n, s))
        return s[order], n[order]

    def probe(self, neuron: int, variable: int) -> tuple[np.ndarray, np.ndarray]:
        """The engine's raw values of ``variable`` of global ``neuron``: (steps, values); empty when no recorder
        of the project samples it."""
        name, first, _ = next(p for p in self.populations if p[1] <= neuron < p[1] + p[2])
        slots = self.probe_slots.get(name, ())
        for device in self.network.devices.values():
            if (variable >= len(slots) or not isinstance(device, Sampler) or device.population.name != name
                    or slots[variable] not in device.record_from or not device.samples):
                continue
            column = np.flatnonzero(device.neurons == neuron - first)
            if column.size:
                values = np.concatenate(device.samples)[:, device.record_from.index(slots[variable]), column[0]]
                return np.concatenate(device.sample_steps), self.fmt.to_store(values).astype(np.int64)
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
