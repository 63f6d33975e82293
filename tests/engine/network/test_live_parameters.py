"""Changing a folded parameter during a run recompiles the population and keeps its state."""

import numpy as np
import pytest

from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.definitions import NetworkDef, PopulationDef
from engine.run.simulation import Simulation


def _single(i_e="450 pA"):
    net = NetworkDef((PopulationDef("p", get_model("iaf_psc_exp"), 1, parameters={"I_e": i_e}),))
    return Simulation(build_network(net))


def test_a_folded_parameter_takes_effect_at_the_next_chunk():
    sim = _single()
    sim.run(0.05)
    np.testing.assert_allclose(sim.spikes("p")[0], [18.0, 38.0])
    v_before = sim.network.populations["p"].state.get("V_m").copy()
    sim.set_parameter("p", "I_e", "0 pA")
    np.testing.assert_array_equal(sim.network.populations["p"].state.get("V_m"), v_before)
    sim.run(0.05)
    assert sim.spikes("p")[0].size == 2
    v = sim.network.populations["p"].state.get("V_m")[0]
    assert -70.0 < v < v_before[0]  # decaying towards E_L without input
    assert sim.log == ["t = 50 ms: p.I_e = 0 pA"]


def test_the_recompiled_population_matches_a_network_built_with_the_new_value():
    changed = _single()
    changed.set_parameter("p", "I_e", "376 pA")
    changed.run(0.2)
    fresh = _single("376 pA")
    fresh.run(0.2)
    np.testing.assert_array_equal(changed.spikes("p")[0], fresh.spikes("p")[0])
    assert changed.network.populations["p"].state.kernel is not None


def test_a_parameter_with_the_wrong_unit_is_refused():
    sim = _single()
    with pytest.raises(NetworkError, match=r"^population `p`, parameter `I_e`: `3 mV` has units volt, expected amp$"):
        sim.set_parameter("p", "I_e", "3 mV")


def test_a_folded_time_constant_can_change_too():
    pop = PopulationDef("n", get_model("iaf_psc_delta"), 2, parameters={"I_e": "0*pA*i"})
    sim = Simulation(build_network(NetworkDef((pop,))))
    sim.set_parameter("n", "tau_m", "5 ms")
    assert sim.network.populations["n"].ir.constants["tau_m"] == 5.0
    assert sim.log == ["t = 0 ms: n.tau_m = 5 ms"]
