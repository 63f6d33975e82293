"""resources/examples/microcircuit.ncsproj is NEST's microcircuit example: sizes, synapse numbers, weights, delays,
background and DC compensation from its `scale` constant."""

from dataclasses import replace

import numpy as np
import pytest

from engine.equations.units import SI_UNITS
from engine.run.simulation import Simulation
from studio.project.network_def import network_def
from studio.project.project_file import build_project, read_project
from tests.example_projects import MICROCIRCUIT, MICROCIRCUIT_POPULATIONS

FULL_SIZES = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
CONN_PROBS = np.array([  # NEST's network_params.py, [target, source]
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
# NEST's adjust_weights_and_input_to_synapse_scaling at K_scaling 0.02, from the full model's rates (pA)
NEST_DC_AT_002 = [36.4578, 141.0989, 141.8504, 144.3876, 157.4815, 190.4626, 55.0563, 193.0056]
PSC_FOR_015_MV = 87.81  # pA: NEST's postsynaptic_potential_to_current(250 pF, 10 ms, 0.5 ms) * 0.15 mV


def _definition(scale: float):
    doc = read_project(MICROCIRCUIT)
    doc = replace(doc, constants={**doc.constants, "scale": scale})
    problems: list = []
    net = network_def(doc, problems)
    assert problems == []
    return doc, net


def _nest_synapses(scale: float) -> np.ndarray:
    """NEST's num_synapses_from_conn_probs, scaled in neurons and in-degrees, rounded as the example does."""
    prod = np.outer(FULL_SIZES, FULL_SIZES).astype(float)
    return np.round(np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod) * scale * scale)


def test_full_scale_has_77169_neurons_and_the_synapse_numbers_of_nests_example():
    _, net = _definition(1.0)
    assert [p.name for p in net.populations] == MICROCIRCUIT_POPULATIONS
    assert [p.size for p in net.populations] == FULL_SIZES.tolist()
    expected = _nest_synapses(1.0)
    for proj in net.projections:
        i, j = MICROCIRCUIT_POPULATIONS.index(proj.target), MICROCIRCUIT_POPULATIONS.index(proj.source)
        assert proj.rule.name == "fixed_total_number" and proj.rule.n == expected[i, j], proj.name
    assert len(net.projections) == np.count_nonzero(CONN_PROBS)
    assert sum(p.rule.n for p in net.projections) == expected.sum() == 298_880_968


@pytest.mark.parametrize("scale", [0.05, 0.1, 0.25])
def test_sizes_round_halves_to_even_as_nests_example(scale):
    """At 0.1 L5I is 106.5 neurons and at 0.05 L5E is 242.5: NumPy's round, which NEST's example uses,
    makes them 106 and 242."""
    _, net = _definition(scale)
    assert [p.size for p in net.populations] == np.round(FULL_SIZES * scale).astype(int).tolist()


def test_scale_sets_sizes_and_in_degrees_and_weights_grow_as_in_degrees_shrink():
    doc, net = _definition(0.02)
    assert sum(p.size for p in net.populations) == 1544
    network = build_project(MICROCIRCUIT, doc, net)
    expected = _nest_synapses(0.02)
    for proj in network.projections.values():
        i, j = (MICROCIRCUIT_POPULATIONS.index(proj.target.name), MICROCIRCUIT_POPULATIONS.index(proj.source.name))
        assert proj.n_connections == expected[i, j], proj.definition.name
        assert proj.delays is not None and proj.delays.min() >= 1  # normal, redrawn above half a step
    w = PSC_FOR_015_MV / np.sqrt(0.02)
    e_to_e = network.projections["L5E_to_L23E"]
    assert e_to_e.receptor == "ex" and e_to_e.weights.mean() == pytest.approx(w, rel=0.02)
    assert network.projections["L4E_to_L23E"].weights.mean() == pytest.approx(2 * w, rel=0.02)
    i_to_e = network.projections["L23I_to_L23E"]
    assert i_to_e.receptor == "in" and i_to_e.weights.mean() == pytest.approx(-4 * w, rel=0.02)
    assert e_to_e.delays.mean() * 0.1 == pytest.approx(1.5, rel=0.06)
    assert i_to_e.delays.mean() * 0.1 == pytest.approx(0.75, rel=0.1)
    background = network.devices["background_L23E"]
    assert background.definition.params["rate"].in_units(SI_UNITS) == pytest.approx(round(1600 * 0.02) * 8.0)
    # the DC that keeps the mean input of the in-degrees left out, as NEST's example computes it (pA)
    dc = [network.populations[name].model.parameters["I_e"].value for name in MICROCIRCUIT_POPULATIONS]
    np.testing.assert_allclose(dc, NEST_DC_AT_002, rtol=1e-4)


def test_the_example_runs_at_a_small_scale_asynchronous_and_slow():
    doc, net = _definition(0.02)
    rates = Simulation(build_project(MICROCIRCUIT, doc, net)).run(0.3).rates_hz
    assert list(rates) == MICROCIRCUIT_POPULATIONS
    assert all(0 < rate < 20 for name, rate in rates.items() if name != "L23E")
    assert rates["L5I"] > rates["L5E"] > rates["L23E"] and rates["L6I"] > rates["L6E"]
