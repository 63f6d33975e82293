"""The inspector: unit-aware fields checked in place, model defaults, ranges and meaning shown."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLabel

from studio.document.document import Document
from studio.project.project_doc import PopulationDoc, ProjectDoc
from tests.views.helpers import make_window, select, type_into


def iaf_window(qtbot):
    return make_window(qtbot, Document.from_project(ProjectDoc((PopulationDoc("P", "iaf_psc_exp", 10,
                                                                              position=(0, 0)),))))


def test_currents_are_taken_in_any_current_unit(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    type_into(qtbot, window, "parameters.I_e", "20 pA")
    assert window.document.nodes["P"].data.parameters == {"I_e": "20 pA"}
    type_into(qtbot, window, "parameters.I_e", "0.02 nA")
    assert window.document.nodes["P"].data.parameters == {"I_e": "0.02 nA"}
    assert len(window.stack) == 2
    window.undo_action.trigger()
    assert window.inspector.fields["parameters.I_e"].text == "20 pA"


def test_a_wrong_unit_is_rejected_in_place_with_the_reason(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    type_into(qtbot, window, "parameters.I_e", "20 mV")
    field = window.inspector.fields["parameters.I_e"]
    assert re.match(r"^`20 mV` has units volt, but `I_e` of iaf_psc_exp takes amp", field.problem)
    assert field.reason.isVisible() and field.reason.text() == field.problem
    assert field.text == "20 mV"  # kept, to be corrected
    assert window.document.nodes["P"].data.parameters == {}
    assert len(window.stack) == 0
    type_into(qtbot, window, "size", "many")
    assert window.inspector.fields["size"].problem
    assert window.document.nodes["P"].data.size == 10
    type_into(qtbot, window, "parameters.I_e", "376 pA")
    assert field.problem is None and not field.reason.isVisible()


def test_parameters_show_default_range_and_meaning(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    field = window.inspector.fields["parameters.C_m"]
    assert field.edit.placeholderText() == "250 pF"
    assert field.edit.toolTip() == "membrane capacitance  [1 pF … 10000 pF]"
    texts = [label.text() for label in window.inspector.findChildren(QLabel)]
    assert "membrane capacitance  [1 pF … 10000 pF]" in texts
    assert any(t.startswith("iaf_psc_exp: LIF with exponential post-synaptic currents") for t in texts)
    type_into(qtbot, window, "parameters.C_m", "200 pF")
    type_into(qtbot, window, "parameters.C_m", "")
    assert window.document.nodes["P"].data.parameters == {}  # empty: back to the default


def test_the_inspector_follows_undo_and_removal(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    type_into(qtbot, window, "size", "25")
    assert window.scene.nodes["P"].look.detail == "25 neurons"
    window.undo_action.trigger()
    assert window.inspector.fields["size"].text == "10"
    assert window.scene.nodes["P"].look.detail == "10 neurons"
    window.delete()
    assert window.inspector.name is None and "P" not in window.document.nodes
