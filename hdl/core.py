# amaranth: UnusedElaboratable=no
"""The time-multiplexed network core: a whole fixed-point network as one Amaranth design.

Built from a :class:`~hdl.design.NetworkPlan`, one module per concern:

* :class:`PopulationUnit` (``pop_<names>``) holds the neurons of one or more
  populations (:func:`~hdl.design.plan_units`: populations with equal programs
  that do not read a neuron's identity share one unit) in RAM, concatenated
  (state, parameter ROM, refractory counters, a sticky overflow flag, the
  neuron's spikes of its last steps), and per receptor one input memory (one
  word per neuron: the exact sum, in units of the input's ``scale``, of the
  weights arriving in the next step), and streams every neuron through its one
  :class:`~hdl.datapath.NeuronDatapath` (one neuron per clock) in the update
  pass of a step: it reads the neuron and its input words, adds the Poisson
  counts of its generators (the xorshift32 source of docs/fixed-point.md),
  saturates the input once, clears the input words, and writes the neuron back
  with its refractory counter, ``lastspike`` and spike history.  A neuron that
  spiked ``d - 1`` steps ago, where ``d`` is the delay of one of its
  projections, is an *event* of this step.  The unit also adds delivered
  weights into its inputs (read-add-write).
* :class:`SlicedUnit` (``pop_<names>`` with ``slice_<k>``): a unit that
  updates ``lanes`` neurons per clock (the plan's ``lanes``,
  :func:`~hdl.design.unit_slices`): its words split into equal slices, each a
  :class:`PopulationUnit` of its own (memories, datapath), all streaming at
  the same time; their spikes, events and probes leave one per clock through
  a small FIFO per slice, and delivery addresses a slice and a word in it.
* :class:`SpikeDelivery` (``delivery``) takes the step's events from a FIFO and
  walks the CSR rows of each event's projections of that delay (every
  projection's row pointers in one ROM, every synapse in another) into the
  target inputs, which the next step reads: a spike of step ``t`` arrives in
  step ``t + delay``, as in the engine, with delay lines of one bit per neuron
  and step instead of a ring of ``delay + 1`` rows of sums.
* :class:`NetworkCore` (the top) sequences a step: every unit's update pass
  (one unit after another, the slices of a unit together), then delivery,
  then the step's end; free-running (``run``), single-stepped (``step_req``)
  or paced to at least ``pace`` clocks per step; it reports spikes, probed
  state and counters on its ports, per population.

Each step does exactly what the engine's network kernel does in fixed point
(ext/network.pyx), so the two agree bit for bit; ``hdl/netcosim.py`` proves it
under Verilator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.datapath import NeuronDatapath, above_range, at_least, below_range
from hdl.sc_delivery import ScProjectionUnit, value_bits
from hdl.design import (
    MAX_STEPS,
    NetworkPlan,
    UnitPlan,
    constant_slots,
    param_banks,
    plan_units,
    source_delays,
    unit_slices,
)

COUNTER_BITS = 32
MAX_PROBES = 8
# Loaded tables start empty, but Amaranth gives every memory initial contents (zeros), which a RAM without
# them (the iCE40UP's SPRAM) cannot take: this Yosys command, run after reading the design, drops them.
YOSYS_EMPTY_LOADED_TABLES = "delete t:$meminit_v2 r:MEMID=*loaded_* %i"


def _bits(n: int) -> int:
    """Unsigned bits to hold ``0..n``."""
    return max(1, int(n).bit_length())


def _pack(fields: list[tuple[int, int]]) -> int:
    """Concatenate (value, width) pairs, the first in the low bits (two's complement)."""
    word, shift = 0, 0
    for value, width in fields:
        word |= (int(value) & ((1 << width) - 1)) << shift
        shift += width
    return word


def _xorshift32(x):
    x = x ^ (x << 13)[:32]
    x = x ^ (x >> 17)
    return x ^ (x << 5)[:32]


def _saturate(m: Module, value, bits: int):
    """``value`` clipped to ``bits`` signed bits (a new signal)."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    out = Signal(signed(bits))
    m.d.comb += out.eq(Mux(below_range(value, bits), lo, Mux(above_range(value, bits), hi, value)))
    return out


def _times(value, k: int):
    """``value * k`` for a positive constant ``k`` as a sum of shifts (``k`` has few set bits)."""
    terms = [value << s for s in range(k.bit_length()) if k >> s & 1]
    return sum(terms[1:], terms[0])


def _weighted(count, weight: int, total: int):
    """``count * weight`` for a small unsigned ``count``: shifts and adds when the weight's odd factor
    has at most three set bits (no multiplier block), else a multiply."""
    magnitude = abs(int(weight))
    if magnitude == 0:
        return Const(0, signed(2))
    odd = magnitude >> ((magnitude & -magnitude).bit_length() - 1)
    if bin(odd).count("1") > 3:
        return count * Const(weight, signed(total + 1))
    product = _times(Cat(count, Const(0, 1)).as_signed(), magnitude)
    return -product if weight < 0 else product


def _select(index, values: list, shape):
    """``values[index]`` for constants: a constant when they are all equal, else a chain of muxes."""
    if all(v == values[0] for v in values):
        return Const(values[0], shape)
    out = Const(values[-1], shape)
    for k in range(len(values) - 2, -1, -1):
        out = Mux(index == k, Const(values[k], shape), out)
    return out


def _select_signal(index, values: list):
    """``values[index]`` for signals: a chain of muxes (the last one for any other index)."""
    out = values[-1]
    for k in range(len(values) - 2, -1, -1):
        out = Mux(index == k, values[k], out)
    return out


def _window(step, first: int, last: int):
    """``first <= step <= last`` on the step's low 32 bits (``last = MAX_STEPS - 1``: no end)."""
    low = step[:32]
    inside = at_least(low, first)
    if last < MAX_STEPS - 1:
        inside = inside & ~at_least(low, last + 1) & (step[32:] == 0)
    return inside


def _count_reached(value, thresholds) -> Value:
    """How many of the constant ``thresholds`` an unsigned ``value`` reaches: each comparison as logic
    (:func:`~hdl.datapath.at_least`), their thermometer code (sorted, ``reached[k]``: at least ``k + 1``)
    turned into binary."""
    reached = [at_least(value, c) for c in sorted(thresholds)]
    n = len(reached)

    def at_least_count(k: int):
        return reached[k - 1] if k <= n else Const(0)

    bits = []
    for b in range(_bits(n)):  # bit b is set for counts start..start + 2**b - 1, start = 2**b, 3 * 2**b, ...
        runs = [at_least_count(start) & ~at_least_count(start + (1 << b))
                for start in range(1 << b, n + 1, 1 << (b + 1))]
        bits.append(Cat(*runs).any())
    return Cat(*bits)


@dataclass(frozen=True)
class DeliveryLayout:
    """Every projection's CSR in two ROMs: row pointers (each projection's block at ``row_base``) and
    synapses (targets as unit word indices, weights in units of the target ring's scale)."""

    rows: list[int]
    row_base: dict[int, int]
    synapses: list[int]
    target_bits: int
    weight_bits: int  # 0: each projection's one weight is a constant
    weights: dict[int, int]  # shared weights (scaled) of projections without per-synapse weights

    @property
    def pointer_bits(self) -> int:
        return _bits(max(self.rows, default=0))

    @property
    def synapse_bits(self) -> int:
        return self.target_bits + self.weight_bits

    @property
    def image(self) -> list[int]:
        """The words a loader writes into the tables (``tables="loaded"``): row pointers, then synapses."""
        return self.rows + self.synapses

    @property
    def image_bits(self) -> int:
        return max(self.pointer_bits, self.synapse_bits)


def _slice_size(plan: NetworkPlan, unit: UnitPlan) -> int:
    """Words per slice of a unit split into slices (:func:`~hdl.design.unit_slices`); 0 for a whole unit."""
    spans = unit_slices(plan, unit)
    return spans[0][1] - spans[0][0] if len(spans) > 1 else 0


def _target_word(plan: NetworkPlan, unit: UnitPlan, words: np.ndarray) -> np.ndarray:
    """Unit words as the delivery addresses them: the word itself, or in a sliced unit its slice in the
    high bits above its word within the slice."""
    size = _slice_size(plan, unit)
    if not size:
        return words
    return ((words // size) << _bits(size - 1)) | (words % size)


def delivery_layout(plan: NetworkPlan, units: tuple[UnitPlan, ...]) -> DeliveryLayout:
    unit_of = {p: u for u in units for p in u.populations}
    target_bits = _bits(max(int(_target_word(plan, u, np.array([u.size - 1]))[0]) for u in units))
    scaled: dict[int, list[int]] = {}
    weights: dict[int, int] = {}
    exact = [q for q in plan.projections if q.sc is None]  # SC projections keep their own tables
    per_synapse = any(q.weights is not None for q in exact)
    for q in exact:
        ring = plan.rings[q.ring]
        unit = unit_of[ring.population]
        scale = next(r.scale for r in unit.inputs if r.receptor == ring.receptor)
        values = q.weights if q.weights is not None else np.full(q.targets.size, q.weight, dtype=np.int64)
        scaled[q.index] = np.asarray(values, dtype=np.int64) // scale  # floor division, as Python's //
        weights[q.index] = int(q.weight) // scale if q.weights is None else 0
    widest = 2
    for q in exact:
        largest = max(int(np.abs(scaled[q.index]).max(initial=0)), abs(weights[q.index]))
        widest = max(widest, largest.bit_length() + 1)
    weight_bits = widest if per_synapse else 0
    rows, row_base, synapses = [], {}, []
    for q in exact:
        ring = plan.rings[q.ring]
        unit = unit_of[ring.population]
        base = unit.bases[unit.position(ring.population)]
        row_base[q.index] = len(rows)
        rows += [len(synapses) + int(v) for v in q.indptr]
        # _pack of (target, weight) for every synapse at once (two's complement weights, target in the low bits).
        targets = _target_word(plan, unit, np.asarray(q.targets, dtype=np.int64) + base) & ((1 << target_bits) - 1)
        packed = targets | ((scaled[q.index] & ((1 << weight_bits) - 1)) << target_bits)
        synapses += packed.tolist()
    return DeliveryLayout(rows, row_base, synapses, target_bits, weight_bits, weights)


def delivery_width(plan: NetworkPlan) -> int:
    """Signed bits of a delivered weight (the widest scaled weight of any projection)."""
    layout = delivery_layout(plan, plan_units(plan))
    widest = layout.weight_bits or 2
    for w in layout.weights.values():
        widest = max(widest, int(w).bit_length() + 1)
    return max([widest] + [value_bits(q.sc) for q in plan.projections if q.sc is not None])


class PopulationUnit(wiring.Component):
    """One unit's neurons, inputs and datapath; see the module docstring.

    ``span``: the slice (first word, end) of the unit that this one holds (:class:`SlicedUnit`; it then
    has a ``hold`` input that pauses its issue, and reads the ``constant_regs`` of the first slice);
    ``None``: the whole unit.
    """

    def __init__(self, plan: NetworkPlan, unit: UnitPlan, weight_bits: int, mask_bits: int,
                 writable: bool = False, resettable: bool = False, span: tuple[int, int] | None = None,
                 constant_regs: dict | None = None):
        self.plan, self.unit = plan, unit
        self.sliced = span is not None
        self.span = span or (0, unit.size)
        self.size = self.span[1] - self.span[0]
        self.writable = writable
        self.resettable = resettable
        self.pops = [plan.populations[k] for k in unit.populations]
        self.pop = self.pops[0]
        self.fmt = plan.fmt
        self.inputs = list(unit.inputs)
        self.delays = [source_delays(plan, p.index) for p in self.pops]
        self.history_bits = max((d for ds in self.delays for d in ds), default=1) - 1
        self.poissons = [g for g in plan.poissons if g.population in unit.populations]
        self.currents = [c for c in plan.currents if c.population in unit.populations]
        self.probed = tuple(dict.fromkeys(s for pr in plan.probes if pr.population in unit.populations
                                          for s in pr.slots))
        self.neuron_bits = _bits(self.size - 1)  # a word of the unit's memories
        self.local_bits = max(p.neuron_bits for p in self.pops)  # a neuron of one population
        self.which_bits = _bits(len(self.pops) - 1)  # a population of the unit
        self.refractory_bits = max(p.refractory_bits for p in self.pops)
        pop = self.pop
        self.datapath = NeuronDatapath(pop.program, seed=pop.seed, population_size=pop.size,
                                       neuron_bits=self.local_bits, dt=pop.dt, tag_width=self._tag_width())
        pop_bits = _bits(max(len(plan.populations) - 1, 1))
        members = {
            "start": In(1), "done": Out(1), "advance": In(1), "step": In(64),
            "spike_valid": Out(1), "spike_pop": Out(pop_bits), "spike_neuron": Out(self.local_bits),
            "probe_valid": Out(1), "probe_pop": Out(pop_bits), "probe_neuron": Out(self.local_bits),
            "event_valid": Out(1), "event_mask": Out(mask_bits),
            "dl_valid": In(1), "dl_input": In(_bits(max(len(self.inputs) - 1, 1))),
            "dl_addr": In(self.neuron_bits), "dl_weight": In(signed(weight_bits)), "dl_ready": Out(1),
            "overflow_events": Out(COUNTER_BITS),
        }
        members.update({f"probe_{k}": Out(signed(self.fmt.total)) for k in range(len(self.probed))})
        if resettable:
            members["clear"] = In(1)
        if self.sliced:
            members["hold"] = In(1)
        super().__init__(wiring.Signature(members))
        # constants the datapath reads, one register per population and slot: the parameter bank
        # (initially the plan's values; NetworkCore writes them between steps)
        self.constant_regs = constant_regs or {(p.index, s): Signal(signed(self.fmt.total), init=p.constants[s],
                                                   name=f"param_{p.name}_{s}") if writable
                              else Const(p.constants[s], signed(self.fmt.total))
                              for p in self.pops for s in constant_slots(plan, unit, p.index)}

    # -- layout of a neuron's words ---------------------------------------------------
    def _tag_width(self) -> int:
        total = self.fmt.total
        width = self.neuron_bits + self.refractory_bits + 2
        width += self.refractory_bits if self._ref_rom else 0
        width += total if self._keep_lastspike else 0
        return width + self.history_bits

    @property
    def _keep_lastspike(self) -> bool:
        """lastspike is held in state RAM but not stored by the program: the core carries it."""
        return self.pop.lastspike and "lastspike" not in self.pop.written

    @property
    def _ref_rom(self) -> bool:
        return any(p.ref_steps.size and not (p.ref_steps == p.ref_steps[0]).all() for p in self.pops)

    @property
    def _params(self) -> tuple[str, ...]:
        """Slots read from the parameter ROM: per-neuron values in any of the unit's populations."""
        wanted = {s for p in self.pops for s in p.params}
        return tuple(s for s in self.datapath.read_slots if s in wanted)

    @property
    def constant_inputs(self) -> frozenset[str]:
        """The datapath's input slots fed with one constant (equal in every population of the unit, not
        writable): synthesis folds what depends on them alone."""
        if self.writable:
            return frozenset()
        fed = {s for s, _ in self.state_layout()} | set(self._params) | {r.slot for r in self.inputs}
        fed |= {self.pop.current_slot} if self.currents else set()
        return frozenset(s for s in self.datapath.read_slots if s not in fed
                         and len({p.constants.get(s) for p in self.pops}) == 1)

    def state_layout(self) -> list[tuple[str, int]]:
        total = self.fmt.total
        history = [("_history", self.history_bits)] if self.history_bits else []
        return [(s, total) for s in self.pop.state] + [("_refc", self.refractory_bits), ("_ovf", 1)] + history

    def rom_layout(self) -> list[tuple[str, int]]:
        fields = [(s, self.fmt.total) for s in self._params]
        return fields + ([("_ref_steps", self.refractory_bits)] if self._ref_rom else [])

    def _init_words(self, layout) -> list[int]:
        words = []
        for p in self.pops:
            values = dict(p.initial)
            values.update({s: [v] * p.size for s, v in p.constants.items()})
            values.update({"_refc": [0] * p.size, "_ovf": [0] * p.size, "_history": [0] * p.size,
                           "_ref_steps": p.ref_steps})
            words += [_pack([(values[name][j], width) for name, width in layout]) for j in range(p.size)]
        return words[self.span[0]:self.span[1]]

    @property
    def slices(self) -> list[PopulationUnit]:
        return [self]

    def initial_layout(self) -> list[tuple[str, int, int]]:
        """The fields of the state word whose initial values differ between neurons (name, bit offset, width):
        what a resettable unit keeps in its ROM of initial values."""
        words = self._init_words(self.state_layout())
        varying, shift = [], 0
        for name, w in self.state_layout():
            if len({(word >> shift) & ((1 << w) - 1) for word in words}) > 1:
                varying.append((name, shift, w))
            shift += w
        return varying

    def _initial_word(self, m: Module, layout, addr):
        """Every neuron's initial state word at ``addr`` (read a clock later): the fields that differ between
        neurons from a ROM, the others constants."""
        words = self._init_words(layout)
        varying = self.initial_layout()
        parts = {}
        if varying:
            rom_words = [_pack([((word >> sh) & ((1 << w) - 1), w) for _, sh, w in varying]) for word in words]
            m.submodules.initial = rom = Memory(shape=unsigned(sum(w for *_, w in varying)), depth=len(words),
                                                init=rom_words)
            port = rom.read_port()
            m.d.comb += port.addr.eq(addr)
            at = 0
            for name, _, w in varying:
                parts[name] = port.data[at:at + w]
                at += w
        fields, shift = [], 0
        for name, w in layout:
            fields.append(parts.get(name, Const((words[0] >> shift) & ((1 << w) - 1), w)))
            shift += w
        return Cat(*fields)

    # -- hardware ------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        unit, pop, fmt, total = self.unit, self.pop, self.fmt, self.fmt.total
        n, nb, lb, wb = self.size, self.neuron_bits, self.local_bits, self.which_bits
        rb = self.refractory_bits
        dp = self.datapath
        m.submodules.neuron = dp

        state_layout = self.state_layout()
        width = sum(w for _, w in state_layout)
        m.submodules.state = state = Memory(shape=unsigned(width), depth=n, init=self._init_words(state_layout))
        st_rd, st_wr = state.read_port(), state.write_port()
        rom_layout = self.rom_layout()
        if rom_layout:
            rom_width = sum(w for _, w in rom_layout)
            m.submodules.params = rom = Memory(shape=unsigned(rom_width), depth=n,
                                               init=self._init_words(rom_layout))
            rom_rd = rom.read_port()

        # update pass: issue neuron j, its words arrive next clock (stage 1), are registered (stage 2)
        issue = Signal(range(n + 1), init=n)
        which, local = Signal(wb), Signal(lb)
        retired = Signal(range(n + 1))
        busy = Signal()
        s1_valid, s1_j, s1_which, s1_local = Signal(), Signal(nb), Signal(wb), Signal(lb)
        first = self.span[0]
        ends = [b - 1 - first for b in unit.bases[1:] if first <= b - 1 < first + n]
        which0 = sum(1 for b in unit.bases[1:] if b <= first)  # the population and neuron of the first word
        local0 = first - unit.bases[which0]
        clearing = Signal()  # a pass that writes every neuron's initial state (``clear``) instead of updating it
        m.d.sync += [s1_valid.eq(0), self.done.eq(0)]
        with m.If(self.start):
            m.d.sync += [issue.eq(0), which.eq(which0), local.eq(local0), retired.eq(0), busy.eq(1)]
        if self.resettable:
            with m.If(self.clear):
                m.d.sync += [issue.eq(0), which.eq(which0), local.eq(local0), busy.eq(1), clearing.eq(1),
                             self.overflow_events.eq(0)]
        more = ~at_least(issue, n)
        if self.sliced:
            more = more & ~self.hold
        with m.Elif(more):
            m.d.sync += [issue.eq(issue + 1), s1_valid.eq(1), s1_j.eq(issue), s1_which.eq(which),
                         s1_local.eq(local)]
            if ends:
                with m.If(Cat(*(issue == e for e in ends)).any()):
                    m.d.sync += [which.eq(which + 1), local.eq(0)]
                with m.Else():
                    m.d.sync += local.eq(local + 1)
            else:
                m.d.sync += local.eq(local + 1)
        m.d.comb += [st_rd.addr.eq(issue)]
        if rom_layout:
            m.d.comb += rom_rd.addr.eq(issue)

        def fields(word, layout):
            out, shift = {}, 0
            for name, w in layout:
                out[name] = word[shift:shift + w]
                shift += w
            return out

        probed = []
        for k, p in enumerate(self.pops):
            mask = [0] * p.size
            for pr in self.plan.probes:
                if pr.population == p.index:
                    for j in pr.neurons:
                        mask[j] = 1
            probed += mask
        probed = probed[self.span[0]:self.span[1]]
        m.submodules.probed = probe_mask = Memory(shape=unsigned(1), depth=n, init=probed)
        probe_rd = probe_mask.read_port()
        m.d.comb += probe_rd.addr.eq(issue)
        st = fields(st_rd.data, state_layout)
        ro = fields(rom_rd.data, rom_layout) if rom_layout else {}

        # the inputs of this step and the generators
        rmw_busy = Signal()
        rmw_addr = Signal(nb)
        rmw_input = Signal.like(self.dl_input)
        rmw_weight = Signal.like(self.dl_weight)
        m.d.comb += self.dl_ready.eq(~rmw_busy & ~busy)
        with m.If(self.dl_valid & self.dl_ready):
            m.d.sync += [rmw_busy.eq(1), rmw_addr.eq(self.dl_addr), rmw_input.eq(self.dl_input),
                         rmw_weight.eq(self.dl_weight)]
        with m.Elif(rmw_busy):
            m.d.sync += rmw_busy.eq(0)
        ring_inputs = {}
        for k, r in enumerate(self.inputs):
            if r.width == 0:
                ring_inputs[r.slot] = Const(0, signed(2))
                continue
            mem = Memory(shape=signed(r.width), depth=n, init=[])
            m.submodules[f"input_{r.receptor}"] = mem
            rd, wr = mem.read_port(), mem.write_port()
            with m.If(busy):
                m.d.comb += [rd.addr.eq(issue), wr.addr.eq(s1_j), wr.data.eq(0), wr.en.eq(s1_valid)]
            with m.Else():
                m.d.comb += [rd.addr.eq(self.dl_addr), wr.addr.eq(rmw_addr), wr.data.eq(rd.data + rmw_weight),
                             wr.en.eq(rmw_busy & (rmw_input == k))]
            ring_inputs[r.slot] = _times(rd.data, r.scale)

        # a generator draws while its neuron is issued; stage 1 weighs the registered count
        drive = {r.slot: [] for r in self.inputs}
        issuing = ~self.start & ~at_least(issue, n) & ~clearing
        for g in self.poissons:
            x = Signal(32, init=g.state, name=f"xorshift_{g.name}")
            nxt = _xorshift32(x)
            u = nxt[16:32]
            count = Signal(_bits(len(g.table)), name=f"poisson_count_{g.name}")
            with m.If(issuing & (which == unit.position(g.population))):
                m.d.sync += [x.eq(nxt), count.eq(_count_reached(u, g.table))]
            if self.resettable:
                with m.If(self.clear):
                    m.d.sync += x.eq(g.state)
            active = _window(self.step, g.first, g.last) & (s1_which == unit.position(g.population))
            slot = self.plan.rings[g.ring].slot
            drive[slot].append(Mux(active, _weighted(count, g.weight, total), 0))
        current = None
        if pop.current_slot is not None:
            per_pop = []
            for k, p in enumerate(self.pops):
                currents = [c for c in self.currents if c.population == p.index]
                if currents:
                    terms = [Mux(_window(self.step, c.first, c.last), Const(c.amplitude, signed(total)), 0)
                             for c in currents]
                    per_pop.append(_saturate(m, sum(terms[1:], terms[0]), total))
                else:
                    per_pop.append(self.constant_regs[(p.index, pop.current_slot)])
            current = _select_signal(s1_which, per_pop)

        # stage 2: the datapath's inputs, registered
        s2_valid = Signal()
        m.d.sync += s2_valid.eq(s1_valid & ~clearing)
        m.d.comb += dp.i_valid.eq(s2_valid)
        m.d.sync += [dp.i_neuron.eq(s1_local), dp.i_step.eq(self.step)]
        refc = st["_refc"]
        m.d.sync += dp.i_not_refractory.eq(refc == 0)
        for name, port in dp.i_slots.items():
            if name in st:
                m.d.sync += port.eq(st[name].as_signed())
            elif name in ro:
                m.d.sync += port.eq(ro[name].as_signed())
            elif name in ring_inputs:
                total_in = sum(drive[name], ring_inputs[name])
                m.d.sync += port.eq(_saturate(m, total_in, total))
            elif name == pop.current_slot:
                m.d.sync += port.eq(current)
            else:
                regs = [self.constant_regs[(p.index, name)] for p in self.pops]
                m.d.sync += port.eq(_select_signal(s1_which, regs))
        tag = [s1_j, refc, st["_ovf"], probe_rd.data]
        if self._ref_rom:
            tag.append(ro["_ref_steps"])
        if self._keep_lastspike:
            tag.append(st["lastspike"])
        if self.history_bits:
            tag.append(st["_history"])
        m.d.sync += dp.i_tag.eq(Cat(*tag))

        # write-back, spikes, probes
        pos = 0

        def take(w):
            nonlocal pos
            out = dp.o_tag[pos:pos + w]
            pos += w
            return out
        out_j, o_refc = take(nb), take(rb)
        # the neuron's population and its index there follow from its word: fewer bits through the pipeline
        out_which, out_local = Signal(wb), Signal(lb)
        passed = _count_reached(out_j, [e + 1 for e in ends]) if ends else 0
        offsets = [first - b for b in unit.bases]  # the index in its population: the word + the first word - base
        m.d.comb += [out_which.eq(which0 + passed),
                     out_local.eq(out_j + _select(out_which, offsets, signed(_bits(max(map(abs, offsets))) + 1)))]
        o_ovf, o_probed = take(1), take(1)
        if self._ref_rom:
            ref_steps = take(rb)
        else:
            ref_steps = _select(out_which, [int(p.ref_steps[0]) if p.size else 0 for p in self.pops], unsigned(rb))
        spike = dp.o_spike
        t_end = Signal(signed(total), init=int(fmt.to_store(pop.dt)))
        dt_q = fmt.quantize(pop.dt)
        with m.If(self.advance):
            m.d.sync += t_end.eq(Mux(t_end > fmt.store_max - dt_q, fmt.store_max, t_end + dt_q))
        if self.resettable:
            with m.If(self.clear):
                m.d.sync += t_end.eq(t_end.init)
        new = {}
        for name in pop.state:
            if name in dp.o_slots:
                new[name] = dp.o_slots[name]
            elif name == "lastspike":
                old = take(total).as_signed()
                new[name] = Mux(spike, t_end, old)
        new_refc = Mux(spike, ref_steps, Mux(o_refc > 0, o_refc - 1, 0))
        # spiked[k]: the neuron spiked k steps ago; a projection of delay d delivers spiked[d - 1] now
        spiked = Cat(spike, take(self.history_bits)) if self.history_bits else spike
        word = Cat(*[new[s].as_unsigned()[:total] for s in pop.state], new_refc[:rb], o_ovf | dp.o_overflow,
                   spiked[:self.history_bits])
        m.d.comb += [st_wr.addr.eq(out_j), st_wr.data.eq(word), st_wr.en.eq(dp.o_valid)]
        if self.resettable:
            initial = self._initial_word(m, state_layout, issue)
            with m.If(clearing):
                m.d.comb += [st_wr.addr.eq(s1_j), st_wr.data.eq(initial), st_wr.en.eq(s1_valid)]
                with m.If(s1_valid & (s1_j == n - 1)):
                    m.d.sync += [busy.eq(0), clearing.eq(0), self.done.eq(1)]
        with m.If(dp.o_valid):
            m.d.sync += retired.eq(retired + 1)
            with m.If(dp.o_overflow):
                m.d.sync += self.overflow_events.eq(self.overflow_events + 1)
        with m.If(busy & ~clearing & (retired == n)):
            m.d.sync += [busy.eq(0), self.done.eq(1)]
        out_pop = _select(out_which, list(unit.populations), self.spike_pop.shape())
        m.d.comb += [self.spike_valid.eq(dp.o_valid & spike), self.spike_neuron.eq(out_local),
                     self.spike_pop.eq(out_pop)]
        masks = [Cat(*(spiked[d - 1] for d in delays)) if delays else Const(0, 1) for delays in self.delays]
        mask = _select_signal(out_which, masks)
        m.d.comb += [self.event_mask.eq(mask), self.event_valid.eq(dp.o_valid & mask.any())]
        if self.probed:
            m.d.comb += [self.probe_valid.eq(dp.o_valid & o_probed), self.probe_neuron.eq(out_local),
                         self.probe_pop.eq(out_pop)]
            for k, name in enumerate(self.probed):
                m.d.comb += getattr(self, f"probe_{k}").eq(new[name])
        return m


class SlicedUnit(wiring.Component):
    """A unit split into slices (:func:`~hdl.design.unit_slices`), each a :class:`PopulationUnit` with its
    own memories and datapath, all updating their neurons at the same time: ``len(slices)`` neurons per
    clock.  The same ports as :class:`PopulationUnit`, but ``dl_addr`` is a slice (high bits) and a word
    in it (low bits).

    What a slice reports (a spike, an event, a probe) waits in the slice's small FIFO; one entry per clock
    leaves through the unit's ports, the lowest slice first.  A slice pauses its issue while its FIFO
    has no room for the neurons it has in flight, so nothing is lost, and spikes being rare, the
    slices hardly ever pause.  ``done`` once every slice is done and every FIFO empty: all of the step's
    spikes and events are out before delivery starts.  The sums of delivered weights are exact integers,
    so the order in which events reach the queue changes no state.
    """

    def __init__(self, plan: NetworkPlan, unit: UnitPlan, spans: tuple[tuple[int, int], ...], weight_bits: int,
                 mask_bits: int, writable: bool = False, resettable: bool = False):
        first = PopulationUnit(plan, unit, weight_bits, mask_bits, writable, resettable, spans[0])
        self.slices = [first] + [PopulationUnit(plan, unit, weight_bits, mask_bits, writable, resettable, span,
                                                first.constant_regs) for span in spans[1:]]
        self.plan, self.unit = plan, unit
        self.pops, self.probed, self.inputs = first.pops, first.probed, first.inputs
        self.datapath, self.constant_regs = first.datapath, first.constant_regs
        self.word_bits = first.neuron_bits
        members = {name: member for name, member in first.signature.members.items() if name != "hold"}
        members["dl_addr"] = In(self.word_bits + _bits(len(spans) - 1))
        super().__init__(wiring.Signature(members))

    def elaborate(self, platform):
        m = Module()
        wb = self.word_bits
        # a slice that stops issuing still retires what it issued: two stages, the datapath, and the
        # FIFO's level a clock late
        room = self.datapath.latency + 4
        fields = [1, 1, 1, len(self.spike_pop), len(self.spike_neuron), len(self.event_mask)]
        fields += [len(getattr(self, f"probe_{k}")) for k in range(len(self.probed))]
        fifos = []
        finished = Signal(len(self.slices))
        pending = Signal()
        for k, part in enumerate(self.slices):
            m.submodules[f"slice_{k}"] = part
            m.submodules[f"out_{k}"] = fifo = SyncFIFOBuffered(width=sum(fields), depth=2 * room)
            fifos.append(fifo)
            m.d.comb += [part.start.eq(self.start), part.advance.eq(self.advance), part.step.eq(self.step),
                         part.hold.eq(fifo.level >= room)]
            if part.resettable:
                m.d.comb += part.clear.eq(self.clear)
            probe = part.probe_valid if self.probed else Const(0, 1)
            m.d.comb += [fifo.w_data.eq(Cat(part.spike_valid, part.event_valid, probe, part.spike_pop,
                                            part.spike_neuron, part.event_mask,
                                            *(getattr(part, f"probe_{j}") for j in range(len(self.probed))))),
                         fifo.w_en.eq(part.spike_valid | part.event_valid | probe)]
            m.d.comb += [part.dl_valid.eq(self.dl_valid & (self.dl_addr[wb:] == k)), part.dl_input.eq(self.dl_input),
                         part.dl_addr.eq(self.dl_addr[:wb]), part.dl_weight.eq(self.dl_weight)]
            with m.If(part.done):
                m.d.sync += finished[k].eq(1)
        m.d.comb += self.dl_ready.eq(_select_signal(self.dl_addr[wb:], [part.dl_ready for part in self.slices]))
        word, valid = Signal(sum(fields)), Signal()
        for k, fifo in enumerate(fifos):
            with (m.If if k == 0 else m.Elif)(fifo.r_rdy):
                m.d.comb += [fifo.r_en.eq(1), word.eq(fifo.r_data), valid.eq(1)]
        parts, at = [], 0
        for w in fields:
            parts.append(word[at:at + w])
            at += w
        spike, event, probe, pop, neuron, mask, *probes = parts
        m.d.comb += [self.spike_valid.eq(valid & spike), self.spike_pop.eq(pop), self.spike_neuron.eq(neuron),
                     self.event_valid.eq(valid & event), self.event_mask.eq(mask),
                     self.probe_valid.eq(valid & probe), self.probe_pop.eq(pop), self.probe_neuron.eq(neuron)]
        m.d.comb += [getattr(self, f"probe_{j}").eq(value) for j, value in enumerate(probes)]
        m.d.comb += self.overflow_events.eq(sum((p.overflow_events for p in self.slices[1:]),
                                                self.slices[0].overflow_events))
        begin = self.start | self.clear if self.slices[0].resettable else self.start
        drained = Cat(*(fifo.level == 0 for fifo in fifos)).all()
        m.d.comb += self.done.eq(pending & finished.all() & drained)
        with m.If(self.done):
            m.d.sync += pending.eq(0)
        with m.If(begin):
            m.d.sync += [pending.eq(1), finished.eq(0)]
        return m


class SpikeDelivery(wiring.Component):
    """The step's events, through the CSR rows of their projections, into the target inputs of the next step.

    An event is a neuron with a mask over its population's :func:`~hdl.design.source_delays`: bit ``i``
    set delivers through the projections of the ``i``-th delay.  An event of an SC projection marks its
    neuron active in the projection's :class:`~hdl.sc_delivery.ScProjectionUnit`; once the queue is empty
    the SC projections run one after the other, in project order, before ``done``.
    """

    def __init__(self, plan: NetworkPlan, units: list[PopulationUnit], layout: DeliveryLayout, weight_bits: int,
                 mask_bits: int, queue_depth: int, tables: str = "rom"):
        self.plan, self.units, self.layout = plan, units, layout
        self.tables = tables
        self.weight_bits = weight_bits
        self.mask_bits = mask_bits
        self.queue_depth = queue_depth
        self.pop_bits = _bits(max(len(plan.populations) - 1, 1))
        self.neuron_bits = max(p.neuron_bits for p in plan.populations)
        members = {
            "start": In(1), "done": Out(1),
            "push_valid": In(1), "push_pop": In(self.pop_bits), "push_neuron": In(self.neuron_bits),
            "push_mask": In(mask_bits), "queue_overflows": Out(COUNTER_BITS), "restart": In(1),
        }
        if tables == "loaded":
            members.update(_load_members(layout))
        super().__init__(wiring.Signature(members))
        target_bits = max(p.neuron_bits for p in plan.populations)
        self.sc_units = {q.index: ScProjectionUnit(q.sc, plan.populations[q.source].size, target_bits, weight_bits)
                         for q in plan.projections if q.sc is not None}

    def elaborate(self, platform):
        m = Module()
        plan, layout = self.plan, self.layout
        for index, sc in self.sc_units.items():
            m.submodules[f"sc_{plan.projections[index].name}"] = sc
            m.d.comb += sc.restart.eq(self.restart)
        pb, nb = self.pop_bits, self.neuron_bits
        m.submodules.queue = queue = SyncFIFOBuffered(width=pb + nb + self.mask_bits, depth=self.queue_depth)
        m.d.comb += [queue.w_data.eq(Cat(self.push_pop, self.push_neuron, self.push_mask)),
                     queue.w_en.eq(self.push_valid)]
        with m.If(self.push_valid & ~queue.w_rdy):
            m.d.sync += self.queue_overflows.eq(self.queue_overflows + 1)
        src_pop = Signal(pb)
        src = Signal(nb)
        src_mask = Signal(self.mask_bits)
        q = Signal(range(max(len(plan.projections), 1) + 1))
        syn_count = max(len(layout.synapses), 1)
        k, end = Signal(range(syn_count + 1)), Signal(range(syn_count + 1))
        tb, wbits = layout.target_bits, layout.weight_bits
        target, weight = Signal(tb), Signal(signed(self.weight_bits))
        ptr_addr = Signal(range(max(len(layout.rows), 2)))
        ptr = self._table(m, "rows", layout.pointer_bits, layout.rows, ptr_addr, 0)
        srd = self._table(m, "synapses", layout.synapse_bits, layout.synapses, k, len(layout.rows))
        unit_of = {p: u for u in self.units for p in u.unit.populations}

        m.d.sync += self.done.eq(0)
        if self.tables == "loaded":
            with m.If(self.load_valid & (self.load_addr == len(layout.image) - 1)):
                m.d.sync += self.loaded.eq(1)
        for unit in self.units:
            m.d.comb += [unit.dl_addr.eq(0), unit.dl_weight.eq(weight)]
        with m.FSM(name="deliver"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.next = "NEXT_SPIKE"
            with m.State("NEXT_SPIKE"):
                with m.If(queue.r_rdy):
                    m.d.comb += queue.r_en.eq(1)
                    m.d.sync += [src_pop.eq(queue.r_data[:pb]), src.eq(queue.r_data[pb:pb + nb]),
                                 src_mask.eq(queue.r_data[pb + nb:]), q.eq(0)]
                    m.next = "PROJECTION"
                with m.Else():
                    if self.sc_units:
                        m.d.comb += next(iter(self.sc_units.values())).start.eq(1)
                        m.next = f"SC_{next(iter(self.sc_units))}"
                    else:
                        m.d.sync += self.done.eq(1)
                        m.next = "IDLE"
            sc_order = list(self.sc_units)
            for n, index in enumerate(sc_order):
                with m.State(f"SC_{index}"):  # the SC projection's values into its targets' inputs
                    sc, ring = self.sc_units[index], plan.rings[plan.projections[index].ring]
                    unit = unit_of[ring.population]
                    local = [r.receptor for r in unit.inputs].index(ring.receptor)
                    base = unit.unit.bases[unit.unit.position(ring.population)]
                    m.d.comb += [unit.dl_valid.eq(sc.out_valid), unit.dl_input.eq(local),
                                 unit.dl_addr.eq(sc.out_target + base), unit.dl_weight.eq(sc.out_value),
                                 sc.out_ready.eq(unit.dl_ready)]
                    with m.If(sc.done):
                        if n + 1 < len(sc_order):
                            m.d.comb += self.sc_units[sc_order[n + 1]].start.eq(1)
                            m.next = f"SC_{sc_order[n + 1]}"
                        else:
                            m.d.sync += self.done.eq(1)
                            m.next = "IDLE"
            with m.State("PROJECTION"):
                # skip projections from other populations or of other delays; read the row's start pointer
                with m.If(q == len(plan.projections)):
                    m.next = "NEXT_SPIKE"
                with m.Else():
                    with m.Switch(q):
                        for proj in plan.projections:
                            with m.Case(proj.index):
                                bit = source_delays(plan, proj.source).index(proj.delay)
                                with m.If((src_pop == proj.source) & src_mask[bit]):
                                    if proj.sc is not None:
                                        sc = self.sc_units[proj.index]
                                        m.d.comb += [sc.activate.eq(1), sc.activate_neuron.eq(src)]
                                        m.d.sync += q.eq(q + 1)
                                    else:
                                        m.d.comb += ptr_addr.eq(src + layout.row_base[proj.index])
                                        m.next = "ROW_START"
                                with m.Else():
                                    m.d.sync += q.eq(q + 1)
            with m.State("ROW_START"):
                with m.Switch(q):
                    for proj in (p for p in plan.projections if p.sc is None):
                        with m.Case(proj.index):
                            m.d.comb += ptr_addr.eq(src + (layout.row_base[proj.index] + 1))
                            if not wbits:
                                m.d.sync += weight.eq(layout.weights[proj.index])
                m.d.sync += k.eq(ptr.data)
                m.next = "ROW_END"
            with m.State("ROW_END"):
                m.d.sync += end.eq(ptr.data)
                m.next = "SYNAPSE"
            with m.State("SYNAPSE"):
                with m.If(k == end):
                    m.d.sync += q.eq(q + 1)
                    m.next = "PROJECTION"
                with m.Else():
                    m.next = "FETCHED"
            with m.State("FETCHED"):
                m.d.sync += target.eq(srd.data[:tb])
                if wbits:
                    m.d.sync += weight.eq(srd.data[tb:tb + wbits].as_signed())
                m.next = "DELIVER"
            with m.State("DELIVER"):
                with m.Switch(q):
                    for proj in (p for p in plan.projections if p.sc is None):
                        with m.Case(proj.index):
                            ring = plan.rings[proj.ring]
                            unit = unit_of[ring.population]
                            local = [r.receptor for r in unit.inputs].index(ring.receptor)
                            m.d.comb += [unit.dl_valid.eq(1), unit.dl_input.eq(local), unit.dl_addr.eq(target)]
                            with m.If(unit.dl_ready):
                                m.d.sync += k.eq(k + 1)
                                m.next = "SYNAPSE"
        return m

    def _table(self, m: Module, name: str, width: int, words: list[int], addr, base: int):
        """A table of the delivery and its read port at ``addr``: a ROM, or (``tables="loaded"``) a RAM with
        one address for reading and loading (the load words ``base..``), so that Yosys can map it to a
        single-port RAM without initial contents (``ram_style="huge"``: the iCE40UP's SPRAM)."""
        depth = max(len(words), 1)
        if self.tables != "loaded":
            m.submodules[name] = mem = Memory(shape=unsigned(width), depth=depth, init=words)
            port = mem.read_port()
            m.d.comb += port.addr.eq(addr)
            return port
        m.submodules[f"loaded_{name}"] = mem = Memory(shape=unsigned(width), depth=depth, init=[],
                                                      attrs={"ram_style": "huge"})
        port, write = mem.read_port(), mem.write_port()
        mine = self.load_valid & (self.load_addr >= base) & (self.load_addr < base + len(words))
        shared = Signal(range(depth), name=f"{name}_addr")
        m.d.comb += [shared.eq(Mux(mine, self.load_addr - base, addr)), port.addr.eq(shared), write.addr.eq(shared),
                     write.data.eq(self.load_data), write.en.eq(mine), port.en.eq(~mine)]
        return port


def _load_members(layout: DeliveryLayout) -> dict:
    """The load port of tables that are written before the first step: word ``load_addr`` of
    :attr:`DeliveryLayout.image`; ``loaded`` once the last word is written."""
    return {"load_valid": In(1), "load_addr": In(range(max(len(layout.image), 2))),
            "load_data": In(layout.image_bits), "loaded": Out(1)}


class NetworkCore(wiring.Component):
    """The whole network; see the module docstring.

    Ports: ``run`` (free-running), ``step_req`` (one step when not running), ``pace`` (at least this
    many clocks per step; 0: as fast as possible); ``step`` (steps completed), ``step_done`` (a
    pulse per step), ``busy``; ``spike_valid``/``spike_pop``/``spike_neuron`` (one spike per
    clock, in the step given by ``step``); ``probe_valid``/``probe_pop``/``probe_neuron`` and
    ``probe_0..`` (the probed variables of that neuron after the step, in the order of
    :attr:`probe_slots`); counters ``spike_count``, ``queue_overflows``, ``overflow_events``
    (neuron-steps with an arithmetic overflow) and ``cycles_last_step``.

    The parameter bank: the constants each population's datapath reads, one bank per population in
    project order, entries in the order of :attr:`param_banks` (with ``param_bank=False`` the banks are
    empty, these ports absent, and the constants stay constants: a writable one costs a register and,
    where it is multiplied, a multiplier).  ``param_addr`` selects an entry by its
    index across all banks (:meth:`param_index`), ``param_rdata`` reads it, ``param_we`` writes
    ``param_wdata`` into it (to be used between steps, while not ``busy``).

    ``share=False`` gives every population its own unit and datapath.

    ``resettable``: a ``reset`` pulse between steps (while not ``busy``) writes every neuron's initial state
    back (the fields that differ between neurons from a ROM beside the state RAM), clears the inputs and
    restarts the generators and the SC projections' sources, the step count and the counters; the
    parameter bank keeps its values.

    ``tables="loaded"``: the delivery's tables (row pointers and synapses) start empty and are written
    through ``load_valid``/``load_addr``/``load_data`` (the words of :meth:`table_image`) before the
    first step, which waits for ``loaded``; they can then live in RAM without initial contents (the
    iCE40UP's SPRAM).  ``"rom"`` (the default): block RAM initialised by the bitstream.
    """

    def __init__(self, plan: NetworkPlan, queue_depth: int | None = None, share: bool = True,
                 param_bank: bool = False, tables: str = "rom", resettable: bool = False):
        if tables not in ("rom", "loaded"):
            raise ValueError(f"tables must be 'rom' or 'loaded', not {tables!r}")
        self.plan = plan
        self.tables = tables
        self.unit_plans = plan_units(plan, share)
        self.layout = delivery_layout(plan, self.unit_plans)
        self.weight_bits = max([self.layout.weight_bits, 2]
                               + [int(w).bit_length() + 1 for w in self.layout.weights.values()]
                               + [value_bits(q.sc) for q in plan.projections if q.sc is not None])
        self.mask_bits = max([1] + [len(source_delays(plan, p.index)) for p in plan.populations])
        self.resettable = resettable
        self.units = [PopulationUnit(plan, u, self.weight_bits, self.mask_bits, param_bank, resettable)
                      if len(unit_slices(plan, u)) == 1 else
                      SlicedUnit(plan, u, unit_slices(plan, u), self.weight_bits, self.mask_bits, param_bank,
                                 resettable)
                      for u in self.unit_plans]
        self.slices = [part for u in self.units for part in u.slices]
        self.queue_depth = queue_depth or min(max(plan.n_neurons, 4), 1024)
        self.probe_slots = {plan.populations[p].name: u.probed for u in self.units for p in u.unit.populations}
        self.probe_slots = {p.name: self.probe_slots[p.name] for p in plan.populations}
        n_probes = max((len(s) for s in self.probe_slots.values()), default=0)
        self.pop_bits = _bits(max(len(plan.populations) - 1, 1))
        self.neuron_bits = max(p.neuron_bits for p in plan.populations)
        members = {
            "run": In(1), "step_req": In(1), "pace": In(32),
            "step": Out(64), "step_done": Out(1), "busy": Out(1),
            "spike_valid": Out(1), "spike_pop": Out(self.pop_bits), "spike_neuron": Out(self.neuron_bits),
            "probe_valid": Out(1), "probe_pop": Out(self.pop_bits), "probe_neuron": Out(self.neuron_bits),
            "spike_count": Out(COUNTER_BITS), "queue_overflows": Out(COUNTER_BITS),
            "overflow_events": Out(COUNTER_BITS), "cycles_last_step": Out(COUNTER_BITS),
        }
        self.param_banks = (param_banks(plan, share) if param_bank
                            else tuple((p.name, ()) for p in plan.populations))
        n_params = sum(len(slots) for _, slots in self.param_banks)
        members.update({f"probe_{k}": Out(signed(plan.fmt.total)) for k in range(n_probes)})
        if tables == "loaded":
            members.update(_load_members(self.layout))
        if resettable:
            members["reset"] = In(1)
        if n_params:
            members.update({"param_we": In(1), "param_addr": In(range(n_params)),
                            "param_wdata": In(signed(plan.fmt.total)), "param_rdata": Out(signed(plan.fmt.total))})
        super().__init__(wiring.Signature(members))

    def table_image(self) -> list[int]:
        """The words to write through the load port (``tables="loaded"``), in address order."""
        return self.layout.image

    def param_index(self, bank: int, entry: int) -> int:
        """The index across all banks of ``entry`` of ``bank``."""
        return sum(len(slots) for _, slots in self.param_banks[:bank]) + entry

    @property
    def param_registers(self) -> list:
        """The bank's registers, in index order."""
        return [self.unit_of(name).constant_regs[(k, slot)]
                for k, (name, slots) in enumerate(self.param_banks) for slot in slots]

    def unit_of(self, population: str) -> PopulationUnit:
        return next(u for u in self.units if population in (p.name for p in u.pops))

    @property
    def datapath_latency(self) -> dict[str, int]:
        return {p.name: self.unit_of(p.name).datapath.latency for p in self.plan.populations}

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        for unit in self.units:
            m.submodules[f"pop_{unit.unit.name}"] = unit
        m.submodules.delivery = delivery = SpikeDelivery(plan, self.units, self.layout, self.weight_bits,
                                                         self.mask_bits, self.queue_depth, self.tables)
        ready = Const(1)
        if self.tables == "loaded":
            m.d.comb += [delivery.load_valid.eq(self.load_valid), delivery.load_addr.eq(self.load_addr),
                         delivery.load_data.eq(self.load_data), self.loaded.eq(delivery.loaded)]
            ready = self.loaded
        advance = Signal()
        cycles = Signal(COUNTER_BITS)
        m.d.sync += cycles.eq(cycles + 1)
        for unit in self.units:
            m.d.comb += [unit.advance.eq(advance), unit.step.eq(self.step)]
        # one unit updates at a time: its spikes and probes go to the ports and the queue
        for unit in self.units:
            with m.If(unit.spike_valid):
                m.d.comb += [self.spike_valid.eq(1), self.spike_pop.eq(unit.spike_pop),
                             self.spike_neuron.eq(unit.spike_neuron)]
            if unit.probed:
                with m.If(unit.probe_valid):
                    m.d.comb += [self.probe_valid.eq(1), self.probe_pop.eq(unit.probe_pop),
                                 self.probe_neuron.eq(unit.probe_neuron)]
                    m.d.comb += [getattr(self, f"probe_{k}").eq(getattr(unit, f"probe_{k}"))
                                 for k in range(len(unit.probed))]
        # events (neurons whose spike of d - 1 steps ago leaves through a projection of delay d) to the queue
        for unit in self.units:
            with m.If(unit.event_valid):
                m.d.comb += [delivery.push_valid.eq(1), delivery.push_pop.eq(unit.spike_pop),
                             delivery.push_neuron.eq(unit.spike_neuron), delivery.push_mask.eq(unit.event_mask)]
        with m.If(self.spike_valid):
            m.d.sync += self.spike_count.eq(self.spike_count + 1)
        m.d.comb += [self.queue_overflows.eq(delivery.queue_overflows),
                     self.overflow_events.eq(sum((u.overflow_events for u in self.units[1:]),
                                                 self.units[0].overflow_events))]
        for k, reg in enumerate(self.param_registers):
            with m.If(self.param_addr == k):
                m.d.comb += self.param_rdata.eq(reg)
                with m.If(self.param_we):
                    m.d.sync += reg.eq(self.param_wdata)
        m.d.sync += self.step_done.eq(0)
        with m.FSM(name="sequencer"):
            with m.State("IDLE"):
                stepping = (self.run | self.step_req) & ready
                if self.resettable:
                    with m.If(self.reset):
                        m.d.sync += self.busy.eq(1)
                        m.d.comb += [self.units[0].clear.eq(1), delivery.restart.eq(1)]
                        m.next = "CLEAR_0"
                    stepping = stepping & ~self.reset
                with m.If(stepping):
                    m.d.sync += [self.busy.eq(1), cycles.eq(1)]
                    m.d.comb += self.units[0].start.eq(1)
                    m.next = "UPDATE_0"

            def one_unit_after_another(state: str, port: str, finish) -> None:
                """States ``<state>_k``: once unit k is done, pulse ``port`` of unit k + 1; after the last,
                ``finish``."""
                for k, unit in enumerate(self.units):
                    with m.State(f"{state}_{k}"):
                        with m.If(unit.done):
                            if k + 1 < len(self.units):
                                m.d.comb += getattr(self.units[k + 1], port).eq(1)
                                m.next = f"{state}_{k + 1}"
                            else:
                                finish()

            def cleared() -> None:  # every neuron is back at its initial state; so are the counters
                m.d.sync += [self.step.eq(0), self.spike_count.eq(0), self.busy.eq(0)]
                m.next = "IDLE"

            def updated() -> None:
                m.d.comb += delivery.start.eq(1)
                m.next = "DELIVER"

            if self.resettable:
                one_unit_after_another("CLEAR", "clear", cleared)
            one_unit_after_another("UPDATE", "start", updated)
            with m.State("DELIVER"):
                with m.If(delivery.done):
                    m.next = "PACE"
            with m.State("PACE"):
                with m.If(cycles >= self.pace):
                    m.d.comb += advance.eq(1)
                    m.d.sync += [self.step.eq(self.step + 1), self.step_done.eq(1), self.busy.eq(0),
                                 self.cycles_last_step.eq(cycles)]
                    m.next = "IDLE"
        return m
