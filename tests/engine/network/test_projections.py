"""Projections: delivery exact to the step, weights, memory, receptor routing and malformed definitions."""

import numpy as np
import pytest

from engine.equations.model import ModelSpec
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.run.simulation import Simulation

DELTA = get_model("iaf_psc_delta")
PSC_EXP = get_model("iaf_psc_exp")
COND_EXP = get_model("iaf_cond_exp")
SOURCE_STEP = 20  # a spike_generator spike at 2.0 ms (delay 0.1 ms) arrives in step 20 and fires the source


def _kicked(targets, projections, devices=(), n_src=1):
    """Source population `src` of iaf_psc_delta, each neuron kicked once to spike in step 20."""
    kick = DeviceDef("kick", "spike_generator", "src", {"spike_times": ["2.0 ms"]}, weight="20 mV",
                     delay="0.1 ms")
    return NetworkDef((PopulationDef("src", DELTA, n_src), *targets), tuple(projections), (kick, *devices))


def _meter(name, pop, variables, neurons=None):
    return DeviceDef(name, "multimeter", pop, {"record_from": list(variables), "interval": "0.1 ms"},
                     neurons=neurons)


def _source_step(sim):
    t, _ = sim.spikes("src")
    assert t.size >= 1
    steps = np.rint(t / 0.1).astype(int) - 1
    assert np.all(steps == SOURCE_STEP)
    return SOURCE_STEP


def _changes(values, baseline):
    """Steps where ``values`` leave ``baseline`` (a resting LIF stays within rounding of E_L)."""
    return np.flatnonzero(np.abs(values - baseline) > 1e-9)


@pytest.mark.parametrize("delay_ms, chunk_steps", [("0.1", 100), ("1.0", 100), ("2.3", 7), ("15", 40)])
def test_a_spike_of_step_t_with_delay_d_arrives_in_step_t_plus_d(simulate, delay_ms, chunk_steps):
    d = int(round(float(delay_ms) / 0.1))
    net = _kicked(
        (PopulationDef("delta", DELTA, 2), PopulationDef("exp", PSC_EXP, 1)),
        (ProjectionDef("to_delta", "src", "delta", Rule("all_to_all"), "2 mV", f"{delay_ms} ms"),
         ProjectionDef("to_exp", "src", "exp", Rule("all_to_all"), "100 pA", f"{delay_ms} ms")),
        (_meter("vd", "delta", ["V_m"]), _meter("ve", "exp", ["V_m", "I_syn_ex"])),
    )
    sim = simulate(net, 40.0, chunk_steps)
    t = _source_step(sim)
    v_delta = sim.recorder("vd")["V_m"]
    assert _changes(v_delta[:, 0], -70.0)[0] == _changes(v_delta[:, 1], -70.0)[0] == t + d
    np.testing.assert_allclose(v_delta[t + d], -68.0, rtol=0, atol=1e-12)  # the jump is the weight
    exp = sim.recorder("ve")
    assert _changes(exp["I_syn_ex"][:, 0], 0.0)[0] == t + d
    assert exp["I_syn_ex"][t + d, 0] == pytest.approx(100.0, abs=1e-12)
    assert _changes(exp["V_m"][:, 0], -70.0)[0] == t + d + 1  # the current moves V_m from the next step


def test_projections_with_different_delays_share_a_receptor_ring(simulate):
    net = _kicked(
        (PopulationDef("tgt", DELTA, 1),),
        (ProjectionDef("slow", "src", "tgt", Rule("all_to_all"), "3 mV", "4 ms"),
         ProjectionDef("fast", "src", "tgt", Rule("all_to_all"), "1 mV", "1 ms")),
        (_meter("v", "tgt", ["V_m"]),),
    )
    sim = simulate(net, 10.0, chunk_steps=13)
    t = _source_step(sim)
    v = sim.recorder("v")["V_m"][:, 0]
    free = -70.0 + (np.concatenate([[-70.0], v[:-1]]) + 70.0) * np.exp(-0.1 / 10.0)  # decay alone (tau_m 10 ms)
    jumps = v - free
    assert np.flatnonzero(np.abs(jumps) > 1e-9).tolist() == [t + 10, t + 40]
    assert jumps[t + 10] == pytest.approx(1.0, abs=1e-12) and jumps[t + 40] == pytest.approx(3.0, abs=1e-12)
    assert sim.network.rings  # one ring for (tgt, delta), deep enough for the longest delay
    assert sim.network.kernel.ring_contents(sim.network.rings[("tgt", "delta")]).shape == (41, 1)


def test_per_connection_weights_reach_their_targets(simulate):
    net = _kicked((PopulationDef("tgt", DELTA, 3),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "1 mV", "1 ms"),),
                  (_meter("v", "tgt", ["V_m"]),))
    network = build_network(net)
    proj = network.projections["p"]
    assert proj.weights.dtype == np.float32
    proj.set_weights([0.5, -2.0, 4.25])
    assert proj.get_weights().tolist() == [0.5, -2.0, 4.25]
    sim = Simulation(network)
    sim.run(5e-3)
    t = _source_step(sim)
    v = sim.recorder("v")["V_m"]
    np.testing.assert_allclose(v[t + 9], -70.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(v[t + 10] + 70.0, [0.5, -2.0, 4.25], rtol=0, atol=1e-12)


def _hom_pair(synapse):
    return _kicked((PopulationDef("tgt", DELTA, 4),),
                   (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "1.5 mV", "1 ms", synapse=synapse),),
                   (_meter("v", "tgt", ["V_m"]),), n_src=3)


def test_hom_w_delivers_what_per_connection_weights_deliver(simulate):
    a = simulate(_hom_pair("static_synapse"), 5.0)
    b = simulate(_hom_pair("static_synapse_hom_w"), 5.0)
    va, vb = a.recorder("v")["V_m"], b.recorder("v")["V_m"]
    assert np.array_equal(va, vb)
    assert va[-1, 0] < -70.0 + 4.5 and va.max() == pytest.approx(-70.0 + 3 * 1.5)  # three sources at once


def test_hom_w_stores_no_weight_array_and_refuses_per_connection_weights():
    proj = build_network(_hom_pair("static_synapse_hom_w")).projections["p"]
    assert proj.weights is None and proj.weight == pytest.approx(1.5, rel=1e-15)
    assert np.array_equal(proj.get_weights(), np.full(12, proj.weight))
    with pytest.raises(NetworkError, match=r"^projection `p` uses static_synapse_hom_w: one weight is shared"):
        proj.set_weights(np.ones(12))


@pytest.mark.parametrize("synapse, limit", [("static_synapse", 8.0), ("static_synapse_hom_w", 4.0)])
def test_connectivity_memory_per_synapse(synapse, limit):
    n = 600  # 360,000 synapses
    net = NetworkDef((PopulationDef("a", DELTA, n), PopulationDef("b", DELTA, n)),
                     (ProjectionDef("p", "a", "b", Rule("all_to_all"), "0.1 mV", synapse=synapse),))
    proj = build_network(net).projections["p"]
    assert proj.n_connections == n * n
    assert proj.nbytes / proj.n_connections <= limit
    assert proj.targets.dtype == np.uint16


def test_targets_beyond_uint16_are_stored_as_int32_and_delivered(simulate):
    n = 70_000
    net = _kicked((PopulationDef("big", DELTA, n),),
                  (ProjectionDef("p", "src", "big", Rule("explicit", sources=(0, 0), targets=(n - 1, 65_536)),
                                 "2 mV", "0.5 ms"),),
                  (_meter("v", "big", ["V_m"], neurons=(0, 65_536, n - 1)),))
    sim = simulate(net, 3.0)
    assert sim.network.projections["p"].targets.dtype == np.int32
    t = _source_step(sim)
    v = sim.recorder("v")["V_m"]
    np.testing.assert_allclose(v[t + 5], [-70.0, -68.0, -68.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(v[t + 4], -70.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("model, weight, receptor, stored, state", [
    (PSC_EXP, "150 pA", "ex", 150.0, "I_syn_ex"),
    (PSC_EXP, "-150 pA", "in", -150.0, "I_syn_in"),  # currents keep their sign
    (COND_EXP, "5 nS", "ex", 5.0, "g_ex"),
    (COND_EXP, "-5 nS", "in", 5.0, "g_in"),  # conductances are negated, as in NEST
])
def test_nest_sign_routing(simulate, model, weight, receptor, stored, state):
    net = _kicked((PopulationDef("tgt", model, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), weight, "1 ms"),),
                  (_meter("m", "tgt", [state]),))
    sim = simulate(net, 4.0)
    proj = sim.network.projections["p"]
    assert proj.receptor == receptor and proj.weight == pytest.approx(stored, rel=1e-15)
    t = _source_step(sim)
    trace = sim.recorder("m")[state][:, 0]
    assert np.all(trace[: t + 10] == 0.0) and trace[t + 10] == proj.weight


def test_a_negative_weight_into_a_single_receptor_model_keeps_its_sign(simulate):
    net = _kicked((PopulationDef("tgt", DELTA, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "-3 mV", "1 ms"),),
                  (_meter("m", "tgt", ["V_m"]),))
    sim = simulate(net, 4.0)
    t = _source_step(sim)
    assert sim.recorder("m")["V_m"][t + 10, 0] == pytest.approx(-73.0, abs=1e-12)


@pytest.mark.parametrize("receptor", ["in", 2, "2"])
def test_receptor_ports_by_name_and_number(simulate, receptor):
    net = _kicked((PopulationDef("tgt", PSC_EXP, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "80 pA", "1 ms", receptor=receptor),),
                  (_meter("m", "tgt", ["I_syn_ex", "I_syn_in"]),))
    sim = simulate(net, 4.0)
    t = _source_step(sim)
    rec = sim.recorder("m")
    assert sim.network.projections["p"].receptor == "in"
    assert np.all(rec["I_syn_ex"] == 0.0)
    # a positive weight sent to port 2 stays positive
    assert rec["I_syn_in"][t + 10, 0] == pytest.approx(80.0, abs=1e-12)


BRIAN_LIF = ModelSpec(
    equations="""
dv/dt = (ge + gi - v)/tau : volt
dge/dt = -ge/tau_e : volt
dgi/dt = -gi/tau_e : volt
tau : second
tau_e : second
""",
    parameters={"tau": "20 ms", "tau_e": "5 ms"},
    threshold="v > 1000*mV",
    method="exact",
)


def test_on_pre_adds_the_weight_to_a_state_variable(simulate):
    net = _kicked((PopulationDef("tgt", BRIAN_LIF, 2),),
                  (ProjectionDef("e1", "src", "tgt", Rule("all_to_all"), "1.25 mV", "1 ms", on_pre="ge += w"),
                   ProjectionDef("e2", "src", "tgt", Rule("explicit", sources=(0,), targets=(1,)), "0.5 mV", "2 ms",
                                 on_pre="ge += w"),
                   ProjectionDef("i1", "src", "tgt", Rule("all_to_all"), "-2 mV", "1 ms", on_pre="gi += w")),
                  (_meter("m", "tgt", ["ge", "gi", "v"]),))
    sim = simulate(net, 6.0)
    projections = sim.network.projections
    assert projections["e1"].receptor == projections["e2"].receptor != projections["i1"].receptor
    t = _source_step(sim)
    rec = sim.recorder("m")
    assert np.all(rec["ge"][: t + 10] == 0.0)
    np.testing.assert_allclose(rec["ge"][t + 10], [1.25, 1.25], rtol=1e-15)
    np.testing.assert_allclose(rec["gi"][t + 10], [-2.0, -2.0], rtol=1e-15)  # on_pre bypasses the sign routing
    decay = np.exp(-0.1 / 5.0)
    ge = rec["ge"][:, 1]
    assert ge[t + 20] == pytest.approx(1.25 * decay ** 10 + 0.5, rel=1e-12)


@pytest.mark.parametrize("weight, receptor, message", [
    ("1 nS", None, r"weight `1 nS` has units siemens, but receptor `ex` of `tgt` takes amp$"),
    ("2 mV", "in", r"weight `2 mV` has units volt, but receptor `in` of `tgt` takes amp$"),
    ("2 furlongs", None, r"unknown unit `furlongs`"),
])
def test_a_weight_with_the_wrong_unit_names_projection_receptor_and_units(weight, receptor, message):
    net = _kicked((PopulationDef("tgt", PSC_EXP, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), weight, receptor=receptor),))
    with pytest.raises(NetworkError, match=rf"^projection `p`(, weight)?: {message}"):
        build_network(net)


def test_an_on_pre_weight_with_the_wrong_unit_is_refused():
    net = _kicked((PopulationDef("tgt", BRIAN_LIF, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "1 nS", on_pre="ge += w"),))
    with pytest.raises(NetworkError, match=r"^projection `p`: weight `1 nS` has units siemens, but receptor "
                                           r"`on_pre_0` of `tgt` takes volt$"):
        build_network(net)


@pytest.mark.parametrize("delay, message", [
    ("0.04 ms", r"delay 0.04 ms is shorter than one time step \(0.1 ms\); the minimum delay is one step"),
    ("0 ms", r"delay 0 ms is shorter than one time step"),
    ("1 mV", r"`1 mV` is not a time"),
])
def test_a_delay_below_one_step_is_refused(delay, message):
    net = _kicked((PopulationDef("tgt", DELTA, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "1 mV", delay),))
    with pytest.raises(NetworkError, match=rf"^projection `p`(, delay)?: {message}"):
        build_network(net)


@pytest.mark.parametrize("change, message", [
    ({"receptor": 3}, r"`tgt` has receptor ports 1..2, not 3"),
    ({"receptor": "gaba"}, r"`tgt` has no receptor `gaba` \(has: ex, in\)"),
    ({"synapse": "quantal_stp_synapse"}, r"unknown synapse model `quantal_stp_synapse`"),
    ({"target": "nowhere"}, r"no population `nowhere`"),
])
def test_malformed_projections_are_named(change, message):
    fields = {"name": "p", "source": "src", "target": "tgt", "rule": Rule("all_to_all"), "weight": "1 pA"}
    fields.update(change)
    net = _kicked((PopulationDef("tgt", PSC_EXP, 1),), (ProjectionDef(**fields),))
    with pytest.raises(NetworkError, match=rf"^projection `p`: {message}"):
        build_network(net)


def test_projection_names_are_unique():
    p = ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "1 mV")
    with pytest.raises(NetworkError, match=r"^projection names must be unique \(`p` twice\)"):
        build_network(_kicked((PopulationDef("tgt", DELTA, 1),), (p, p)))


def test_a_device_and_a_projection_arriving_in_the_same_step_add_up(simulate):
    # the source fires in step 20; with a 1 ms delay its spike lands in step 30, as does a spike_generator
    # spike at 2.1 ms with a 1 ms delay (emitted in step 20)
    direct = DeviceDef("direct", "spike_generator", "tgt", {"spike_times": ["2.1 ms"]}, weight="0.75 mV", delay="1 ms")
    net = _kicked((PopulationDef("tgt", DELTA, 1),),
                  (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "2 mV", "1 ms"),),
                  (direct, _meter("v", "tgt", ["V_m"])))
    sim = simulate(net, 4.0)
    t = _source_step(sim)
    v = sim.recorder("v")["V_m"][:, 0]
    assert _changes(v, -70.0)[0] == t + 10
    assert v[t + 10] == pytest.approx(-70.0 + 2.75, abs=1e-12)
