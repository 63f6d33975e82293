"""Per-neuron parameters and initial values: expressions and arrays."""

from dataclasses import replace

import numpy as np
import pytest

from engine.equations.constant_values import Expression
from engine.equations.units import SECOND, VOLT, Quantity
from engine.errors import ModelError
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.definitions import NetworkDef, PopulationDef

LIF = get_model("iaf_psc_exp")


def _pop(**kw):
    return build_network(NetworkDef((PopulationDef("p", LIF, 5, **kw),), seed=4)).populations["p"]


def test_array_initial_values_and_parameters_are_used_as_given():
    pop = _pop(parameters={"I_e": [0.0, 100.0, 200.0, 300.0, 400.0]}, initial={"V_m": np.linspace(-70, -60, 5)})
    np.testing.assert_array_equal(pop.state.get("I_e"), [0, 100, 200, 300, 400])
    np.testing.assert_array_equal(pop.state.get("V_m"), np.linspace(-70, -60, 5))
    assert "I_e" in pop.ir.slot_names


def test_expression_initial_values_use_parameters_and_the_index():
    pop = _pop(initial={"V_m": "E_L + i*mV"})
    np.testing.assert_array_equal(pop.state.get("V_m"), [-70, -69, -68, -67, -66])


def test_random_initial_values_stay_in_their_range_and_follow_the_seed():
    a = _pop(initial={"V_m": "V_reset + rand()*(V_th - V_reset)"}).state.get("V_m")
    b = _pop(initial={"V_m": "V_reset + rand()*(V_th - V_reset)"}).state.get("V_m")
    assert np.all((a >= -70) & (a <= -55)) and np.unique(a).size == 5
    np.testing.assert_array_equal(a, b)


def test_wrong_number_of_values_is_refused():
    with pytest.raises(NetworkError, match=r"^population `p`, initial `V_m`: 2 values given for 5 neurons$"):
        _pop(initial={"V_m": [-70.0, -65.0]})


def test_a_shared_parameter_takes_one_value_for_the_population():
    """Brian2's `shared`: per-neuron values that differ are refused; equal ones are the one value."""
    spec = replace(LIF.spec, equations=LIF.spec.equations.replace("I_e : amp\n", "I_e : amp (shared)\n"))
    assert spec.equations != LIF.spec.equations

    def pop(value):
        return build_network(NetworkDef((PopulationDef("p", spec, 5, parameters={"I_e": value}),))).populations["p"]

    with pytest.raises(NetworkError, match=r"^population `p`, parameter `I_e`: `100\*pA \+ i\*pA` differs between "
                                           r"neurons, but `I_e` is shared \(one value for the population\)$"):
        pop("100*pA + i*pA")
    np.testing.assert_array_equal(pop("100*pA + 0*i*pA").state.get("I_e"), [100.0] * 5)


def test_typed_values_and_expressions_evaluate_their_constants_as_symbols():
    pop = _pop(parameters={"tau_m": Quantity(12.0, SECOND)},
               initial={"V_m": Expression("V0 + i*step", {"V0": Quantity(-65.0, VOLT), "step": Quantity(0.5, VOLT)})})
    np.testing.assert_array_equal(pop.state.get("V_m"), [-65.0, -64.5, -64.0, -63.5, -63.0])
    assert pop.model.parameters["tau_m"].value == 12.0


def test_a_constant_shadows_a_model_name_in_an_expression():
    pop = _pop(initial={"V_m": Expression("E_L + 0*i*mV", {"E_L": Quantity(-61.0, VOLT)})})
    np.testing.assert_array_equal(pop.state.get("V_m"), np.full(5, -61.0))


def test_problems_of_an_expression_point_into_its_own_text():
    with pytest.raises(ModelError) as info:
        _pop(initial={"V_m": Expression("V0 + rand()*Vx", {"V0": Quantity(-65.0, VOLT)})})
    [problem] = info.value.problems
    assert (problem.field, problem.col, problem.message) == ("population `p`, initial `V_m`", 13, "unknown name `Vx`")


def test_a_quantity_of_the_wrong_unit_is_refused_for_every_neuron():
    with pytest.raises(NetworkError, match=r"^population `p`, initial `V_m`: `2 ms` has units second, expected volt$"):
        _pop(initial={"V_m": Quantity(2.0, SECOND)})
