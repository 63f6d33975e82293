"""Per-neuron parameters and initial values: expressions and arrays."""

from dataclasses import replace

import numpy as np
import pytest

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
