"""A population of neurons of one model, stepped by the compiled VM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.equations.ir import NeuronIR
from engine.fixedpoint import QFormat
from engine.fused import linear_kernel
from engine.native import vm as _vm
from engine.program import Program, _Compiler

_SPIKE_BUFFER = 1 << 22


def compile_program(ir: NeuronIR, fmt: QFormat | None = None) -> Program:
    """Bytecode for ``ir`` (float64, or fixed point in ``fmt``)."""
    return _Compiler(ir, fmt).compile()


@dataclass
class RunResult:
    """Recorded values (``record[step, variable, neuron]``) and spikes as (step, neuron) pairs."""

    record: np.ndarray
    names: tuple[str, ...]
    spike_steps: np.ndarray
    spike_neurons: np.ndarray


class PopulationVM:
    """State of ``n`` neurons of one IR and the VM that advances them.

    Values in ``slots`` are in the model's unit system (float64 by default, or
    float32 with ``dtype``) or, in fixed point, raw integers of ``fmt``.
    """

    def __init__(self, ir: NeuronIR, n: int, fmt: QFormat | None = None, seed: int = 0,
                 fused: bool = True, dtype=np.float64):
        self.ir = ir
        self.n = n
        self.fmt = fmt
        self.seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self.program = compile_program(ir, fmt)
        self.step_index = 0
        initial = np.array([s.initial for s in ir.slots], dtype=np.float64)
        ls = ir.slot_index("lastspike")
        if fmt is None:
            self.slots = np.repeat(initial[:, None], n, axis=1).astype(dtype)
            self.vm = _vm.FloatVM(self.program.code, self.program.consts, self.program.nregs,
                                  self.program.ref_mode, ls)
        else:
            q = np.array([fmt.quantize(v) if abs(v) < 1e300 else fmt.store_min for v in initial], dtype=np.int64)
            q = np.clip(q, fmt.store_min, fmt.store_max)
            self.slots = np.repeat(q[:, None], n, axis=1)
            self.vm = _vm.FixedVM(self.program.code, self.program.consts, self.program.nregs,
                                  self.program.ref_mode, ls, fmt.frac, fmt.acc, fmt.total,
                                  fmt.overflow == "wrap", fmt.rounding == "nearest",
                                  fmt.quantize(ir.dt), self.program.knots, self.program.tables, len(ir.slots))
        # The hand-fused kernel runs qualifying float models; the VM runs everything else.
        self.fused = fmt is None and fused and dtype == np.float64
        self.kernel = linear_kernel(ir) if self.fused else None
        self.refc = np.zeros(n, dtype=np.int32)
        self.ref_steps = np.full(n, ir.refractory_steps, dtype=np.int32)
        if ir.refractory_kind == "param":
            self.set_refractory_from_param()

    def recompile(self, ir: NeuronIR) -> None:
        """Run a new IR with the same slots (e.g. a changed folded parameter), keeping the state."""
        if ir.slot_names != self.ir.slot_names:
            raise ValueError("a recompiled model must keep its slots")
        self.ir = ir
        self.program = compile_program(ir, self.fmt)
        if self.fmt is None:
            self.vm = _vm.FloatVM(self.program.code, self.program.consts, self.program.nregs,
                                  self.program.ref_mode, ir.slot_index("lastspike"))
            self.kernel = linear_kernel(ir) if self.fused else None
        else:
            self.vm = _vm.FixedVM(self.program.code, self.program.consts, self.program.nregs,
                                  self.program.ref_mode, ir.slot_index("lastspike"), self.fmt.frac, self.fmt.acc,
                                  self.fmt.total, self.fmt.overflow == "wrap", self.fmt.rounding == "nearest",
                                  self.fmt.quantize(ir.dt), self.program.knots, self.program.tables, len(ir.slots))
        if ir.refractory_kind == "steps":
            self.ref_steps[:] = ir.refractory_steps

    def set_refractory_from_param(self) -> None:
        """Recompute per-neuron refractory step counts from the refractory parameter."""
        values = self.get(self.ir.refractory_param)
        self.ref_steps[:] = np.rint(values / self.ir.dt)  # in place: the network kernel holds this array

    def index(self, name: str) -> int:
        return self.ir.slot_index(name)

    def get(self, name: str) -> np.ndarray:
        """Values of a slot in model units (floats, also in fixed point)."""
        raw = self.slots[self.index(name)]
        return raw.copy() if self.fmt is None else self.fmt.to_float(raw)

    def set(self, name: str, values) -> None:
        """Set a slot from model-unit values (quantized in fixed point)."""
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), (self.n,))
        if self.fmt is None:
            self.slots[self.index(name)] = values
        else:
            self.slots[self.index(name)] = self.fmt.to_store(values)

    @property
    def overflows(self) -> dict[str, int]:
        """Overflow counts per slot (fixed point only)."""
        if self.fmt is None:
            return {}
        return {s.name: int(c) for s, c in zip(self.ir.slots, self.vm.overflows) if c}

    def run(self, nsteps: int, inputs: dict[str, np.ndarray] | None = None,
            record: tuple[str, ...] = ()) -> RunResult:
        """Advance ``nsteps``; ``inputs`` gives per-step values (model units) of input slots for all neurons."""
        inputs = inputs or {}
        nsteps = int(nsteps)
        in_slots = np.array([self.index(k) for k in inputs], dtype=np.int32)
        in_values = np.zeros((nsteps, len(inputs)), dtype=np.float64)
        for q, values in enumerate(inputs.values()):
            in_values[:, q] = np.broadcast_to(np.asarray(values, dtype=np.float64), (nsteps,))
        rec_slots = np.array([self.index(k) for k in record], dtype=np.int32)
        rec = np.zeros((nsteps, len(record), self.n), dtype=self.slots.dtype)
        if self.fmt is not None:
            in_values = self.fmt.to_store(in_values)
        # Sub-chunks small enough that the spike buffer holds the worst case (every neuron, every step).
        sub = max(1, min(nsteps, _SPIKE_BUFFER // max(self.n, 1)))
        steps_out, neurons_out = [], []
        for start in range(0, nsteps, sub):
            count = min(sub, nsteps - start)
            spike_steps = np.empty(count * self.n, dtype=np.int32)
            spike_neurons = np.empty(count * self.n, dtype=np.int32)
            part = rec[start:start + count]
            if self.kernel is not None:
                total = self.kernel.run(self.slots, self.refc, self.ref_steps, self.step_index, count,
                                        self.ir.dt, in_slots, in_values[start:start + count], rec_slots, part,
                                        spike_steps, spike_neurons)
            elif self.fmt is None:
                total = self.vm.run(self.slots, self.refc, self.ref_steps, self.step_index, count, self.ir.dt,
                                    self.seed, in_slots, in_values[start:start + count], rec_slots, part,
                                    spike_steps, spike_neurons)
            else:
                total = self.vm.run(self.slots, self.refc, self.ref_steps, self.step_index, count, self.seed,
                                    in_slots, in_values[start:start + count], rec_slots, part,
                                    spike_steps, spike_neurons)
            steps_out.append(spike_steps[:total] + self.step_index)
            neurons_out.append(spike_neurons[:total])
            self.step_index += count
        spike_steps = np.concatenate(steps_out) if steps_out else np.zeros(0, np.int32)
        spike_neurons = np.concatenate(neurons_out) if neurons_out else np.zeros(0, np.int32)
        return RunResult(rec, tuple(record), spike_steps, spike_neurons)
