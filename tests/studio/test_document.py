"""The document: loading and saving, primitives and their events, device links, connection checks, problems."""

from __future__ import annotations

from dataclasses import replace

import pytest

from studio.document.document import ConnectError, Document, DocumentError, Edge, Node
from studio.document.events import (DocumentEvent, EdgeAdded, EdgeChanged, EdgeRemoved, NodeAdded, NodeChanged,
                                    NodeRemoved, PathChanged, Renamed, SettingChanged, dispatch)
from studio.project.project_file import EXAMPLES, read_project
from studio.project.project_doc import DeviceDoc, PopulationDoc, ProjectDoc, ProjectionDoc, RuleDoc

CUBA = EXAMPLES / "cuba.ncsproj"


@pytest.fixture
def cuba() -> Document:
    return Document.open(CUBA)


def recorded(doc: Document) -> list[DocumentEvent]:
    events: list[DocumentEvent] = []
    doc.events.connect(events.append)
    return events


def small() -> Document:
    """Two iaf_psc_exp populations and a spike generator, nothing connected."""
    project = ProjectDoc((PopulationDoc("A", "iaf_psc_exp", 10), PopulationDoc("B", "iaf_psc_exp", 10)),
                         devices=(DeviceDoc("drive", "poisson_generator", "", {"rate": "10 Hz"}, weight="10 pA"),
                                  DeviceDoc("rec", "spike_recorder", "")))
    return Document.from_project(project)


def test_examples_load_and_save_unchanged(tmp_path):
    for name in ("cuba", "coba", "brunel", "hil_demo", "playground_glif"):
        project = read_project(EXAMPLES / f"{name}.ncsproj")
        doc = Document.from_project(project, EXAMPLES / f"{name}.ncsproj")
        assert doc.to_project() == project
        assert doc.title == name
        doc.save(tmp_path / f"{name}.ncsproj")
        assert read_project(tmp_path / f"{name}.ncsproj") == project
        assert doc.path == tmp_path / f"{name}.ncsproj"


def test_nodes_edges_and_device_links(cuba):
    assert list(cuba.nodes) == ["E", "I", "spikes_E", "spikes_I", "v_E"]
    assert [n.role for n in cuba.nodes.values()] == ["population", "population", "recorder", "recorder", "recorder"]
    assert cuba.nodes["E"].position == (0, 0) and cuba.nodes["E"].data.position is None
    assert [e.name for e in cuba.projections()] == ["EE", "EI", "IE", "II"]
    links = {e.name: (e.source, e.target) for e in cuba.edges.values() if e.kind == "device"}
    assert links == {"spikes_E->E": ("E", "spikes_E"), "spikes_I->I": ("I", "spikes_I"), "v_E->E": ("E", "v_E")}
    assert all(e.data is None for e in cuba.edges.values() if e.kind == "device")
    with pytest.raises(TypeError):
        cuba.nodes["X"] = cuba.nodes["E"]  # read-only: every change goes through the primitives


def test_primitives_emit_one_event_each_and_keep_indices(cuba):
    events = recorded(cuba)
    edge, index = cuba.remove_edge("EI")
    assert index == 1 and events[-1] == EdgeRemoved(edge, 1)
    cuba.add_edge(edge, index)
    assert [e.name for e in cuba.projections()] == ["EE", "EI", "IE", "II"]
    assert events[-1] == EdgeAdded(edge, 1)
    changed = Edge.of(replace(edge.data, weight="2 mV"))
    cuba.set_edge("EI", changed)
    assert events[-1] == EdgeChanged(changed, 1)
    assert cuba.set_setting("seed", 7) == 1
    assert events[-1] == SettingChanged("seed", 7)
    assert cuba.to_project().seed == 7


def test_a_rename_keeps_indices_and_is_announced_last(cuba):
    events = recorded(cuba)
    cuba.rename("E", "Exc")
    assert list(cuba.nodes)[0] == "Exc" and [e.name for e in cuba.projections()] == ["EE", "EI", "IE", "II"]
    assert cuba.edges["EI"].source == "Exc" and cuba.nodes["spikes_E"].data.target == "Exc"
    assert events[-1] == Renamed("E", "Exc") and not any(isinstance(e, Renamed) for e in events[:-1])
    cuba.rename("EI", "E_to_I")
    assert [e.name for e in cuba.projections()] == ["EE", "E_to_I", "IE", "II"]
    assert events[-1] == Renamed("EI", "E_to_I")


def test_removing_a_population_needs_its_projections_gone_first(cuba):
    with pytest.raises(DocumentError, match=r"^`I` still has projections \(EI, IE, II\); remove them first$"):
        cuba.remove_node("I")


def test_device_links_follow_the_device_target(cuba):
    events = recorded(cuba)
    for name in ("EE", "EI", "IE", "II"):
        cuba.remove_edge(name)
    node, index = cuba.remove_node("E")
    kinds = [(type(e), e.name) for e in events[4:]]
    # links go before their population, so a scene can drop edge items before node items
    assert kinds == [(EdgeRemoved, "spikes_E->E"), (EdgeRemoved, "v_E->E"), (NodeRemoved, "E")]
    cuba.add_node(node, index)
    assert [(type(e), e.name) for e in events[-3:]] == [(NodeAdded, "E"), (EdgeAdded, "spikes_E->E"),
                                                        (EdgeAdded, "v_E->E")]
    spikes = cuba.nodes["spikes_E"]
    cuba.set_node("spikes_E", replace(spikes, data=replace(spikes.data, target="I")))
    assert [(type(e), e.name) for e in events[-3:]] == [(NodeChanged, "spikes_E"), (EdgeRemoved, "spikes_E->E"),
                                                        (EdgeAdded, "spikes_E->I")]
    assert events[-1].index is None  # a device link has no index among the projections
    with pytest.raises(DocumentError, match="device links follow the device's target"):
        cuba.add_edge(Edge("x->E", "x", "E", kind="device"))


def test_names_are_unique_across_nodes_and_edges(cuba):
    with pytest.raises(DocumentError, match=r"^the name `EE` is already used$"):
        cuba.add_node(Node.of(PopulationDoc("EE", "iaf_psc_exp", 1)))
    assert cuba.unique_name("E") == "E_2"


def test_check_connect_refuses_with_reasons():
    doc = small()
    assert doc.can_connect("A", "B") and doc.can_connect("drive", "A") and doc.can_connect("B", "rec")
    refusals = {
        ("rec", "A"): r"^`rec` is a recorder \(spike_recorder\): it records a population, so connect from the "
                      r"population to the recorder$",
        ("A", "drive"): r"^`drive` is a generator \(poisson_generator\): it sends input into a population, so "
                        r"connect from the generator to the population$",
        ("drive", "rec"): r"^a device connects to a population, not to another device$",
        ("A", "nowhere"): r"^no node `nowhere`$",
    }
    for (source, target), reason in refusals.items():
        assert not doc.can_connect(source, target)
        with pytest.raises(ConnectError, match=reason):
            doc.check_connect(source, target)


def test_check_connect_checks_the_weight_unit_and_the_synapse():
    doc = small()
    proj = ProjectionDoc("AB", "A", "B", RuleDoc("fixed_indegree", k=2), "1 mV")
    with pytest.raises(ConnectError, match=r"^weight `1 mV` has units volt, but receptor `ex` of iaf_psc_exp "
                                           r"takes amp$"):
        doc.check_connect("A", "B", proj)
    with pytest.raises(ConnectError, match=r"^weight `-1 nS` has units siemens, but receptor `in` of iaf_psc_exp"):
        doc.check_connect("A", "B", replace(proj, weight="-1 nS"))
    doc.check_connect("A", "B", replace(proj, weight="20 pA"))
    doc.check_connect("A", "B", replace(proj, weight="0.02 nA", receptor=2))
    with pytest.raises(ConnectError, match=r"^`B` \(iaf_psc_exp\) has receptor ports 1..2, not 3$"):
        doc.check_connect("A", "B", replace(proj, weight="20 pA", receptor=3))
    random_weights = replace(proj, weight="20*pA*rand()", synapse="static_synapse_hom_w")
    with pytest.raises(ConnectError, match=r"^static_synapse_hom_w shares one weight among all connections, so "
                                           r"`20\*pA\*rand\(\)` \(a weight per connection\) cannot be used"):
        doc.check_connect("A", "B", random_weights)
    with pytest.raises(ConnectError, match=r"^projection `AB` goes from `A` to `B`, not `B` to `A`$"):
        doc.check_connect("B", "A", proj)


def test_problems_are_placed_at_nodes_and_fields(cuba):
    assert cuba.problems() == []
    doc = small()
    found = {(p.element, p.field): p.message for p in doc.problems()}
    assert found == {("drive", "target"): "not connected: connect it to a population",
                     ("rec", "target"): "not connected: connect it to a population"}
    ei = cuba.edges["EI"]
    cuba.set_edge("EI", Edge.of(replace(ei.data, weight="5 pA")))
    e = cuba.nodes["E"]
    cuba.set_node("E", replace(e, data=replace(e.data, parameters={"taum": "20 mV"})))
    found = {(p.element, p.field): p.message for p in cuba.problems()}
    assert found == {("EI", "weight"): "weight `5 pA` has units amp, but on_pre `ge += w` takes volt",
                     ("E", "parameters.taum"): "`20 mV` has units volt, but `taum` of cuba_lif takes second "
                                               "(e.g. `1 ms`)"}


def test_subscribers_dispatch_on_the_event_type(cuba, tmp_path):
    seen = []
    cuba.events.connect(dispatch({SettingChanged: lambda e: seen.append((e.key, e.value)),
                                  PathChanged: lambda e: seen.append(("path", e.path))}))
    cuba.set_setting("seed", 3)
    cuba.remove_edge("EE")
    cuba.save(tmp_path / "copy.ncsproj")
    assert seen == [("seed", 3), ("path", tmp_path / "copy.ncsproj")]
