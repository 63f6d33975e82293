"""Runs on 1, 2 and 4 threads, in chunks of any length, give the same bits: every spike, every recorded value,
every final state (the Poisson background is drawn per neuron and step in the threads, ext/poisson.h)."""

import gc
import multiprocessing
import os

import numpy as np
import pytest

from engine.errors import SimulationError
from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.network.build import build_network
from engine.network.connect import Rule
from engine.network.definitions import STDP, DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.devices import Recorder, WeightRecorder
from engine.run.simulation import Simulation, max_threads
from studio.project.project_file import load_network
from tests.example_projects import EXAMPLES

THREADS = (1, 2, 4)
RUNS = ((1, 137), (2, 137), (4, 137), (2, 50), (1, 1000))
"""(threads, chunk steps) of the runs compared"""


def _plastic_network():
    """Odd population sizes, one split among the threads (the last thread's share ends inside a vector) and
    one kept whole on one of them, Poisson drive (one on some neurons), per-neuron delays of three lengths,
    STDP and a multimeter."""
    delta = get_model("iaf_psc_delta")
    stdp = STDP(tau_plus="20 ms", tau_minus="30 ms", a_plus=0.1, a_minus=0.05, w_max="2 mV", bounds="multiplicative")
    return build_network(NetworkDef(
        populations=(PopulationDef("a", delta, 2111), PopulationDef("b", delta, 203)),
        projections=(ProjectionDef("ab", "a", "b", Rule("pairwise_bernoulli", p=0.2), "1 mV", "1.5 ms",
                                   synapse="stdp_synapse", stdp=stdp),
                     ProjectionDef("ba", "b", "a", Rule("pairwise_bernoulli", p=0.1), "0.5 mV", "1 ms"),
                     ProjectionDef("bb", "b", "b", Rule("fixed_indegree", k=20), "-0.3 mV", "0.3 ms")),
        devices=(DeviceDef("pa", "poisson_generator", "a", {"rate": "2 kHz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("pb", "poisson_generator", "b", {"rate": "1500 Hz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("pc", "poisson_generator", "b", {"rate": "3 kHz", "start": "5 ms"}, weight="0.5 mV",
                           delay="0.2 ms", neurons=list(range(1, 203, 3))),
                 DeviceDef("vm", "multimeter", "b", {"record_from": ["V_m"], "interval": "0.2 ms"},
                           neurons=[0, 5, 77, 202])),
        seed=3))


def _synapse_rules_network():
    """Short-term plasticity (both Tsodyks models, one with drawn delays) and triplet STDP between odd-sized
    populations, one split among the threads and one whole, under Poisson drive."""
    delta = get_model("iaf_psc_delta")
    return build_network(NetworkDef(
        populations=(PopulationDef("a", delta, 2111), PopulationDef("b", delta, 203)),
        projections=(ProjectionDef("ab", "a", "b", Rule("pairwise_bernoulli", p=0.2), "1 mV", "1.5 ms",
                                   synapse="stdp_triplet_synapse",
                                   synapse_params={"Wmax": "2 mV", "Aplus": 5e-3, "tau_minus": "30 ms"}),
                     ProjectionDef("ba", "b", "a", Rule("pairwise_bernoulli", p=0.1), "2 mV",
                                   "0.5*ms + 1*ms*rand()", synapse="tsodyks2_synapse",
                                   synapse_params={"U": 0.2, "tau_fac": "300 ms", "tau_rec": "100 ms"}),
                     ProjectionDef("bb", "b", "b", Rule("fixed_indegree", k=20), "-0.6 mV", "0.3 ms",
                                   synapse="tsodyks_synapse", synapse_params={"U": 0.4})),
        devices=(DeviceDef("pa", "poisson_generator", "a", {"rate": "2 kHz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("pb", "poisson_generator", "b", {"rate": "1500 Hz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("w", "weight_recorder", "ab")),
        seed=5))


def _whole_populations_network():
    """Three populations that balance on two threads without a split (so each runs whole there; on four
    threads the two largest are split, one among three threads), connected every way under Poisson drive."""
    delta = get_model("iaf_psc_delta")
    return build_network(NetworkDef(
        populations=(PopulationDef("a", delta, 700), PopulationDef("b", delta, 650), PopulationDef("c", delta, 90)),
        projections=(ProjectionDef("ab", "a", "b", Rule("pairwise_bernoulli", p=0.1), "1 mV", "1.5 ms"),
                     ProjectionDef("bc", "b", "c", Rule("pairwise_bernoulli", p=0.2), "1 mV", "0.1 ms"),
                     ProjectionDef("ca", "c", "a", Rule("fixed_indegree", k=10), "-1 mV", "0.4 ms"),
                     ProjectionDef("ba", "b", "a", Rule("fixed_indegree", k=30), "0.5 mV", "0.1*ms + 1*ms*rand()")),
        devices=(DeviceDef("pa", "poisson_generator", "a", {"rate": "8 kHz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("pb", "poisson_generator", "b", {"rate": "9 kHz"}, weight="1 mV", delay="0.1 ms"),
                 DeviceDef("vm", "multimeter", "c", {"record_from": ["V_m"], "interval": "0.1 ms"})),
        seed=9))


def _example(name: str, fmt=None):
    return load_network(EXAMPLES / f"{name}.ncsproj", None, fmt)[1]


def _everything(sim: Simulation) -> dict[str, np.ndarray]:
    """Spikes, recorders, final states and weights of a finished run, by name (not the weight recorders, whose
    snapshots are taken at chunk boundaries)."""
    out = {}
    net = sim.network
    for name, pop in net.populations.items():
        out[f"spikes {name}"] = np.stack(sim.spikes(name))
        for state in pop.ir.state_names:
            out[f"state {name}.{state}"] = pop.state.get(state)
    for name, dev in net.devices.items():
        if not isinstance(dev, Recorder) or isinstance(dev, WeightRecorder):
            continue
        for key, values in dev.recorded(sim).items():
            out[f"recorder {name}.{key}"] = np.asarray(values)
    for name, proj in net.projections.items():
        out[f"weights {name}"] = proj.get_weights()
        for key, values in proj.synapse_state().items():
            out[f"synapse state {name}.{key}"] = values
    return out


@pytest.mark.parametrize("make, ms", [
    (lambda: _example("cuba"), 60.0),
    (lambda: _example("coba"), 40.0),
    pytest.param(lambda: _example("brunel"), 20.0, marks=pytest.mark.slow),
    (lambda: _example("cuba", QFormat.parse("Q16.16")), 30.0),
    (_plastic_network, 60.0),
    (_synapse_rules_network, 60.0),
    (_whole_populations_network, 60.0),
], ids=["cuba", "coba", "brunel", "cuba-Q16.16", "stdp", "tsodyks-triplet", "whole-populations"])
def test_every_number_of_threads_and_chunking_gives_the_same_bits(make, ms):
    runs = []
    for threads, chunk in RUNS:
        sim = Simulation(make(), chunk_steps=chunk, threads=threads)
        sim.run(ms * 1e-3)
        runs.append(_everything(sim))
    one = runs[0]
    assert sum(v.size for k, v in one.items() if k.startswith("spikes")) > 0
    for (threads, chunk), other in zip(RUNS[1:], runs[1:]):
        assert other.keys() == one.keys()
        for key in one:
            assert other[key].tobytes() == one[key].tobytes(), \
                f"{key} differs on {threads} threads in chunks of {chunk} steps"


def test_a_blow_up_stops_every_thread_at_the_same_step():
    steps = []
    for threads in THREADS:
        net = _example("cuba")
        net.populations["E"].state.set("v", np.where(np.arange(3200) == 3100, np.nan, -55.0))
        sim = Simulation(net, threads=threads)
        with pytest.raises(SimulationError, match=r"^numerical blow-up in population `E`: neuron 3100, variable `v`"):
            sim.run(0.01)
        steps.append(sim.step)
    assert steps[1:] == steps[:-1]


@pytest.mark.parametrize("threads", [0, -2, 65])
def test_a_number_of_threads_out_of_range_is_refused(threads):
    with pytest.raises(SimulationError, match=r"^threads: the number of threads must be from 1 to 64, not -?\d+$"):
        Simulation(_plastic_network(), threads=threads)


def test_max_threads_is_what_the_machine_has():
    assert 1 <= max_threads() <= 64


def _os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts the process's threads in /proc")
def test_the_team_is_kept_between_chunks_and_ends_with_the_kernel_or_a_new_count():
    sim = Simulation(_plastic_network(), chunk_steps=50, threads=1)
    sim.run(0.01)
    alone = _os_threads()  # with whatever else the run started (the native tier's compiler, ...)
    sim.network.kernel.set_threads(4)
    sim.run(0.01)
    assert _os_threads() == alone + 3  # three members sleep between chunks and runs
    sim.run(0.01)
    assert _os_threads() == alone + 3
    sim.network.kernel.set_threads(2)
    sim.run(0.01)
    assert _os_threads() == alone + 1
    del sim
    gc.collect()
    assert _os_threads() <= alone


_FORKED: list[Simulation] = []  # the simulation a forked child finds in its copy of the parent's memory


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_on_a_team_of_its_own():
    """The parent's members do not exist in a child made by fork: the child starts its own and gets the same
    bits as a run that was never forked."""
    whole = Simulation(_example("cuba"), threads=2)
    whole.run(0.02)
    sim = Simulation(_example("cuba"), threads=2)
    sim.run(0.01)
    _FORKED[:] = [sim]
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            child = pool.apply_async(_run_forked, (0.01,)).get(timeout=120)  # a child waiting for members hangs
    finally:
        _FORKED.clear()
    for name in whole.network.populations:
        np.testing.assert_array_equal(child[name], whole.spikes(name)[0])


def _run_forked(duration_s: float) -> dict[str, np.ndarray]:
    sim = _FORKED[0]
    sim.run(duration_s)
    return {name: sim.spikes(name)[0] for name in sim.network.populations}


def test_only_the_largest_population_is_split_and_unevenly_so_that_the_threads_balance():
    net = _example("cuba")
    e, i = (net.populations[name].index for name in ("E", "I"))
    net.kernel.set_threads(2)
    assert net.kernel.shares(i) == [(0, 800), (800, 800)]
    assert net.kernel.shares(e) == [(0, 1216), (1216, 3200)]
    net.kernel.set_threads(3)
    assert net.kernel.shares(i) == [(0, 800), (800, 800), (800, 800)]
    assert net.kernel.shares(e) == [(0, 512), (512, 1856), (1856, 3200)]


def test_populations_that_balance_whole_are_not_split():
    net = _whole_populations_network()
    a, b, c = (net.populations[name].index for name in "abc")
    net.kernel.set_threads(2)
    assert [net.kernel.shares(p) for p in (a, b, c)] == [[(0, 700), (700, 700)], [(0, 0), (0, 650)],
                                                          [(0, 0), (0, 90)]]
    net.kernel.set_threads(4)  # whole, or with a alone split, a thread would have 650 of 1,440 neurons
    assert net.kernel.shares(c) == [(0, 90), (90, 90), (90, 90), (90, 90)]
    assert net.kernel.shares(a) == [(0, 256), (256, 640), (640, 700), (700, 700)]
    assert net.kernel.shares(b) == [(0, 0), (0, 0), (0, 320), (320, 650)]


@pytest.mark.parametrize("fmt", [None, QFormat.parse("Q16.16")], ids=["float", "fixed"])
def test_the_arrays_threads_cut_start_on_a_cache_line(fmt):
    """Cuts fall at multiples of 64 neurons; with the arrays on a line no line holds two threads' neurons."""
    net = _example("brunel", fmt)
    for pop in net.populations.values():
        for values in (pop.state.slots, pop.state.refc):
            assert values.ctypes.data % 64 == 0 and values.flags["C_CONTIGUOUS"] and values.shape[-1] == pop.size
        assert np.array_equal(pop.state.refc, np.zeros(pop.size, dtype=np.int32))


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_every_population_is_shared_out_in_neuron_order_and_the_threads_balance(threads):
    net = _example("microcircuit")
    net.kernel.set_threads(threads)
    load = [0] * threads
    for pop in net.populations.values():
        shares = net.kernel.shares(pop.index)
        assert [lo for lo, _ in shares[1:]] == [hi for _, hi in shares[:-1]]
        assert shares[0][0] == 0 and shares[-1][1] == pop.size
        sizes = [hi - lo for lo, hi in shares]
        if sum(s > 0 for s in sizes) > 1:
            assert all(lo % 64 == 0 for lo, hi in shares if hi > lo)
        for th, size in enumerate(sizes):
            load[th] += size
    assert max(load) * threads <= 1.05 * sum(load)
    whole = sum(max(hi - lo for lo, hi in net.kernel.shares(pop.index)) == pop.size
                for pop in net.populations.values())
    assert whole == (8 if threads < 4 else 6)  # on four threads L23E and L4E are split
