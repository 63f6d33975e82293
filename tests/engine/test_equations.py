"""The equation language: statements, flags, units, functions, specials, methods and error messages."""

from __future__ import annotations

import math
import re

import pytest

from engine.equations import expr as E
from engine.equations.ir import build_ir
from engine.equations.model import ModelSpec, Receptor, check_model
from engine.equations.check import Symbol
from engine.equations.parser import logical_lines, one_line, parse_equations
from engine.equations.units import DIMENSIONLESS, SECOND, VOLT, parse_unit
from engine.errors import ModelError

LIF = """
dv/dt = (E_L - v)/tau : volt (unless refractory)
E_L : volt
tau : second
"""
VALUES = {"E_L": "-70 mV", "tau": "10 ms"}


def spec(equations: str = LIF, **fields) -> ModelSpec:
    fields.setdefault("parameters", VALUES if equations == LIF else {})
    return ModelSpec(equations, **fields)


def problems(model: ModelSpec) -> list[str]:
    with pytest.raises(ModelError) as info:
        check_model(model)
    return [str(p) for p in info.value.problems]


def only_problem(model: ModelSpec) -> str:
    found = problems(model)
    assert len(found) == 1, found
    return found[0]


def value(tree: E.Expr) -> float:
    return E.evaluate(tree, {})


# -- statements, flags, comments, continuation lines --------------------------

def test_every_statement_form():
    checked = check_model(spec("""
dv/dt = (E_L - v + I*R)/tau : volt
I = g*(E_L - v) : amp
g : siemens
R : ohm
E_L : volt
tau : second
""", parameters={"g": "2 nS", "R": "100 Mohm", "E_L": "-70 mV", "tau": "10 ms"}))
    assert list(checked.states) == ["v"]
    assert checked.states["v"].dim is VOLT
    assert set(checked.parameters) == {"g", "R", "E_L", "tau"}
    assert list(checked.subexpressions) == ["I"]
    # Subexpressions are inlined into the right-hand sides.
    assert "I" not in E.names(checked.states["v"].rhs) and "g" in E.names(checked.states["v"].rhs)


def test_flags():
    checked = check_model(spec("""
dv/dt = (E_L - v)/tau : volt (unless refractory)
du/dt = -u/tau : volt
E_L : volt (constant, shared)
tau : second
""", parameters=VALUES))
    assert checked.states["v"].unless_refractory and not checked.states["u"].unless_refractory
    assert checked.parameters["E_L"].shared and checked.parameters["E_L"].constant
    assert not checked.parameters["tau"].shared


SHARED = LIF.replace("E_L : volt", "E_L : volt (shared, constant)")


def test_constant_over_dt_is_stored_once_per_step_as_in_brian2():
    """Brian2 stores a `constant over dt` subexpression before the step; the step uses that value throughout."""
    checked = check_model(spec(LIF.replace("(E_L - v)/tau", "(E_L - v + I)/tau") + "I = 2*v : volt (constant over dt)\n",
                               parameters=VALUES))
    assert [n for n, _ in checked.per_step] == ["I"] and "I" not in checked.subexpressions
    ir = build_ir(checked, 1e-4)
    assert ir.update[0].target == "I" and "I" in ir.state_names
    assert any("I" in E.names(a.expr) for a in ir.update[1:])  # read from its slot, not substituted
    assert only_problem(spec(LIF + "g : 1 (constant over dt)\n")) == (
        "equations: line 5, col 7: flag `constant over dt` is not allowed on a parameter (allowed: constant, shared)")


def test_shared_subexpression_has_one_value_for_the_population():
    """Brian2's rule: a shared subexpression refers only to shared names (shared parameters, t, dt, N)."""
    checked = check_model(spec(SHARED + "I = 2*E_L*t/second*N : volt (shared)\n"))
    assert list(checked.subexpressions) == ["I"]
    for rhs, varying in (("2*v", "v"), ("tau*volt/second", "tau"), ("E_L*i", "i"), ("E_L*rand()", "rand()")):
        assert only_problem(spec(SHARED + f"I = {rhs} : volt (shared)\n")) == (
            f"equations: line 5, col 5: `I` is shared (one value for the population), but it depends on "
            f"`{varying}`, which differs between neurons")


def test_shared_parameter_is_written_only_with_shared_values():
    model = SHARED + "g : 1 (shared)\n"
    assert only_problem(spec(model, threshold="v > -50*mV", reset="v = E_L; g = 2")) == (
        "reset: line 1, col 10: `g` is shared (one value for the population) and cannot be assigned in reset, "
        "which each neuron runs on its own (assign it in run_regularly)")
    assert only_problem(spec(model, run_regularly="g = v/mV")) == (
        "run_regularly: line 1, col 1: `g` is shared (one value for the population), but `v/mV` depends on `v`, "
        "which differs between neurons")
    assert check_model(spec(model, run_regularly="g += t/second")).run_regularly[0][0] == "g"
    assert only_problem(spec(SHARED + "I : amp (shared)\n", current_input="I")) == (
        "current_input: `I` is shared (one value for the population) and cannot take each neuron's input current")


def test_one_line_maps_columns_of_a_field():
    t = one_line("v > x", "threshold")
    assert t.source.problem("unknown name `x`", 4, 5).end_col == 6
    assert str(t.source.problem("unknown name `x`", 4, 5)) == "threshold: line 1, col 5: unknown name `x`"


def test_symbols_of_a_checked_model():
    symbols = check_model(spec()).symbols()
    assert symbols["v"] == Symbol("state", VOLT)
    assert symbols["tau"] == Symbol("parameter", SECOND, "float")
    assert symbols["t"].kind == "special" and "lastspike" in symbols


def test_unless_refractory_holds_the_state_in_the_ir():
    ir = build_ir(check_model(spec(refractory="2 ms", threshold="v > -50*mV", reset="v = E_L")), 1e-4)
    store = [a for a in ir.update if a.target == "v"][0]
    assert isinstance(store.expr, E.Select) and store.expr.cond == E.Ref("not_refractory")


def test_flag_not_allowed_names_the_allowed_ones():
    assert re.fullmatch(r"equations: line 2, col 30: flag `shared` is not allowed on a differential "
                        r"\(allowed: unless refractory\)", only_problem(spec(LIF.replace(
                            "(unless refractory)", "(shared)"), parameters=VALUES)))


def test_comments_and_blank_lines_are_ignored():
    checked = check_model(spec("""
# a leaky neuron
dv/dt = (E_L - v)/tau : volt   # the membrane

E_L : volt  # rest
tau : second
""", parameters=VALUES))
    assert list(checked.states) == ["v"]


@pytest.mark.parametrize("text", [
    "dv/dt = (E_L - \\\n         v)/tau : volt\nE_L : volt\ntau : second",
    "dv/dt = (E_L -\n         v)/tau : volt\nE_L : volt\ntau : second",
])
def test_continuation_lines(text):
    eqs = parse_equations(text, [])
    assert [e.name for e in eqs] == ["v", "E_L", "tau"]
    assert check_model(spec(text, parameters=VALUES)).states["v"].dim is VOLT


def test_problem_on_a_continuation_line_points_at_that_line():
    text = "dv/dt = (E_L - v +\n    tau)/tau : volt\nE_L : volt\ntau : second"
    msg = only_problem(spec(text, parameters=VALUES))
    assert re.fullmatch(r"equations: line 1, col 10: cannot add volt and second in `E_L - v \+ tau`", msg)
    with pytest.raises(ModelError) as info:
        check_model(spec("dv/dt = (E_L - v\n    + foo)/tau : volt\nE_L : volt\ntau : second", parameters=VALUES))
    p = info.value.problems[0]
    assert (p.line, p.col, p.end_col) == (2, 7, 10)
    assert p.source_line == "    + foo)/tau : volt"
    assert p.message == "unknown name `foo`"


def test_logical_lines_keep_columns():
    [line] = logical_lines("  x = a + \\\n      b : 1", "equations")
    assert line.source.line == 1
    b = line.text.index("b")
    assert line.source.cols[b] == 7 and line.source.rows[b] == 2


# -- units ---------------------------------------------------------------------

@pytest.mark.parametrize("unit, scale, exps", [
    ("siemens/meter**2", 1.0, (-4, -1, 3, 2, 0, 0, 0)),
    ("mV/ms", 1.0, (2, 1, -4, -1, 0, 0, 0)),
    ("amp/metre^2", 1.0, (-2, 0, 0, 1, 0, 0, 0)),
    ("uF/cm**2", 1e-2, (-4, -1, 4, 2, 0, 0, 0)),
    ("1", 1.0, (0,) * 7),
    ("second**-0.5", 1.0, (0, 0, -0.5, 0, 0, 0, 0)),
])
def test_compound_units(unit, scale, exps):
    s, d = parse_unit(unit)
    assert math.isclose(s, scale)
    assert d.exponents == tuple(exps)


def test_compound_unit_declarations_and_parameter_values():
    checked = check_model(spec("""
dv/dt = (g_L*(E_L - v) + I)/C : volt
g_L : siemens/meter**2
C : farad/meter**2
I : amp/meter**2
E_L : volt
""", parameters={"g_L": "0.5 mS/cm**2", "C": "1 uF/cm**2", "I": "0 uA/cm**2", "E_L": "-65 mV"}))
    # nest units: nS/um**2 and pF/um**2.
    assert math.isclose(checked.parameters["g_L"].value, 5e-3)
    assert math.isclose(checked.parameters["C"].value, 1e-2)


def test_declared_units_must_be_si_base_form():
    msg = only_problem(spec("dv/dt = -v/tau : mV\ntau : second"))
    assert re.fullmatch(r"equations: line 1, col 18: declare units in SI base form \(e\.g\. `volt`, not `mV`\)", msg)


def test_unknown_unit_suggests_one():
    msg = only_problem(spec("dv/dt = -v/tau : volts\ntau : second"))
    assert re.fullmatch(r"equations: line 1, col 18: unknown unit `volts` — did you mean `volt`\?", msg)


def test_absurd_unit_powers_are_refused():
    msg = only_problem(spec("dv/dt = -v/tau : volt**100\ntau : second"))
    assert re.fullmatch(r"equations: line 1, col 18: `volt\*\*100` raises a base unit beyond the power 12", msg)


@pytest.mark.parametrize("literal, unit, expected", [
    ("5*mV", "volt", 5.0), ("5 * mV", "volt", 5.0), ("0.5*second", "second", 500.0), ("3*ms", "second", 3.0),
    ("1.5*nA", "amp", 1500.0), ("2*uS*1*Mohm*mV", "volt", 2.0), ("1e3*mV/ms", "volt/second", 1e3),
    ("4*pF/(2*ms)", "farad/second", 2.0), ("2*um**2", "metre**2", 2.0),
])
def test_prefixed_literals_convert_to_the_unit_system(literal, unit, expected):
    checked = check_model(spec(f"dv/dt = -v/ms : volt\nx = {literal} : {unit}"))
    assert math.isclose(value(checked.subexpressions["x"]), expected)


def test_integer_and_boolean_declarations():
    checked = check_model(spec("""
dv/dt = -v*k/tau : volt
k : integer
on : boolean
tau : second
""", parameters={"k": 2, "on": "true", "tau": "10 ms"}, threshold="on and v > 1*mV"))
    assert checked.parameters["k"].var_type == "integer" and checked.parameters["k"].dim is DIMENSIONLESS
    assert checked.parameters["on"].value == 1.0


# -- expressions, functions and their unit rules ------------------------------

@pytest.mark.parametrize("rhs", [
    "-v/tau * exp(v/mV)", "-v/tau * log(1 + abs(v)/mV)", "-sqrt(v*v)/tau", "-abs(v)/tau", "-floor(v/mV)*mV/tau",
    "-ceil(v/mV)*mV/tau", "-int(v/mV)*mV/tau", "-sign(v)*mV/tau", "-clip(v, -1*mV, 1*mV)/tau",
    "-clip(v, 0, 1*mV)/tau", "-tanh(v/mV)*mV/tau", "-sin(v/mV)*cos(v/mV)*tan(v/mV)*mV/tau",
    "-exprel(v/mV)*v/tau", "-(v/mV)**2*mV/tau", "-v**2/mV/tau", "-rand()*v/tau", "-randn()*v/tau",
    "-(v if v > 0*mV else -v)/tau", "-v/tau * (1 if not_refractory else 0)",
])
def test_functions_with_the_right_units(rhs):
    checked = check_model(spec(f"dv/dt = {rhs} : volt\ntau : second", parameters={"tau": "10 ms"}))
    assert checked.states["v"].dim is VOLT


@pytest.mark.parametrize("rhs, message", [
    ("exp(v)/ms", r"col 9: `exp` needs a dimensionless argument, but `v` is volt"),
    ("log(tau)*mV/ms", r"col 9: `log` needs a dimensionless argument, but `tau` is second"),
    ("sqrt(v)/ms", r"col 9: dv/dt must have units volt/second, but the right side is .+"),
    ("clip(v, 0, 1)/ms", r"col 20: `clip` bounds must have the units of its first argument \(volt\), "
                         r"but `1` is 1 \(dimensionless\)"),
    ("rand(v)*mV/ms", r"col 9: `rand\(\)` takes no arguments"),
    ("exp(v/mV, 2)*mV/ms", r"col 9: `exp` takes 1 argument, got 2"),
    ("clip(v)/ms", r"col 9: `clip` takes 3 arguments, got 1"),
    ("expp(v/mV)*mV/ms", r"col 9: unknown function `expp` — did you mean `exp`\?"),
    ("exp*mV/ms", r"col 9: `exp` is a function; call it as `exp\(...\)`"),
    ("v**v/ms", r"col 12: an exponent must be dimensionless, but `v` is volt"),
    ("v**(v/mV)/ms", r"col 13: `v` has units volt, so its exponent must be a constant number between -12 and 12"),
    ("(v > 0*mV)*mV/ms", r"col 10: arithmetic needs a number, but `v > 0\*mV` is boolean"),
    ("(v if v > 0*mV else tau)/ms", r"col 10: both branches must have the same units, not volt and second"),
    ("(v if v else v)/ms", r"col 15: a condition must be boolean, but `v` is volt"),
    ("(v % tau)/ms", r"col 10: cannot take volt modulo second in `v % tau`"),
    ("v[0]/ms", r"col 9: `v\[0\]` is not supported in model expressions"),
    ("'a'*mV/ms", r"col 9: `'a'` is not a number"),
    ("(v & v)/ms", r"col 10: operator in `v & v` is not supported"),
    ("v - * 2", r"col 13: invalid syntax in `v - \* 2`"),
    ("(v > 0*mV and 1and v)/ms", r"col 23: invalid decimal literal in `\(v > 0\*mV and 1and v\)/ms`"),
    ("v/taux", r"col 11: unknown name `taux` — did you mean `tau`\?"),
])
def test_expression_errors(rhs, message):
    msg = only_problem(spec(f"tau : second\ndv/dt = {rhs} : volt", parameters={"tau": "1 ms"}))
    assert re.fullmatch(r"equations: line 2, " + message, msg), msg


def test_the_issue_example_names_place_units_and_text():
    text = "tau : second\ndv/dt = -(v + tau)/(v + tau) : volt"
    with pytest.raises(ModelError) as info:
        check_model(spec(text, parameters={"tau": "1 ms"}))
    [p] = info.value.problems
    assert re.fullmatch(r"equations: line 2, col 11: cannot add volt and second in `v \+ tau`", str(p))
    assert (p.field, p.line, p.col, p.end_col) == ("equations", 2, 11, 18)
    assert p.source_line == "dv/dt = -(v + tau)/(v + tau) : volt"


def test_differential_units_must_match():
    msg = only_problem(spec("dv/dt = v : volt"))
    assert re.fullmatch(r"equations: line 1, col 9: dv/dt must have units volt/second, but the right side is volt",
                        msg)


def test_subexpression_units_must_match():
    msg = only_problem(spec("dv/dt = -v/ms : volt\nI = v : amp"))
    assert re.fullmatch(r"equations: line 2, col 5: `I` is declared as amp, but the right side is volt", msg)


@pytest.mark.parametrize("text, message", [
    ("dv/dt = -v/ms\n", r"equations: line 1, col 1: missing `: unit` in `dv/dt = -v/ms` "
                        r"\(every equation declares its unit, e\.g\. `: volt`\)"),
    ("dv/dt = -v/ms :\n", r"equations: line 1, col 15: missing unit after `:`"),
    ("dv/dt = : volt", r"equations: line 1, col 1: the right side of `v` is empty"),
    ("d v dt = 1 : volt", r"equations: line 1, col 1: cannot read `d v dt = 1`: expected `dx/dt = \.\.\.`, "
                          r"`x = \.\.\.` or `x`"),
    ("dv/dt = (v - 1*mV/ms : volt\ntau : second", r"equations: line 1, col 9: `\(` is never closed"),
    ("dv/dt = -v/ms : volt\nv : volt", r"equations: line 2, col 1: `v` is defined twice \(first on line 1\)"),
    ("dv/dt = -v/ms : volt\nxi : 1", r"equations: line 2, col 1: `xi` is a reserved name"),
    ("dv/dt = -v/ms : boolean", r"equations: line 1, col 17: `dv/dt` must have a physical unit, not boolean"),
])
def test_declaration_errors(text, message):
    assert re.fullmatch(message, only_problem(spec(text)))


def test_reserved_names():
    assert problems(spec("dt/dt = 1/second : 1\ndv/dt = -v/ms : volt"))[0] == \
        "equations: line 1, col 1: `t` is a reserved name"


def test_subexpression_cycles():
    found = problems(spec("dv/dt = -a/ms : volt\na = b : volt\nb = a : volt"))
    assert re.fullmatch(r"equations: line 2, col 1: subexpressions refer to each other in a cycle: a -> b -> a",
                        found[0])


def test_every_problem_is_reported_at_once():
    found = problems(spec("dv/dt = -v/taux : volt\ndu/dt = u : volt\ntau : second", threshold="v",
                          reset="w = 1", method="eulr"))
    assert len(found) == 5


# -- specials and noise ----------------------------------------------------------

def test_specials_have_their_units():
    checked = check_model(spec("""
dv/dt = (-v + (t - lastspike)/ms*mV*0 + i/N*mV + dt/ms*mV)/tau : volt
tau : second
""", parameters={"tau": "10 ms"}, threshold="not_refractory and t > 10*ms"))
    assert {"t", "lastspike", "i", "N"} <= E.names(checked.states["v"].rhs)


@pytest.mark.parametrize("rhs, message", [
    ("(v + t)/tau", r"col 10: cannot add volt and second in `v \+ t`"),
    ("v/tau + not_refractory*mV/tau", r"col 17: arithmetic needs a number, but `not_refractory` is boolean"),
    ("v/tau + i", r"col 9: cannot add volt/second and 1 \(dimensionless\) in `v/tau \+ i`"),
])
def test_special_unit_errors(rhs, message):
    msg = only_problem(spec(f"tau : second\ndv/dt = {rhs} : volt", parameters={"tau": "1 ms"}))
    assert re.fullmatch(r"equations: line 2, " + message, msg), msg


def test_xi_is_white_noise_with_units_of_one_over_root_second():
    checked = check_model(spec("dv/dt = -v/tau + sigma*xi/sqrt(tau) : volt\ntau : second\nsigma : volt",
                               parameters={"tau": "10 ms", "sigma": "1 mV"}))
    assert checked.stochastic
    ir = build_ir(checked, 1e-4)
    assert ir.method == "euler"
    assert any(E.is_random(a.expr) for a in ir.update)
    msg = only_problem(spec("dv/dt = -v/tau + sigma*xi : volt\ntau : second\nsigma : volt",
                            parameters={"tau": "10 ms", "sigma": "1 mV"}))
    assert re.fullmatch(r"equations: line 1, col 9: cannot add volt/second and .+ in `-v/tau \+ sigma\*xi`", msg)


def test_xi_must_enter_linearly():
    msg = only_problem(spec("dv/dt = xi*xi*mV : volt"))
    assert re.fullmatch(r"equations: line 1, col 9: `xi` must enter dv/dt linearly \(as `sigma\*xi`\)", msg)


# -- threshold, reset, refractory ----------------------------------------------

def test_threshold_reset_and_refractory_time():
    checked = check_model(spec(threshold="v > -50*mV", reset="v = E_L; v += 1*mV\nv *= 2", refractory="2 ms"))
    assert isinstance(checked.threshold, E.Binary) and checked.threshold.op == ">"
    assert [t for t, _ in checked.reset] == ["v", "v", "v"]
    assert checked.reset[2][1] == E.Binary("*", E.Ref("v"), E.Const(2.0))
    assert checked.refractory == ("time", pytest.approx(0.002))
    assert build_ir(checked, 1e-4).refractory_steps == 20


def test_refractory_as_a_parameter_name():
    checked = check_model(spec(LIF + "t_ref : second", parameters={**VALUES, "t_ref": "3 ms"}, refractory="t_ref"))
    assert checked.refractory == ("param", "t_ref")
    ir = build_ir(checked, 1e-4)
    assert ir.refractory_kind == "param" and "t_ref" in ir.slot_names


def test_refractory_as_a_condition():
    checked = check_model(spec(refractory="v > -60*mV"))
    assert checked.refractory[0] == "condition"
    assert build_ir(checked, 1e-4).refractory_kind == "condition"


@pytest.mark.parametrize("fields, message", [
    ({"threshold": "v"}, r"threshold: line 1, col 1: the threshold must be a condition \(e\.g\. `v > v_th`\), "
                         r"but `v` is volt"),
    ({"threshold": "v > tau"}, r"threshold: line 1, col 1: cannot compare volt with second in `v > tau`"),
    ({"threshold": "not v"}, r"threshold: line 1, col 1: `not` needs a boolean, but `v` is volt"),
    ({"threshold": "v > 1*mV and v"}, r"threshold: line 1, col 14: `and` needs booleans, but `v` is volt"),
    ({"reset": "v = tau"}, r"reset: line 1, col 1: `v = \.\.\.` needs volt, but `tau` is second"),
    ({"reset": "v *= 2*mV"}, r"reset: line 1, col 1: `v \*= \.\.\.` needs dimensionless, but `2\*mV` is volt"),
    ({"reset": "v = E_L; vv = 0*mV"}, r"reset: line 1, col 10: unknown name `vv` — did you mean `v`\?"),
    ({"reset": "v == 1"}, r"reset: line 1, col 1: cannot read `v == 1`: expected `name = expression` "
                          r"\(or \+=, -=, \*=, /=\)"),
    ({"reset": "t = 0*ms"}, r"reset: line 1, col 1: cannot assign to `t` \(it is a special\)"),
    ({"refractory": "5 mV"}, r"refractory: line 1, col 1: a refractory period must be a time, but `5 mV` is volt"),
    ({"refractory": "-1 ms"}, r"refractory: line 1, col 1: a refractory period cannot be negative"),
    ({"refractory": "inf ms"}, r"refractory: line 1, col 1: a refractory period must be finite, not `inf ms`"),
    ({"refractory": "E_L"}, r"refractory: line 1, col 1: `E_L` must be a parameter in seconds to serve as "
                            r"refractory period"),
    ({"method": "eulr"}, r"method: unknown method `eulr` — did you mean `euler`\? \(choose from exact, "
                         r"exponential_euler, euler, rk2, rk4, heun, rkf45\)"),
    ({"parameters": {"E_L": "-70 ms", "tau": "10 ms"}}, r"parameters\.E_L: `-70 ms` has units second, but `E_L` "
                                                        r"is volt"),
    ({"parameters": {"E_L": "-70 mV", "tua": "1 ms"}}, r"parameters\.tua: `tua` is not a parameter of the model "
                                                       r"— did you mean `tau`\?"),
    ({"initial": {"v": "5 ms"}}, r"initial\.v: `5 ms` has units second, but `v` is volt"),
    ({"current_input": "I"}, r"current_input: `I` is not a parameter of the model"),
    ({"receptors": {"ex": Receptor("v += w*w")}}, r"receptors\.ex: line 1, col 1: `v \+= \.\.\.` needs volt, "
                                                  r"but `w\*w` is volt\*\*2"),
])
def test_field_errors(fields, message):
    fields.setdefault("parameters", VALUES)
    msg = only_problem(spec(**fields))
    assert re.fullmatch(message, msg), msg


def test_receptors_bind_w_with_the_target_units():
    checked = check_model(spec(receptors={"ex": Receptor("v += w"), "in": Receptor("v -= 2*w")}))
    assert checked.receptor_dims["ex"] is VOLT
    assert checked.receptors["in"][0][1] == E.Binary("-", E.Ref("v"), E.Binary("*", E.Const(2.0), E.Ref("w")))


def test_initial_values_may_be_expressions_of_parameters():
    checked = check_model(spec(initial={"v": "E_L + 5*mV"}))
    assert checked.initial["v"] == pytest.approx(-65.0)


# -- method choice ---------------------------------------------------------------

@pytest.mark.parametrize("equations, method", [
    ("dv/dt = (E_L - v)/tau : volt\nE_L : volt\ntau : second", "exact"),
    ("dv/dt = (E_L - v + I_s/nS)/tau : volt\ndI_s/dt = -I_s/tau : amp\nE_L : volt\ntau : second", "exact"),
    ("dv/dt = g*(E_L - v)/nF : volt\ndg/dt = -g/tau : siemens\nE_L : volt\ntau : second", "exponential_euler"),
    ("dv/dt = (E_L - v)/tau*exp((v - E_L)/mV) : volt\nE_L : volt\ntau : second", "euler"),
    ("dv/dt = (v**2/mV - v)/tau : volt\nE_L : volt\ntau : second", "euler"),
])
def test_method_choice(equations, method):
    checked = check_model(spec(equations, parameters={"E_L": "-70 mV", "tau": "10 ms"}))
    assert build_ir(checked, 1e-4).method == method


def test_method_can_be_chosen():
    checked = check_model(spec(method="rk4"))
    assert build_ir(checked, 1e-4).method == "rk4"


def test_exact_refuses_nonlinear_equations():
    checked = check_model(spec("dv/dt = -v**2/mV/tau : volt\ntau : second", parameters={"tau": "1 ms"},
                               method="exact"))
    with pytest.raises(ModelError, match=r"^method: exact integration needs linear equations; `v \*\* 2\.0` in "
                                         r"dv/dt is not linear$"):
        build_ir(checked, 1e-4)


def test_exact_matches_the_analytic_solution():
    ir = build_ir(check_model(spec()), 1e-4)
    [new_v] = [a for a in ir.update if a.target == "_new_v"]
    v0 = -50.0
    stepped = E.evaluate(new_v.expr, {"v": v0})
    assert stepped == pytest.approx(-70.0 + (v0 + 70.0) * math.exp(-0.1 / 10.0), rel=1e-14)


def test_dimension_helpers_are_interned():
    assert parse_unit("ms")[1] is SECOND and (VOLT / SECOND) is parse_unit("mV/ms")[1]


@pytest.mark.parametrize("field, spec", [
    ("equations", dict(equations="dv/dt = (E_L - v)/tau + I : volt\nE_L : volt\ntau : second\nI : amp")),
    ("parameters.tau", dict(equations="dv/dt = (E_L - v)/tau : volt\nE_L : volt\ntau : second",
                            parameters={"E_L": "-70 mV", "tau": "10 parsecs"})),
])
def test_one_error_is_reported_once_and_never_cascades(field, spec):
    fields = dict(threshold="v > -50*mV", reset="v = E_L", initial={"v": "-70 mV"})
    with pytest.raises(ModelError) as err:
        check_model(ModelSpec(**{"parameters": {"E_L": "-70 mV", "tau": "10 ms"}, **fields, **spec}))
    assert [p.field for p in err.value.problems] == [field]
