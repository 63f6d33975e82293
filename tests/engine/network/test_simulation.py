"""Chunked runs: bit-for-bit continuation, seeds, thread control, changes between chunks, blow-ups, streaming."""

import re
import threading
import time

import numpy as np
import pytest

from engine.equations.model import ModelSpec
from engine.errors import SimulationError
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.devices import DEFAULT_CHUNK_STEPS
from engine.run.simulation import (BATCH_CHUNK_BYTES, BATCH_CHUNK_STEPS, StreamBuffer, Simulation,
                                   batch_chunk_steps)

CUBA_LIF = ModelSpec(
    equations="""
dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
El : volt
taum : second
taue : second
taui : second
Vt : volt
Vr : volt
""",
    threshold="v > Vt", reset="v = Vr", refractory="5*ms", method="exact",
    parameters={"El": "-49 mV", "taum": "20 ms", "taue": "5 ms", "taui": "10 ms", "Vt": "-50 mV", "Vr": "-60 mV"},
    initial={"v": "Vr"},
)


def cuba(seed=1):
    """Brian2's CUBA benchmark, scaled to 800 E / 200 I neurons."""
    start = "Vr + rand()*(Vt - Vr)"
    pops = (PopulationDef("E", CUBA_LIF, 800, initial={"v": start}),
            PopulationDef("I", CUBA_LIF, 200, initial={"v": start}))
    synapses = (("E", "6.5 mV", "ge += w"), ("I", "-36 mV", "gi += w"))
    projections = tuple(ProjectionDef(f"{s}{t}", s, t, Rule("pairwise_bernoulli", p=0.02), w, on_pre=on_pre)
                        for s, w, on_pre in synapses for t in ("E", "I"))
    meter = DeviceDef("vm", "voltmeter", "E", {"record_from": ["v", "ge", "gi"], "interval": "0.3 ms"},
                      neurons=(0, 17, 799))
    return NetworkDef(pops, projections, (meter,), seed=seed)


def driven(seed=4):
    """iaf_psc_exp neurons driven by independent Poisson input and noise, with recurrent inhibition."""
    pop = PopulationDef("n", get_model("iaf_psc_exp"), 300, initial={"V_m": "E_L + rand()*10*mV"})
    devices = (DeviceDef("pg", "poisson_generator", "n", {"rate": "12 kHz"}, weight="40 pA", delay="0.5 ms"),
               DeviceDef("noise", "noise_generator", "n", {"mean": "150 pA", "std": "200 pA", "dt": "0.5 ms"}),
               DeviceDef("vm", "multimeter", "n", {"record_from": ["V_m", "I_syn_ex", "I_syn_in"],
                                                   "interval": "0.1 ms"}, neurons=(0, 1, 299)))
    proj = ProjectionDef("rec", "n", "n", Rule("fixed_indegree", k=20, allow_autapses=False), "-30 pA", "1.5 ms")
    return NetworkDef((pop,), (proj,), devices, seed=seed)


NOISY_LIF = ModelSpec(
    equations="""
dv/dt = (mu - v)/tau + sigma*xi*tau**-0.5 : volt (unless refractory)
mu : volt
tau : second
sigma : volt
theta : volt
""",
    threshold="v > theta", reset="v = 0*mV", refractory="2*ms", method="euler",
    parameters={"mu": "12 mV", "tau": "10 ms", "sigma": "5 mV", "theta": "15 mV"},
)


def noisy(seed=3):
    """A stochastic model run by the VM (Euler-Maruyama; its noise is drawn per neuron and step)."""
    meter = DeviceDef("vm", "voltmeter", "x", {"record_from": ["v"], "interval": "0.1 ms"}, neurons=(0, 199))
    proj = ProjectionDef("rec", "x", "x", Rule("fixed_indegree", k=10), "0.3 mV", "1 ms", on_pre="v += w")
    return NetworkDef((PopulationDef("x", NOISY_LIF, 200),), (proj,), (meter,), seed=seed)


NETWORKS = [cuba, driven, noisy]


def _outcome(sim):
    """Every spike of every population and every trace, for exact comparisons."""
    out = {}
    for name in sim.network.populations:
        out[f"spikes {name}"] = np.stack(sim.spikes(name))
    for name, dev in sim.network.devices.items():
        if dev.definition.kind in ("voltmeter", "multimeter"):
            for var, values in sim.recorder(name).items():
                out[f"{name}.{var}"] = values
    return out


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].shape == b[key].shape and np.array_equal(a[key], b[key]), key


def _run(net, ms_parts, chunk_steps=100):
    sim = Simulation(build_network(net), chunk_steps=chunk_steps)
    for ms in ms_parts:
        sim.run(ms * 1e-3)
    return sim


@pytest.mark.parametrize("make", NETWORKS)
def test_two_runs_equal_one_run_of_twice_the_duration(make):
    once = _run(make(), [200.0])
    twice = _run(make(), [100.0, 100.0])
    assert once.step == twice.step == 2000
    a, b = _outcome(once), _outcome(twice)
    assert a["spikes " + next(iter(once.network.populations))].shape[1] > 500  # the networks are active
    _assert_identical(a, b)


@pytest.mark.parametrize("make", NETWORKS)
def test_chunk_size_does_not_change_the_result(make):
    reference = _outcome(_run(make(), [60.0], chunk_steps=100))
    for chunk_steps, parts in ((1, [60.0]), (7, [13.3, 46.7]), (1000, [60.0])):
        _assert_identical(reference, _outcome(_run(make(), parts, chunk_steps=chunk_steps)))


def _poisson_driven(n):
    """``n`` iaf_psc_exp neurons, each with Poisson input and noise (noise needs a block per chunk; the
    Poisson input is drawn in the kernel in floating point, from a block in fixed point)."""
    devices = (DeviceDef("pg", "poisson_generator", "n", {"rate": "8 kHz"}, weight="40 pA"),
               DeviceDef("noise", "noise_generator", "n", {"mean": "100 pA", "std": "50 pA"}))
    return NetworkDef((PopulationDef("n", get_model("iaf_psc_exp"), n),), (), devices, seed=2)


def test_a_run_nobody_watches_takes_long_chunks_while_its_input_blocks_stay_small():
    assert batch_chunk_steps(build_network(cuba())) == BATCH_CHUNK_STEPS  # a voltmeter on three neurons
    network = build_network(_poisson_driven(8_000))
    steps = batch_chunk_steps(network)
    assert DEFAULT_CHUNK_STEPS < steps < BATCH_CHUNK_STEPS
    io = Simulation(network, steps)._inputs(steps)
    blocks = [*io.currents.values(), *io.externals.values()]
    assert blocks and all(b.shape == (steps, 8_000) for b in blocks)
    assert sum(b.nbytes for b in blocks) <= BATCH_CHUNK_BYTES
    assert batch_chunk_steps(build_network(_poisson_driven(150_000))) == DEFAULT_CHUNK_STEPS  # never shorter


def test_a_poisson_input_drawn_in_the_kernel_does_not_shorten_the_chunks():
    only_poisson = _poisson_driven(20_000)
    only_poisson = NetworkDef(only_poisson.populations, (), only_poisson.devices[:1], seed=2)
    assert batch_chunk_steps(build_network(only_poisson)) == BATCH_CHUNK_STEPS
    fixed = build_network(only_poisson, QFormat.parse("Q16.16"))
    steps = batch_chunk_steps(fixed)
    assert DEFAULT_CHUNK_STEPS <= steps < BATCH_CHUNK_STEPS
    blocks = [*Simulation(fixed, steps)._inputs(steps).externals.values()]
    assert blocks and sum(b.nbytes for b in blocks) <= BATCH_CHUNK_BYTES


@pytest.mark.parametrize("make", NETWORKS)
def test_same_seed_same_run_other_seed_other_run(make):
    a, b = _outcome(_run(make(seed=7), [50.0])), _outcome(_run(make(seed=7), [50.0]))
    _assert_identical(a, b)
    c = _outcome(_run(make(seed=8), [50.0]))
    key = next(k for k in a if k.startswith("spikes"))
    assert a[key].shape != c[key].shape or not np.array_equal(a[key], c[key])


def test_run_summary_counts_spikes_and_rates():
    sim = Simulation(build_network(cuba()))
    summary = sim.run(0.1)
    assert summary.steps == 1000 and summary.sim_s == pytest.approx(0.1)
    for name, pop in sim.network.populations.items():
        assert summary.spikes[name] == sim.spikes(name)[0].size
        assert summary.rates_hz[name] == pytest.approx(summary.spikes[name] / (pop.size * 0.1))
    with pytest.raises(SimulationError, match=r"^the duration cannot be negative$"):
        sim.run(-1.0)


def _threaded(sim, ms, on_chunk):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("summary", sim.run(ms * 1e-3, on_chunk=on_chunk)))
    thread.start()
    return thread, result


def _gate(after_chunks):
    """An on_chunk callback that holds the simulation thread after ``after_chunks`` chunks until released."""
    reached, release = threading.Event(), threading.Event()
    seen = []

    def on_chunk(chunk):
        seen.append(chunk)
        if len(seen) == after_chunks:
            reached.set()
            assert release.wait(10)

    return on_chunk, reached, release, seen


def test_pause_and_resume_from_another_thread_stop_at_a_chunk_boundary():
    reference = _outcome(_run(driven(), [30.0], chunk_steps=50))
    sim = Simulation(build_network(driven()), chunk_steps=50)
    on_chunk, reached, release, seen = _gate(2)
    thread, result = _threaded(sim, 30.0, on_chunk)
    assert reached.wait(10)
    sim.pause()
    release.set()
    time.sleep(0.05)  # the simulation thread finishes the boundary and waits
    assert sim.step == 100 and len(seen) == 2 and thread.is_alive()
    sim.resume()
    thread.join(10)
    assert not thread.is_alive() and result["summary"].steps == 300
    assert [c.t_start_ms for c in seen] == pytest.approx([5.0 * k for k in range(6)])
    _assert_identical(reference, _outcome(sim))


def test_stop_from_another_thread_ends_the_run_at_a_chunk_boundary_and_a_new_run_continues():
    reference = _outcome(_run(driven(), [30.0], chunk_steps=50))
    sim = Simulation(build_network(driven()), chunk_steps=50)
    on_chunk, reached, release, _ = _gate(3)
    thread, result = _threaded(sim, 30.0, on_chunk)
    assert reached.wait(10)
    sim.stop()
    release.set()
    thread.join(10)
    assert result["summary"].steps == 150 and sim.step == 150
    sim.run(15e-3)
    _assert_identical(reference, _outcome(sim))


def test_stop_while_paused_ends_the_run():
    sim = Simulation(build_network(driven()), chunk_steps=50)
    on_chunk, reached, release, _ = _gate(1)
    thread, result = _threaded(sim, 30.0, on_chunk)
    assert reached.wait(10)
    sim.pause()
    release.set()
    sim.stop()
    thread.join(10)
    assert not thread.is_alive() and result["summary"].steps == 50


def test_set_parameter_between_chunks_changes_the_dynamics_and_is_logged():
    # I_e given as an expression is per-neuron, so it can change during a run
    pop = PopulationDef("n", get_model("iaf_psc_delta"), 2, parameters={"I_e": "0*pA*i"})
    net = NetworkDef((pop,), devices=(DeviceDef("vm", "voltmeter", "n", {"interval": "0.1 ms"}),))
    sim = Simulation(build_network(net))
    sim.run(10e-3)
    sim.set_parameter("n", "I_e", "200 pA")
    sim.run(10e-3)
    assert sim.log == ["t = 10 ms: n.I_e = 200 pA"]
    v = sim.recorder("vm")["V_m"][:, 0]
    np.testing.assert_allclose(v[:100], -70.0, rtol=0, atol=1e-12)
    k = np.arange(1, 101)  # steps with the new current
    # tau_m / C_m * 200 pA = 8 mV
    np.testing.assert_allclose(v[100:], -70.0 + 8.0 * (1 - np.exp(-k * 0.1 / 10.0)), rtol=0, atol=1e-9)


def test_set_parameter_of_the_refractory_period_reaches_the_running_network():
    pop = PopulationDef("n", get_model("iaf_psc_delta"), 1, parameters={"t_ref": "2*ms + 0*ms*i", "I_e": "1000 pA"})
    net = NetworkDef((pop,), devices=(DeviceDef("sr", "spike_recorder", "n"),))
    sim = Simulation(build_network(net))
    sim.run(20e-3)
    sim.set_parameter("n", "t_ref", "5 ms")
    sim.run(40e-3)
    t = sim.recorder("sr")["times"]
    before, after = np.diff(t[t < 20.0]), np.diff(t[t > 20.0])
    assert before.size >= 2 and after.size >= 2
    np.testing.assert_allclose(after, before[0] + 3.0, rtol=0, atol=1e-9)  # three more milliseconds clamped
    np.testing.assert_allclose(before, before[0], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name, value, message", [
    ("I_x", "1 pA", r"^population `n` has no parameter `I_x`$"),
    ("I_e", "2 mV", r"^population `n`, parameter `I_e`: `2 mV` has units volt, expected amp$"),
])
def test_set_parameter_refuses_what_it_cannot_change(name, value, message):
    pop = PopulationDef("n", get_model("iaf_psc_delta"), 2, parameters={"I_e": "0*pA*i"})
    sim = Simulation(build_network(NetworkDef((pop,))))
    with pytest.raises(NetworkError, match=message):
        sim.set_parameter("n", name, value)
    assert sim.log == []


@pytest.mark.parametrize("synapse", ["static_synapse", "static_synapse_hom_w"])
def test_set_weight_scale_between_chunks_scales_later_spikes_and_is_logged(synapse):
    delta = get_model("iaf_psc_delta")
    net = NetworkDef(
        (PopulationDef("src", delta, 1), PopulationDef("tgt", delta, 1, parameters={"tau_m": "1e9 ms"})),
        (ProjectionDef("p", "src", "tgt", Rule("all_to_all"), "2 mV", "1 ms", synapse=synapse),),
        (DeviceDef("kick", "spike_generator", "src", {"spike_times": ["1 ms", "6 ms", "11 ms", "16 ms"]},
                   weight="20 mV"),
         DeviceDef("vm", "voltmeter", "tgt", {"interval": "0.1 ms"})))
    sim = Simulation(build_network(net))
    sim.run(10e-3)
    sim.set_weight_scale("p", 0.5)
    sim.run(10e-3)
    assert sim.log == ["t = 10 ms: p weights x 0.5"]
    v = sim.recorder("vm")["V_m"][:, 0]
    jumps = np.diff(np.concatenate([[-70.0], v]))
    arrived = np.flatnonzero(np.abs(jumps) > 1e-9)
    assert arrived.tolist() == [20, 70, 120, 170]  # kicked at s, the source fires in step s/dt, +10 steps delay
    np.testing.assert_allclose(jumps[arrived], [2.0, 2.0, 1.0, 1.0], rtol=1e-9)
    with pytest.raises(NetworkError, match=r"^no projection `q`$"):
        sim.set_weight_scale("q", 2.0)


UNSTABLE = ModelSpec("dv/dt = v/tau : volt\ntau : second", parameters={"tau": "0.01 ms"}, method="exact")


def test_a_blow_up_names_population_neuron_variable_and_time():
    net = NetworkDef((PopulationDef("calm", UNSTABLE, 2),
                      PopulationDef("unstable", UNSTABLE, 5, initial={"v": "mV if i == 3 else 0*mV"})),
                     devices=(DeviceDef("sr", "spike_recorder", "unstable"),))
    sim = Simulation(build_network(net), chunk_steps=100)
    # v grows by exp(dt/tau) = e^10 a step: it overflows in step 70; states are checked every 16 steps
    growth, v, step = np.exp(10.0), 1.0, -1
    with np.errstate(over="ignore"):
        while np.isfinite(v):
            v, step = v * growth, step + 1
    checked = (step // 16 + 1) * 16  # the step count at the check that sees it
    expected = (rf"^numerical blow-up in population `unstable`: neuron 3, variable `v` became inf by "
                rf"t = {re.escape(f'{checked * 0.1:g}')} ms \(try a smaller dt or another integration method\)$")
    with pytest.raises(SimulationError, match=expected):
        sim.run(0.02)
    assert sim.step == checked


def test_the_stream_stays_bounded_when_nobody_takes_and_recordings_keep_every_spike():
    stream = StreamBuffer(max_chunks=4, max_spikes=300)
    sim = Simulation(build_network(driven()), chunk_steps=20)
    per_chunk, held = [], []

    def on_chunk(chunk):
        per_chunk.append(chunk.spikes["n"][0].size)
        held.append(len(stream))

    summary = sim.run(0.2, stream=stream, on_chunk=on_chunk)
    assert len(per_chunk) == 100 and max(held) <= 4
    chunks = stream.take()
    assert len(chunks) == 4 and len(stream) == 0
    kept = sum(c.spikes["n"][0].size for c in chunks)
    dropped = sum(c.dropped_spikes for c in chunks)
    assert dropped > 0 and kept + dropped == summary.spikes["n"] == sum(per_chunk)
    assert chunks[0].spikes["n"][0].size <= 300  # the merged oldest chunk holds at most max_spikes
    assert kept <= 300 + 3 * max(per_chunk)
    # traces are decimated when chunks merge, so they stay bounded too
    samples = [c.traces["vm"][1].shape[0] for c in chunks]
    assert samples[0] <= 21 and samples[1:] == [20, 20, 20] and chunks[0].decimation > 1
    assert chunks[0].t_start_ms == 0.0 and chunks[-1].t_stop_ms == pytest.approx(200.0)
    assert all(a.t_stop_ms == pytest.approx(b.t_start_ms) for a, b in zip(chunks, chunks[1:]))
    # the recording keeps everything
    times, _ = sim.spikes("n")
    assert times.size == summary.spikes["n"]
    assert sim.recorder("vm")["V_m"].shape == (2000, 3)
