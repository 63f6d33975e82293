"""A population of neurons of one model, stepped by the compiled VM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.equations.ir import NeuronIR, refractory_steps
from engine.fixedpoint import QFormat
from engine.fused import linear_kernel
from engine.native import network as _network
from engine.native import vm as _vm
from engine.program import compile_program


def _on_cache_lines(values: np.ndarray) -> np.ndarray:
    """A C-ordered copy of ``values`` starting on a 64-byte cache line.  The network kernel cuts a population
    among its threads at multiples of 64 neurons; with the array (and so, for row lengths of whole lines,
    every row) starting on a line, no line holds neurons of two threads, which would otherwise pass it to
    and fro at every step (NumPy's own large arrays start 16 bytes into a line)."""
    raw = np.empty(values.nbytes + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start:start + values.nbytes].view(values.dtype).reshape(values.shape)
    out[...] = values
    return out


@dataclass
class RunResult:
    """Recorded values (``record[step, variable, neuron]``) and spikes as (step, neuron) pairs."""

    record: np.ndarray
    names: tuple[str, ...]
    spike_steps: np.ndarray
    spike_neurons: np.ndarray


class PopulationVM:
    """State of ``n`` neurons of one IR and the VM that advances them.

    Values in ``slots`` are float64 in the model's unit system or, in fixed
    point, raw integers of ``fmt``.  :meth:`run` drives the population as a
    one-population network through the network kernel's step loop
    (ext/network.pyx), the same loop every network runs in.
    """

    def __init__(self, ir: NeuronIR, n: int, fmt: QFormat | None = None, seed: int = 0, fused: bool = True):
        self.ir = ir
        self.n = n
        self.fmt = fmt
        self.seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self.program = compile_program(ir, fmt)
        self.step_index = 0
        initial = np.array([s.initial for s in ir.slots], dtype=np.float64)
        if fmt is None:
            self.slots = _on_cache_lines(np.repeat(initial[:, None], n, axis=1))
            self.vm = None
        else:
            self.slots = _on_cache_lines(np.repeat(fmt.to_store(initial)[:, None], n, axis=1))
            self.vm = self._fixed_vm()
        # The hand-fused kernel runs qualifying float models; the VM runs everything else.
        self.fused = fmt is None and fused
        self.kernel = linear_kernel(ir) if self.fused else None
        self.refc = _on_cache_lines(np.zeros(n, dtype=np.int32))
        self.ref_steps = np.full(n, ir.refractory_steps, dtype=np.int32)
        if ir.refractory_kind == "param":
            self.set_refractory_from_param()
        self._network = None  # the one-population network kernel, made by the first run
        self._samplers: dict[tuple[str, ...], int] = {}

    def _fixed_vm(self):
        fmt, program = self.fmt, self.program
        return _vm.FixedVM(program.code, program.consts, program.nregs, program.ref_mode,
                           self.ir.slot_index("lastspike"), fmt.frac, fmt.acc, fmt.total, fmt.overflow == "wrap",
                           fmt.rounding == "nearest", fmt.quantize(self.ir.dt), program.knots, program.tables,
                           len(self.ir.slots))

    def recompile(self, ir: NeuronIR) -> None:
        """Run a new IR with the same slots (e.g. a changed folded parameter), keeping the state."""
        if ir.slot_names != self.ir.slot_names:
            raise ValueError("a recompiled model must keep its slots")
        self.ir = ir
        self.program = compile_program(ir, self.fmt)
        if self.fmt is None:
            self.kernel = linear_kernel(ir) if self.fused else None
        else:
            overflows = self.vm.overflows
            self.vm = self._fixed_vm()
            self.vm.overflows[:] = overflows
        if ir.refractory_kind == "steps":
            self.ref_steps[:] = ir.refractory_steps
        if self._network is not None:
            if self.fmt is None:
                self._network.update_population(0, self.program, self.program.nregs, self.program.ref_mode,
                                                self.kernel)
            else:
                self._network.update_fixed_population(0, self.vm)

    def set_refractory_from_param(self) -> None:
        """Recompute per-neuron refractory step counts from the refractory parameter."""
        values = self.get(self.ir.refractory_param)
        self.ref_steps[:] = refractory_steps(self.ir, values)  # in place: the network kernel holds this array

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

    def _kernel(self):
        """This population as a one-population network (its arrays shared, not copied)."""
        if self._network is None:
            net = _network.NetworkKernel(self.ir.dt)
            net.check_finite = False  # a lone population runs on through NaN, as analyses expect
            if self.fmt is None:
                net.add_population(self.slots, self.refc, self.ref_steps, self.program, self.program.nregs,
                                   self.program.ref_mode, self.index("lastspike"), self.seed, self.kernel, -1, [])
            else:
                net.add_fixed_population(self.slots, self.refc, self.ref_steps, self.vm, self.seed, -1)
            self._network = net
        return self._network

    def _sampler(self, record: tuple[str, ...]) -> int:
        if record not in self._samplers:
            rows = [self.index(k) for k in record]
            self._samplers[record] = self._kernel().add_sampler(0, rows, np.arange(self.n), 1)
        return self._samplers[record]

    def run(self, nsteps: int, inputs: dict[str, np.ndarray] | None = None,
            record: tuple[str, ...] = ()) -> RunResult:
        """Advance ``nsteps``; ``inputs`` gives per-step values (model units) of input slots for all neurons."""
        inputs = inputs or {}
        nsteps = int(nsteps)
        kernel = self._kernel()
        rows = np.array([self.index(k) for k in inputs], dtype=np.int32)
        values = np.zeros((nsteps, len(inputs)), dtype=np.float64)
        for q, v in enumerate(inputs.values()):
            values[:, q] = np.broadcast_to(np.asarray(v, dtype=np.float64), (nsteps,))
        if self.fmt is not None:
            values = self.fmt.to_store(values)
        samples = {}
        if record:
            samples[self._sampler(tuple(record))] = np.zeros((nsteps, len(record), self.n))
        spikes, _ = kernel.run(self.step_index, nsteps, {}, {}, samples, {0: (rows, values)} if len(rows) else {})
        steps, neurons = spikes[0]
        rec = next(iter(samples.values())) if samples else np.zeros((nsteps, 0, self.n))
        if self.fmt is not None:
            rec = rec.astype(np.int64)
        self.step_index += nsteps
        return RunResult(rec, tuple(record), steps, neurons)
