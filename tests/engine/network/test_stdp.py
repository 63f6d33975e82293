"""Pair-based STDP: one pre and one post spike change a weight by the analytic amount."""

import numpy as np
import pytest

from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import STDP, DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.run.simulation import Simulation

DT_MS = 0.1


def _stdp_net(pre_ms, post_ms, bounds="additive", weight="20 pA"):
    delta = get_model("iaf_psc_delta")
    stdp = STDP(tau_plus="20 ms", tau_minus="30 ms", a_plus=0.1, a_minus=0.05, w_max="100 mV", bounds=bounds)
    net = NetworkDef(
        populations=(PopulationDef("pre", delta, 1), PopulationDef("post", delta, 1)),
        projections=(ProjectionDef("plastic", "pre", "post", Rule("all_to_all"), weight, "1 ms",
                                   synapse="stdp_synapse", stdp=stdp),),
        devices=(DeviceDef("kick_pre", "spike_generator", "pre", {"spike_times": [f"{pre_ms} ms"]},
                           weight="30 mV", delay="0.1 ms"),
                 DeviceDef("kick_post", "spike_generator", "post", {"spike_times": [f"{post_ms} ms"]},
                           weight="30 mV", delay="0.1 ms")),
    )
    return build_network(net)


def _run(network, ms=120.0):
    sim = Simulation(network)
    sim.run(ms * 1e-3)
    return sim


@pytest.mark.parametrize("pre_ms, post_ms", [(20.0, 30.0), (20.0, 45.5)])
def test_pre_before_post_potentiates_by_the_trace(pre_ms, post_ms):
    sim = _run(_stdp_net(pre_ms, post_ms, weight="0.1 mV"))
    (pre_t, _), (post_t, _) = sim.spikes("pre"), sim.spikes("post")
    assert pre_t.size == 1 and post_t.size == 1
    lag = post_t[0] - pre_t[0]
    w = sim.network.projections["plastic"].get_weights()[0]
    expected = 0.1 + 100 * 0.1 * np.exp(-lag / 20.0)
    assert w == pytest.approx(expected, rel=1e-6)


def test_post_before_pre_depresses_by_the_trace():
    sim = _run(_stdp_net(40.0, 25.0, weight="10 mV"))
    (pre_t, _), (post_t, _) = sim.spikes("pre"), sim.spikes("post")
    lag = pre_t[0] - post_t[0]
    w = sim.network.projections["plastic"].get_weights()[0]
    assert w == pytest.approx(10 - 100 * 0.05 * np.exp(-lag / 30.0), rel=1e-6)


def test_multiplicative_bounds_scale_the_update():
    sim = _run(_stdp_net(20.0, 30.0, bounds="multiplicative", weight="6 mV"))
    (pre_t, _), (post_t, _) = sim.spikes("pre"), sim.spikes("post")
    lag = post_t[0] - pre_t[0]
    w = sim.network.projections["plastic"].get_weights()[0]
    assert w == pytest.approx(100 * (0.06 + 0.1 * (1 - 0.06) * np.exp(-lag / 20.0)), rel=1e-6)


def test_stdp_needs_an_upper_bound():
    delta = get_model("iaf_psc_delta")
    net = NetworkDef(populations=(PopulationDef("a", delta, 2),),
                     projections=(ProjectionDef("p", "a", "a", Rule("all_to_all"), "1 mV", synapse="stdp_synapse",
                                                stdp=STDP()),))
    with pytest.raises(NetworkError, match=r"^projection `p`: stdp_synapse needs `w_max`"):
        build_network(net)
