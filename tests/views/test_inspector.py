"""The inspector: unit-aware fields checked in place, model defaults, ranges and meaning shown."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from studio.document.commands import SetField
from studio.document.document import Document
from studio.project.project_doc import DeviceDoc, PopulationDoc, ProjectDoc
from tests.views.helpers import CUBA, make_window, select, type_into


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


@pytest.mark.parametrize("field, text, reason", [
    ("rule.p", "1.5", "probability p must be within [0, 1], not 1.5"),
    ("rule.p", "-0.2", "probability p must be within [0, 1], not -0.2"),
    ("delay", "-1 ms", "delay -1 ms is negative; the minimum delay is one time step (0.1 ms)"),
    ("delay", "0.01 ms", "delay 0.01 ms is shorter than one time step (0.1 ms); the minimum delay is one step"),
    ("weight", "376pa", "unknown unit `pa` — did you mean `pA`?"),
])
def test_a_value_the_engine_refuses_is_red_with_the_reason_and_in_problems(qtbot, cuba_window, field, text, reason):
    window = cuba_window
    before = window.document.to_project()
    select(window, "EE")
    type_into(qtbot, window, field, text)
    widget = window.inspector.fields[field]
    assert widget.problem == reason
    assert widget.reason.isVisible() and widget.reason.text() == reason
    assert "border: 1px solid" in widget.edit.styleSheet() and widget.edit.toolTip() == reason
    assert f"EE.{field} (typed, not applied): {reason}" in window.problems.messages()
    assert window.document.to_project() == before and len(window.stack) == 0


@pytest.mark.parametrize("kind, params, field, text, reason", [
    ("poisson_generator", {"rate": "8 kHz"}, "params.rate", "5 mV", "`5 mV` has units volt, expected hertz"),
    ("dc_generator", {"amplitude": "376 pA"}, "params.amplitude", "376 mV", "`376 mV` has units volt, expected amp"),
    ("ac_generator", {"amplitude": "50 pA", "frequency": "10 Hz"}, "params.frequency", "10 s",
     "`10 s` has units second, expected hertz"),
    ("voltmeter", {}, "params.interval", "1 pA", "`1 pA` has units amp, expected second"),
])
def test_a_device_parameter_is_red_with_the_reason_and_in_problems(qtbot, kind, params, field, text, reason):
    weight = "10 pA" if kind == "poisson_generator" else None
    window = make_window(qtbot, Document.from_project(ProjectDoc(
        (PopulationDoc("P", "iaf_psc_exp", 10, position=(0, 0)),),
        devices=(DeviceDoc("dev", kind, "P", params, weight=weight, position=(200, 0)),))))
    assert window.problems.messages() == []
    select(window, "dev")
    type_into(qtbot, window, field, text)
    widget = window.inspector.fields[field]
    assert widget.problem == reason and widget.reason.isVisible() and widget.reason.text() == reason
    assert window.problems.messages() == [f"dev.{field} (typed, not applied): {reason}"]
    assert len(window.stack) == 0


def test_a_field_is_checked_as_it_is_typed(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    edit = window.inspector.fields["rule.p"].edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "1.5")  # no Enter
    qtbot.waitUntil(lambda: window.inspector.fields["rule.p"].problem is not None)
    assert window.inspector.fields["rule.p"].problem == "probability p must be within [0, 1], not 1.5"
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)  # "1"
    qtbot.waitUntil(lambda: window.inspector.fields["rule.p"].problem is None)


def test_every_quantity_field_names_the_unit_meant(qtbot):
    window = iaf_window(qtbot)
    select(window, "P")
    for field, text in (("parameters.I_e", "376pa"), ("parameters.V_th", "-55 mv"), ("initial.V_m", "-70mv")):
        type_into(qtbot, window, field, text)
        assert window.inspector.fields[field].problem.endswith(f"— did you mean `{'pA' if 'pa' in text else 'mV'}`?")


def test_esc_puts_back_the_documents_value(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    field = window.inspector.fields["rule.p"]
    type_into(qtbot, window, "rule.p", "1.5")
    assert field.problem is not None and window.problems.messages()[0].startswith("EE.rule.p (typed")
    qtbot.keyClick(field.edit, Qt.Key.Key_Escape)
    assert field.text == "0.02" and field.problem is None and not field.reason.isVisible()
    assert not any("typed" in m for m in window.problems.messages())
    assert window.document.edges["EE"].data.rule.p == 0.02


def test_a_failed_run_selects_the_element_and_marks_the_field(qtbot, cuba_window, monkeypatch):
    window = cuba_window
    monkeypatch.setattr(QMessageBox, "show", lambda box: None)
    window.stack.push(SetField(window.document, "EI", "rule.p", 1.5, check=False))
    window.check_problems()
    assert "EI.rule.p: probability p must be within [0, 1], not 1.5" in window.problems.messages()
    select(window, "E")
    window.run_toolbar.run(0.1)
    qtbot.waitUntil(lambda: window.run_toolbar.state == "failed", timeout=20_000)
    assert [i.name for i in window.scene.selectedItems()] == ["EI"]
    assert window.inspector.name == "EI"
    field = window.inspector.fields["rule.p"]
    assert field.text == "1.5" and field.edit.hasFocus()
    assert field.problem.endswith("probability p must be within [0, 1], not 1.5")
    assert field.reason.isVisible()
    assert window.problems.messages()[0].startswith("run: EI.rule.p: ")
    assert [m for m in window.problems.messages() if "EI.rule.p" in m] == window.problems.messages()[:1]  # once
    assert not any("typed" in m for m in window.problems.messages())
    assert window.failure_dialog.text().startswith("The run failed: EI.rule.p: probability p must be within")


def test_opening_another_project_withdraws_the_refused_fields(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    type_into(qtbot, window, "rule.p", "1.5")
    assert any("typed" in m for m in window.problems.messages())
    window.set_document(Document.open(CUBA))
    assert not any("typed" in m for m in window.problems.messages())


def test_reasons_and_hints_that_wrap_get_the_lines_they_need(qtbot, cuba_window):
    window = cuba_window
    window.resize(1440, 900)
    select(window, "EE")
    for field, text in (("rule.p", "1.5"), ("weight", "376pa"), ("delay", "0.01 ms")):
        type_into(qtbot, window, field, text)
    page = window.inspector.widget()
    qtbot.waitUntil(lambda: page.minimumHeight() == page.layout().totalHeightForWidth(page.width()))
    squeezed = [label.text() for label in page.findChildren(QLabel)
                if label.isVisible() and label.wordWrap() and label.height() < label.heightForWidth(label.width())]
    assert squeezed == []
