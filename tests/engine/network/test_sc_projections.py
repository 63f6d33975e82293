"""SC projections: the arithmetic setting, its checks, and the bits an SC projection delivers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import Arithmetic, arithmetic_problems
from engine.network.sc_projection import SELECT_SOURCE
from engine.run.simulation import Simulation
from engine.stochastic.sc_sources import default_seed, source_words
from studio.project.network_def import network_def
from studio.project.project_file import read_project

ROOT = Path(__file__).resolve().parents[3]
SC_DEMO = ROOT / "resources" / "examples" / "sc_demo.ncsproj"
Q16 = QFormat.parse("Q16.16")


def _demo():
    doc = read_project(SC_DEMO)
    problems = []
    net = network_def(doc, problems)
    assert problems == []
    return net


def test_arithmetic_settings_are_checked_field_by_field():
    assert arithmetic_problems({"mode": "sc", "source": "sobol16", "length": 128}) == []
    assert arithmetic_problems({"mode": "fixed", "format": "Q8.8"}) == []
    assert arithmetic_problems({"mode": "fast"}) == [
        ("mode", "arithmetic mode must be one of float, fixed, sc, not 'fast'")]
    problems = dict(arithmetic_problems({"mode": "sc", "source": "lfsr", "length": 100, "format": "Q8.8"}))
    assert problems["format"] == "`format` is not a setting of sc arithmetic (it takes mode, source, length, seed)"
    assert problems["source"] == "SC source must be one of lfsr16, sobol16, halton, not 'lfsr'"
    assert problems["length"].startswith("SC length must be a power of two from 64 to 4096")
    assert dict(arithmetic_problems({"mode": "sc", "source": "lfsr16", "length": 64, "seed": 0}))["seed"] \
        == "lfsr16 seed must be 1..65535, not 0"
    assert dict(arithmetic_problems({"mode": "fixed", "format": "R8"}))["format"].startswith("`R8` is not a Q format")


def test_a_project_names_the_projection_and_field_of_a_bad_setting():
    doc = read_project(SC_DEMO)
    projections = list(doc.projections)
    projections[1] = replace(projections[1], arithmetic={"mode": "sc", "source": "sobol16", "length": 100})
    problems = []
    assert network_def(replace(doc, projections=tuple(projections)), problems) is None
    assert [(p.field, p.message) for p in problems] == [
        ("projections[1].arithmetic.length", "projection `EI`, arithmetic: SC length must be a power of two from "
         "64 to 4096 (64, 128, 256, 512, 1024, 2048, 4096), not 100")]


def _reference(network, name: str, spike_steps, spike_neurons, steps: int) -> dict[int, np.ndarray]:
    """docs/stochastic-computing.md, "SC projections", written out bit by bit."""
    proj = network.projections[name]
    index = list(network.projections).index(name)
    setting = proj.definition.arithmetic
    raw = proj.raw_weights if proj.weights is not None else np.full(proj.n_connections, proj.raw_weight)
    m = int(np.abs(raw).max()).bit_length()
    sign = -1 if (raw < 0).any() else 1
    seed = setting.seed if setting.seed is not None else default_seed(setting.source, index)
    select = SELECT_SOURCE[setting.source]
    data_words = source_words(setting.source, 65536 * 4, seed)
    select_words = source_words(select, 65536 * 4, default_seed(select, index))
    inputs = {}
    for k, (s, t) in enumerate(zip(proj.sources(), proj.targets)):
        inputs.setdefault(int(t), []).append((int(s), (abs(int(raw[k])) << 16) >> m))
    length, position, out = setting.length, 0, {}
    for t in range(steps):
        active = set(int(n) for n in spike_neurons[spike_steps == t])
        if not active:
            continue
        value = np.zeros(proj.target.size, dtype=np.int64)
        for j in sorted(inputs):
            n, ones = len(inputs[j]), 0
            for _ in range(length):
                source, level = inputs[j][(int(select_words[position]) * n) >> 16]
                ones += source in active and int(data_words[position]) < level
                position += 1
            value[j] = sign * (((ones * n) << m) >> (length.bit_length() - 1))
        out[t + proj.delay] = value
    return out


def test_an_sc_projection_delivers_the_documented_bits():
    network = build_network(_demo(), Q16)
    assert set(network.sc) == {"EE", "EI", "IE"} and network.longest_chunk == 10
    sim = Simulation(network, chunk_steps=7)
    arrivals = {name: {} for name in network.sc}
    for name, sc in network.sc.items():
        original = sc.after_chunk

        def spy(*args, sc=sc, original=original, seen=arrivals[name]):
            original(*args)
            seen.update(sc.pending)
        sc.after_chunk = spy
    sim.run(0.03)
    for name in ("EI", "IE"):
        source = network.projections[name].source.name
        steps = np.concatenate(sim.recording.spike_steps[source])
        neurons = np.concatenate(sim.recording.spike_neurons[source])
        expected = _reference(network, name, steps, neurons, 300)
        assert expected and set(expected) == set(arrivals[name])
        for step, value in expected.items():
            np.testing.assert_array_equal(arrivals[name][step], value, err_msg=f"{name}, arrival step {step}")


def test_runs_in_chunks_give_one_runs_bits_and_sc_is_not_exact_arithmetic():
    whole = Simulation(build_network(_demo(), Q16))
    whole.run(0.2)
    parts = Simulation(build_network(_demo(), Q16), chunk_steps=3)
    parts.run(0.1)
    parts.run(0.1)
    for pop in ("E", "I"):
        np.testing.assert_array_equal(whole.spikes(pop)[1], parts.spikes(pop)[1])
        assert whole.spikes(pop)[0].size > 50  # lively
    net = _demo()
    exact = Simulation(build_network(type(net)(tuple(p for p in net.populations),
                                               tuple(type(q)(**{**vars(q), "arithmetic": None})
                                                     for q in net.projections), net.devices, net.dt, net.seed), Q16))
    exact.run(0.2)
    assert not np.array_equal(exact.spikes("E")[1], whole.spikes("E")[1])


def test_a_float_run_computes_sc_projections_in_float_and_says_so():
    network = build_network(_demo())
    assert network.sc == {}
    assert network.notes[0] == ("projection `EE`: sc arithmetic applies to fixed-point runs; this float run "
                                "computes it in float")


def test_what_sc_cannot_do_is_refused_by_projection_and_field():
    net = _demo()

    def changed(name, **fields):
        projections = tuple(type(q)(**{**vars(q), **fields}) if q.name == name else q for q in net.projections)
        return type(net)(net.populations, projections, net.devices, net.dt, net.seed)

    with pytest.raises(NetworkError, match=r"^projection `II`: float arithmetic cannot run in a Q16\.16 network") as e:
        build_network(changed("II", arithmetic=Arithmetic("float")), Q16)
    assert e.value.location.field == "arithmetic.mode"
    with pytest.raises(NetworkError, match=r"^projection `II`: arithmetic Q8\.8 differs from the run's Q16\.16"):
        build_network(changed("II", arithmetic=Arithmetic("fixed", "Q8.8")), Q16)
    with pytest.raises(NetworkError, match=r"^projection `EE`: SC arithmetic needs one delay for the projection"):
        build_network(changed("EE", delay="1*ms + 1*ms*rand()"), Q16)
    with pytest.raises(NetworkError, match=r"^projection `EE`: SC arithmetic needs weights of one sign"):
        build_network(changed("EE", rule=Rule("explicit", sources=(0, 1), targets=(2, 3), weights=(1.0, -1.0))), Q16)


def test_a_population_setting_applies_to_its_incoming_projections():
    net = _demo()
    populations = tuple(type(p)(**{**vars(p), "arithmetic": Arithmetic("sc", source="halton", length=64)})
                        if p.name == "I" else p for p in net.populations)
    projections = tuple(type(q)(**{**vars(q), "arithmetic": None}) for q in net.projections)
    network = build_network(type(net)(populations, projections, net.devices, net.dt, net.seed), Q16)
    assert set(network.sc) == {"EI", "II"}
    assert network.sc["II"].plan.streams() == [
        {"projection": "II", "stream": "data", "source": "halton", "seed": default_seed("halton", 3)},
        {"projection": "II", "stream": "select", "source": "lfsr16", "seed": default_seed("lfsr16", 3)}]
