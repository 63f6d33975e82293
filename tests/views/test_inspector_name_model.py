"""The inspector's name field (an undoable rename) and its model field (a list of models one types to filter)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.document.document import Document
from studio.project.project_file import EXAMPLES
from studio.project.project_doc import PopulationDoc, ProjectDoc
from tests.views.helpers import make_window, retype, select


def type_name(qtbot, window, text: str, key=Qt.Key.Key_Return) -> None:
    retype(qtbot, window.inspector.name_field.edit, text, key)


def test_the_name_field_renames_and_the_references_follow(qtbot, cuba_window):
    window = cuba_window
    select(window, "E")
    assert window.inspector.name_field.text == "E"
    type_name(qtbot, window, "Exc")
    assert "Exc" in window.document.nodes and "E" not in window.document.nodes
    assert window.document.edges["EI"].source == "Exc" and window.document.nodes["spikes_E"].data.target == "Exc"
    assert window.inspector.name == "Exc" and window.inspector.name_field.text == "Exc"
    assert [item.name for item in window.scene.selectedItems()] == ["Exc"]
    assert window.stack.undo_text == "Rename E to Exc"
    window.undo_action.trigger()
    assert "E" in window.document.nodes and window.document.edges["EI"].source == "E"
    assert_shown(window, "E")
    window.redo_action.trigger()
    assert_shown(window, "Exc")


def assert_shown(window, name: str) -> None:
    """``name`` is the one element selected on the graph and the one the inspector edits, under that name."""
    assert [item.name for item in window.scene.selectedItems()] == [name]
    assert window.inspector.name == name and window.inspector.name_field.text == name


def test_a_projection_is_renamed_in_the_inspector(qtbot, cuba_window):
    window = cuba_window
    select(window, "EI")
    type_name(qtbot, window, "E_to_I")
    assert "E_to_I" in window.document.edges and window.inspector.name == "E_to_I"
    window.undo_action.trigger()
    assert_shown(window, "EI")
    window.redo_action.trigger()
    assert_shown(window, "E_to_I")


def test_undoing_a_rename_of_an_element_not_selected_selects_nothing(qtbot, cuba_window):
    window = cuba_window
    select(window, "E")
    type_name(qtbot, window, "Exc")
    window.scene.clearSelection()
    window.undo_action.trigger()
    assert window.scene.selectedItems() == [] and window.inspector.name is None


@pytest.mark.parametrize("text, reason", [
    ("I", "the name `I` is already used"),
    ("my pop", "`my pop` is not a valid name (letters, digits and `_`, not starting with a digit)"),
    ("1st", "`1st` is not a valid name (letters, digits and `_`, not starting with a digit)"),
    ("", "a name cannot be empty"),
])
def test_a_refused_name_is_red_with_the_reason_and_esc_puts_the_name_back(qtbot, cuba_window, text, reason):
    window = cuba_window
    before = window.document.to_project()
    select(window, "E")
    type_name(qtbot, window, text)
    field = window.inspector.name_field
    assert field.problem == reason and field.reason.isVisible() and field.text == text
    assert f"E.name (typed, not applied): {reason}" in window.problems.messages()
    assert window.document.to_project() == before and len(window.stack) == 0
    qtbot.keyClick(field.edit, Qt.Key.Key_Escape)
    assert field.text == "E" and field.problem is None
    assert not any("typed" in m for m in window.problems.messages())


def iaf_window(qtbot):
    doc = Document.from_project(ProjectDoc((PopulationDoc("P", "iaf_psc_exp", 10, {"tau_m": "20 ms", "C_m": "200 pF"},
                                                          {"V_m": "-60 mV"}, position=(0, 0)),)))
    return make_window(qtbot, doc)


def listed(completer) -> list[str]:
    model = completer.completionModel()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_typing_in_the_model_field_lists_the_models_containing_it(qtbot, cuba_window):
    window = cuba_window
    select(window, "E")
    field = window.inspector.fields["model"]
    field.show_choices()
    everything = listed(field.edit.completer())
    assert everything[0] == "cuba_lif  · project" and "iaf_psc_alpha  · library" in everything
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "PSC_A")
    qtbot.waitUntil(lambda: field.edit.completer().popup().isVisible())
    assert listed(field.edit.completer()) == ["iaf_psc_alpha  · library", "hh_psc_alpha  · library"]


def test_a_model_picked_from_the_list_replaces_the_old_one_everywhere(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    field = window.inspector.fields["model"]
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "izhi")
    popup = field.edit.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    index = popup.model().index(0, 0)
    qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=popup.visualRect(index).center())
    pop = window.document.nodes["P"].data
    assert pop.model == "izhikevich"
    assert pop.parameters == {}  # iaf_psc_exp's tau_m and C_m are not izhikevich's parameters
    assert pop.initial == {"V_m": "-60 mV"}  # a state of both
    inspector = window.inspector
    assert inspector.fields["model"].text == "izhikevich"
    assert "parameters.tau_m" not in inspector.fields and "parameters.a" in inspector.fields
    assert any(label.startswith("population · izhikevich") for label in _texts(inspector))
    assert not any("iaf_psc_exp" in text for text in _texts(inspector))
    look = window.scene.nodes["P"].look
    assert (look.name, look.subtitle, look.detail) == ("P", "izhikevich", "10 neurons")
    assert look.tooltip.startswith("izhikevich: ")
    assert window.stack.undo_text == "Set P.model to izhikevich"
    window.undo_action.trigger()
    pop = window.document.nodes["P"].data
    assert pop.model == "iaf_psc_exp" and pop.parameters == {"tau_m": "20 ms", "C_m": "200 pF"}
    assert pop.initial == {"V_m": "-60 mV"}


def test_an_unknown_model_typed_is_refused_in_place(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    field = window.inspector.fields["model"]
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "iaf_nonesuch")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.problem == "unknown model `iaf_nonesuch`"
    assert window.document.nodes["P"].data.model == "iaf_psc_exp" and len(window.stack) == 0


def _texts(inspector) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [label.text() for label in inspector.widget().findChildren(QLabel) if label.isVisible()]


def test_a_population_named_after_its_old_model_takes_a_name_of_its_own(qtbot):
    window = make_window(qtbot, Document.open(EXAMPLES / "playground_glif.ncsproj"))
    select(window, "glif5")
    field = window.inspector.fields["model"]
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "izhikevich")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert [(n, node.data.model) for n, node in window.document.nodes.items() if node.kind == "population"] == [
        ("E", "izhikevich")]
    assert window.inspector.name == "E" and window.inspector.name_field.text == "E"
    assert [item.name for item in window.scene.selectedItems()] == ["E"]
    assert window.stack.undo_text == "Set glif5.model to izhikevich"
    window.undo_action.trigger()
    assert window.document.nodes["glif5"].data.model == "glif5" and "E" not in window.document.nodes
