"""The memory a network needs, estimated from its definition, and the refusal of one too large."""

import pytest

from engine.errors import SimulationError
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule, expected_connections
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.footprint import (NetworkTooLargeError, available_memory, estimate_memory, format_bytes,
                                      memory_problem)
from engine.run.simulation import Simulation

LIF = get_model("iaf_psc_exp")


def network(n: int, p: float = 0.1) -> NetworkDef:
    return NetworkDef((PopulationDef("E", LIF, n),),
                      (ProjectionDef("EE", "E", "E", Rule("pairwise_bernoulli", p=p), "10 pA", "1.5 ms"),),
                      (DeviceDef("drive", "poisson_generator", "E", {"rate": "10 Hz"}, weight="20 pA"),
                       DeviceDef("v", "voltmeter", "E")))


@pytest.mark.parametrize("rule, expected", [
    (Rule("all_to_all"), 200), (Rule("one_to_one"), 10), (Rule("pairwise_bernoulli", p=0.25), 50),
    (Rule("fixed_indegree", k=3), 60), (Rule("fixed_outdegree", k=3), 30), (Rule("fixed_total_number", n=7), 7),
    (Rule("explicit", sources=(0, 1), targets=(2, 3)), 2)])
def test_each_rule_has_its_expected_number_of_connections(rule, expected):
    assert expected_connections(rule, 10, 20) == expected


def test_the_estimate_names_every_part_and_grows_with_the_network():
    small, large = estimate_memory(network(1000)), estimate_memory(network(10_000))
    assert [what for what, _ in small.parts] == ["population `E`", "projection `EE`",
                                                 "drawing the connections of `EE`", "device `drive`", "device `v`"]
    small_parts, large_parts = dict(small.parts), dict(large.parts)
    assert large_parts["population `E`"] == 10 * small_parts["population `E`"]
    drawing = "drawing the connections of `EE`"
    assert large_parts[drawing] == 100 * small_parts[drawing]  # connections grow with the square of the size
    assert large.largest()[0] == "drawing the connections of `EE`"


def test_the_estimate_is_not_below_what_the_build_stores():
    net = network(2000)
    built = build_network(net)
    stored = sum(p.state.slots.nbytes for p in built.populations.values())
    stored += sum(p.nbytes for p in built.projections.values())
    assert estimate_memory(net).total > stored


def test_a_network_larger_than_the_memory_is_refused_before_anything_is_allocated():
    huge = network(10_000_000_000)
    with pytest.raises(NetworkTooLargeError, match=r"^the network needs about [\d,]+ PiB of memory \(most of it "
                                                   r"for drawing the connections of `EE`\), but this machine has "
                                                   r"1 TiB available; make it smaller$"):
        build_network(huge, available_memory=2**40)
    with pytest.raises(NetworkTooLargeError, match=r"needs about [\d.]+ KiB of memory \(most of it for device "
                                                   r"`drive`\), but this machine has 1 KiB available"):
        build_network(network(100, p=0.5), available_memory=1024)
    assert memory_problem(network(100), available=2**30) is None


def test_available_memory_is_read_from_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n")
    assert available_memory(meminfo) == 20_000_000 * 1024
    assert available_memory(tmp_path / "missing") is None
    meminfo.write_text("MemTotal:       32000000 kB\n")
    assert available_memory(meminfo) is None


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (447 * 2**30, "447 GiB"),
                                     (56_800 * 2**50, "56,800 PiB")])
def test_sizes_read_as_a_person_writes_them(n, text):
    assert format_bytes(n) == text


def test_an_initial_value_that_is_not_finite_is_refused_by_neuron():
    net = NetworkDef((PopulationDef("E", LIF, 4, initial={"V_m": "E_L + exp(1000*i)*mV"}),))
    with pytest.raises(NetworkError, match=r"^population `E`, initial `V_m`: `E_L \+ exp\(1000\*i\)\*mV` "
                                           r"is inf for neuron 1 \(3 of 4 neurons\); a value must be a finite "
                                           r"number$"):
        build_network(net)


def test_a_numerical_failure_of_a_device_is_the_engine_s_message():
    net = NetworkDef((PopulationDef("E", LIF, 2),),
                     devices=(DeviceDef("drive", "ac_generator", "E", {"amplitude": "1e300 A", "offset": "1.7e308 pA",
                                                                   "frequency": "10 Hz"}),))
    sim = Simulation(build_network(net))
    with pytest.raises(SimulationError, match=r"^device `drive` cannot make its input at t = 0 ms: "):
        sim.run(1e-3)
