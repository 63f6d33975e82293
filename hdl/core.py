"""The time-multiplexed network core: a whole fixed-point network as one Amaranth design.

Built from a :class:`~hdl.design.NetworkPlan`, one module per concern:

* :class:`PopulationUnit` (``pop_<name>``) holds a population's neurons in RAM
  (state, parameter ROM, refractory counters, a sticky overflow flag) and its
  receptor rings (``depth`` rows of exact sums, one per delay slot), and streams
  every neuron through its :class:`~hdl.datapath.NeuronDatapath` (one neuron
  per clock) in the update pass of a step: it reads the neuron and its ring
  entry for this step, adds the Poisson counts of its generators (the
  xorshift32 source of docs/fixed-point.md), saturates the input once, clears
  the ring entry, and writes the neuron back with its refractory counter and
  ``lastspike``.  It also adds delivered weights into its rings
  (read-add-write).
* :class:`SpikeDelivery` (``delivery``) takes the step's spikes from a FIFO and
  walks each spiking neuron's CSR rows (``proj_<name>`` row pointers and
  synapses in ROM) into the target rings at ``t + delay``.
* :class:`NetworkCore` (the top) sequences a step: every population's update
  pass, then delivery, then the step's end; free-running (``run``),
  single-stepped (``step_req``) or paced to at least ``pace`` clocks per step;
  it reports spikes, probed state and counters on its ports.

Each step does exactly what the engine's network kernel does in fixed point
(ext/network.pyx), so the two agree bit for bit; ``hdl/netcosim.py`` proves it
under Verilator.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.datapath import NeuronDatapath
from hdl.design import NetworkPlan, PopulationPlan

COUNTER_BITS = 32
MAX_PROBES = 8


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
    m.d.comb += out.eq(Mux(value < lo, lo, Mux(value > hi, hi, value)))
    return out


def delivery_width(plan: NetworkPlan) -> int:
    """Signed bits of a delivered weight (the widest raw weight of any projection)."""
    widest = 2
    for proj in plan.projections:
        values = proj.weights if proj.weights is not None else [proj.weight]
        for w in (min(values, default=0), max(values, default=0)):
            widest = max(widest, int(w).bit_length() + 1)
    return widest


class PopulationUnit(wiring.Component):
    """One population's neurons, rings and datapath; see the module docstring."""

    def __init__(self, plan: NetworkPlan, pop: PopulationPlan):
        self.plan, self.pop = plan, pop
        self.fmt = plan.fmt
        self.rings = [r for r in plan.rings if r.population == pop.index]
        self.poissons = [g for g in plan.poissons if g.population == pop.index]
        self.currents = [c for c in plan.currents if c.population == pop.index]
        self.probed = tuple(dict.fromkeys(s for pr in plan.probes if pr.population == pop.index for s in pr.slots))
        self.datapath = NeuronDatapath(pop.program, seed=pop.seed, population_size=pop.size,
                                       neuron_bits=pop.neuron_bits, dt=pop.dt, tag_width=self._tag_width())
        nb = pop.neuron_bits
        self.address_bits = max(_bits(r.depth * pop.size) for r in self.rings) if self.rings else 1
        members = {
            "start": In(1), "done": Out(1), "advance": In(1), "step": In(64),
            "spike_valid": Out(1), "spike_neuron": Out(nb),
            "probe_valid": Out(1), "probe_neuron": Out(nb),
            "dl_valid": In(1), "dl_ring": In(_bits(max(len(self.rings) - 1, 1))),
            "dl_addr": In(self.address_bits), "dl_weight": In(signed(delivery_width(plan))), "dl_ready": Out(1),
            "overflow_events": Out(COUNTER_BITS),
        }
        members.update({f"probe_{k}": Out(signed(self.fmt.total)) for k in range(len(self.probed))})
        super().__init__(wiring.Signature(members))

    # -- layout of a neuron's words ---------------------------------------------------
    def _tag_width(self) -> int:
        pop, total = self.pop, self.fmt.total
        width = pop.neuron_bits + pop.refractory_bits + 2  # neuron, refractory count, sticky overflow, probed
        width += pop.refractory_bits if self._ref_rom else 0
        width += total if self._keep_lastspike else 0
        return width

    @property
    def _keep_lastspike(self) -> bool:
        """lastspike is held in state RAM but not stored by the program: the core carries it."""
        return self.pop.lastspike and "lastspike" not in self.pop.written

    @property
    def _ref_rom(self) -> bool:
        steps = self.pop.ref_steps
        return bool(steps.size) and not (steps == steps[0]).all()

    def _state_layout(self) -> list[tuple[str, int]]:
        total = self.fmt.total
        return [(s, total) for s in self.pop.state] + [("_refc", self.pop.refractory_bits), ("_ovf", 1)]

    def _rom_layout(self) -> list[tuple[str, int]]:
        fields = [(s, self.fmt.total) for s in self.pop.params]
        return fields + ([("_ref_steps", self.pop.refractory_bits)] if self._ref_rom else [])

    def _init_words(self, layout, values) -> list[int]:
        return [_pack([(values[name][j], width) for name, width in layout]) for j in range(self.pop.size)]

    # -- hardware ------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        pop, fmt, total = self.pop, self.fmt, self.fmt.total
        n, nb = pop.size, pop.neuron_bits
        dp = self.datapath
        m.submodules.neuron = dp

        state_layout = self._state_layout()
        values = dict(pop.initial)
        values["_refc"] = [0] * n
        values["_ovf"] = [0] * n
        width = sum(w for _, w in state_layout)
        m.submodules.state = state = Memory(shape=unsigned(width), depth=n, init=self._init_words(state_layout, values))
        st_rd, st_wr = state.read_port(), state.write_port()
        rom_layout = self._rom_layout()
        if rom_layout:
            values["_ref_steps"] = pop.ref_steps
            rom_width = sum(w for _, w in rom_layout)
            m.submodules.params = rom = Memory(shape=unsigned(rom_width), depth=n,
                                               init=self._init_words(rom_layout, values))
            rom_rd = rom.read_port()

        # update pass: issue neuron j, its words arrive next clock (stage 1), are registered (stage 2)
        issue = Signal(range(n + 1), init=n)
        retired = Signal(range(n + 1))
        busy = Signal()
        s1_valid, s1_j = Signal(), Signal(nb)
        m.d.sync += [s1_valid.eq(0), self.done.eq(0)]
        with m.If(self.start):
            m.d.sync += [issue.eq(0), retired.eq(0), busy.eq(1)]
        with m.Elif(issue < n):
            m.d.sync += [issue.eq(issue + 1), s1_valid.eq(1), s1_j.eq(issue)]
        m.d.comb += [st_rd.addr.eq(issue)]
        if rom_layout:
            m.d.comb += rom_rd.addr.eq(issue)

        def fields(word, layout):
            out, shift = {}, 0
            for name, w in layout:
                out[name] = word[shift:shift + w]
                shift += w
            return out

        probed = [0] * n
        for pr in self.plan.probes:
            if pr.population == pop.index:
                for j in pr.neurons:
                    probed[j] = 1
        m.submodules.probed = probe_mask = Memory(shape=unsigned(1), depth=n, init=probed)
        probe_rd = probe_mask.read_port()
        m.d.comb += probe_rd.addr.eq(issue)
        st = fields(st_rd.data, state_layout)
        ro = fields(rom_rd.data, rom_layout) if rom_layout else {}

        # the step's ring rows and generators
        ring_rows = {}
        ring_inputs = {}
        for r in self.rings:
            row = Signal(range(max(r.depth * n, 2)), name=f"row_{r.receptor}")
            ring_rows[r.index] = row
            with m.If(self.advance):
                m.d.sync += row.eq(Mux(row + n >= r.depth * n, 0, row + n))
        rmw_busy = Signal()
        rmw_addr = Signal(self.address_bits)
        rmw_ring = Signal.like(self.dl_ring)
        rmw_weight = Signal.like(self.dl_weight)
        m.d.comb += self.dl_ready.eq(~rmw_busy & ~busy)
        with m.If(self.dl_valid & self.dl_ready):
            m.d.sync += [rmw_busy.eq(1), rmw_addr.eq(self.dl_addr), rmw_ring.eq(self.dl_ring),
                         rmw_weight.eq(self.dl_weight)]
        with m.Elif(rmw_busy):
            m.d.sync += rmw_busy.eq(0)
        for k, r in enumerate(self.rings):
            if r.width == 0:
                ring_inputs[r.slot] = Const(0, signed(2))
                continue
            mem = Memory(shape=signed(r.width), depth=r.depth * n, init=[])
            m.submodules[f"ring_{r.receptor}"] = mem
            rd, wr = mem.read_port(), mem.write_port()
            row = ring_rows[r.index]
            with m.If(busy):
                m.d.comb += [rd.addr.eq(row + issue), wr.addr.eq(row + s1_j), wr.data.eq(0), wr.en.eq(s1_valid)]
            with m.Else():
                m.d.comb += [rd.addr.eq(self.dl_addr), wr.addr.eq(rmw_addr), wr.data.eq(rd.data + rmw_weight),
                             wr.en.eq(rmw_busy & (rmw_ring == k))]
            ring_inputs[r.slot] = rd.data

        drive = {r.slot: [] for r in self.rings}
        for g in self.poissons:
            x = Signal(32, init=g.state, name=f"xorshift_{g.name}")
            nxt = _xorshift32(x)
            u = nxt[16:32]
            count = sum((u >= c for c in g.table), Const(0, unsigned(_bits(len(g.table)))))
            active = (self.step >= g.first) & (self.step <= g.last)
            with m.If(s1_valid):
                m.d.sync += x.eq(nxt)
            slot = next(r.slot for r in self.rings if r.index == g.ring)
            drive[slot].append(Mux(active, count * Const(g.weight, signed(total + 1)), 0))
        current = None
        if pop.current_slot is not None:
            if self.currents:
                terms = [Mux((self.step >= c.first) & (self.step <= c.last), Const(c.amplitude, signed(total)), 0)
                         for c in self.currents]
                current = _saturate(m, sum(terms[1:], terms[0]), total)
            else:
                current = Const(pop.constants[pop.current_slot], signed(total))

        # stage 2: the datapath's inputs, registered
        s2_valid = Signal()
        m.d.sync += s2_valid.eq(s1_valid)
        m.d.comb += dp.i_valid.eq(s2_valid)
        m.d.sync += [dp.i_neuron.eq(s1_j), dp.i_step.eq(self.step)]
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
                m.d.sync += port.eq(Const(pop.constants[name], signed(total)))
        tag = [s1_j, refc, st["_ovf"], probe_rd.data]
        if self._ref_rom:
            tag.append(ro["_ref_steps"])
        if self._keep_lastspike:
            tag.append(st["lastspike"])
        m.d.sync += dp.i_tag.eq(Cat(*tag))

        # write-back, spikes, probes
        out_j = dp.o_tag[:nb]
        o_refc = dp.o_tag[nb:nb + pop.refractory_bits]
        o_ovf = dp.o_tag[nb + pop.refractory_bits]
        o_probed = dp.o_tag[nb + pop.refractory_bits + 1]
        pos = nb + pop.refractory_bits + 2
        if self._ref_rom:
            ref_steps = dp.o_tag[pos:pos + pop.refractory_bits]
            pos += pop.refractory_bits
        else:
            ref_steps = Const(int(pop.ref_steps[0]) if n else 0, unsigned(pop.refractory_bits))
        spike = dp.o_spike
        t_end = Signal(signed(total), init=min(fmt.quantize(pop.dt), fmt.store_max))
        dt_q = fmt.quantize(pop.dt)
        with m.If(self.advance):
            m.d.sync += t_end.eq(Mux(t_end > fmt.store_max - dt_q, fmt.store_max, t_end + dt_q))
        new = {}
        for name in pop.state:
            if name in dp.o_slots:
                new[name] = dp.o_slots[name]
            elif name == "lastspike":
                old = dp.o_tag[pos:pos + total].as_signed()
                new[name] = Mux(spike, t_end, old)
        new_refc = Mux(spike, ref_steps, Mux(o_refc > 0, o_refc - 1, 0))
        word = Cat(*[new[s].as_unsigned()[:total] for s in pop.state], new_refc[:pop.refractory_bits],
                   o_ovf | dp.o_overflow)
        m.d.comb += [st_wr.addr.eq(out_j), st_wr.data.eq(word), st_wr.en.eq(dp.o_valid)]
        with m.If(dp.o_valid):
            m.d.sync += retired.eq(retired + 1)
            with m.If(dp.o_overflow):
                m.d.sync += self.overflow_events.eq(self.overflow_events + 1)
        with m.If(busy & (retired == n)):
            m.d.sync += [busy.eq(0), self.done.eq(1)]
        m.d.comb += [self.spike_valid.eq(dp.o_valid & spike), self.spike_neuron.eq(out_j)]
        if self.probed:
            m.d.comb += [self.probe_valid.eq(dp.o_valid & o_probed), self.probe_neuron.eq(out_j)]
            for k, name in enumerate(self.probed):
                m.d.comb += getattr(self, f"probe_{k}").eq(new[name])
        return m


class SpikeDelivery(wiring.Component):
    """The step's spikes, through every projection's CSR rows, into the target rings at ``t + delay``."""

    def __init__(self, plan: NetworkPlan, units: list[PopulationUnit], queue_depth: int):
        self.plan, self.units = plan, units
        self.queue_depth = queue_depth
        self.pop_bits = _bits(max(len(plan.populations) - 1, 1))
        self.neuron_bits = max(p.neuron_bits for p in plan.populations)
        super().__init__(wiring.Signature({
            "start": In(1), "done": Out(1), "advance": In(1),
            "push_valid": In(1), "push_pop": In(self.pop_bits), "push_neuron": In(self.neuron_bits),
            "queue_overflows": Out(COUNTER_BITS),
        }))

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        m.submodules.queue = queue = SyncFIFOBuffered(width=self.pop_bits + self.neuron_bits, depth=self.queue_depth)
        m.d.comb += [queue.w_data.eq(Cat(self.push_pop, self.push_neuron)), queue.w_en.eq(self.push_valid)]
        with m.If(self.push_valid & ~queue.w_rdy):
            m.d.sync += self.queue_overflows.eq(self.queue_overflows + 1)
        src_pop = Signal(self.pop_bits)
        src = Signal(self.neuron_bits)
        q = Signal(range(max(len(plan.projections), 1) + 1))
        k, end = Signal(32), Signal(32)
        w_bits = delivery_width(plan)
        target, weight = Signal(self.neuron_bits), Signal(signed(w_bits))
        ptr_addr = Signal(self.neuron_bits + 1)
        ptr_data, syn_target, syn_weight = {}, {}, {}
        syn_addr = Signal(32)
        # per projection: row pointers and synapses in ROM, and its delivery row (t + delay) mod depth
        dl_row = {}
        for proj in plan.projections:
            ring = plan.rings[proj.ring]
            n_tgt = plan.populations[ring.population].size
            ptr = Memory(shape=unsigned(_bits(int(proj.indptr[-1]))), depth=proj.indptr.size,
                         init=[int(v) for v in proj.indptr])
            m.submodules[f"proj_{proj.name}_rows"] = ptr
            rd = ptr.read_port()
            m.d.comb += rd.addr.eq(ptr_addr)
            ptr_data[proj.index] = rd.data
            tb = _bits(max(n_tgt - 1, 1))
            if proj.weights is None:
                words = [int(t) for t in proj.targets]
                shape = unsigned(tb)
            else:
                words = [_pack([(t, tb), (w, w_bits)]) for t, w in zip(proj.targets, proj.weights)]
                shape = unsigned(tb + w_bits)
            syn = Memory(shape=shape, depth=max(len(words), 1), init=words)
            m.submodules[f"proj_{proj.name}_synapses"] = syn
            srd = syn.read_port()
            m.d.comb += srd.addr.eq(syn_addr)
            syn_target[proj.index] = srd.data[:tb]
            syn_weight[proj.index] = (srd.data[tb:tb + w_bits].as_signed() if proj.weights is not None
                                      else Const(proj.weight, signed(w_bits)))
            row = Signal(range(max(ring.depth * n_tgt, 2)), init=(proj.delay % ring.depth) * n_tgt,
                         name=f"row_{proj.name}")
            with m.If(self.advance):
                m.d.sync += row.eq(Mux(row + n_tgt >= ring.depth * n_tgt, 0, row + n_tgt))
            dl_row[proj.index] = row

        m.d.sync += self.done.eq(0)
        for unit in self.units:
            m.d.comb += [unit.dl_addr.eq(0), unit.dl_weight.eq(weight)]
        with m.FSM(name="deliver"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.next = "NEXT_SPIKE"
            with m.State("NEXT_SPIKE"):
                with m.If(queue.r_rdy):
                    m.d.comb += queue.r_en.eq(1)
                    m.d.sync += [src_pop.eq(queue.r_data[:self.pop_bits]),
                                 src.eq(queue.r_data[self.pop_bits:]), q.eq(0)]
                    m.next = "PROJECTION"
                with m.Else():
                    m.d.sync += self.done.eq(1)
                    m.next = "IDLE"
            with m.State("PROJECTION"):
                # skip projections from other populations; read the row's start pointer
                with m.If(q == len(plan.projections)):
                    m.next = "NEXT_SPIKE"
                with m.Else():
                    with m.Switch(q):
                        for proj in plan.projections:
                            with m.Case(proj.index):
                                with m.If(src_pop == proj.source):
                                    m.d.comb += ptr_addr.eq(src)
                                    m.next = "ROW_START"
                                with m.Else():
                                    m.d.sync += q.eq(q + 1)
            with m.State("ROW_START"):
                m.d.comb += ptr_addr.eq(src + 1)
                with m.Switch(q):
                    for proj in plan.projections:
                        with m.Case(proj.index):
                            m.d.sync += k.eq(ptr_data[proj.index])
                m.next = "ROW_END"
            with m.State("ROW_END"):
                with m.Switch(q):
                    for proj in plan.projections:
                        with m.Case(proj.index):
                            m.d.sync += end.eq(ptr_data[proj.index])
                m.next = "SYNAPSE"
            with m.State("SYNAPSE"):
                with m.If(k == end):
                    m.d.sync += q.eq(q + 1)
                    m.next = "PROJECTION"
                with m.Else():
                    m.d.comb += syn_addr.eq(k)
                    m.next = "FETCHED"
            with m.State("FETCHED"):
                with m.Switch(q):
                    for proj in plan.projections:
                        with m.Case(proj.index):
                            m.d.sync += [target.eq(syn_target[proj.index]), weight.eq(syn_weight[proj.index])]
                m.next = "DELIVER"
            with m.State("DELIVER"):
                with m.Switch(q):
                    for proj in plan.projections:
                        with m.Case(proj.index):
                            ring = plan.rings[proj.ring]
                            unit = self.units[ring.population]
                            local = [r.index for r in unit.rings].index(ring.index)
                            m.d.comb += [unit.dl_valid.eq(1), unit.dl_ring.eq(local),
                                         unit.dl_addr.eq(dl_row[proj.index] + target)]
                            with m.If(unit.dl_ready):
                                m.d.sync += k.eq(k + 1)
                                m.next = "SYNAPSE"
        return m


class NetworkCore(wiring.Component):
    """The whole network; see the module docstring.

    Ports: ``run`` (free-running), ``step_req`` (one step when not running), ``pace`` (at least this
    many clocks per step; 0: as fast as possible); ``step`` (steps completed), ``step_done`` (a
    pulse per step), ``busy``; ``spike_valid``/``spike_pop``/``spike_neuron`` (one spike per
    clock, in the step given by ``step``); ``probe_valid``/``probe_pop``/``probe_neuron`` and
    ``probe_0..`` (the probed variables of that neuron after the step, in the order of
    :attr:`probe_slots`); counters ``spike_count``, ``queue_overflows``, ``overflow_events``
    (neuron-steps with an arithmetic overflow) and ``cycles_last_step``.
    """

    def __init__(self, plan: NetworkPlan, queue_depth: int | None = None):
        self.plan = plan
        self.units = [PopulationUnit(plan, p) for p in plan.populations]
        self.queue_depth = queue_depth or min(max(plan.n_neurons, 4), 1024)
        self.probe_slots = {u.pop.name: u.probed for u in self.units}
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
        members.update({f"probe_{k}": Out(signed(plan.fmt.total)) for k in range(n_probes)})
        super().__init__(wiring.Signature(members))

    @property
    def datapath_latency(self) -> dict[str, int]:
        return {u.pop.name: u.datapath.latency for u in self.units}

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        for unit in self.units:
            m.submodules[f"pop_{unit.pop.name}"] = unit
        m.submodules.delivery = delivery = SpikeDelivery(plan, self.units, self.queue_depth)
        advance = Signal()
        cycles = Signal(COUNTER_BITS)
        m.d.sync += cycles.eq(cycles + 1)
        m.d.comb += delivery.advance.eq(advance)
        for unit in self.units:
            m.d.comb += [unit.advance.eq(advance), unit.step.eq(self.step)]
        # one population updates at a time: its spikes and probes go to the ports and the queue
        for unit in self.units:
            with m.If(unit.spike_valid):
                m.d.comb += [self.spike_valid.eq(1), self.spike_pop.eq(unit.pop.index),
                             self.spike_neuron.eq(unit.spike_neuron)]
            if unit.probed:
                with m.If(unit.probe_valid):
                    m.d.comb += [self.probe_valid.eq(1), self.probe_pop.eq(unit.pop.index),
                                 self.probe_neuron.eq(unit.probe_neuron)]
                    m.d.comb += [getattr(self, f"probe_{k}").eq(getattr(unit, f"probe_{k}"))
                                 for k in range(len(unit.probed))]
        m.d.comb += [delivery.push_valid.eq(self.spike_valid), delivery.push_pop.eq(self.spike_pop),
                     delivery.push_neuron.eq(self.spike_neuron)]
        with m.If(self.spike_valid):
            m.d.sync += self.spike_count.eq(self.spike_count + 1)
        m.d.comb += [self.queue_overflows.eq(delivery.queue_overflows),
                     self.overflow_events.eq(sum((u.overflow_events for u in self.units[1:]),
                                                 self.units[0].overflow_events))]
        m.d.sync += self.step_done.eq(0)
        with m.FSM(name="sequencer"):
            with m.State("IDLE"):
                with m.If(self.run | self.step_req):
                    m.d.sync += [self.busy.eq(1), cycles.eq(1)]
                    m.d.comb += self.units[0].start.eq(1)
                    m.next = "UPDATE_0"
            for k, unit in enumerate(self.units):
                with m.State(f"UPDATE_{k}"):
                    with m.If(unit.done):
                        if k + 1 < len(self.units):
                            m.d.comb += self.units[k + 1].start.eq(1)
                            m.next = f"UPDATE_{k + 1}"
                        else:
                            m.d.comb += delivery.start.eq(1)
                            m.next = "DELIVER"
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
