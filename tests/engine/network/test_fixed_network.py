"""Whole networks in fixed point: integer rings, quantized weights, the hardware's Poisson source."""

import math

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.native import network as _network
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import STDP, DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.devices import poisson_table
from engine.run.simulation import Simulation
from tests.engine.network.test_simulation import cuba, driven

Q16 = QFormat.parse("Q16.16")


def spikes_of(sim: Simulation) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {name: sim.spikes(name) for name in sim.network.populations}


def test_cuba_in_q16_16_fires_at_the_float_rates():
    rates = {}
    for fmt in (None, Q16):
        sim = Simulation(build_network(cuba(), fmt))
        rates[fmt] = sim.run(1.0).rates_hz
    for name in ("E", "I"):
        assert rates[None][name] > 1.0
        assert rates[Q16][name] == pytest.approx(rates[None][name], rel=0.10)


def test_a_fixed_run_is_deterministic_and_chunking_changes_no_bit():
    one = Simulation(build_network(driven(), Q16), chunk_steps=1000)
    one.run(0.1)
    two = Simulation(build_network(driven(), Q16), chunk_steps=37)
    two.run(0.05)
    two.run(0.05)
    assert sum(t.size for t, _ in spikes_of(one).values()) > 50
    for name, (t, n) in spikes_of(one).items():
        t2, n2 = spikes_of(two)[name]
        np.testing.assert_array_equal(t, t2)
        np.testing.assert_array_equal(n, n2)
    for var in ("V_m", "I_syn_ex", "I_syn_in"):
        np.testing.assert_array_equal(one.recorder("vm")[var], two.recorder("vm")[var])


def test_recorded_values_are_model_units_on_the_format_grid():
    sim = Simulation(build_network(driven(), Q16))
    sim.run(0.02)
    v = sim.recorder("vm")["V_m"]
    assert -80 < v.mean() < -50
    np.testing.assert_array_equal(v * Q16.one, np.round(v * Q16.one))


def test_rings_sum_exactly_and_saturate_once_where_the_neuron_reads():
    """Fifty 0.75 pA inputs in Q4.4 (storage up to 7.9375) sum to 37.5 in the ring; the neuron reads 7.9375."""
    fmt = QFormat.parse("Q4.4")
    src = PopulationDef("src", get_model("iaf_psc_delta"), 50, parameters={"I_e": "1000 pA"},
                        initial={"V_m": "-55.1 mV"})
    dst = PopulationDef("dst", get_model("iaf_psc_exp"), 1)
    proj = ProjectionDef("p", "src", "dst", Rule("all_to_all"), "0.75 pA", "0.5 ms")
    net = build_network(NetworkDef((src, dst), (proj,), seed=3), fmt)
    sim = Simulation(net, chunk_steps=1)
    ring = net.rings[("dst", "ex")]
    for _ in range(50):
        if net.kernel.ring_contents(ring).any():
            break
        sim.run(1e-4)
    assert net.kernel.ring_contents(ring).max() == 50 * round(0.75 * fmt.one)
    before = net.populations["dst"].state.get("I_syn_ex")[0]
    for _ in range(5):
        sim.run(1e-4)
        after = net.populations["dst"].state.get("I_syn_ex")[0]
        if after != before:
            break
    assert after <= fmt.store_max / fmt.one


def xorshift_poisson(state: int, table, steps: int, targets: int) -> tuple[np.ndarray, int]:
    """docs/fixed-point.md, "Poisson generators", written out in plain Python."""
    out = np.zeros((steps, targets), dtype=np.int64)
    for s in range(steps):
        for k in range(targets):
            state ^= (state << 13) & 0xFFFFFFFF
            state ^= state >> 17
            state ^= (state << 5) & 0xFFFFFFFF
            out[s, k] = sum(int(state >> 16) >= c for c in table)
    return out, state


def test_poisson_counts_follow_the_documented_rule():
    table = poisson_table(0.9)
    counts = np.zeros((40, 7), dtype=np.uint8)
    state = _network.poisson_counts(12345, table, counts)
    expected, expected_state = xorshift_poisson(12345, table, 40, 7)
    np.testing.assert_array_equal(counts, expected)
    assert state == expected_state


@pytest.mark.parametrize("mean", [0.01, 0.9, 4.0])
def test_poisson_table_inverts_the_distribution(mean):
    table = poisson_table(mean)
    cdf = np.cumsum([math.exp(-mean) * mean ** k / math.factorial(k) for k in range(len(table))])
    np.testing.assert_allclose(table / 2 ** 16, cdf, atol=1 / 2 ** 16)
    counts = np.zeros((4000, 50), dtype=np.uint8)
    _network.poisson_counts(7, table, counts)
    assert counts.mean() == pytest.approx(mean, rel=0.03)
    assert counts.var() == pytest.approx(mean, rel=0.06)


def test_a_rate_beyond_the_table_is_refused_by_device_name():
    pop = PopulationDef("n", get_model("iaf_psc_exp"), 3)
    pg = DeviceDef("drive", "poisson_generator", "n", {"rate": "500 kHz"}, weight="1 pA", delay="1 ms")
    with pytest.raises(Exception, match="device `drive`, rate: a Poisson mean of 50"):
        build_network(NetworkDef((pop,), (), (pg,)), Q16)


def test_plasticity_and_live_weight_scaling_are_refused_in_fixed_point():
    pop = PopulationDef("n", get_model("iaf_psc_exp"), 10)
    stdp = ProjectionDef("plastic", "n", "n", Rule("all_to_all"), "10 pA", "1 ms", synapse="stdp_synapse",
                         stdp=STDP(w_max="50 pA"))
    with pytest.raises(NetworkError, match="projection `plastic`: stdp_synapse is not available in fixed point"):
        build_network(NetworkDef((pop,), (stdp,)), Q16)
    net = build_network(driven(), Q16)
    with pytest.raises(NetworkError, match="projection `rec`: weights are fixed"):
        net.set_weight_scale("rec", 2.0)


def test_a_changed_parameter_recompiles_the_fixed_point_program():
    net = build_network(driven(), Q16)
    sim = Simulation(net)
    sim.run(0.02)
    sim.set_parameter("n", "tau_m", "5 ms")
    before = sum(t.size for t, _ in spikes_of(sim).values())
    sim.run(0.02)
    assert sum(t.size for t, _ in spikes_of(sim).values()) > before
