"""The pipelined neuron datapath (hdl/datapath.py) equals the fixed-point VM bit for bit.

Each case runs a small population in the VM one step at a time with random
per-neuron inputs written into the input slots, records every slot before and
after each step, then streams the pre-step values of every (step, neuron)
through the datapath in Amaranth's simulator, one per clock, and compares the
outputs with the VM's post-step values and spikes.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Fragment
from amaranth.sim import Simulator

from engine.equations.model import ModelSpec
from engine.fixedpoint import QFormat
from engine.models import LIBRARY, get_model
from engine.program import OP
from engine.run.neuron import prepare
from engine.population_vm import PopulationVM
from engine.program import compile_program
from hdl.datapath import STAGE_BUDGET, LoweringError, NeuronDatapath
from tests.hdl.network_cases import KITCHEN_SINK

SEED = 12345

# Divisions by a variable that can be zero, negative or tiny, and by a constant (dt/ms).
DIVISION = ModelSpec(equations="dx/dt = (y/z)/ms : 1\ndy/dt = -y/(3*ms) : 1\ndz/dt = (1 - z)/ms : 1",
                     initial={"x": 0, "y": 1, "z": 1}, threshold="x > 100", reset="x = x/z", method="euler")

# model, format, current input (mean, spread), receptor weight and chance of an input spike per step
# (model units; lif's current in pA barely moves v in Q8.8, its input spikes drive it)
CASES = {
    "iaf_psc_exp": (get_model("iaf_psc_exp"), QFormat.parse("Q16.16"), (600.0, 150.0), (400.0, 0.05)),
    "lif": (get_model("lif"), QFormat.parse("Q8.8"), (30.0, 10.0), (8.0, 0.3)),
    "izhikevich": (get_model("izhikevich"), QFormat.parse("Q8.8"), (20.0, 5.0), (6.0, 0.05)),
    "every_rule": (KITCHEN_SINK, QFormat.parse("Q8.8", acc=20, overflow="wrap", rounding="nearest"),
                   (120.0, 10.0), (10.0, 0.3)),
    "division": (DIVISION, QFormat.parse("Q8.8", acc=24), (0.0, 0.0), (0.0, 0.0)),
}
# Chance per step and neuron that the VM's state is overwritten with extreme raw values (both sides see them).
SCRAMBLE = {"iaf_psc_exp": 0.02, "lif": 0.02, "izhikevich": 0.02, "every_rule": 0.1, "division": 0.5}


def _extremes(fmt: QFormat, rng, n: int) -> np.ndarray:
    """Raw values that reach every corner: anything, small, zero, the storage limits."""
    pick = rng.integers(0, 5, n)
    anything = rng.integers(fmt.store_min, fmt.store_max + 1, n)
    small = rng.integers(-300, 301, n)
    return np.select([pick == 0, pick == 1, pick == 2, pick == 3], [anything, small, 0, fmt.store_min],
                     fmt.store_max).astype(np.int64)


def _trace(ir, fmt, n, nsteps, current, weight, rng, scramble=0.0):
    """Run the VM step by step: (step, pre slots, not_refractory, post slots, spiking, overflow delta) per step."""
    pop = PopulationVM(ir, n, fmt=fmt, seed=SEED)
    out = []
    for _ in range(nsteps):
        for name in ir.state_names:
            hit = rng.random(n) < scramble
            row = pop.slots[ir.slot_index(name)]
            row[hit] = _extremes(fmt, rng, n)[hit]
        for s in ir.slots:
            if s.kind != "input":
                continue
            if s.name == ir.current_input and current[1]:
                pop.set(s.name, rng.normal(current[0], current[1], n))
            elif weight[1]:
                hit = rng.random(n) < weight[1]
                pop.set(s.name, np.where(hit, rng.uniform(-0.5 * weight[0], weight[0], n), 0.0))
        pre, refc, step = pop.slots.copy(), pop.refc.copy(), pop.step_index
        before = pop.vm.overflows.copy()
        res = pop.run(1, record=ir.slot_names)
        spiking = np.zeros(n, dtype=bool)
        spiking[res.spike_neurons] = True
        out.append((step, pre, refc == 0, res.record[0].copy(), spiking, int((pop.vm.overflows - before).sum())))
    return pop, out


def _stream(dp: NeuronDatapath, items):
    """Drive ``items`` (dicts of port values) one per clock; returns (clock, outputs) of every valid output."""
    got = []

    async def bench(ctx):
        for clock, item in enumerate(list(items) + [None] * (dp.latency + 1)):
            ctx.set(dp.i_valid, item is not None)
            if item is not None:
                ctx.set(dp.i_tag, clock)
                ctx.set(dp.i_neuron, item["neuron"])
                ctx.set(dp.i_step, item["step"])
                ctx.set(dp.i_not_refractory, item["nr"])
                for name, port in dp.i_slots.items():
                    ctx.set(port, item[name])
            await ctx.tick()
            if ctx.get(dp.o_valid):
                row = {"tag": ctx.get(dp.o_tag), "spike": ctx.get(dp.o_spike),
                       "overflow": ctx.get(dp.o_overflow)}
                row.update({name: ctx.get(port) for name, port in dp.o_slots.items()})
                got.append((clock, row))

    sim = Simulator(dp)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def _check(case: str, n: int, nsteps: int, exact_overflow: bool):
    model, fmt, current, weight = CASES[case]
    ir = prepare(model, 1e-4)[2]
    pop, trace = _trace(ir, fmt, n, nsteps, current, weight, np.random.default_rng(3), SCRAMBLE[case])
    dp = NeuronDatapath(pop.program, seed=SEED, population_size=n, neuron_bits=8, dt=ir.dt)
    index = {name: i for i, name in enumerate(ir.slot_names)}
    items, expect = [], []
    for step, pre, nr, post, spiking, overflow in trace:
        for k in range(n):
            item = {"neuron": k, "step": step, "nr": int(nr[k])}
            item.update({name: int(pre[index[name], k]) for name in dp.read_slots})
            items.append(item)
            want = {"spike": int(spiking[k])}
            want.update({name: int(post[index[name], k]) for name in dp.write_slots})
            expect.append((want, overflow, step))
    got = _stream(dp, items)
    assert len(got) == len(items)
    spikes = 0
    flagged: dict[int, bool] = {}
    for j, ((clock, row), (want, overflow, step)) in enumerate(zip(got, expect)):
        assert row["tag"] == j and clock == j + dp.latency - 1, "one result per clock, `latency` clocks later"
        assert {k: row[k] for k in want} == want, f"step {step}, neuron {j % n}"
        spikes += want["spike"]
        flagged[step] = flagged.get(step, False) or bool(row["overflow"])
        if exact_overflow:  # one neuron: the VM's count for the step is this neuron's
            assert row["overflow"] == (overflow > 0), f"overflow flag at step {step}"
    if not exact_overflow:
        # Several neurons: a step where none spikes counts exactly the flags of every neuron.
        for step, pre, nr, post, spiking, overflow in trace:
            if not spiking.any():
                assert flagged[step] == (overflow > 0), f"overflow flags at step {step}"
    assert spikes >= 3, "the stimulus should make the neurons fire"
    return dp, spikes


@pytest.mark.parametrize("case", list(CASES))
def test_datapath_matches_fixed_vm_bit_for_bit(case):
    _check(case, n=4, nsteps=150, exact_overflow=False)


@pytest.mark.parametrize("case", ["iaf_psc_exp", "every_rule", "division"])
def test_overflow_flag_is_the_vms_count_for_one_neuron(case):
    _check(case, n=1, nsteps=300, exact_overflow=True)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_datapath_matches_fixed_vm_long(case):
    _check(case, n=8, nsteps=500, exact_overflow=False)


def test_overflows_happen_in_the_every_rule_case():
    model, fmt, current, weight = CASES["every_rule"]
    ir = prepare(model, 1e-4)[2]
    _, trace = _trace(ir, fmt, 1, 300, current, weight, np.random.default_rng(3), SCRAMBLE["every_rule"])
    assert sum(t[5] for t in trace) > 0


@pytest.mark.parametrize("name", [n for n in LIBRARY if n not in ("aeif_cond_alpha", "aeif_cond_exp")])
def test_every_library_model_lowers(name):
    ir = prepare(LIBRARY[name], 1e-4)[2]
    program = compile_program(ir, QFormat.parse("Q8.8"))
    dp = NeuronDatapath(program, seed=1, population_size=100, dt=ir.dt)
    Fragment.get(dp, None)  # elaborates
    assert dp.latency == dp.resources.latency >= 1
    assert set(dp.write_slots) <= set(dp.read_slots) <= set(ir.slot_names)
    assert "lastspike" not in dp.write_slots


def test_interface_and_verilog_conversion():
    model, fmt, *_ = CASES["iaf_psc_exp"]
    ir = prepare(model, 1e-4)[2]
    dp = NeuronDatapath(compile_program(ir, fmt), seed=0, population_size=16, dt=ir.dt)
    assert dp.read_slots == ("V_m", "I_syn_ex", "I_syn_in", "I_stim", "w_ex", "w_in")
    assert dp.write_slots == ("V_m", "I_syn_ex", "I_syn_in")
    assert all(len(p) == 32 and p.shape().signed for p in (*dp.i_slots.values(), *dp.o_slots.values()))
    assert len(dp.i_step) == 64 and len(dp.i_neuron) == 16 and len(dp.i_tag) == 16
    # Sparse constants (the propagators close to one, after their integer part is split off) are shifts
    # and adders; what is left: the division by C_m = 250 * 2**16 (I_stim / 250, times a 29-bit magic
    # number), the dense 6521 times a 25-bit sum, and P21 = 6513 / 2**24 (a coefficient with 8 extra
    # fraction bits, docs/fixed-point.md section 3; 6 signed digits) times each 32-bit synaptic current.
    assert sorted(dp.resources.multipliers) == [(25, 13), (32, 13), (32, 13), (32, 29)]
    ports = [dp.i_valid, dp.i_tag, dp.i_neuron, dp.i_step, dp.i_not_refractory, *dp.i_slots.values(),
             dp.o_valid, dp.o_tag, dp.o_spike, dp.o_overflow, *dp.o_slots.values()]
    text = verilog.convert(dp, name="iaf_datapath", ports=ports)
    assert "module iaf_datapath" in text
    assert "o_slot_V_m" in text and "i_slot_w_ex" in text
    # The every-rule model has tables (ROMs), a divider, hashes: it converts too.
    model, fmt, *_ = CASES["every_rule"]
    ir = prepare(model, 1e-4)[2]
    dp = NeuronDatapath(compile_program(ir, fmt), seed=5, population_size=4, dt=ir.dt)
    assert dp.resources.table_reads > 0 and dp.resources.divider_stages > 0
    assert "module every" in verilog.convert(dp, name="every")


def test_a_variable_division_is_a_pipelined_divider():
    spec = ModelSpec(equations="dv/dt = -v/(tau + abs(v)*ms/mV) : volt\ntau : second",
                     parameters={"tau": "10 ms"}, initial={"v": "1 mV"}, method="euler")
    ir = prepare(spec, 1e-4)[2]
    fmt = QFormat.parse("Q8.8")
    dp = NeuronDatapath(compile_program(ir, fmt), seed=0, population_size=1, dt=ir.dt)
    Fragment.get(dp, None)
    # The numerator -v << 8 has 16 + 8 bits: 24 quotient bits, STAGE_BUDGET per stage.
    assert dp.resources.divider_stages == 24 // STAGE_BUDGET
    assert dp.latency > dp.resources.divider_stages


def test_unlowerable_instructions_are_named():
    ir = prepare(get_model("lif"), 1e-4)[2]
    program = compile_program(ir, QFormat.parse("Q8.8"))
    code = program.code.copy()
    code[1, 0] = OP["**"]
    broken = type(program)(code, program.consts, program.nregs, program.ref_mode, program.slot_names,
                           program.fmt, program.knots, program.tables)
    with pytest.raises(LoweringError, match=r"instruction 1 \(`\*\*"):
        NeuronDatapath(broken, seed=0, population_size=1, dt=ir.dt)
    with pytest.raises(LoweringError, match="fixed-point program"):
        NeuronDatapath(compile_program(ir), seed=0, population_size=1)
    with pytest.raises(LoweringError, match="does not fit"):
        NeuronDatapath(program, seed=0, population_size=300, neuron_bits=8)


def test_magic_numbers_and_signed_digits_are_exact():
    from hdl.datapath import _csd, _magic
    for k in (25, -652, 3196, 6521, 64884, -1, 7, 1 << 20):
        assert sum(d << i for d, i in _csd(k)) == k
    for d in (3, 5, 7, 125, 250, 1000):
        umax = 5000
        magic, shift = _magic(d, umax)
        assert all((u * magic) >> shift == u // d for u in range(umax + 1))
        assert all((n * magic >> shift) + (n < 0) == int(n / d) for n in range(-umax, umax + 1))
    assert _magic(250, 1 << 31) == (274877907, 36)  # C_m = 250 pF in Q16.16: a 29-bit magic
