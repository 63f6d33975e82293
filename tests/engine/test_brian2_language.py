"""Brian2 models as written: namespace constants, Brian2's default functions and constants, `%`, named noise,
`constant over dt`, models without a differential equation, and errors that blame only the broken line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analysis.traces import trace
from engine.equations import expr as E
from engine.equations.elementary import LOWERED, lower_elementary
from engine.equations.ir import Assign, NeuronIR, Slot, build_ir
from engine.equations.model import ModelSpec, check_model
from engine.errors import ModelError
from engine.fixedpoint import QFormat
from engine.population_vm import PopulationVM
from engine.reference import ReferencePopulation

LIF = "dv/dt = (v_rest - v)/tau : volt"


def problems(spec: ModelSpec) -> list[str]:
    with pytest.raises(ModelError) as info:
        check_model(spec)
    return [str(p) for p in info.value.problems]


# -- constants from a namespace -------------------------------------------------

def test_namespace_constants_are_folded_with_the_dimension_of_their_value():
    checked = check_model(ModelSpec(LIF, threshold="v > v_th", reset="v = v_rest",
                                    namespace={"tau": "10 ms", "v_rest": "-70 mV", "v_th": "v_rest + 20*mV"}))
    assert checked.parameters == {} and list(checked.states) == ["v"]
    assert E.fold(checked.states["v"].rhs) == E.fold(E.Binary("/", E.Binary("-", E.Const(-70.0), E.Ref("v")),
                                                              E.Const(10.0)))
    assert E.to_text(checked.threshold) == "v > -50.0"


def test_undeclared_parameters_are_constants_and_declared_ones_stay_per_neuron():
    checked = check_model(ModelSpec(LIF + "\ntau : second", parameters={"tau": "10 ms", "v_rest": "-70 mV"}))
    assert list(checked.parameters) == ["tau"]
    assert "tau" in E.names(checked.states["v"].rhs) and "v_rest" not in E.names(checked.states["v"].rhs)
    ir = build_ir(checked, 1e-4, per_neuron=frozenset({"tau"}))
    assert [s.name for s in ir.slots if s.kind == "param"] == ["tau"]


def test_a_constant_with_the_wrong_units_is_named_in_words():
    assert problems(ModelSpec(LIF, namespace={"tau": "10 mV", "v_rest": "-70 mV"})) == [
        "equations: line 1, col 9: dv/dt must have units volt/second, but the right side is 1 (dimensionless)"]
    # A constant that cannot be read is reported once, not again where the equations use it.
    assert problems(ModelSpec(LIF, namespace={"tau": "10 mss", "v_rest": "-70 mV"})) == [
        "namespace.tau: unknown unit `mss` — did you mean `ms`?"]


def test_a_parameter_used_nowhere_is_still_a_typo():
    assert problems(ModelSpec(LIF + "\ntau : second", parameters={"tau": "10 ms", "tua": "1 ms"},
                              namespace={"v_rest": "-70 mV"})) == [
        "parameters.tua: `tua` is not a parameter of the model — did you mean `tau`?"]


def test_a_namespace_value_for_a_declared_name_is_refused():
    assert problems(ModelSpec(LIF + "\ntau : second", namespace={"tau": "10 ms", "v_rest": "-70 mV"})) == [
        "namespace.tau: `tau` is declared in the equations; give its value under parameters"]


# -- errors blame the line that is broken, once -----------------------------------

@pytest.mark.parametrize("line, message", [
    ("dv/dt = (v_rest - v)/(tau : volt", "equations: line 1, col 22: `(` is never closed"),
    ("dv/dt = (v_rest - v)/tau : voltt", "equations: line 1, col 28: unknown unit `voltt` — did you mean `volt`?"),
    ("dv/dt = (v_rest - v)/tau", "equations: line 1, col 1: missing `: unit` in `dv/dt = (v_rest - v)/tau` "
                                 "(every equation declares its unit, e.g. `: volt`)"),
])
def test_an_unread_equation_is_not_blamed_again_in_other_fields(line, message):
    spec = ModelSpec(line + "\nw : volt", threshold="v > -50*mV", reset="v = v_rest; w = v",
                     refractory="v > 0*mV", initial={"v": "-70 mV"}, namespace={"tau": "10 ms", "v_rest": "-70 mV"})
    assert problems(spec) == [message]


# -- Brian2's default functions and constants ---------------------------------------

def _one_step(expr: E.Expr, x: np.ndarray, fmt: QFormat | None) -> tuple[np.ndarray, np.ndarray]:
    """``out = expr(x)`` after one step in the VM and in the reference interpreter."""
    slots = (Slot("out", "state", "1", 0.0), Slot("x", "param", "1", 0.0), Slot("lastspike", "internal", "ms", -1e9))
    ir = NeuronIR(name="f", unit_system="nest", dt=0.1, slots=slots, update=(Assign("out", expr),), receive={},
                  threshold=None, reset=(), refractory_kind="none")
    out = []
    for pop in (PopulationVM(ir, len(x), fmt, fused=False), ReferencePopulation(ir, len(x), fmt)):
        pop.set("x", x)
        out.append(pop.run(1, {}, ("out",)).record[0, 0])
    return out[0], out[1]


DOMAINS = {"sinh": (-20, 20), "cosh": (-20, 20), "log10": (1e-6, 1e6), "arctan": (-1e3, 1e3), "arcsin": (-1, 1),
           "arccos": (-1, 1)}


@pytest.mark.parametrize("fn", LOWERED)
def test_functions_without_a_vm_instruction_match_the_c_library(fn):
    lo, hi = DOMAINS[fn]
    x = np.concatenate([np.linspace(lo, hi, 997), [0.0, 1e-9, -1e-9, lo, hi] if lo < 0 else [1.0, 10.0]])
    x = x[(x >= lo) & (x <= hi)]
    vm, ref = _one_step(E.Call(fn, (E.Ref("x"),)), x, None)
    np.testing.assert_array_equal(vm, ref)  # one lowering feeds both
    want = np.array([E.SCALAR_FUNCTIONS[fn](v) for v in x])
    np.testing.assert_allclose(vm, want, rtol=2e-15, atol=1e-300)
    assert all(call.fn not in LOWERED for call in _calls(lower_elementary(E.Call(fn, (E.Ref("x"),)))))


def _calls(e: E.Expr) -> list[E.Call]:
    own = [e] if isinstance(e, E.Call) else []
    return own + [c for k in E.children(e) for c in _calls(k)]


@pytest.mark.parametrize("fn", LOWERED)
def test_fixed_point_reads_the_new_functions_from_a_table(fn):
    fmt = QFormat.parse("Q8.8")
    lo, hi = DOMAINS[fn]
    x = np.linspace(max(lo, -4.0), min(hi, 4.0), 200) if fn != "log10" else np.linspace(16.0, 120.0, 200)
    vm, ref = _one_step(E.Call(fn, (E.Ref("x"),)), x, fmt)
    np.testing.assert_array_equal(vm, ref)
    want = np.array([E.SCALAR_FUNCTIONS[fn](fmt.quantize(v) / fmt.one) for v in x])
    # Linear interpolation between 256 knots over the table's domain (docs/fixed-point.md).
    assert np.all(np.abs(vm / fmt.one - want) < 3 / fmt.one + 0.005 * np.abs(want))


def test_default_constants_modulo_and_int_of_a_condition():
    checked = check_model(ModelSpec(
        "dv/dt = (-v + 10*mV*cos(pi) + mV*e + int(v > 0*mV)*mV)/ms : volt\n"
        "w = v % (3*mV) : volt\nk = -7 % 3 : 1\nbig = inf : 1", threshold="w > 2*mV"))
    assert E.evaluate(E.fold(checked.subexpressions["k"]), {}) == 2.0  # the sign of the divisor, as in Python
    assert E.evaluate(checked.subexpressions["w"], {"v": -1.0}) == pytest.approx(2.0)
    assert checked.subexpressions["big"] == E.Const(math.inf)
    rhs = checked.states["v"].rhs
    assert E.evaluate(rhs, {"v": 1.0}) == pytest.approx(-1 - 10 + math.e + 1)
    assert E.evaluate(rhs, {"v": -1.0}) == pytest.approx(1 - 10 + math.e)


def test_modulo_and_int_are_refused_with_the_units_named():
    assert problems(ModelSpec("dv/dt = (v % ms)/ms : volt")) == [
        "equations: line 1, col 10: cannot take volt modulo second in `v % ms`"]


def test_a_named_noise_term_is_one_draw_for_every_equation_that_uses_it():
    spec = ModelSpec("dv/dt = -v/(10*ms) + sigma*xi_shared*sqrt(ms)/ms : volt\n"
                     "du/dt = -u/(10*ms) + sigma*xi_shared*sqrt(ms)/ms : volt\n"
                     "dw/dt = -w/(10*ms) + sigma*xi*sqrt(ms)/ms : volt", namespace={"sigma": "1 mV"})
    result = trace(spec, duration=0.05)
    np.testing.assert_array_equal(result.values["v"], result.values["u"])
    assert np.std(result.values["v"]) > 0.1 and not np.array_equal(result.values["v"], result.values["w"])
    assert build_ir(check_model(spec), 1e-4).method == "euler"


def test_noise_must_enter_linearly_by_name():
    assert problems(ModelSpec("dv/dt = xi_a*xi_a*mV : volt")) == [
        "equations: line 1, col 9: `xi_a` must enter dv/dt linearly (as `sigma*xi_a`)"]


def test_a_model_without_differential_equations_spikes_at_its_rate():
    spec = ModelSpec("rate : Hz", threshold="rand() < rate*dt", parameters={"rate": "40 Hz"})
    counts = [len(trace(spec, duration=2.0, seed=seed).spike_times) for seed in range(5)]
    assert abs(np.mean(counts) - 80) < 3 * math.sqrt(80 / 5)


def test_constant_over_dt_holds_the_value_of_the_start_of_the_step():
    """dv/dt = -I/tau with I = v held over the step: forward Euler's step, whatever the integrator."""
    spec = ModelSpec("dv/dt = -I/tau : volt\nI = v : volt (constant over dt)", method="rk4",
                     namespace={"tau": "10 ms"}, initial={"v": "1 mV"})
    result = trace(spec, duration=0.001, dt=1e-4)
    np.testing.assert_allclose(result.values["v"], (1 - 0.01) ** np.arange(1, 11), rtol=1e-12)
