"""NIR graphs (the nir package) import into projects that build and run, export to files nir.read loads, and
round-trip to the same network and the same spikes."""

from dataclasses import dataclass, replace

import nir
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.network.build import build_network
from engine.run.simulation import Simulation
from studio.interop.nir_export import export_nir, graph_from_project
from studio.interop.nir_import import import_nir, project_from_graph
from studio.interop.nir_lowering import NirError
from studio.project.network_def import network_def
from studio.project.project_file import read_project, write_project


def lif(n, tau=2e-3, v_threshold=1.0, v_reset=0.0):
    return nir.LIF(tau=np.full(n, tau), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.full(n, v_threshold),
                   v_reset=np.full(n, v_reset))


def two_layers(seed=0):
    """Input(3) -> Affine -> LIF(4) -> Linear -> CubaLIF(2) -> Output, as snnTorch's exports are laid out."""
    rng = np.random.default_rng(seed)
    return nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([3])}),
        "fc1": nir.Affine(weight=rng.uniform(8.0, 20.0, size=(4, 3)), bias=np.array([0.2, 0.0, 0.0, 0.4])),
        "lif1": lif(4),
        "fc2": nir.Linear(weight=rng.uniform(10.0, 30.0, size=(2, 4))),
        "cuba": nir.CubaLIF(tau_syn=np.full(2, 5e-3), tau_mem=np.array([0.01, 0.02]), r=np.ones(2),
                            v_leak=np.zeros(2), v_threshold=np.full(2, 0.05), v_reset=np.zeros(2), w_in=np.ones(2)),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }, edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "cuba"), ("cuba", "output")])


def driven(doc, times=(0.5e-3, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 5.1e-3, 8e-3)):
    """``doc`` with its input's spike generator given spike times (seconds)."""
    devices = tuple(replace(d, params={"spike_times": tuple(f"{t * 1e3!r} ms" for t in times)})
                    if d.kind == "spike_generator" else d for d in doc.devices)
    return replace(doc, devices=devices)


def spikes(doc, duration=0.02):
    """Every spike of every population: {population: (times, senders)}."""
    problems = []
    definition = network_def(doc, problems)
    assert not problems, problems
    sim = Simulation(build_network(definition))
    sim.run(duration)
    return {name: sim.spikes(name) for name in sim.network.populations}


def weight_matrix(projection) -> np.ndarray:
    """The summed weight of a built projection between every source and target (float32, as the engine adds)."""
    matrix = np.zeros((projection.source.size, projection.target.size), dtype=np.float32)
    np.add.at(matrix, (projection.sources(), projection.targets.astype(np.int64)), projection.weights)
    return matrix


def assert_same_spikes(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name][0], b[name][0], err_msg=name)
        np.testing.assert_array_equal(a[name][1], b[name][1], err_msg=name)


def test_a_graph_built_with_nir_imports_builds_and_runs():
    doc = project_from_graph(two_layers())
    assert [(p.name, p.model, p.size) for p in doc.populations] == [
        ("input", "nir_Input", 3), ("lif1", "nir_LIF", 4), ("cuba", "nir_CubaLIF", 2)]
    assert [(p.name, p.source, p.target, p.rule.name, len(p.rule.weights)) for p in doc.projections] == [
        ("fc1", "input", "lif1", "explicit", 12), ("fc2", "lif1", "cuba", "explicit", 8)]
    assert doc.populations[1].parameters["bias"] == (0.2, 0.0, 0.0, 0.4)
    assert doc.populations[2].parameters["tau_mem"] == ("0.01 s", "0.02 s")
    assert [(d.name, d.kind, d.target) for d in doc.devices] == [
        ("input_spikes", "spike_generator", "input"), ("output", "spike_recorder", "cuba")]
    fired = spikes(driven(doc))
    assert fired["input"][0].size == 3 * 8
    assert fired["lif1"][0].size > 0 and fired["cuba"][0].size > 0


def test_the_input_enters_as_forward_euler_with_the_step_held():
    """One input spike of weight w raises v by dt/tau * r * w in the step it arrives, then v leaks by
    (1 - dt/tau) per step, as snnTorch's Leaky (beta = 1 - dt/tau) computes it."""
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([1])}),
                                "w": nir.Linear(weight=np.array([[8.0]])), "lif": lif(1, tau=1e-3, v_threshold=10.0),
                                "out": nir.Output(output_type={"output": np.array([1])})},
                         edges=[("input", "w"), ("w", "lif"), ("lif", "out")])
    doc = driven(project_from_graph(graph, dt=1e-4), times=(1e-4,))
    problems = []
    sim = Simulation(build_network(network_def(doc, problems)))
    v = []
    for _ in range(5):
        sim.run(1e-4)
        v.append(float(sim.network.population("lif").state.get("v")[0]))
    # The generator's spike at 0.1 ms makes the input neuron fire in step 1; it reaches lif one step later.
    assert v[:2] == [0.0, 0.0]
    assert v[2] == pytest.approx(0.1 * 8.0)
    assert v[3] == pytest.approx(0.8 * 0.9)
    assert v[4] == pytest.approx(0.8 * 0.9 ** 2)


def test_snntorch_leaky_with_one_beta_takes_its_size_from_the_layer_before_and_decays_by_beta():
    """snnTorch exports Leaky(beta) as LIF(tau = dt/(1 - beta), r = tau/dt) with scalar parameters (dt = 0.1 ms);
    below threshold the imported layer computes snnTorch's mem = beta*mem + W x, one step later."""
    dt, beta = 1e-4, 0.9
    tau = dt / (1 - beta)
    weight = np.array([[0.3, 0.2], [0.1, 0.05], [0.0, 0.25]])
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([2])}),
        "fc": nir.Linear(weight=weight),
        "lif": nir.LIF(tau=np.array(tau), r=np.array(tau / dt), v_leak=np.array(0.0), v_threshold=np.array(1.0),
                       v_reset=np.array(0.0)),
        "out": nir.Output(output_type={"output": np.array([3])})},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "out")], type_check=False)
    doc = driven(project_from_graph(graph), times=(1e-4, 2e-4))
    assert doc.populations[1].size == 3 and doc.populations[1].parameters["r"] == pytest.approx(10.0)
    problems = []
    sim = Simulation(build_network(network_def(doc, problems)))
    mem, expected = [], np.zeros(3)
    for step in range(6):
        sim.run(dt)
        mem.append(sim.network.population("lif").state.get("v").copy())
    # Input spikes in steps 1 and 2 (both inputs) reach lif in steps 2 and 3.
    for step in range(6):
        expected = beta * expected + (weight.sum(axis=1) if step in (2, 3) else 0.0)
        np.testing.assert_allclose(mem[step], expected, rtol=1e-6, atol=1e-12)


def test_a_graph_written_by_nir_write_reads_back_and_runs(tmp_path):
    path = tmp_path / "net.nir"
    nir.write(path, two_layers())
    doc = import_nir(path)
    assert doc == replace(project_from_graph(two_layers()), description=doc.description)
    assert "net.nir" in doc.description
    assert spikes(driven(doc))["cuba"][0].size > 0


def test_export_writes_a_graph_nir_reads(tmp_path):
    doc = project_from_graph(two_layers())
    path = export_nir(doc, tmp_path / "out.nir")
    graph = nir.read(path)
    assert {k: type(v).__name__ for k, v in graph.nodes.items()} == {
        "input": "Input", "lif1": "LIF", "cuba": "CubaLIF", "fc1": "Affine", "fc2": "Affine", "output": "Output"}
    assert sorted(graph.edges) == sorted([("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "cuba"),
                                          ("cuba", "output")])
    assert float(graph.metadata["dt"]) == 1e-4
    np.testing.assert_array_equal(graph.nodes["fc1"].bias, [0.2, 0.0, 0.0, 0.4])
    np.testing.assert_array_equal(graph.nodes["cuba"].tau_mem, [0.01, 0.02])


def test_round_trip_gives_the_same_network_and_the_same_spikes(tmp_path):
    first = project_from_graph(two_layers())
    write_project(tmp_path / "a.ncsproj", first)
    export_nir(read_project(tmp_path / "a.ncsproj"), tmp_path / "a.nir")
    second = import_nir(tmp_path / "a.nir")
    assert replace(second, description=None) == replace(first, description=None)
    assert_same_spikes(spikes(driven(first)), spikes(driven(second)))


def test_a_project_with_drawn_connections_and_delays_round_trips_spike_for_spike():
    """Rules other than explicit are exported as the connections the build drew; a delay of k steps becomes a
    NIR Delay of k - 1 steps (an edge without one takes the engine's minimal delay, one step)."""
    doc = project_from_graph(two_layers())
    hidden = doc.projections[0]
    drawn = replace(hidden, rule=replace(hidden.rule, name="fixed_indegree", k=2, sources=None, targets=None,
                                         weights=None), weight=1.5, delay="0.4 ms")
    doc = driven(replace(doc, projections=(drawn, doc.projections[1]), seed=3))
    graph = graph_from_project(doc)
    assert float(graph.nodes["fc1_delay"].delay[0]) == pytest.approx(3e-4)
    back = driven(project_from_graph(graph))
    assert back.projections[0].delay == "0.0004 s"
    drawn_net, back_net = (build_network(network_def(d, [])) for d in (doc, back))
    for name in ("fc1", "fc2"):  # the same weight between every pair (a multapse's weights summed), same delay
        a, b = drawn_net.projections[name], back_net.projections[name]
        np.testing.assert_array_equal(weight_matrix(a), weight_matrix(b))
        assert a.delay == b.delay
    assert_same_spikes(spikes(doc), spikes(back))


def test_convolution_and_pooling_are_lowered_to_explicit_connections():
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(2, 1, 3, 3))
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
        "conv": nir.Conv2d(input_shape=(6, 6), weight=weight, stride=1, padding=1, dilation=1, groups=1,
                           bias=np.array([0.5, -0.5])),
        "lif1": lif(2 * 6 * 6),  # flat parameters: the layer takes the shape of the convolution's output
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([2, 3, 3])}, start_dim=0),
        "fc": nir.Linear(weight=np.ones((1, 18))),
        "lif2": lif(1),
        "out": nir.Output(output_type={"output": np.array([1])}),
    }, edges=[("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flat"), ("flat", "fc"),
              ("fc", "lif2"), ("lif2", "out")], type_check=False)
    doc = project_from_graph(graph)
    conv, pooled = doc.projections
    # Output (c, y, x) of the 3x3 convolution, padding 1: in(0, y+dy-1, x+dx-1) * weight[c, 0, dy, dx].
    matrix = np.zeros((72, 36))
    matrix[conv.rule.targets, conv.rule.sources] = conv.rule.weights
    assert matrix[1 * 36 + 2 * 6 + 3, 0 * 36 + 1 * 6 + 4] == pytest.approx(weight[1, 0, 0, 2], rel=1e-6)
    assert matrix[0, 7] == pytest.approx(weight[0, 0, 2, 2], rel=1e-6)
    assert np.count_nonzero(matrix[0]) == 4  # the corner sees a 2x2 patch
    assert doc.populations[1].parameters["bias"] == tuple([0.5] * 36 + [-0.5] * 36)
    # Pooling 2x2 then the sum: every lif1 neuron reaches lif2 once, with weight 1.
    assert pooled.source == "lif1" and sorted(pooled.rule.sources) == list(range(72))
    assert set(pooled.rule.weights) == {1.0}
    assert pooled.name == "pool"


def test_nir_delay_nodes_become_the_projection_delay():
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "w": nir.Scale(scale=np.array([2.0, 3.0])), "d": nir.Delay(delay=np.full(2, 2e-3)),
                                "n": nir.IF(r=np.full(2, 1e4), v_threshold=np.ones(2), v_reset=np.zeros(2))},
                         edges=[("input", "w"), ("w", "d"), ("d", "n")])
    doc = project_from_graph(graph, dt=1e-3)
    (projection,) = doc.projections
    assert (projection.name, projection.delay, projection.rule.weights) == ("w", "0.003 s", (2.0, 3.0))
    assert doc.populations[1].parameters["r"] == "10000.0 Hz"
    assert doc.devices[0].delay == "0.001 s"  # the generator's delay is one step, as every edge's
    fired = spikes(driven(doc, times=(1e-3,)))
    # The input fires in step 1 (stamped 2 ms); the delayed input (3 steps) reaches n in step 4, where
    # v = dt*r*w = 20 and 30 pass the threshold: spikes stamped 5 ms.
    np.testing.assert_allclose(fired["n"][0], [5.0, 5.0])


@dataclass(eq=False)
class Custom(nir.NIRNode):
    """A node type of someone else's making."""

    gain: float = 1.0

    def __post_init__(self):
        self.input_type = {"input": np.array([1])}
        self.output_type = {"output": np.array([1])}


def test_an_unsupported_node_is_refused_by_name_and_type():
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([1])}), "odd": Custom(),
                                "out": nir.Output(output_type={"output": np.array([1])})},
                         edges=[("input", "odd"), ("odd", "out")], type_check=False)
    with pytest.raises(NirError, match=r"^node `odd` \(Custom\) is not supported: NeuroCore Studio reads Input, "):
        project_from_graph(graph)


def test_an_unsupported_node_in_a_file_is_refused_by_name_and_type_even_inside_a_graph(tmp_path):
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([1])}), "gain": Custom(),
                                "o": nir.Output(output_type={"output": np.array([1])})},
                         edges=[("i", "gain"), ("gain", "o")], type_check=False)
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([1])}), "block": inner,
                                "out": nir.Output(output_type={"output": np.array([1])})},
                         edges=[("input", "block"), ("block", "out")], type_check=False)
    nir.write(tmp_path / "nested.nir", graph)
    with pytest.raises(NirError, match=r"^node `block.gain` \(Custom\) is not supported: "):
        import_nir(tmp_path / "nested.nir")


def recurrent_layer():
    """snnTorch's RLeaky as it exports it: a graph inside the graph, its LIF feeding itself through w_rec."""
    return nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([3])}), "lif": lif(3, tau=1e-3),
                               "w_rec": nir.Linear(weight=np.array([[0, 5.0, 0], [0, 0, 5.0], [5.0, 0, 0]])),
                               "output": nir.Output(output_type={"output": np.array([3])})},
                        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])


def test_a_graph_inside_the_graph_is_spliced_in(tmp_path):
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "fc1": nir.Linear(weight=np.full((3, 2), 12.0)), "rnn": recurrent_layer(),
                                "out": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("input", "fc1"), ("fc1", "rnn"), ("rnn", "out")], type_check=False)
    doc = project_from_graph(graph)
    assert [p.name for p in doc.populations] == ["input", "rnn_lif"]
    assert [(p.name, p.source, p.target) for p in doc.projections] == [
        ("fc1", "input", "rnn_lif"), ("rnn_w_rec", "rnn_lif", "rnn_lif")]
    assert [(d.name, d.kind, d.target) for d in doc.devices] == [
        ("input_spikes", "spike_generator", "input"), ("out", "spike_recorder", "rnn_lif")]
    nir.write(tmp_path / "rnn.nir", graph)
    assert replace(import_nir(tmp_path / "rnn.nir"), description=None) == replace(doc, description=None)
    assert spikes(driven(doc))["rnn_lif"][0].size > 0


def test_a_delay_that_differs_between_elements_is_refused_by_node_and_field():
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "d": nir.Delay(delay=np.array([1e-3, 2e-3])), "n": lif(2)},
                         edges=[("input", "d"), ("d", "n")])
    with pytest.raises(NirError, match=r"^node `d` \(Delay\), delay: the delays differ"):
        project_from_graph(graph)


def test_a_file_that_is_no_nir_graph_is_refused_in_one_line(tmp_path):
    path = tmp_path / "plain.nir"
    path.write_text("not HDF5")
    with pytest.raises(NirError, match=r"plain.nir: not a NIR graph"):
        import_nir(path)


def test_export_refuses_a_model_without_nir_counterpart():
    from studio.project.project_file import EXAMPLES

    with pytest.raises(NirError, match=r"^population `E`: model `\w+` has no NIR counterpart"):
        graph_from_project(read_project(EXAMPLES / "brunel.ncsproj"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_affine_lif_graphs_round_trip(data):
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    nodes = {"input": nir.Input(input_type={"input": np.array([sizes[0]])})}
    edges, previous = [], "input"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        weight = np.array(data.draw(st.lists(st.floats(-3, 3, width=32), min_size=n_in * n_out,
                                             max_size=n_in * n_out))).reshape(n_out, n_in)
        bias = np.array(data.draw(st.lists(st.floats(-0.5, 0.5, width=32), min_size=n_out, max_size=n_out)))
        tau = data.draw(st.sampled_from([5e-4, 1e-3, 2e-3]))
        nodes[f"fc{k}"] = nir.Affine(weight=weight, bias=bias)
        nodes[f"lif{k}"] = lif(n_out, tau=tau, v_threshold=data.draw(st.sampled_from([0.1, 0.5, 1.0])))
        edges += [(previous, f"fc{k}"), (f"fc{k}", f"lif{k}")]
        previous = f"lif{k}"
    nodes["out"] = nir.Output(output_type={"output": np.array([sizes[-1]])})
    edges.append((previous, "out"))
    first = project_from_graph(nir.NIRGraph(nodes=nodes, edges=edges))
    second = project_from_graph(graph_from_project(first))
    assert second == first
    assert_same_spikes(spikes(driven(first), 0.01), spikes(driven(second), 0.01))


NEURONS = {
    "LIF": lambda: lif(2, tau=1e-3, v_threshold=0.1),
    "LI": lambda: nir.LI(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2)),
    "CubaLIF": lambda: nir.CubaLIF(tau_syn=np.full(2, 1e-3), tau_mem=np.full(2, 1e-3), r=np.ones(2),
                                   v_leak=np.zeros(2), v_threshold=np.full(2, 0.1), v_reset=np.zeros(2)),
    "CubaLI": lambda: nir.CubaLI(tau_syn=np.full(2, 1e-3), tau_mem=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2)),
    "IF": lambda: nir.IF(r=np.full(2, 1e4), v_threshold=np.ones(2), v_reset=np.zeros(2)),
    "I": lambda: nir.I(r=np.full(2, 1e4)),
    "Threshold": lambda: nir.Threshold(threshold=np.full(2, 1.5)),
}


@pytest.mark.parametrize("kind", NEURONS)
def test_every_neuron_type_imports_runs_and_round_trips(kind):
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "w": nir.Linear(weight=np.array([[2.0, 0.0], [1.0, 1.0]])), "cell": NEURONS[kind](),
                                "out": nir.Output(output_type={"output": np.array([2])})},
                         edges=[("input", "w"), ("w", "cell"), ("cell", "out")])
    doc = driven(project_from_graph(graph))
    assert doc.populations[1].model == f"nir_{kind}"
    recorder = doc.devices[-1]
    spiking = kind in ("LIF", "CubaLIF", "IF", "Threshold")
    assert recorder.kind == ("spike_recorder" if spiking else "multimeter")
    fired = spikes(doc)
    assert (fired["cell"][0].size > 0) == spiking
    back = driven(project_from_graph(graph_from_project(doc)))
    assert back == doc
    assert_same_spikes(fired, spikes(back))


def test_threshold_fires_in_each_step_its_input_exceeds_the_threshold():
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "w": nir.Affine(weight=np.array([[1.0, 1.0]]), bias=np.array([0.25])),
                                "cell": nir.Threshold(threshold=np.array([1.0]))},
                         edges=[("input", "w"), ("w", "cell")])
    doc = project_from_graph(graph)
    generator = doc.devices[0]
    one = replace(generator, params={"spike_times": ("0.1 ms", "0.3 ms")}, neurons=(0,))
    both = replace(generator, name="both", params={"spike_times": ("0.5 ms",)})
    fired = spikes(replace(doc, devices=(one, both)), 1e-3)
    # Input fires in the step of each generator spike; its spikes arrive one step later: 0.25+1 > 1 and 0.25+2 > 1.
    np.testing.assert_allclose(fired["cell"][0], [0.3, 0.5, 0.7])


def test_a_recurrent_layer_becomes_a_projection_onto_itself_and_round_trips():
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([2])}),
                                "fc": nir.Linear(weight=np.full((3, 2), 12.0)), "lif": lif(3, tau=1e-3),
                                "rec": nir.Linear(weight=np.array([[0, 5.0, 0], [0, 0, 5.0], [5.0, 0, 0]])),
                                "out": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    doc = driven(project_from_graph(graph))
    assert [(p.name, p.source, p.target) for p in doc.projections] == [("fc", "input", "lif"), ("rec", "lif", "lif")]
    back = driven(project_from_graph(graph_from_project(doc)))
    assert back == doc
    assert_same_spikes(spikes(doc), spikes(back))


def test_export_refuses_what_a_nir_graph_cannot_hold():
    doc = project_from_graph(two_layers())
    into_input = replace(doc.projections[0], name="back", source="lif1", target="input")
    with pytest.raises(NirError, match=r"^projection `back`: `input` is a graph input \(nir_Input\)"):
        graph_from_project(replace(doc, projections=(*doc.projections, into_input)))
    with pytest.raises(NirError, match=r"^projection `fc1`: NIR holds static weights .* not `stdp_synapse`"):
        graph_from_project(replace(doc, projections=(replace(doc.projections[0], synapse="stdp_synapse"),
                                                     doc.projections[1])))
    drive = replace(doc.devices[0], name="drive", kind="poisson_generator", target="lif1", params={"rate": "10 Hz"})
    with pytest.raises(NirError, match=r"^device `drive`: a poisson_generator into `lif1` has no NIR counterpart"):
        graph_from_project(replace(doc, devices=(*doc.devices, drive)))
    clash = replace(doc.devices[1], name="fc1")
    with pytest.raises(NirError, match=r"^device `fc1`: another element has that name"):
        graph_from_project(replace(doc, devices=(doc.devices[0], clash)))
    lone = replace(doc.populations[1], name="lone", parameters={"bias": 0.5})
    with pytest.raises(NirError, match=r"^population `lone` receives no projection: a NIR graph starts at its "):
        graph_from_project(replace(doc, populations=(*doc.populations, lone)))
