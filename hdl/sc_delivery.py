# amaranth: UnusedElaboratable=no
"""One SC projection in the network core: the bits of engine/network/sc_projection.py, one per clock.

:class:`ScProjectionUnit` is driven by :class:`~hdl.core.SpikeDelivery`: during a step's delivery every
event of the projection's source (a neuron whose spike leaves through it now) sets the neuron's
``active`` bit; after the events, ``start`` runs the projection: when any bit is set, for every target
with inputs (ascending) it draws ``L`` bits, each from one word of the select source (the MUX,
``hdl.sc_rtl.MuxInputs``'s rule over the target's inputs) and one word of the data source (the comparator
encoder against the input's level, AND the input's activity), counts them, and hands the decoded value
to the target's input word (``out_valid``/``out_ready``, the delivery's add); then it clears the bits and
pulses ``done``.  Without an active bit it draws nothing, as the engine.  Its two tables (targets with
their first input and input count; inputs as source neuron and level) and its two sources come from the
engine's :class:`~engine.network.sc_projection.ScPlan`.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from engine.network.sc_projection import ScPlan
from engine.stochastic.sc_sources import WORD_BITS
from hdl.sc_rtl import ComparatorEncoder, PopcountDecoder, make_source, source_manifest


def _bits(n: int) -> int:
    return max(1, int(n).bit_length())


def _times(value, count):
    """``value * count`` as shifted additions: ``count`` (an input count) has a few bits, and a multiplier
    block for it would take one of the few the datapaths need."""
    total = Const(0, 1)
    for bit in range(len(count)):
        total = total + Mux(count[bit], value << bit, 0)
    return total


def value_bits(plan: ScPlan) -> int:
    """Signed bits of a decoded value of ``plan``."""
    return plan.largest.bit_length() + 1


def sc_tables(plan: ScPlan, source_size: int) -> dict[str, tuple[int, list[int]]]:
    """The projection's two tables as (bits per word, words): ``targets`` (target, first input, count) and
    ``inputs`` (source neuron, level)."""
    tb, ib, cb = _bits(max(plan.targets.max(initial=0), 1)), _bits(plan.inputs.size), _bits(plan.counts.max(initial=1))
    targets = [int(t) | int(s) << tb | int(c) << (tb + ib)
               for t, s, c in zip(plan.targets, plan.starts[:-1], plan.counts)]
    sb = _bits(max(source_size - 1, 1))
    inputs = [int(s) | int(v) << sb for s, v in zip(plan.inputs, plan.levels)]
    return {"targets": (tb + ib + cb, targets), "inputs": (sb + WORD_BITS, inputs)}


def sc_streams(plan: ScPlan) -> list[dict]:
    """The projection's two streams for the manifest (decorrelation is explicit: select and data never share a
    source family)."""
    return [{"projection": plan.name, "stream": role, "length": plan.length, **source_manifest(source, seed)}
            for role, source, seed in (("data", plan.source, plan.seed),
                                       ("select", plan.select_source, plan.select_seed))]


class ScProjectionUnit(wiring.Component):
    """See the module docstring.  Ports: ``activate``/``activate_neuron`` (an event of the source),
    ``start``/``done``, ``out_valid``/``out_target``/``out_value``/``out_ready``; ``restart`` (between steps) takes
    both sources back to their first word, as at power-up."""

    def __init__(self, plan: ScPlan, source_size: int, target_bits: int, value_width: int):
        self.plan, self.source_size = plan, source_size
        self.tables = sc_tables(plan, source_size)
        super().__init__(wiring.Signature({
            "activate": In(1), "activate_neuron": In(_bits(max(source_size - 1, 1))),
            "start": In(1), "done": Out(1),
            "out_valid": Out(1), "out_target": Out(target_bits), "out_value": Out(signed(value_width)),
            "out_ready": In(1), "restart": In(1),
        }))

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        n_targets = int(plan.targets.size)
        m.submodules.data = data = make_source(plan.source, plan.seed)
        m.submodules.select = select = make_source(plan.select_source, plan.select_seed)
        m.submodules.encoder = encoder = ComparatorEncoder()
        m.submodules.popcount = popcount = PopcountDecoder(plan.length)
        width, words = self.tables["targets"]
        m.submodules.targets = targets_mem = Memory(shape=unsigned(width), depth=max(len(words), 1), init=words)
        width, words = self.tables["inputs"]
        m.submodules.inputs = inputs_mem = Memory(shape=unsigned(width), depth=max(len(words), 1), init=words)
        target_rd, input_rd = targets_mem.read_port(), inputs_mem.read_port()

        active = Signal(self.source_size)
        any_active = Signal()
        with m.If(self.activate):
            m.d.sync += [active.eq(active | (Const(1, self.source_size) << self.activate_neuron)),
                         any_active.eq(1)]
        m.d.comb += [data.restart.eq(self.restart), select.restart.eq(self.restart)]  # a reset of the core
        tb = _bits(max(plan.targets.max(initial=0), 1))
        ib = _bits(plan.inputs.size)
        j = Signal(range(max(n_targets, 1) + 1))
        target, first = Signal(tb), Signal(ib)
        count = Signal(_bits(plan.counts.max(initial=1)))
        data_word = Signal(WORD_BITS)
        drawn = Signal(range(plan.length + 1))  # bits drawn for this target
        pending = Signal()  # a bit drawn on the clock before waits to be counted
        sb = _bits(max(self.source_size - 1, 1))
        m.d.comb += [target_rd.addr.eq(j), encoder.word.eq(data_word), encoder.level.eq(input_rd.data[sb:]),
                     popcount.bit.eq(encoder.bit & active.bit_select(input_rd.data[:sb], 1))]
        magnitude = _times(popcount.count, count)
        shift = plan.shift - plan.length_bits
        magnitude = magnitude << shift if shift >= 0 else magnitude >> -shift
        m.d.comb += [self.out_target.eq(target), self.out_value.eq(-magnitude if plan.sign < 0 else magnitude)]
        m.d.sync += self.done.eq(0)
        with m.FSM(name="sc"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += j.eq(0)
                    if n_targets:
                        with m.If(any_active):
                            m.next = "TARGET_WAIT"
                        with m.Else():
                            m.d.sync += self.done.eq(1)
                    else:
                        m.d.sync += [self.done.eq(1), active.eq(0), any_active.eq(0)]
            with m.State("TARGET_WAIT"):  # the target table answers the address j one clock later
                m.next = "TARGET_LOAD"
            with m.State("TARGET_LOAD"):
                m.d.sync += [target.eq(target_rd.data[:tb]), first.eq(target_rd.data[tb:tb + ib]),
                             count.eq(target_rd.data[tb + ib:]), drawn.eq(0), pending.eq(0)]
                m.next = "BITS"
            with m.State("BITS"):
                # one bit per clock: the select word of bit b addresses the input table while bit b - 1,
                # whose level and data word have arrived, is counted (the AND of its weight's bit and activity)
                m.d.comb += popcount.en.eq(pending)
                with m.If(drawn < plan.length):
                    m.d.comb += [input_rd.addr.eq(first + (_times(select.word, count) >> WORD_BITS)),
                                 data.en.eq(1), select.en.eq(1)]
                    m.d.sync += [data_word.eq(data.word), drawn.eq(drawn + 1), pending.eq(1)]
                with m.Else():
                    m.d.sync += pending.eq(0)
                with m.If(popcount.valid):  # the last bit was counted on the clock before
                    m.next = "DECODE"
            with m.State("DECODE"):
                m.d.comb += self.out_valid.eq(1)
                with m.If(self.out_ready):
                    m.d.sync += j.eq(j + 1)
                    with m.If(j == n_targets - 1):
                        m.d.sync += [self.done.eq(1), active.eq(0), any_active.eq(0)]
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "TARGET_WAIT"
        return m
