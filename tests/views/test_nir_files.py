"""File → Import NIR Graph… opens a graph laid out in the editor; File → Export as NIR Graph… writes one that
nir reads."""

from __future__ import annotations

import nir
import pytest
from PySide6.QtWidgets import QMessageBox

from studio.interop.nir_import import import_nir
from tests.studio.test_nir import two_layers


def file_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")


def test_import_opens_the_graph_laid_out_and_unsaved(qtbot, cuba_window, tmp_path):
    window = cuba_window
    assert {"&Import NIR Graph…", "&Export as NIR Graph…"} <= {a.text() for a in file_menu(window).actions()}
    nir.write(tmp_path / "net.nir", two_layers())
    window.nir_files.ask_import_path = lambda: str(tmp_path / "net.nir")
    window.nir_files.ask_dt = lambda: "0.1 ms"
    window.nir_files.import_action.trigger()
    assert set(window.document.nodes) == {"input", "lif1", "cuba", "input_spikes", "output"}
    assert window.document.path is None and window.isWindowModified()
    # Laid out left to right, in the order the spikes flow.
    x = {name: window.scene.nodes[name].x() for name in ("input_spikes", "input", "lif1", "cuba", "output")}
    assert x["input_spikes"] < x["input"] < x["lif1"] < x["cuba"] < x["output"]
    assert window.statusBar().currentMessage() == "Imported net.nir: 3 populations, 2 projections"
    project = window.document.to_project()
    assert project.projections == import_nir(tmp_path / "net.nir").projections

    saved = tmp_path / "net.ncsproj"
    window.files.ask_save_path = lambda: str(saved)
    assert window.files.save()
    assert not window.isWindowModified() and saved.is_file()


def test_export_writes_the_shown_project_as_a_graph(qtbot, cuba_window, tmp_path):
    window = cuba_window
    nir.write(tmp_path / "net.nir", two_layers())
    window.nir_files.ask_dt = lambda: "0.1 ms"
    assert window.nir_files.import_graph(tmp_path / "net.nir")
    window.nir_files.ask_export_path = lambda: str(tmp_path / "out.nir")
    window.nir_files.export_action.trigger()
    graph = nir.read(tmp_path / "out.nir")
    assert {k: type(v).__name__ for k, v in graph.nodes.items()} == {
        "input": "Input", "lif1": "LIF", "cuba": "CubaLIF", "fc1": "Affine", "fc2": "Affine", "output": "Output"}


def test_refusals_are_shown_and_the_document_is_kept(qtbot, cuba_window, tmp_path, monkeypatch):
    window = cuba_window
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    (tmp_path / "broken.nir").write_text("not HDF5")
    assert not window.nir_files.import_graph(tmp_path / "broken.nir")
    assert "E" in window.document.nodes
    assert window.nir_files.export_graph(tmp_path / "cuba.nir") is None
    assert not (tmp_path / "cuba.nir").exists()
    assert [title for title, _ in shown] == ["Import NIR graph", "Export as NIR graph"]
    assert "broken.nir: not a NIR graph" in shown[0][1]
    assert "has no NIR counterpart" in shown[1][1]


def test_a_project_imported_on_the_command_line_opens_laid_out_the_same_way(qtbot, tmp_path):
    from studio.document.document import Document
    from tests.views.helpers import make_window
    from views.nir_files import laid_out

    nir.write(tmp_path / "net.nir", two_layers())
    doc = import_nir(tmp_path / "net.nir")  # what `ncstudio import` writes: no positions
    assert all(p.position is None for p in doc.populations)
    window = make_window(qtbot, Document.from_project(doc))
    placed = laid_out(doc)
    for element in (*placed.populations, *placed.devices):
        item = window.scene.nodes[element.name]
        assert (item.x(), item.y()) == element.position


def test_a_per_neuron_parameter_is_shown_and_typed_as_a_list(qtbot, cuba_window, tmp_path):
    from tests.views.helpers import select, type_into

    window = cuba_window
    nir.write(tmp_path / "net.nir", two_layers())
    window.nir_files.ask_dt = lambda: "0.1 ms"
    assert window.nir_files.import_graph(tmp_path / "net.nir")
    select(window, "cuba")
    assert window.inspector.fields["parameters.tau_mem"].text == "0.01 s, 0.02 s"
    type_into(qtbot, window, "parameters.tau_mem", "0.01 s, 0.03 s")
    assert window.document.nodes["cuba"].data.parameters["tau_mem"] == ("0.01 s", "0.03 s")
    assert window.stack.undo_text == "Set cuba.parameters.tau_mem to 0.01 s, 0.03 s"
    type_into(qtbot, window, "parameters.tau_mem", "0.01 s")
    assert window.inspector.fields["parameters.tau_mem"].text == "0.01 s"
    type_into(qtbot, window, "parameters.tau_mem", "0.01 s, 0.02 s, 0.03 s")  # three values for two neurons
    qtbot.waitUntil(lambda: any("3 values for 2 neurons" in m for m in window.problems.messages()))


def test_the_time_step_is_asked_for_when_the_graph_states_none(qtbot, cuba_window, tmp_path, monkeypatch):
    window = cuba_window
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    nir.write(tmp_path / "net.nir", two_layers())
    asked = []
    window.nir_files.ask_dt = lambda: asked.append("dt") or None  # cancelled
    assert not window.nir_files.import_graph(tmp_path / "net.nir")
    assert asked == ["dt"] and "E" in window.document.nodes
    window.nir_files.ask_dt = lambda: "2 mV"
    assert not window.nir_files.import_graph(tmp_path / "net.nir")
    assert "`2 mV` has units volt, expected second" in shown[-1]
    window.nir_files.ask_dt = lambda: "1 ms"  # Norse's step
    assert window.nir_files.import_graph(tmp_path / "net.nir")
    assert window.document.to_project().dt == "0.001 s"

    window.nir_files.ask_dt = lambda: pytest.fail("a graph that states its dt is not asked about")
    window.nir_files.export_graph(tmp_path / "stated.nir")  # export writes metadata["dt"]
    assert window.nir_files.import_graph(tmp_path / "stated.nir")
    assert window.document.to_project().dt == "0.001 s"
