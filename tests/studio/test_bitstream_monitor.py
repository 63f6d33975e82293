"""The bitstream scope's numbers, Qt-free: density against the expected value, effective bits, popcount, SCC,
the triggers, and the streams of an SC projection rebuilt bit for bit from a run's spikes."""

from __future__ import annotations

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from engine.network.sc_projection import ScProjection, decode
from engine.run.simulation import Simulation, StreamBuffer
from engine.stochastic.sc_streams import pack
from studio.playground.bitstream_monitor import BitstreamMonitor, DensityTrigger, SccTrigger, effective_bits
from studio.playground.projection_streams import ProjectionProbe, emission_steps
from studio.project.project_file import load_network
from tests.views.helpers import ROOT

SC_DEMO = ROOT / "resources" / "examples" / "sc_demo.ncsproj"


def _stream(ones: int, length: int = 64, start: int = 0) -> np.ndarray:
    bits = np.zeros(length, dtype=bool)
    bits[start:start + ones] = True
    return pack(bits)


def test_density_popcount_and_effective_bits_of_each_step():
    monitor = BitstreamMonitor(64)
    monitor.add(0.1, {"a": _stream(16)}, {"a": 0.25})
    monitor.add(0.2, {"a": _stream(20)}, {"a": 0.25})
    series = monitor.series("a")
    assert series.t_ms.tolist() == [0.1, 0.2]
    assert series.popcount.tolist() == [16, 20]
    assert series.density.tolist() == [0.25, 0.3125]
    assert series.effective_bits.tolist() == [6.0, 4.0]  # exact: log2 64; off by 1/16: 4 bits
    assert effective_bits(0.5, 0.375, 1024) == 3.0


def test_the_history_keeps_the_newest_steps_oldest_first():
    monitor = BitstreamMonitor(64, capacity=3)
    for k in range(5):
        monitor.add(float(k), {"a": _stream(k)}, {"a": 0.0})
    series = monitor.series("a")
    assert series.t_ms.tolist() == [2.0, 3.0, 4.0] and series.popcount.tolist() == [2, 3, 4]


def test_scc_of_identical_disjoint_and_overlapping_streams():
    monitor = BitstreamMonitor(64)
    monitor.add(0.0, {"a": _stream(32), "b": _stream(32), "c": _stream(32, start=32)}, dict.fromkeys("abc", 0.5))
    assert monitor.scc_series("a", "b")[1].tolist() == [1.0]
    assert monitor.scc_series("a", "c")[1].tolist() == [-1.0]


def test_triggers_fire_on_a_density_out_of_band_and_a_correlated_pair():
    monitor = BitstreamMonitor(64)
    monitor.triggers = [DensityTrigger("a", 0.1), SccTrigger("a", "b", 0.5)]
    alternate = pack(np.arange(64) % 2 == 0)  # half of it overlaps the first 32 bits: SCC 0
    assert monitor.add(0.1, {"a": _stream(32), "b": alternate}, {"a": 0.5, "b": 0.5}) == []
    hits = monitor.add(0.2, {"a": _stream(48), "b": _stream(48)}, {"a": 0.5, "b": 0.75})
    assert [str(h) for h in hits] == ["t = 0.2 ms: a: density outside expected ± 0.1 (density error +0.250)",
                                      "t = 0.2 ms: |SCC(a, b)| > 0.5 (SCC +1.000)"]
    assert monitor.hits == hits and hits[0].step == 1


@pytest.fixture(scope="module")
def sc_run():
    """The SC demo run in Q16.16 (in Q8.8 it does not spike) for 100 ms, and its chunks as the studio
    receives them."""
    _, network = load_network(SC_DEMO, fmt=QFormat.parse("Q16.16"))
    buffer = StreamBuffer(max_chunks=100_000)
    Simulation(network, chunk_steps=50).run(0.1, stream=buffer)
    return network, buffer.take()


def _probe(network, name: str, emitted: int = 0) -> ProjectionProbe:
    sc = network.sc[name]
    return ProjectionProbe(sc, network.projections[name].source.name, int(sc.plan.targets[0]), network.dt * 1e3,
                           emitted)


@pytest.mark.parametrize("name", ["EE", "IE"])
def test_the_output_stream_decodes_to_what_the_projection_delivers(sc_run, name):
    network, chunks = sc_run
    sc, dt_ms = network.sc[name], network.dt * 1e3
    source = network.projections[name].source
    probe = _probe(network, name)
    reference = ScProjection(sc.plan, sc.target_size)  # the engine's own emission, step by step
    monitor = BitstreamMonitor(sc.plan.length, capacity=100_000)
    delivered = []
    for chunk in chunks:
        probe.feed(monitor, chunk.spikes)
        times, neurons = chunk.spikes[source.name]
        steps = np.rint(times / dt_ms).astype(int) - 1
        for step in np.unique(steps):
            active = np.zeros(source.size, dtype=bool)
            active[neurons[steps == step]] = True
            delivered.append(int(reference.emit(active)[probe.target]))
    assert reference.position == sc.position  # as many words drawn as the run drew
    assert len(delivered) > 10 and any(delivered)
    counts = np.zeros(sc.plan.targets.size, dtype=np.int64)
    decoded = []
    for popcount in monitor.series("output").popcount:  # as the engine decodes each target's popcount
        counts[probe.row] = popcount
        decoded.append(int(decode(sc.plan, counts)[probe.row]))
    assert decoded == delivered
    weight = monitor.series("weight")
    assert np.all(weight.expected == sc.plan.levels[sc.plan.starts[probe.row]] / 65536)


def test_a_probe_that_joins_a_run_late_draws_the_run_s_words(sc_run):
    network, chunks = sc_run
    half = len(chunks) // 2
    early, late = _probe(network, "EE"), None
    first, second = BitstreamMonitor(256), BitstreamMonitor(256)
    emitted = 0
    for k, chunk in enumerate(chunks):
        if k == half:
            late = _probe(network, "EE", emitted)
        early.feed(first, chunk.spikes)
        if late is not None:
            late.feed(second, chunk.spikes)
        emitted += emission_steps(chunk.spikes, "E", network.dt * 1e3)
    n = second.steps
    assert n > 5
    assert first.series("output").popcount[-n:].tolist() == second.series("output").popcount.tolist()


def test_a_target_without_inputs_is_refused_by_name(sc_run):
    network, _ = sc_run
    sc = network.sc["IE"]
    missing = next(j for j in range(sc.target_size + 1) if j not in set(sc.plan.targets.tolist()))
    with pytest.raises(ValueError, match=rf"^neuron {missing} has no inputs in IE$"):
        ProjectionProbe(sc, "I", missing, 0.1)
