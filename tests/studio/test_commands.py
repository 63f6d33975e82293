"""Commands: CUBA built edit by edit equals the example file; undo/redo round trips; refused edits say why."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from engine.errors import NeuroCoreError
from studio.document.commands import (AddNode, Connect, Disconnect, FieldError, MoveNode, RemoveNode, Rename, SetField,
                                      SetSetting, default_projection, field_value_problem, new_device, new_population)
from studio.document.document import ConnectError, Document, Node
from studio.document.events import NodeRemoved, UndoStackChanged
from studio.document.history import Macro, UndoStack
from studio.project.project_file import EXAMPLES, read_project
from studio.project.project_doc import DeviceDoc, PopulationDoc, ProjectDoc, ProjectionDoc, RuleDoc

CUBA = EXAMPLES / "cuba.ncsproj"


def without_positions(project: ProjectDoc) -> ProjectDoc:
    return replace(project, populations=tuple(replace(p, position=None) for p in project.populations),
                   devices=tuple(replace(d, position=None) for d in project.devices))


def build_cuba(doc: Document, stack: UndoStack) -> None:
    """CUBA as a person builds it in the editor: settings, nodes from the palette, fields, connections."""
    cuba = read_project(CUBA)
    stack.push(SetSetting(doc, "description", cuba.description))
    stack.push(SetSetting(doc, "dt", "0.1 ms"))
    stack.push(SetSetting(doc, "seed", 1))
    stack.push(SetSetting(doc, "constants", {"we": "(60*0.27/10)*mV", "wi": "(-20*4.5/10)*mV"}))
    stack.push(SetSetting(doc, "models", {"cuba_lif": cuba.models["cuba_lif"]}))
    for name, size, y in (("E", "3200", 0), ("I", "800", 200)):
        stack.push(AddNode(doc, Node.of(PopulationDoc(name, "cuba_lif", 100), (0, y))))
        stack.push(SetField(doc, name, "size", size))
        for state, value in (("v", "Vr + rand()*(Vt - Vr)"), ("ge", "0 mV"), ("gi", "0 mV")):
            stack.push(SetField(doc, name, f"initial.{state}", value))
    for source, target in (("E", "E"), ("E", "I"), ("I", "E"), ("I", "I")):
        weight, on_pre = ("we", "ge += w") if source == "E" else ("wi", "gi += w")
        connect = Connect(doc, source, target)
        stack.push(connect)
        assert connect.name == f"{source}_to_{target}"
        stack.undo()
        rule = RuleDoc("pairwise_bernoulli", p=0.02)
        data = ProjectionDoc(source + target, source, target, rule, "1 mV", on_pre=on_pre)
        stack.push(Connect(doc, source, target, data))
        stack.push(SetField(doc, source + target, "weight", weight))
        stack.push(SetField(doc, source + target, "delay", "0.1 ms"))
    for name, kind, population in (("spikes_E", "spike_recorder", "E"), ("spikes_I", "spike_recorder", "I"),
                                   ("v_E", "multimeter", "E")):
        stack.push(AddNode(doc, Node.of(DeviceDoc(name, kind, ""))))
        stack.push(Connect(doc, population, name))
    stack.push(SetField(doc, "v_E", "params.record_from", "v"))
    stack.push(SetField(doc, "v_E", "params.interval", "0.1 ms"))
    stack.push(SetField(doc, "v_E", "neurons", "0, 1, 2, 3, 4"))


def test_cuba_built_by_commands_equals_the_example_and_undo_redo_round_trips():
    doc = Document()
    stack = doc.undo_stack
    empty = doc.to_project()
    build_cuba(doc, stack)
    built = doc.to_project()
    assert without_positions(built) == without_positions(read_project(CUBA))
    assert doc.problems() == []
    while stack.can_undo:
        stack.undo()
    assert doc.to_project() == empty
    while stack.can_redo:
        stack.redo()
    assert doc.to_project() == built
    assert stack.is_clean is False and stack.clean_index == 0


def test_remove_population_takes_its_projections_and_undo_restores_them_in_place():
    doc = Document.open(CUBA)
    stack = doc.undo_stack
    before = doc.to_project()
    events = []
    doc.events.connect(events.append)
    stack.push(RemoveNode(doc, "I"))
    after = doc.to_project()
    assert [p.name for p in after.projections] == ["EE"]
    assert [p.name for p in after.populations] == ["E"]
    assert {d.name: d.target for d in after.devices} == {"spikes_E": "E", "spikes_I": "", "v_E": "E"}
    assert "spikes_I->I" not in doc.edges
    assert type(events[-1]) is NodeRemoved and events[-1].name == "I" and events[-1].index == 1
    stack.undo()
    assert doc.to_project() == before
    assert list(doc.edges) == list(Document.open(CUBA).edges)
    stack.redo()
    assert doc.to_project() == after


def test_remove_device_and_disconnect():
    doc = Document.open(CUBA)
    stack = doc.undo_stack
    before = doc.to_project()
    stack.push(RemoveNode(doc, "v_E"))
    assert "v_E" not in doc.nodes and "v_E->E" not in doc.edges
    stack.push(Disconnect(doc, "spikes_E->E"))
    assert doc.nodes["spikes_E"].data.target == "" and "spikes_E->E" not in doc.edges
    stack.push(Disconnect(doc, "IE"))
    assert [e.name for e in doc.projections()] == ["EE", "EI", "II"]
    stack.undo()
    stack.undo()
    stack.undo()
    assert doc.to_project() == before


def test_field_edits_check_units():
    doc = Document()
    stack = doc.undo_stack
    stack.push(AddNode(doc, new_population(doc, "iaf_psc_exp", (10, 20))))
    assert list(doc.nodes) == ["E"]
    stack.push(SetField(doc, "E", "parameters.I_e", "20 pA"))
    stack.push(SetField(doc, "E", "parameters.I_e", "0.02 nA"))
    assert doc.nodes["E"].data.parameters == {"I_e": "0.02 nA"}
    with pytest.raises(FieldError, match=r"^`20 mV` has units volt, but `I_e` of iaf_psc_exp takes amp "
                                         r"\(e.g. `1 pA`\)$"):
        SetField(doc, "E", "parameters.I_e", "20 mV")
    assert field_value_problem(doc, "E", "parameters.tau", "10 ms") == (
        "`tau` is not a parameter of iaf_psc_exp — did you mean `tau_m`?")
    assert field_value_problem(doc, "E", "parameters.V_th", "-55*mV + 2*mV*rand()") is None
    assert field_value_problem(doc, "E", "initial.V_m", "E_L + 2*ms*rand()") == (
        "cannot add volt and second in `E_L + 2*ms*rand()`")
    assert field_value_problem(doc, "E", "size", "0") == "expected a positive whole number, not `0`"
    assert re.match(r"^the network needs about [\d,.]+ [KMGTP]iB of memory \(most of it for population "
                    r"`E`\), but this machine has [\d,.]+ [KMGTP]iB available; make it smaller$",
                    field_value_problem(doc, "E", "size", "1000000000000000"))
    assert field_value_problem(doc, "E", "size", "5000") is None
    assert field_value_problem(doc, "E", "name", "X") == (
        "`name` cannot be set here (use Rename or Connect)")
    stack.push(SetField(doc, "E", "parameters.I_e", ""))  # back to the model's default
    assert doc.nodes["E"].data.parameters == {}
    stack.undo()
    assert doc.nodes["E"].data.parameters == {"I_e": "0.02 nA"}


def test_projection_field_edits_recheck_the_receptor():
    doc = Document()
    for name in ("A", "B"):
        doc.add_node(Node.of(PopulationDoc(name, "iaf_psc_exp", 10)))
    connect = Connect(doc, "A", "B")
    connect.redo()
    assert doc.edges["A_to_B"].data == ProjectionDoc("A_to_B", "A", "B", RuleDoc("pairwise_bernoulli", p=0.1),
                                                     "1 pA")
    assert default_projection(doc, "A", "B").name == "A_to_B_2"
    with pytest.raises(FieldError, match=r"^weight `2 mV` has units volt, but receptor `ex` of iaf_psc_exp takes "
                                         r"amp$"):
        SetField(doc, "A_to_B", "weight", "2 mV")
    with pytest.raises(FieldError, match=r"^`k` is not an option of pairwise_bernoulli$"):
        SetField(doc, "A_to_B", "rule.k", "5")
    SetField(doc, "A_to_B", "rule", RuleDoc("fixed_indegree", k=5)).redo()
    assert doc.edges["A_to_B"].data.rule == RuleDoc("fixed_indegree", k=5)
    with pytest.raises(FieldError, match=r"^`B` \(iaf_psc_exp\) has no receptor `nmda` \(has: ex, in\)$"):
        SetField(doc, "A_to_B", "receptor", "nmda")


@pytest.mark.parametrize("field, text, reason", [
    ("rule.p", "1.5", "probability p must be within [0, 1], not 1.5"),
    ("rule.p", "-0.2", "probability p must be within [0, 1], not -0.2"),
    ("delay", "-1 ms", "delay -1 ms is negative; the minimum delay is one time step (0.1 ms)"),
    ("delay", "0.01 ms", "delay 0.01 ms is shorter than one time step (0.1 ms); the minimum delay is one step"),
    ("delay", "376pa", "unknown unit `pa` — did you mean `pA`?"),
])
def test_fields_are_checked_by_the_rules_the_engine_builds_with(field, text, reason):
    doc = Document.open(CUBA)
    assert field_value_problem(doc, "EE", field, text) == reason
    assert field_value_problem(doc, "EE", field, "0.5" if field == "rule.p" else "0.2 ms") is None


def test_connect_refusals_never_reach_the_stack():
    doc = Document()
    stack = doc.undo_stack
    stack.push(AddNode(doc, new_population(doc, "iaf_psc_exp")))
    stack.push(AddNode(doc, new_device(doc, "spike_recorder", (5, 5))))
    stack.push(AddNode(doc, new_device(doc, "dc_generator")))
    with pytest.raises(ConnectError, match=r"^`spike_recorder` is a recorder"):
        Connect(doc, "spike_recorder", "E")
    with pytest.raises(ConnectError, match=r"^`dc_generator` is a generator"):
        Connect(doc, "E", "dc_generator")
    stack.push(Connect(doc, "dc_generator", "E"))
    assert doc.edges["dc_generator->E"].source == "dc_generator"
    assert len(stack) == 4 and stack.undo_text == "Connect dc_generator to E"


def test_move_and_undo_stack_clean_state():
    doc = Document.open(CUBA)
    stack = doc.undo_stack
    stack.push(MoveNode(doc, "E", (50, 60)))
    stack.push(MoveNode(doc, "E", (70, 80)))
    assert doc.nodes["E"].position == (70.0, 80.0)
    stack.set_clean()
    stack.undo()
    assert doc.nodes["E"].position == (50.0, 60.0) and not stack.is_clean
    stack.undo()
    assert doc.nodes["E"].position == (0, 0)
    stack.push(MoveNode(doc, "I", (1, 1)))  # the saved state is gone from the history
    assert stack.clean_index is None and not stack.can_redo
    with pytest.raises(NeuroCoreError, match="nothing to redo"):
        stack.redo()


def test_the_undo_stack_announces_each_change_and_keeps_steps_as_one_edit():
    doc = Document.open(CUBA)
    stack = doc.undo_stack
    changes: list[UndoStackChanged] = []
    stack.events.connect(changes.append)
    stack.push(MoveNode(doc, "E", (50, 60)))
    stack.set_clean()
    stack.push_steps("Paste 2 nodes", [lambda: AddNode(doc, Node.of(PopulationDoc("X", "lif", 3))),
                                       lambda: Connect(doc, "X", "E")])
    assert [p.name for p in doc.to_project().projections][-1] == "X_to_E"
    assert len(stack) == 2 and stack.undo_text == "Paste 2 nodes" and stack.redo_text == ""
    stack.undo()
    assert "X" not in doc.nodes and "X_E" not in doc.edges and stack.redo_text == "Paste 2 nodes"
    assert changes == [UndoStackChanged(1, False), UndoStackChanged(1, True), UndoStackChanged(2, False),
                       UndoStackChanged(1, True)]
    with pytest.raises(ConnectError):
        stack.push_steps("Paste", [lambda: AddNode(doc, Node.of(PopulationDoc("Y", "lif", 3))),
                                   lambda: Connect(doc, "Y", "nowhere")])
    assert "Y" not in doc.nodes and len(stack) == 2 and stack.index == 1


def test_a_failing_macro_rolls_back():
    doc = Document.open(CUBA)
    before = doc.to_project()
    bad = Macro("Paste", [MoveNode(doc, "E", (1, 2)), AddNode(doc, Node.of(PopulationDoc("X", "lif", 3))),
                          AddNode(doc, Node.of(PopulationDoc("X", "lif", 3)))])
    with pytest.raises(NeuroCoreError, match="already used"):
        bad.redo()
    assert doc.to_project() == before


def test_rename_moves_projections_links_and_recorders_along():
    doc = Document.open(CUBA)
    stack = doc.undo_stack
    before = doc.to_project()
    stack.push(Rename(doc, "E", "Exc"))
    after = doc.to_project()
    assert [p.name for p in after.populations] == ["Exc", "I"]
    assert [(p.name, p.source, p.target) for p in after.projections] == [
        ("EE", "Exc", "Exc"), ("EI", "Exc", "I"), ("IE", "I", "Exc"), ("II", "I", "I")]
    assert {d.name: d.target for d in after.devices} == {"spikes_E": "Exc", "spikes_I": "I", "v_E": "Exc"}
    assert "spikes_E->Exc" in doc.edges and doc.nodes["Exc"].position == (0, 0)
    stack.push(Rename(doc, "EI", "E_to_I"))
    assert [e.name for e in doc.projections()] == ["EE", "E_to_I", "IE", "II"]
    with pytest.raises(FieldError, match=r"^the name `I` is already used$"):
        Rename(doc, "Exc", "I")
    stack.undo()
    stack.undo()
    assert doc.to_project() == before
    assert list(doc.edges) == list(Document.open(CUBA).edges)


def test_new_populations_are_named_e_i_then_pop_n_and_projections_source_to_target():
    doc = Document()
    stack = doc.undo_stack
    for _ in range(3):
        stack.push(AddNode(doc, new_population(doc, "iaf_psc_exp")))
    assert list(doc.nodes) == ["E", "I", "pop_3"]
    stack.push(Connect(doc, "E", "I"))
    stack.push(Connect(doc, "I", "E"))
    assert [e.name for e in doc.projections()] == ["E_to_I", "I_to_E"]
    assert default_projection(doc, "E", "I").name == "E_to_I_2"
    stack.push(SetField(doc, "E", "model", "iaf_psc_alpha"))  # the name says nothing about the model
    stack.push(RemoveNode(doc, "E"))
    assert new_population(doc, "iaf_psc_alpha").name == "E"


def test_undo_entries_name_the_value():
    doc = Document()
    stack = doc.undo_stack
    for _ in range(2):
        stack.push(AddNode(doc, new_population(doc, "iaf_psc_exp")))
    stack.push(Connect(doc, "E", "I"))
    stack.push(SetField(doc, "E", "size", "3200"))
    assert stack.undo_text == "Set E.size to 3200"
    stack.push(SetField(doc, "E", "parameters.tau_m", "20 ms"))
    assert stack.undo_text == "Set E.parameters.tau_m to 20 ms"
    stack.push(SetField(doc, "E", "parameters.tau_m", ""))
    assert stack.undo_text == "Clear E.parameters.tau_m"
    stack.push(SetField(doc, "E_to_I", "rule", RuleDoc("fixed_indegree", k=5)))
    assert stack.undo_text == "Set E_to_I.rule to fixed_indegree"
