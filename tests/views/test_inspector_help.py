"""F1 (and What's This) on the inspector's fields tells what a field means, its unit and an example."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QToolTip, QWhatsThis

from engine.network.devices import DEVICES
from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.document.document import Document, Edge
from studio.project.project_doc import DeviceDoc, PopulationDoc, ProjectDoc
from tests.views.helpers import CUBA, make_window, select
from views.inspector_rows import device_rows, population_rows, projection_rows, synapse_rows


def help_on(qtbot, edit) -> str:
    edit.window().activateWindow()
    qtbot.waitUntil(edit.window().isActiveWindow)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_F1)
    assert QToolTip.isVisible()
    return QToolTip.text()


@pytest.mark.parametrize("element, field, shown", [
    ("EE", "delay", "<b>delay</b>: synaptic delay, at least one time step<br>unit: a time (ms, s)<br>"
                    "example: <code>1.5 ms</code>"),
    ("EE", "rule.p", "<b>p</b>: connection probability of each pair, within [0, 1]<br>unit: a plain number<br>"
                     "example: <code>0.02</code>"),
    ("E", "size", "<b>size</b>: number of neurons (a count or a constant)<br>unit: neurons<br>"
                  "example: <code>100, N_E</code>"),
    ("E", "parameters.taum", "<b>taum</b>: model default 20 ms<br>unit: ms<br>example: <code>20 ms</code>"),
])
def test_f1_in_a_field_shows_its_meaning_unit_and_example(qtbot, cuba_window, element, field, shown):
    select(cuba_window, element)
    assert help_on(qtbot, cuba_window.inspector.fields[field].edit) == shown


def test_a_library_parameter_is_explained_by_its_model(qtbot):
    window = make_window(qtbot, Document.from_project(ProjectDoc((PopulationDoc("P", "iaf_psc_exp", 10,
                                                                                position=(0, 0)),))))
    select(window, "P")
    assert help_on(qtbot, window.inspector.fields["parameters.C_m"].edit) == (
        "<b>C_m</b>: membrane capacitance  [1 pF … 10000 pF]<br>unit: pF<br>example: <code>250 pF</code>")


def test_f1_on_the_settings_and_the_name(qtbot, cuba_window):
    window = cuba_window
    window.scene.clearSelection()
    text = help_on(qtbot, window.inspector.settings.fields["dt"].edit)
    assert text.startswith("<b>dt</b>: simulation time step (empty: 0.1 ms)") and "unit: a time" in text
    select(window, "E")
    assert "unit" not in help_on(qtbot, window.inspector.name_field.edit)
    assert QToolTip.text().startswith("<b>name</b>: the name other elements use for it")


def test_the_question_mark_asks_whats_this_of_the_next_click(qtbot, cuba_window):
    select(cuba_window, "EE")
    ask = next(b for b in cuba_window.inspector.widget().findChildren(QToolButton) if b.text() == "?")
    ask.click()
    assert QWhatsThis.inWhatsThisMode()
    QWhatsThis.leaveWhatsThisMode()
    assert cuba_window.inspector.fields["weight"].edit.whatsThis().startswith("<b>weight</b>: a quantity")


def test_every_field_the_inspector_lists_has_its_help():
    cuba = Document.open(CUBA)
    doc = Document.from_project(ProjectDoc((PopulationDoc("P", "iaf_psc_exp", 10),),
                                           devices=tuple(DeviceDoc(kind, kind, "P") for kind in DEVICES)))
    rows = [r for node in doc.nodes.values() if node.kind == "device" for group in device_rows(doc, node)
            for r in group]
    rows += [r for group in population_rows(doc, doc.nodes["P"])[:3] for r in group]
    rows += [r for group in population_rows(cuba, cuba.nodes["E"])[:3] for r in group]
    rows += projection_rows(cuba, cuba.edges["EE"].data)
    for synapse in SYNAPSE_PARAMETERS:
        cuba.set_edge("EE", Edge.of(replace(cuba.edges["EE"].data, synapse=synapse)))
        rows += synapse_rows(cuba, cuba.edges["EE"].data)
    vague = [r.field for r in rows if r.help.meaning in (r.field, "") or r.help.meaning.startswith("parameter `")]
    assert vague == []
    assert all(r.help.example for r in rows)
