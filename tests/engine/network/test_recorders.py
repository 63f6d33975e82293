"""Recorders: spike times and senders, sampled state at the right steps, population rates."""

import numpy as np
import pytest

from engine.models import get_model
from engine.network.build import build_network
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef
from engine.network.devices import DeviceError
from engine.run.simulation import Simulation
from engine.population_vm import PopulationVM

DELTA = get_model("iaf_psc_delta")
PSC_EXP = get_model("iaf_psc_exp")


def _kick(name, neurons, stamps_ms):
    """Make ``neurons`` of `n` fire spikes stamped ``stamps_ms``: a kick at t - dt arrives in the step ending at t."""
    return DeviceDef(name, "spike_generator", "n", {"spike_times": [f"{t - 0.1:.1f} ms" for t in stamps_ms]},
                     neurons=neurons, weight="20 mV", delay="0.1 ms")


# a known pattern: (stamp ms, neuron); the 2.0 ms spike lies on a 1 ms bin edge
PATTERN = [(1.0, 0), (1.0, 2), (2.0, 1), (6.0, 0), (6.0, 2), (7.5, 4)]
KICKS = (_kick("k02", (0, 2), [1.0, 6.0]), _kick("k1", (1,), [2.0]), _kick("k4", (4,), [7.5]))


def test_spike_recorder_times_senders_and_subsets(simulate):
    net = NetworkDef((PopulationDef("n", DELTA, 5),), devices=(
        *KICKS, DeviceDef("all", "spike_recorder", "n"), DeviceDef("some", "spike_recorder", "n", neurons=(2, 3, 4))))
    sim = simulate(net, 10.0, chunk_steps=16)
    rec = sim.recorder("all")
    assert np.all(np.diff(rec["times"]) >= 0)
    # a spike of step s is stamped (s + 1)*dt
    got = sorted(zip(np.round(rec["times"], 9).tolist(), rec["senders"].tolist()))
    assert got == PATTERN
    steps = np.rint(rec["times"] / 0.1) - 1
    np.testing.assert_allclose(rec["times"], (steps + 1) * 0.1, rtol=0, atol=1e-12)
    some = sim.recorder("some")
    assert sorted(zip(np.round(some["times"], 9).tolist(), some["senders"].tolist())) == [(1.0, 2), (6.0, 2),
                                                                                         (7.5, 4)]
    t, n = sim.spikes("n")
    assert np.array_equal(t, rec["times"]) and np.array_equal(n, rec["senders"])


def test_spike_recorder_before_a_run_is_empty():
    sim = Simulation(build_network(NetworkDef((PopulationDef("n", DELTA, 2),),
                                              devices=(DeviceDef("sr", "spike_recorder", "n"),))))
    rec = sim.recorder("sr")
    assert rec["times"].size == 0 and rec["senders"].size == 0


def _driven(devices):
    """Ten iaf_psc_exp neurons with different constant currents (some fire, some do not)."""
    pop = PopulationDef("n", PSC_EXP, 10, parameters={"I_e": "300*pA + 40*pA*i"},
                        initial={"V_m": "E_L + 0.5*mV*i"})
    return NetworkDef((pop,), devices=devices)


@pytest.mark.parametrize("chunk_steps", [7, 100])
def test_voltmeter_samples_the_population_state_at_its_interval(chunk_steps):
    network = build_network(_driven((
        DeviceDef("vm", "voltmeter", "n", {"interval": "0.5 ms"}, neurons=(1, 4, 9)),
        DeviceDef("mm", "multimeter", "n", {"record_from": ["I_syn_ex", "V_m"], "interval": "1 ms"}))))
    pop = network.populations["n"]
    reference = PopulationVM(pop.ir, pop.size)
    reference.slots[:] = pop.state.slots
    nsteps = 300
    sim = Simulation(network, chunk_steps=chunk_steps)
    sim.run(nsteps * 1e-4)
    expected = reference.run(nsteps, record=("V_m",)).record[:, 0, :]  # (step, neuron)
    vm = sim.recorder("vm")
    # a sample at t = k*interval is the state at the end of step k*interval/dt - 1
    np.testing.assert_allclose(vm["t"], 0.5 * np.arange(1, 61), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(vm["V_m"], expected[4::5][:, [1, 4, 9]])
    mm = sim.recorder("mm")
    np.testing.assert_allclose(mm["t"], np.arange(1, 31), rtol=0, atol=1e-12)
    assert mm["V_m"].shape == mm["I_syn_ex"].shape == (30, 10)
    np.testing.assert_array_equal(mm["V_m"], expected[9::10])
    assert np.all(mm["I_syn_ex"] == 0.0)
    np.testing.assert_array_equal(mm["V_m"][-1], pop.state.get("V_m"))  # the last sample is the current state
    assert np.any(mm["V_m"] == -70.0)  # some neurons fired and were reset: the comparison covers spikes


def test_multimeter_lists_the_recordables_of_an_unknown_variable():
    with pytest.raises(DeviceError, match=r"^device `mm`: `n` has no recordable `V_x` "
                                          r"\(recordables: V_m, I_syn_ex, I_syn_in\)$"):
        build_network(_driven((DeviceDef("mm", "multimeter", "n", {"record_from": ["V_x"]}),)))


def test_multimeter_needs_something_to_record():
    with pytest.raises(DeviceError, match=r"^device `mm`: record_from is empty$"):
        build_network(_driven((DeviceDef("mm", "multimeter", "n"),)))


def test_population_rate_of_a_known_spike_pattern(simulate):
    net = NetworkDef((PopulationDef("n", DELTA, 5),), devices=(
        *KICKS, DeviceDef("rate", "population_rate", "n"),
        DeviceDef("rate02", "population_rate", "n", {"bin": "0.5 ms"}, neurons=(0, 2))))
    sim = simulate(net, 10.0)
    rate = sim.recorder("rate")
    np.testing.assert_allclose(rate["t"], np.arange(10.0), rtol=0, atol=1e-12)
    # bins are (k, k + 1] ms: a spike stamped 2.0 ms belongs to the bin starting at 1 ms
    counts = np.zeros(10)
    for stamp, _ in PATTERN:
        counts[int(np.ceil(stamp) - 1)] += 1
    np.testing.assert_allclose(rate["rate"], counts / (5 * 1e-3), rtol=1e-12)
    sub = sim.recorder("rate02")
    assert sub["t"].size == 20
    expected = np.zeros(20)
    expected[[1, 11]] = 2 / (2 * 0.5e-3)  # neurons 0 and 2 at 1.0 ms and 6.0 ms
    np.testing.assert_allclose(sub["rate"], expected, rtol=1e-12)


@pytest.mark.parametrize("steps, bin_ms, bins", [(123, "0.3 ms", 41), (3, "0.3 ms", 1), (95, "1 ms", 9)])
def test_population_rate_reports_complete_bins_only(steps, bin_ms, bins):
    rate = DeviceDef("r", "population_rate", "n", {"bin": bin_ms})
    net = NetworkDef((PopulationDef("n", DELTA, 2),), devices=(rate,))
    sim = Simulation(build_network(net))
    sim.run(steps * 1e-4)
    assert sim.recorder("r")["rate"].size == bins
