"""The Cython VM against the NumPy reference interpreter (engine/reference.py).

Every library model runs in both, in float64 and in two fixed-point formats,
under a varying injected current and receptor spikes; fixed point must agree
bit for bit (state, spikes, overflow counts), float64 to 1e-12.  Small tests
pin the fixed-point rules and the random numbers on hand-built IRs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.equations import expr as E
from engine.equations.ir import Assign, NeuronIR, Slot, build_ir
from engine.equations.model import check_model
from engine.fixedpoint import FormatError, QFormat, function_table, fx_div, fx_mul, limit, table_lookup
from engine.equations.rkf45_control import is_rkf45
from engine.models import LIBRARY
from engine.program import lower_for_fixed
from engine.reference import BLOCK, ReferencePopulation, random_bits
from engine.population_vm import PopulationVM
from ext import vm as ext_vm

DT = 1e-4
N = 8
STEPS = 10_000
# Expression nodes x steps one reference run may evaluate: the NumPy reference
# pays ~1-2 us per node on 8 neurons, so models with large IRs run fewer steps.
WORK = 1_000_000
MIN_STEPS = 500
FORMATS = {"float64": None, "Q8.8": QFormat.parse("Q8.8"), "Q16.16": QFormat.parse("Q16.16")}
# Typical input magnitudes by the unit of an input slot.
SCALE = {"pA": 600.0, "nS": 5.0, "mV": 3.0}


def _vm(ir: NeuronIR, n: int, fmt: QFormat | None, seed: int = 0) -> PopulationVM:
    """The bytecode VM itself (not a hand-fused kernel, which has its own tests)."""
    return PopulationVM(ir, n, fmt, seed=seed, fused=False)


def _nodes(ir: NeuronIR) -> int:
    trees = [a.expr for a in ir.update] + [a.expr for s in ir.receive.values() for a in s]
    trees += [a.expr for a in ir.reset] + [t for t in (ir.threshold, ir.refractory_condition) if t is not None]

    def count(e: E.Expr) -> int:
        return 1 + sum(count(k) for k in E.children(e))
    return sum(count(lower_for_fixed(t)) for t in trees)


def _inputs(ir: NeuronIR, nsteps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A slow sine with noise into the current input; sparse random spikes into each receptor."""
    out = {}
    k = np.arange(nsteps)
    for s in ir.slots:
        if s.kind != "input":
            continue
        scale = SCALE.get(s.unit, 1.0)
        if s.name == ir.current_input:
            out[s.name] = scale * (0.6 + np.sin(k / 900.0) + 0.4 * rng.standard_normal(nsteps))
        else:
            w = np.zeros(nsteps)
            hits = rng.random(nsteps) < 0.03
            w[hits] = scale * rng.random(hits.sum()) * 3
            out[s.name] = w
    return out


def _spread(pop, ir: NeuronIR) -> None:
    """Start the neurons apart: membrane-like states (mV) offset by 0..4 mV."""
    for s in ir.slots:
        if s.kind == "state" and s.unit == "mV":
            pop.set(s.name, s.initial + np.linspace(0.0, 4.0, pop.n))


@pytest.fixture(scope="module")
def irs() -> dict[str, NeuronIR]:
    # At most two substeps: unrolling repeats the same statements, and this keeps the reference
    # affordable while models that need substeps (hh_psc_alpha) stay finite.  The reference has no
    # adaptive integrator: rkf45 models run here in a fixed-step form (rk4 with the reset after each
    # substep); rkf45 itself is checked against NEST and exact solutions (test_rkf45.py).
    def fixed_step(spec):
        if is_rkf45(spec.method):
            return replace(spec, method="rk4", substeps=2, substep_reset=True)
        return replace(spec, substeps=min(spec.substeps, 2))

    return {name: build_ir(check_model(fixed_step(m.spec)), DT, name=name) for name, m in LIBRARY.items()}


@pytest.mark.parametrize("fmt_name", list(FORMATS))
@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_vm_matches_reference(irs, name, fmt_name):
    ir = irs[name]
    fmt = FORMATS[fmt_name]
    # Every run is capped by its cost; the default format, whose narrow range overflows first, gets four times
    # the work and at least 2,000 steps (0.2 s of the sine and the spikes).
    work, least = (4 * WORK, 2_000) if fmt_name == "Q8.8" else (WORK, MIN_STEPS)
    nsteps = min(STEPS, max(least, work // _nodes(ir)))
    inputs = _inputs(ir, nsteps, np.random.default_rng(7))
    vm, ref = _vm(ir, N, fmt, seed=11), ReferencePopulation(ir, N, fmt, seed=11)
    for pop in (vm, ref):
        _spread(pop, ir)
    names = ir.slot_names
    got, want = vm.run(nsteps, inputs, names), ref.run(nsteps, inputs, names)
    np.testing.assert_array_equal(got.spike_steps, want.spike_steps)
    np.testing.assert_array_equal(got.spike_neurons, want.spike_neurons)
    if fmt is None:
        for q, var in enumerate(names):
            finite = want.record[:, q][np.isfinite(want.record[:, q])]
            floor = 1e-12 * (1.0 + np.max(np.abs(finite), initial=0.0))
            np.testing.assert_allclose(got.record[:, q], want.record[:, q], rtol=1e-12, atol=floor, err_msg=var)
    else:
        np.testing.assert_array_equal(got.record, want.record)
        assert vm.overflows == ref.overflows


def test_reference_blocks_match_the_vm():
    """More neurons than one VM block: resets and overflow counts are per block in both."""
    assert BLOCK == ext_vm.BLOCK_SIZE
    ir = build_ir(check_model(LIBRARY["iaf_psc_exp"].spec), DT)
    fmt = QFormat.parse("Q8.8")
    n = BLOCK + 37
    inputs = _inputs(ir, 400, np.random.default_rng(3))
    vm, ref = _vm(ir, n, fmt), ReferencePopulation(ir, n, fmt)
    for pop in (vm, ref):
        pop.set("V_m", np.linspace(-70.0, -56.0, n))
    got, want = vm.run(400, inputs, ir.slot_names), ref.run(400, inputs, ir.slot_names)
    np.testing.assert_array_equal(got.record, want.record)
    np.testing.assert_array_equal(got.spike_neurons, want.spike_neurons)
    assert vm.overflows == ref.overflows


# -- fixed-point rules, on hand-built IRs -------------------------------------

def _op_ir(expr: E.Expr, *names: str) -> NeuronIR:
    """A neuron whose only work is ``out = expr`` over parameters ``names``."""
    slots = (Slot("out", "state", "1", 0.0),) + tuple(Slot(n, "param", "1", 0.0) for n in names)
    slots += (Slot("lastspike", "internal", "ms", -1e9),)
    return NeuronIR(name="op", unit_system="nest", dt=0.1, slots=slots, update=(Assign("out", expr),),
                    receive={}, threshold=None, reset=(), refractory_kind="none")


def _run_op(expr: E.Expr, fmt: QFormat, **raw: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """``out`` after one step from raw operand values, in the VM and the reference (which must agree)."""
    ir = _op_ir(expr, *raw)
    n = len(next(iter(raw.values())))
    results = []
    for pop in (_vm(ir, n, fmt), ReferencePopulation(ir, n, fmt)):
        for name, values in raw.items():
            pop.set(name, np.asarray(values) / fmt.one)
        record = pop.run(1, {}, ("out",)).record[0, 0]
        results.append((record, pop.overflows))
    (vm_out, vm_over), (ref_out, ref_over) = results
    np.testing.assert_array_equal(vm_out, ref_out)
    assert vm_over == ref_over
    return vm_out, vm_over


AB = E.Binary("*", E.Ref("a"), E.Ref("b"))


@pytest.mark.parametrize("rounding, want", [("truncate", [1, -2, 0, -1]), ("nearest", [2, -1, 1, 0])])
def test_mul_rounding(rounding, want):
    """3/256 * 0.5 = 1.5 raw: floor gives 1 (and -2), round half up gives 2 (and -1)."""
    fmt = QFormat.parse("Q8.8", rounding=rounding)
    a, b = np.array([3, -3, 1, -1]), np.array([128, 128, 128, 128])
    assert fx_mul(a, b, fmt)[0].tolist() == want
    out, _ = _run_op(AB, fmt, a=a, b=b)
    assert out.tolist() == want


@pytest.mark.parametrize("fmt_name, value, want", [
    ("Q16.16", 0.00038820409248454044, (6513, 8)),  # iaf_psc_exp's P21: 25 in the data format
    ("Q8.8", 0.00038820409248454044, (6513, 16)),  # the cap: at most 16 extra bits (0 in the data format)
    ("Q16.16", 0.9900498337491681, (64884, 0)),  # already 17 bits: the data format's raw value
    ("Q8.8", 0.9900498337491681, (16221, 6)),
    ("Q8.8", 5.0, (1280, 0)), ("Q8.8", -1.0, (-256, 0)), ("Q16.16", 0.5, (32768, 0)),  # exact: as before
    ("Q8.8", -0.1, (-13107, 9)), ("Q8.8", 1e-12, (0, 0)), ("Q8.8", 1000.0, (256000, 0)),
    ("Q8.8", float("inf"), (2**31 - 1, 0)), ("Q8.8", 1e300, (2**31 - 1, 0)),
])
def test_coefficient_rule(fmt_name, value, want):
    """docs/fixed-point.md section 3: the factor of a mulk is raw / 2**(frac + e)."""
    assert QFormat.parse(fmt_name).coefficient(value) == want


def test_one_storage_rule_for_every_value_entering_a_slot():
    """docs/fixed-point.md section 3: nearest (half away from zero), clipped to storage; NaN is refused."""
    fmt = QFormat.parse("Q8.8")
    values = [0.5 / 256, -0.5 / 256, 1.0, -1e9, 1e300, float("inf"), float("-inf"), 127.999]
    assert fmt.to_store(values).tolist() == [1, -1, 256, -32768, 32767, 32767, -32768, 32767]
    assert int(fmt.to_store(-2.25)) == -576
    with pytest.raises(FormatError, match="NaN"):
        fmt.to_store([0.0, float("nan")])


def test_initial_values_follow_the_storage_rule():
    """PopulationVM and the reference start from the same stored values (lastspike saturates)."""
    ir = build_ir(check_model(LIBRARY["iaf_psc_exp"].spec), DT)
    fmt = QFormat.parse("Q8.8")
    vm, ref = _vm(ir, 3, fmt), ReferencePopulation(ir, 3, fmt, seed=0)
    for slot in ir.slots:
        want = fmt.to_store(slot.initial)
        assert vm.slots[ir.slot_index(slot.name)].tolist() == [want] * 3
        assert ref.slots[ir.slot_index(slot.name)].tolist() == [want] * 3
    assert int(fmt.to_store(ir.slots[ir.slot_index("lastspike")].initial)) == fmt.store_min


def test_coefficient_stays_in_a_narrow_accumulator():
    fmt = QFormat(total=8, frac=4, acc=8)  # acc_max = 127 bounds the raw coefficient
    raw, e = fmt.coefficient(0.3)
    assert (raw, e) == (77, 4) and abs(raw) <= fmt.acc_max


@pytest.mark.parametrize("fmt", [QFormat.parse("Q8.8"), QFormat.parse("Q8.8", acc=16, rounding="nearest"),
                                 QFormat.parse("Q8.8", acc=16, overflow="wrap"), QFormat.parse("Q16.16"),
                                 QFormat.parse("Q20.12", rounding="nearest")])
@pytest.mark.parametrize("c", [0.00038820409248454044, -0.1, 0.951229424500714, 3.7, -5.0, 1e-9, 77.3])
def test_mulk_has_its_own_precision(fmt, c):
    """``a * c``: limit(shift(a * raw, frac + e)), the same in the VM and the reference; e is in the program."""
    from engine.program import compile_program
    rng = np.random.default_rng(7)
    a = np.concatenate([[fmt.store_min, fmt.store_max, 0, 1, -1], rng.integers(fmt.store_min, fmt.store_max + 1, 59)])
    for expr in (E.Binary("*", E.Const(c), E.Ref("a")), E.Binary("*", E.Ref("a"), E.Const(c))):
        got, over = _run_op(expr, fmt, a=a)
        raw, e = fmt.coefficient(c)
        s = fmt.frac + e
        p = a * raw + ((1 << (s - 1)) if fmt.rounding == "nearest" else 0)
        want, bad = limit(p >> s, fmt.acc, fmt.overflow)
        want, bad2 = limit(want, fmt.total, fmt.overflow)
        np.testing.assert_array_equal(got, want)
        assert over.get("out", 0) == int(np.count_nonzero(bad)) + int(np.count_nonzero(bad2))
        program = compile_program(_op_ir(expr, "a"), fmt)
        rows = [r for r in program.code if r[0] == ext_vm.OPCODES["mulk"]]
        assert len(rows) == 1 and rows[0][4] == e and program.consts[rows[0][3]] == raw
    # Float programs do not change: the factor is the number itself, no extra field.
    program = compile_program(_op_ir(E.Binary("*", E.Ref("a"), E.Const(c)), "a"), None)
    rows = [r for r in program.code if r[0] == ext_vm.OPCODES["mulk"]]
    assert rows[0][4] == 0 and program.consts[rows[0][3]] == c


def test_div_truncates_toward_zero():
    fmt = QFormat.parse("Q8.8")
    a = np.array([-1, 5, 7, -7, 256])
    b = np.array([768, -512, 512, 512, -256])
    # (-1<<8)/768 = -0.33 -> 0 (floor would give -1); 1280/-512 = -2.5 -> -2; 3.5 -> 3; -3.5 -> -3; -256.
    want = [0, -2, 3, -3, -256]
    assert fx_div(a, b, fmt)[0].tolist() == want
    out, over = _run_op(E.Binary("/", E.Ref("a"), E.Ref("b")), fmt, a=a, b=b)
    assert out.tolist() == want and over == {}


def test_div_by_zero_saturates_and_counts():
    fmt = QFormat.parse("Q8.8")
    a, b = np.array([5, -5, 0]), np.zeros(3, dtype=np.int64)
    q, bad = fx_div(a, b, fmt)
    assert q.tolist() == [fmt.acc_max, fmt.acc_min, fmt.acc_max]
    out, over = _run_op(E.Binary("/", E.Ref("a"), E.Ref("b")), fmt, a=a, b=b)
    assert out.tolist() == [fmt.store_max, fmt.store_min, fmt.store_max]
    # Each neuron: one for the division by zero, one for narrowing the store.
    assert over == {"out": 6}


@pytest.mark.parametrize("overflow, want", [("saturate", [32767, -32768, 300]), ("wrap", [51200 - 65536, 14336, 300])])
def test_store_saturates_or_wraps(overflow, want):
    fmt = QFormat.parse("Q8.8", overflow=overflow)
    a, b = np.array([25600, -25600, 100]), np.array([25600, -25600, 200])
    assert limit(a + b, fmt.total, overflow)[0].tolist() == want
    out, over = _run_op(E.Binary("+", E.Ref("a"), E.Ref("b")), fmt, a=a, b=b)
    assert out.tolist() == want and over == {"out": 2}


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_accumulator_limit_is_counted_once_per_operation(overflow):
    """Q16.16 has a 32-bit accumulator: 20000 + 20000 leaves it (counted), then the store."""
    fmt = QFormat.parse("Q16.16", overflow=overflow)
    big = np.array([20000 << 16, 1 << 16])
    out, over = _run_op(E.Binary("+", E.Ref("a"), E.Ref("b")), fmt, a=big, b=big)
    total = (40000 << 16)
    expect = fmt.acc_max if overflow == "saturate" else total - (1 << 32)
    assert out.tolist() == [expect, 2 << 16]
    assert over == {"out": 1}


def test_table_lookup_at_the_domain_edges():
    fmt = QFormat.parse("Q8.8")
    t = function_table("exp", fmt)
    knots = np.asarray(t.knots)
    x = np.array([t.lo - 1000, t.lo - 1, t.lo, t.lo + (1 << t.shift), t.hi - 1, t.hi, t.hi + 5000])
    y = table_lookup(t, x, fmt)
    assert y[0] == y[1] == y[2] == knots[0]
    assert y[3] == knots[1]
    assert knots[-2] <= y[4] <= knots[-1]
    assert y[5] == y[6] == knots[-1]
    out, _ = _run_op(E.Call("exp", (E.Ref("a"),)), fmt, a=np.clip(x, fmt.store_min, fmt.store_max))
    np.testing.assert_array_equal(out, np.clip(table_lookup(t, np.clip(x, fmt.store_min, fmt.store_max), fmt),
                                                fmt.store_min, fmt.store_max))


def test_table_interpolates_between_knots():
    fmt = QFormat.parse("Q16.16")
    t = function_table("tanh", fmt)
    k = 100
    mid = t.lo + (k << t.shift) + (1 << (t.shift - 1))
    y = table_lookup(t, np.array([mid]), fmt)[0]
    assert y == t.knots[k] + ((t.knots[k + 1] - t.knots[k]) >> 1)


# -- random numbers -----------------------------------------------------------

@pytest.mark.parametrize("seed, step, site", [(0, 0, 0), (11, 12345, 3), ((1 << 64) - 1, 10**9, 77)])
def test_random_bits_equal_the_vm(seed, step, site):
    neurons = np.arange(0, 5000, 7, dtype=np.uint64)
    np.testing.assert_array_equal(random_bits(seed, neurons, step, site),
                                  ext_vm.random_bits_array(seed, neurons, step, site))


def _draws(fn: str, fmt: QFormat | None, steps: int = 1500) -> np.ndarray:
    ir = _op_ir(E.Call(fn, ()))
    got = _vm(ir, 64, fmt, seed=5).run(steps, {}, ("out",)).record[:, 0]
    want = ReferencePopulation(ir, 64, fmt, seed=5).run(steps, {}, ("out",)).record[:, 0]
    np.testing.assert_array_equal(got, want)
    return got if fmt is None else fmt.to_float(got)


@pytest.mark.parametrize("fmt", [None, QFormat.parse("Q16.16")], ids=["float64", "Q16.16"])
def test_rand_is_uniform_on_0_1(fmt):
    x = _draws("rand", fmt)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.std() - 12 ** -0.5) < 0.01


@pytest.mark.parametrize("fmt", [None, QFormat.parse("Q16.16")], ids=["float64", "Q16.16"])
def test_randn_is_standard_normal(fmt):
    x = _draws("randn", fmt)
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.02
    assert abs(np.mean(x ** 3)) < 0.05


def test_random_numbers_differ_between_neurons_and_steps():
    x = _draws("rand", None, steps=50)
    assert len(np.unique(x)) == x.size


def test_fixed_rand_and_randn_streams_are_independent():
    fmt = QFormat.parse("Q16.16")
    ir = NeuronIR(name="op", unit_system="nest", dt=0.1,
                  slots=(Slot("x", "state", "1", 0.0), Slot("y", "state", "1", 0.0),
                         Slot("lastspike", "internal", "ms", -1e9)),
                  update=(Assign("x", E.Call("randn", ())), Assign("y", E.Call("rand", ()))),
                  receive={}, threshold=None, reset=(), refractory_kind="none")
    rec = _vm(ir, 256, fmt).run(400, {}, ("x", "y")).record
    x, y = fmt.to_float(rec[:, 0]).ravel(), fmt.to_float(rec[:, 1]).ravel()
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.05


@pytest.mark.parametrize("fmt, expr, raw", [
    (QFormat(8, 4, 8), E.Call("ceil", (E.Ref("a"),)), [127, 120, -128, 3]),
    (QFormat(8, 7, 8), E.Call("sign", (E.Ref("a"),)), [5, -5, 0, 127]),
    (QFormat(8, 6, 8), E.Call("randn", ()), list(range(64))),
])
def test_ceil_sign_and_randn_are_limited_and_counted(fmt, expr, raw):
    """One rule for every operation that can leave the accumulator (docs/fixed-point.md section 5)."""
    a = np.array(raw, dtype=np.int64)
    ir = _op_ir(expr, "a")
    counts = []
    for pop in (_vm(ir, a.size, fmt, seed=3), ReferencePopulation(ir, a.size, fmt, seed=3)):
        pop.set("a", a / fmt.one)
        out = pop.run(12, {}, ("out",)).record[:, 0]
        assert out.min() >= fmt.acc_min and out.max() <= fmt.acc_max
        counts.append(pop.overflows)
    assert counts[0] == counts[1] and counts[0].get("out", 0) > 0
