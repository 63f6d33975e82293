"""Stimulation devices against NEST 3.10 and against analytic expectations, exact to the step.

The probe population (conftest.PROBE) integrates its injected current exactly,
``Q[s] - Q[s-1] = dt*I[s]/C``, so ``10*diff(Q)`` is the current (pA) a
device injected in step ``s``, and Q jumps by the weight of every arriving
spike, so ``diff(Q)/w`` counts arrivals per step.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from engine.equations.model import ModelSpec
from engine.models import get_model
from engine.native import network as _network
from engine.network.build import NetworkError, build_network
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef
from engine.network.devices import DeviceError, poisson_cdf

NEST = Path(__file__).resolve().parents[2] / "data" / "nest"
NEST_DEVICES = Path(__file__).resolve().parent / "data" / "nest_devices.npz"
EXACT = 1e-9


def _probe_net(probe, devices, n=1, seed=0):
    meter = DeviceDef("q", "multimeter", "p", {"record_from": ["Q"], "interval": "0.1 ms"})
    return NetworkDef((PopulationDef("p", probe, n),), devices=(*devices, meter), seed=seed)


def _current(sim):
    """Injected current (pA) per step and target, from the probe's integral."""
    q = sim.recorder("q")["Q"]
    return np.diff(np.vstack([np.zeros((1, q.shape[1])), q]), axis=0) * 10.0


def _arrivals(sim, weight_mv):
    q = sim.recorder("q")["Q"]
    return np.diff(np.vstack([np.zeros((1, q.shape[1])), q]), axis=0) / weight_mv


# -- NEST single-neuron references --------------------------------------------------------------

@pytest.mark.parametrize("model", ["iaf_psc_exp", "iaf_psc_delta", "iaf_psc_alpha"])
def test_dc_generator_reproduces_nest(simulate, model):
    ref = np.load(NEST / f"{model}__dcgen.npz")
    amplitude = json.loads(str(ref["meta"]))["stimulus"]["dc_generator"]["amplitude"]
    assert amplitude == 450.0
    net = NetworkDef((PopulationDef("n", get_model(model), 1),), devices=(
        DeviceDef("dc", "dc_generator", "n", {"amplitude": f"{amplitude} pA"}, delay="0.1 ms"),
        DeviceDef("vm", "voltmeter", "n", {"interval": "0.1 ms"}),
        DeviceDef("sr", "spike_recorder", "n")))
    sim = simulate(net, 300.0, chunk_steps=128)
    vm = sim.recorder("vm")
    np.testing.assert_allclose(vm["t"], ref["t"], rtol=0, atol=EXACT)
    np.testing.assert_allclose(vm["V_m"][:, 0], ref["V_m"], rtol=0, atol=EXACT)
    spikes = sim.recorder("sr")["times"]
    assert spikes.size == ref["spike_times"].size == 15
    np.testing.assert_allclose(spikes, ref["spike_times"], rtol=0, atol=EXACT)


def test_spike_generators_reproduce_nest(simulate):
    """NEST's `spikes` protocol: an excitatory and an inhibitory spike_generator (delay 1 ms) plus I_e."""
    ref = np.load(NEST / "iaf_psc_exp__spikes.npz")
    stim = json.loads(str(ref["meta"]))["stimulus"]
    gens = []
    for name in ("exc_generator", "inh_generator"):
        g = stim[name]
        gens.append(DeviceDef(name, "spike_generator", "n", {"spike_times": [f"{s} ms" for s in g["spike_times"]]},
                              weight=f"{g['weight']} pA", delay=f"{g['delay']} ms"))
    pop = PopulationDef("n", get_model("iaf_psc_exp"), 1, parameters={"I_e": f"{stim['I_e']} pA"})
    net = NetworkDef((pop,), devices=(*gens, DeviceDef("mm", "multimeter", "n", {
        "record_from": ["V_m", "I_syn_ex", "I_syn_in"], "interval": "0.1 ms"}), DeviceDef("sr", "spike_recorder", "n")))
    sim = simulate(net, 300.0)
    mm = sim.recorder("mm")
    for name in ("V_m", "I_syn_ex", "I_syn_in"):
        np.testing.assert_allclose(mm[name][:, 0], ref[name], rtol=0, atol=EXACT, err_msg=name)
    np.testing.assert_allclose(sim.recorder("sr")["times"], ref["spike_times"], rtol=0, atol=EXACT)


NEST_CASES = json.loads(str(np.load(NEST_DEVICES)["meta"]))["cases"]


def _nest_case(name):
    case = NEST_CASES[name]
    params = {}
    for key, value in case["params"].items():
        if key in ("start", "stop", "dt"):
            params[key] = f"{value} ms"
        elif key == "frequency":
            params[key] = f"{value} Hz"
        elif key == "rate":
            params[key] = f"{value} Hz"
        elif key in ("amplitude_times", "spike_times"):
            params[key] = [f"{v} ms" for v in value]
        elif key == "amplitude_values":
            params[key] = [f"{v} pA" for v in value]
        elif key == "phase":
            params[key] = value
        else:
            params[key] = f"{value} pA"
    neuron = case["neuron"]
    model = get_model(neuron.get("model", "iaf_psc_exp"))
    overrides = {k: f"{v} {'mV' if k == 'V_th' else 'ms'}" for k, v in neuron.get("neuron", {}).items()}
    weight = f"{neuron['weight']} mV" if "weight" in neuron else None
    return NetworkDef((PopulationDef("n", model, 1, parameters=overrides),), devices=(
        DeviceDef("g", case["device"], "n", params, weight=weight, delay=f"{case['delay']} ms"),
        DeviceDef("vm", "voltmeter", "n", {"interval": "0.1 ms"})))


CURRENT_CASES = [n for n, c in NEST_CASES.items() if "weight" not in c["neuron"]]
SPIKE_CASES = [n for n, c in NEST_CASES.items() if "weight" in c["neuron"]]


@pytest.mark.parametrize("name", CURRENT_CASES)
def test_current_generator_timing_and_values_match_nest(simulate, name):
    """Start/stop windows, delays, the ac sine's phase and step amplitude times, as NEST 3.10 has them."""
    ref = np.load(NEST_DEVICES)[name]
    v = simulate(_nest_case(name), 30.0, chunk_steps=17).recorder("vm")["V_m"][:, 0]
    np.testing.assert_allclose(v, ref, rtol=0, atol=EXACT)


@pytest.mark.parametrize("name", SPIKE_CASES)
def test_spike_generator_windows_match_nest(simulate, name):
    """Steps in which spikes arrive (a non-leaking, non-firing V_m counts them), as NEST 3.10 has them."""
    ref = np.load(NEST_DEVICES)[name]
    v = simulate(_nest_case(name), 30.0, chunk_steps=17).recorder("vm")["V_m"][:, 0]
    ours = np.flatnonzero(np.diff(np.concatenate([[-70.0], v])) > 0.5)
    theirs = np.flatnonzero(np.diff(np.concatenate([[-70.0], ref])) > 0.5)
    assert ours.size > 0 and ours.tolist() == theirs.tolist()


# -- analytic expectations ------------------------------------------------------------------------

def test_dc_generator_window_and_delay(simulate, probe):
    sim = simulate(_probe_net(probe, [DeviceDef("dc", "dc_generator", "p", {
        "amplitude": "450 pA", "start": "1 ms", "stop": "2 ms"}, delay="0.5 ms")]), 5.0)
    current = _current(sim)[:, 0]
    # active for stamps (e+1)*dt in [1, 2) ms: emission steps 9..18, arriving 1 + 5 steps later
    on = np.flatnonzero(np.abs(current) > EXACT)
    assert on.tolist() == list(range(15, 25))
    np.testing.assert_allclose(current[on], 450.0, rtol=1e-12)


def test_ac_generator_follows_its_sine(simulate, probe):
    amp, offset, freq, phase = 80.0, 15.0, 250.0, 40.0
    sim = simulate(_probe_net(probe, [DeviceDef("ac", "ac_generator", "p", {
        "amplitude": f"{amp} pA", "offset": f"{offset} pA", "frequency": f"{freq} Hz", "phase": phase},
        delay="0.3 ms")]), 20.0, chunk_steps=33)
    current = _current(sim)[:, 0]
    d = 3
    s = np.arange(current.size)
    # step s carries the value for time (s - d)*dt (emitted in step s - 1 - d, stamped one step later)
    expected = np.where(s >= d + 1, offset + amp * np.sin(2 * np.pi * freq * (s - d) * 1e-4 + np.radians(phase)), 0)
    np.testing.assert_allclose(current, expected, rtol=0, atol=1e-9)


def test_step_current_generator_changes_amplitude_at_the_right_steps(simulate, probe):
    sim = simulate(_probe_net(probe, [DeviceDef("step", "step_current_generator", "p", {
        "amplitude_times": ["1 ms", "2.5 ms", "4 ms"], "amplitude_values": ["200 pA", "-100 pA", "0 pA"]})]), 6.0)
    current = _current(sim)[:, 0]
    # the value for time T is emitted in step T/dt - 1 and injected two steps later
    expected = np.zeros(current.size)
    expected[11:26], expected[26:41] = 200.0, -100.0
    np.testing.assert_allclose(current, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("params, message", [
    ({"amplitude_times": ["1 ms"], "amplitude_values": ["1 pA", "2 pA"]}, ": amplitude_times and amplitude_values "
                                                                           "differ in length"),
    ({"amplitude_times": ["2 ms", "1 ms"], "amplitude_values": ["1 pA", "2 pA"]}, ": amplitude_times must increase"),
    ({"amplitude_times": ["1 ms"], "amplitude_values": ["1 mV"]}, r", amplitude_values: `1 mV` has units volt, "
                                                                   r"expected amp"),
    ({"amplitude_times": ["1 mV"], "amplitude_values": ["1 pA"]}, r", amplitude_times: `1 mV` has units volt, "
                                                                   r"expected second"),
])
def test_step_current_generator_refuses_malformed_tables(simulate, probe, params, message):
    with pytest.raises(DeviceError, match=rf"^device `step`{message}"):
        simulate(_probe_net(probe, [DeviceDef("step", "step_current_generator", "p", params)]), 1.0)


def test_noise_generator_mean_std_hold_and_independence(simulate, probe):
    n, mean, std = 400, 50.0, 200.0
    sim = simulate(_probe_net(probe, [DeviceDef("noise", "noise_generator", "p", {
        "mean": f"{mean} pA", "std": f"{std} pA", "dt": "1 ms"})], n=n), 200.0)
    current = _current(sim)
    assert np.all(current[:2] == 0.0)
    held = current[2:1992].reshape(199, 10, n)  # redrawn every 10 steps from the first active step (step 2)
    np.testing.assert_allclose(held, np.broadcast_to(held[:, :1], held.shape), rtol=0, atol=1e-8)
    draws = held[:, 0]
    assert abs(draws.mean() - mean) < 5 * std / np.sqrt(draws.size)
    assert draws.std() == pytest.approx(std, rel=0.02)
    # independent targets: the population mean of an interval varies like std/sqrt(n), not like std
    assert draws.mean(axis=1).std() == pytest.approx(std / np.sqrt(n), rel=0.25)
    # and successive intervals are independent
    r = np.corrcoef(draws[:-1].ravel(), draws[1:].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(draws.size)


def test_noise_generator_holds_intervals_from_its_start(simulate, probe):
    sim = simulate(_probe_net(probe, [DeviceDef("noise", "noise_generator", "p", {
        "mean": "0 pA", "std": "100 pA", "dt": "0.5 ms", "start": "1 ms", "stop": "3 ms"})], n=3), 5.0)
    current = _current(sim)
    on = np.flatnonzero(np.any(np.abs(current) > EXACT, axis=1))
    assert on.tolist() == list(range(11, 31))  # stamps [1, 3) ms, 2 steps late
    changes = np.flatnonzero(np.any(np.abs(np.diff(current[11:31], axis=0)) > EXACT, axis=1)) + 12
    assert changes.tolist() == [16, 21, 26]


def test_poisson_generator_counts_are_poisson_and_independent(simulate, probe):
    n, rate = 200, 2000.0
    sim = simulate(_probe_net(probe, [DeviceDef("pg", "poisson_generator", "p", {"rate": f"{rate} Hz"},
                                                weight="1 mV")], n=n), 100.0)
    counts = _arrivals(sim, 1.0)
    np.testing.assert_allclose(counts, np.rint(counts), rtol=0, atol=1e-9)
    counts = np.rint(counts[2:])  # start = 0: the first spikes arrive in step 2 (NEST: active for e*dt > start)
    lam = rate * 1e-4
    assert abs(counts.mean() - lam) < 5 * np.sqrt(lam / counts.size)
    assert counts.var() == pytest.approx(lam, rel=0.05)  # Fano factor one
    assert counts.mean(axis=1).var() == pytest.approx(lam / n, rel=0.2)  # targets independent
    assert np.all(np.rint(_arrivals(sim, 1.0)[:2]) == 0)


@pytest.mark.parametrize("counter, key, expected", [
    ([0, 0, 0, 0], 0, [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, 0xFFFFFFFF_FFFFFFFF, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], 0x299F31D0_A4093822,
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
])
def test_the_poisson_draws_use_philox4x32_10(counter, key, expected):
    """Random123's known answers (kat_vectors: counter, key low word first, output)."""
    assert _network.philox4x32(counter, key) == expected


def _drawn(mean, steps, n, seed=11, first_step=0):
    counts = np.empty((steps, n), dtype=np.int64)
    cdf, guide, first = poisson_cdf(mean)
    _network.philox_poisson_counts(seed, cdf, guide, first, first_step, np.arange(n, dtype=np.int32), counts)
    return counts


@pytest.mark.parametrize("mean", [0.003, 0.2, 1.7, 17.5, 300.0, 4e6])
def test_kernel_poisson_counts_follow_the_poisson_distribution(mean):
    counts = _drawn(mean, 400, 500)
    size = counts.size
    assert abs(counts.mean() - mean) < 5 * np.sqrt(mean / size)
    assert counts.var() == pytest.approx(mean, rel=8 * np.sqrt(2 / size))
    # chi-square against scipy's pmf, over the counts expecting at least 20 draws each, the tails pooled
    ks = np.flatnonzero(size * stats.poisson.pmf(np.arange(int(mean + 10 * np.sqrt(mean) + 10)), mean) >= 20)
    lo, hi = ks[0], ks[-1]
    observed = np.bincount((np.clip(counts, lo, hi) - lo).ravel(), minlength=hi - lo + 1)
    expected = size * np.array([stats.poisson.cdf(lo, mean), *stats.poisson.pmf(np.arange(lo + 1, hi), mean),
                                stats.poisson.sf(hi - 1, mean)])
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, len(expected) - 1) > 1e-4


def test_kernel_poisson_counts_are_independent_between_neurons_and_steps():
    counts = _drawn(2.0, 2000, 400).astype(float)
    z = (counts - 2.0) / np.sqrt(2.0)
    bound = 5 / np.sqrt(z[:, :-1].size)
    assert abs((z[:, 0::2] * z[:, 1::2]).mean()) < bound  # the two neurons one Philox block serves
    assert abs((z[:, :-1] * z[:, 1:]).mean()) < bound  # neighbours
    assert abs((z[:-1] * z[1:]).mean()) < bound  # consecutive steps
    assert abs((z * _drawn(2.0, 2000, 400, seed=12)).mean()) < bound  # another device


def test_kernel_poisson_counts_depend_only_on_seed_neuron_and_step():
    whole = _drawn(3.0, 300, 130)
    np.testing.assert_array_equal(_drawn(3.0, 100, 130, first_step=200), whole[200:])
    np.testing.assert_array_equal(whole, _drawn(3.0, 300, 130))
    assert not np.array_equal(whole, _drawn(3.0, 300, 130, seed=12))


def test_poisson_cdf_tables_reach_one_and_guide_every_uniform():
    for mean in (0.0, 0.01, 2.0, 1e3, 1e9):
        cdf, guide, first = poisson_cdf(mean)
        assert cdf[-1] == 1.0 and np.all(np.diff(cdf) >= 0)
        assert len(guide) >= min(8 * len(cdf), 2**20) and len(guide) & (len(guide) - 1) == 0
        parts = np.arange(len(guide)) / len(guide)
        assert np.all(cdf[guide] > parts) and np.all((guide == 0) | (cdf[guide - 1] <= parts))
        assert first <= mean <= first + len(cdf)


def test_poisson_generator_kernel_draws_are_its_counts(simulate, probe):
    net = _probe_net(probe, [DeviceDef("pg", "poisson_generator", "p", {"rate": "3 kHz", "start": "2 ms"},
                                       weight="1 mV", delay="0.5 ms", neurons=(0, 2, 3))], n=5)
    sim = simulate(net, 20.0, chunk_steps=33)
    drawn = sim.network.devices["pg"].counts(0, 200)
    arrived = np.rint(_arrivals(sim, 1.0))
    np.testing.assert_array_equal(arrived[:, [0, 2, 3]], drawn)
    assert np.all(arrived[:, [1, 4]] == 0) and drawn.sum() > 50


def test_poisson_generator_respects_start_and_stop(simulate, probe):
    sim = simulate(_probe_net(probe, [DeviceDef("pg", "poisson_generator", "p", {
        "rate": "20 kHz", "start": "10 ms", "stop": "30 ms"}, weight="1 mV", delay="1 ms")], n=100), 40.0)
    busy = np.flatnonzero(np.any(np.rint(_arrivals(sim, 1.0)) > 0, axis=1))
    # emitted in steps e with 10 ms < e*dt <= 30 ms, arriving 10 steps later
    assert busy.tolist() == list(range(111, 311))


def test_spike_generator_exact_arrival_steps_and_weights(simulate, probe):
    sim = simulate(_probe_net(probe, [DeviceDef("sg", "spike_generator", "p", {
        "spike_times": ["1.0 ms", "2.5 ms", "2.5 ms", "4.0 ms", "9.0 ms"], "stop": "8 ms"},
        weight="1.5 mV", delay="1 ms", neurons=(1, 2))], n=4), 12.0)
    q = _arrivals(sim, 1.5)
    assert np.all(q[:, [0, 3]] == 0.0)
    np.testing.assert_array_equal(q[:, 1], q[:, 2])
    # a spike at s ms leaves in step s/dt - 1 and arrives 10 steps later; twice the same time doubles the
    # weight; 9 ms is after stop
    steps = np.flatnonzero(np.abs(q[:, 1]) > EXACT)
    assert steps.tolist() == [19, 34, 49]
    np.testing.assert_allclose(q[steps, 1], [1.0, 2.0, 1.0], rtol=1e-12)


# -- malformed devices ----------------------------------------------------------------------------

@pytest.mark.parametrize("device, message", [
    (DeviceDef("x", "laser", "p"), r"^device `x`: unknown kind `laser` \(choose from dc_generator, "),
    (DeviceDef("x", "dc_generator", "p", {"amplitude": "1 pA"}, neurons=(0, 5)),
     r"^device `x`: neuron indices must lie in 0..2$"),
    (DeviceDef("x", "dc_generator", "p"), r"^device `x`: missing parameter `amplitude`$"),
    (DeviceDef("x", "dc_generator", "p", {"amplitude": "3 mV"}),
     r"^device `x`, amplitude: `3 mV` has units volt, expected amp$"),
    (DeviceDef("x", "poisson_generator", "p", {"rate": "10 ms"}, weight="1 mV"),
     r"^device `x`, rate: `10 ms` has units second, expected hertz$"),
    (DeviceDef("x", "poisson_generator", "p", {"rate": "10 Hz"}),
     r"^device `x`: a spike generator needs a weight$"),
    (DeviceDef("x", "poisson_generator", "p", {"rate": "1e30 Hz"}, weight="1 mV"),
     r"^device `x`, rate: a Poisson mean of 1e\+26 spikes per step is above 1e\+09; use a smaller rate or dt$"),
    (DeviceDef("x", "poisson_generator", "p", {"rate": "10 Hz"}, weight="1 pA"),
     r"^device `x`: weight `1 pA` has units amp, but receptor `in` takes volt$"),
    (DeviceDef("x", "poisson_generator", "p", {"rate": "10 Hz"}, weight="1 mV", receptor="ampa"),
     r"^device `x`: `p` has no receptor `ampa` \(has: in\)$"),
    (DeviceDef("x", "spike_generator", "p", {"spike_times": ["1 ms"]}, weight="1 mV", delay="0.01 ms"),
     r"^device `x`: delay 0.01 ms is shorter than one time step \(0.1 ms\); the minimum delay is one step$"),
])
def test_malformed_devices_name_device_and_field(simulate, probe, device, message):
    with pytest.raises(DeviceError, match=message):
        simulate(_probe_net(probe, [device], n=3), 1.0)


def test_a_current_generator_needs_a_current_input():
    leak = ModelSpec("dv/dt = -v/tau : volt\ntau : second", parameters={"tau": "10 ms"}, method="exact")
    net = NetworkDef((PopulationDef("leak", leak, 2),), devices=(
        DeviceDef("dc", "dc_generator", "leak", {"amplitude": "1 pA"}),))
    with pytest.raises(DeviceError, match=r"^device `dc`: `leak` has no current input$"):
        build_network(net)


def test_a_device_needs_an_existing_population(probe):
    net = NetworkDef((PopulationDef("p", probe, 1),), devices=(DeviceDef("sr", "spike_recorder", "q"),))
    with pytest.raises(NetworkError, match=r"^device `sr`: no population `q`$"):
        build_network(net)


def test_current_generators_on_overlapping_neurons_add_up(simulate, probe):
    sim = simulate(_probe_net(probe, [
        DeviceDef("a", "dc_generator", "p", {"amplitude": "100 pA"}, neurons=(0, 1)),
        DeviceDef("b", "dc_generator", "p", {"amplitude": "-30 pA"}, neurons=(1, 2))], n=4), 1.0)
    np.testing.assert_allclose(_current(sim)[5], [100.0, 70.0, -30.0, 0.0], rtol=0, atol=1e-9)
