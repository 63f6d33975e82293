"""Weights and delays drawn for every connection: rand(), randn() and redraw(x, lo[, hi]) (NEST's nest.math.redraw)."""

import re

import numpy as np
import pytest

from engine.equations.constant_values import Expression
from engine.equations.model import ModelSpec, check_model
from engine.equations.units import Quantity
from engine.errors import ModelError
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.footprint import estimate_memory
from engine.run.simulation import Simulation

DELTA = get_model("iaf_psc_delta")
PSC_EXP = get_model("iaf_psc_exp")
W = {"w": Quantity.parse("87.8 pA"), "D": Quantity.parse("1.5 ms")}


def _pair(weight, delay="1 ms", n=20_000, synapse="static_synapse", seed=3):
    return NetworkDef((PopulationDef("a", PSC_EXP, 200), PopulationDef("b", PSC_EXP, 100)),
                      (ProjectionDef("ab", "a", "b", Rule("fixed_total_number", n=n), weight, delay, synapse),),
                      seed=seed)


def test_redraw_draws_again_until_every_value_is_inside_its_bounds():
    net = _pair(Expression("redraw(w*(1 + 0.5*randn()), 0*pA)", W),
                Expression("redraw(D*(1 + 0.5*randn()), 0.05*ms)", W))
    proj = build_network(net).projections["ab"]
    assert proj.receptor == "ex" and proj.weights.dtype == np.float32 and proj.delays.dtype == np.uint16
    assert proj.weights.min() >= 0 and proj.delays.min() >= 1
    # A normal redrawn above mu - 2 sigma has the mean mu + sigma * phi(2) / Phi(2) = mu + 0.0552 sigma.
    assert proj.weights.mean() == pytest.approx(87.8 * (1 + 0.5 * 0.0552), rel=0.02)
    assert proj.delays.mean() * 0.1 == pytest.approx(1.5 * (1 + 0.5 * 0.0552), rel=0.02)
    assert proj.delay == proj.delays.max()  # the ring is as deep as the longest delay


def test_drawn_values_are_the_same_for_the_same_seed_and_differ_for_another():
    text = "redraw(w*(1 + 0.1*randn()), 0*pA)"
    first, again, other = (build_network(_pair(Expression(text, W), seed=s)).projections["ab"] for s in (3, 3, 4))
    np.testing.assert_array_equal(first.weights, again.weights)
    assert not np.array_equal(first.weights, other.weights)


def test_negative_drawn_weights_go_to_the_inhibitory_receptor():
    proj = build_network(_pair(Expression("-redraw(w*(1 + 0.1*randn()), 0*pA)", W))).projections["ab"]
    assert proj.receptor == "in" and proj.weights.max() < 0


def test_drawn_weights_of_both_signs_are_refused():
    with pytest.raises(NetworkError, match=re.escape(
            "projection `ab`: weight `w*randn()` is negative for ") + r"\d+ of 20000 connections and positive for "
            r"the others, so its sign would send them to two receptors; keep one sign with redraw\(\)"):
        build_network(_pair(Expression("w*randn()", W)))


def test_a_drawn_weight_needs_static_synapse():
    with pytest.raises(NetworkError, match=r"^projection `ab`: a weight drawn per connection "
                                           r"\(`w\*\(1 \+ rand\(\)\)`\) needs static_synapse, tsodyks2_synapse or "
                                           r"tsodyks_synapse, not "
                                           r"static_synapse_hom_w$"):
        build_network(_pair(Expression("w*(1 + rand())", W), synapse="static_synapse_hom_w"))


def test_a_drawn_delay_below_one_step_is_refused():
    with pytest.raises(NetworkError, match=r"^projection `ab`, delay: `D\*rand\(\)` draws a value out of range: "
                                           r"delay [\d.e-]+ ms is shorter than one time step"):
        build_network(_pair(Expression("w*(1 + rand())", W), Expression("D*rand()", W)))


def test_a_redraw_whose_value_never_falls_inside_is_refused():
    with pytest.raises(NetworkError, match=r"^projection `ab`, weight: `redraw\(w, 2\*w\)`: 20000 of 20000 values "
                                           r"stay outside the bounds of redraw\(\) after 1000 draws$"):
        build_network(_pair(Expression("redraw(w, 2*w)", W)))


def test_redraw_bounds_need_the_units_of_the_value():
    with pytest.raises(ModelError, match=r"`redraw` bounds must have the units of its first argument \(amp\), "
                                         r"but `1\*ms` is second"):
        build_network(_pair(Expression("redraw(w*randn(), 1*ms)", W)))


def test_redraw_is_refused_in_model_equations():
    spec = ModelSpec("dv/dt = -v/(10*ms) + redraw(randn(), 0)/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    with pytest.raises(ModelError, match=r"`redraw` draws values once, for per-neuron parameters and initial values "
                                         r"and for weights and delays per connection; it cannot be used here"):
        check_model(spec)


def test_initial_values_may_be_redrawn_per_neuron():
    pop = PopulationDef("a", DELTA, 5000, initial={"V_m": "redraw(-65*mV + 10*mV*randn(), -70*mV, -55*mV)"})
    v = build_network(NetworkDef((pop,))).populations["a"].state.get("V_m")
    assert v.min() >= -70.0 and v.max() <= -55.0 and np.unique(v).size == v.size


def test_each_connection_delivers_its_drawn_weight_after_its_drawn_delay():
    kick = DeviceDef("kick", "spike_generator", "src", {"spike_times": ["2.0 ms"]}, weight="20 mV", delay="0.1 ms")
    meter = DeviceDef("v", "multimeter", "tgt", {"record_from": ["V_m"], "interval": "0.1 ms"})
    net = NetworkDef((PopulationDef("src", DELTA, 1), PopulationDef("tgt", DELTA, 40)),
                     (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "0.5*mV + rand()*mV",
                                    "redraw(1*ms + 0.5*ms*randn(), 0.2*ms, 2*ms)"),), (kick, meter))
    network = build_network(net)
    proj = network.projections["p"]
    sim = Simulation(network, chunk_steps=7)
    sim.run(6e-3)
    fired = int(np.rint(sim.spikes("src")[0][0] / 0.1)) - 1
    v = sim.recorder("v")["V_m"]
    for k, target in enumerate(proj.targets):
        arrival = fired + int(proj.delays[k])
        assert v[arrival - 1, target] == pytest.approx(-70.0, abs=1e-9)
        assert v[arrival, target] + 70.0 == pytest.approx(float(proj.weights[k]), abs=1e-6)
    assert len(set(proj.delays.tolist())) > 5


def test_the_memory_estimate_counts_a_delay_per_connection_where_delays_are_drawn():
    fixed = dict(estimate_memory(_pair(Expression("w*(1 + rand())", W), "0.1 ms")).parts)
    drawn = dict(estimate_memory(_pair(Expression("w*(1 + rand())", W), "redraw(1*ms*(1 + randn()), 0.1*ms)")).parts)
    assert drawn["projection `ab`"] - fixed["projection `ab`"] == 2 * 20_000
