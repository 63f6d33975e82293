"""The main window: title and files, autosave and recovery, live runs and a failing worker."""

from __future__ import annotations

from datetime import datetime

from neo.io import NixIO
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from studio.document import autosave
from studio.document.commands import MoveNode, SetField
from studio.document.document import Document
from studio.document.history import UndoStack
from studio.project.project_file import read_project
from tests.views.helpers import CUBA, add, make_window, select, type_into


def test_the_title_shows_unsaved_changes_and_save_open_round_trips(qtbot, cuba_window, tmp_path):
    window = cuba_window
    assert window.windowTitle().startswith("cuba[*]") and not window.isWindowModified()
    add(window, "device", "dc_generator", 100, 100)
    window.stack.push(SetField(window.document, "E", "size", "3000"))
    assert window.isWindowModified()
    path = tmp_path / "mine.ncsproj"
    assert window.files.save_as(path)
    assert not window.isWindowModified() and window.windowTitle().startswith("mine[*]")
    assert QSettings().value("recent_files") == [str(path.resolve())]

    other = make_window(qtbot, Document.open(CUBA))
    assert other.files.open(path)
    assert other.document.to_project() == window.document.to_project() == read_project(path)
    assert not other.isWindowModified()
    window.undo_action.trigger()
    assert window.isWindowModified()
    window.redo_action.trigger()
    assert not window.isWindowModified()


def test_the_window_runs_the_documents_undo_stack_and_only_presents_it(qtbot, tmp_path):
    document = Document.open(CUBA)
    stack = document.undo_stack
    window = make_window(qtbot, document)
    assert isinstance(stack, UndoStack) and window.stack is stack
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    select(window, "E")
    type_into(qtbot, window, "size", "1000")  # an edit through the inspector lands on the tests' stack
    assert len(stack) == 1 and stack.undo_text == "Set E.size to 1000" and not stack.is_clean
    assert window.undo_action.isEnabled() and window.undo_action.text() == "&Undo Set E.size to 1000"
    assert window.isWindowModified()
    stack.undo()  # the test drives the stack; the actions, the title and the inspector follow
    assert document.nodes["E"].data.size == 3200 and window.inspector.fields["size"].text == "3200"
    assert not window.undo_action.isEnabled() and window.redo_action.text() == "&Redo Set E.size to 1000"
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert stack.index == 1 and document.nodes["E"].data.size == 1000 and window.isWindowModified()
    assert window.files.save_as(tmp_path / "mine.ncsproj")
    assert stack.is_clean and not window.isWindowModified()

    other = Document.open(CUBA)  # another document brings its own history
    window.set_document(other)
    assert window.stack is other.undo_stack and not window.undo_action.isEnabled()
    stack.undo()  # the first document's stack no longer reaches the window
    assert not window.undo_action.isEnabled() and not window.isWindowModified()


def test_closing_with_unsaved_changes_asks_first(qtbot, cuba_window):
    window = cuba_window
    window.stack.push(MoveNode(window.document, "E", (40, 40)))
    answers = []
    window.files.ask_unsaved = lambda: answers.append("asked") or "cancel"
    assert not window.close()
    assert window.isVisible() and answers == ["asked"]
    window.files.ask_unsaved = lambda: "discard"
    assert window.close()


def test_autosave_writes_a_recovery_file_that_is_offered_back(qtbot, cuba_window):
    window = cuba_window
    assert window.files.autosave() is None  # nothing unsaved, nothing written
    window.stack.push(SetField(window.document, "I", "size", "900"))
    recovery = window.files.autosave()
    assert recovery is not None and autosave.find_recoveries() == [recovery]
    edited = window.document.to_project()
    window.files.recovery = None  # the window "crashes": its recovery file stays behind

    fresh = make_window(qtbot, Document.open(CUBA))
    asked = []
    fresh.files.ask_recovery = lambda found: asked.append(found.title) or "recover"
    assert fresh.files.offer_recoveries() == 1
    assert asked == ["cuba"]
    assert fresh.document.to_project() == edited
    assert fresh.document.path == CUBA.resolve()
    assert fresh.isWindowModified()
    assert autosave.find_recoveries() == []


def test_the_status_bar_says_when_the_last_autosave_was_until_the_document_is_saved(qtbot, cuba_window, tmp_path):
    window = cuba_window
    files = window.files
    files.clock = lambda: datetime(2026, 12, 4, 14, 5)
    assert files.autosaved.text() == "" and files.autosaved.parent() is window.statusBar()
    window.stack.push(SetField(window.document, "E", "size", "3000"))
    files.timer.timeout.emit()  # the autosave timer fires
    assert files.autosaved.text() == "autosaved 14:05" and files.autosaved.isVisibleTo(window)
    assert files.save_as(tmp_path / "mine.ncsproj")
    assert files.autosaved.text() == ""


def test_the_autosave_interval_is_a_setting_that_takes_effect_at_once(qtbot, cuba_window):
    files = cuba_window.files
    assert files.autosave_minutes() == 1 and files.timer.interval() == 60_000 and files.timer.isActive()
    files.ask_autosave_minutes = lambda: 5
    files.interval_action.trigger()  # File > Autosave Interval…, answered "5"
    assert files.timer.interval() == 5 * 60_000 and files.timer.isActive()
    assert QSettings().value("autosave_minutes") == 5
    fresh = make_window(qtbot, Document.open(CUBA))  # the next window keeps it
    assert fresh.files.timer.interval() == 5 * 60_000
    files.ask_autosave_minutes = lambda: None  # cancelled: nothing changes
    files.interval_action.trigger()
    assert files.timer.interval() == 5 * 60_000


def test_a_live_run_streams_spikes_to_the_scopes(qtbot, cuba_window):
    window = cuba_window
    toolbar = window.run_toolbar
    toolbar.duration.setEditText("1 s")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished" and not toolbar.timer.isActive(), timeout=30_000)
    assert toolbar.session.t_ms == 1000.0
    assert toolbar.time_label.text() == " t = 1.000 s "
    assert window.scopes.data.received > 10_000  # ~22 spikes per ms in CUBA
    assert set(window.scopes.data.spikes) == {"E", "I"}
    assert 1 < window.scene.nodes["E"].activity.rate_hz < 20
    assert any(line.endswith("finished") for line in window.problems.log.toPlainText().splitlines())
    assert not window.isWindowModified()


def test_pause_step_and_a_parameter_change_during_a_run(qtbot, cuba_window):
    window = cuba_window
    toolbar = window.run_toolbar
    toolbar.step_action.trigger()
    qtbot.waitUntil(lambda: toolbar.session.t_ms == 10.0, timeout=20_000)
    qtbot.waitUntil(lambda: toolbar.time_label.text() == " t = 0.010 s ")
    assert toolbar.state == "paused" and toolbar.run_action.text() == "Resume"
    window.scene.select(["E"])
    window.inspector.fields["parameters.Vt"].edit.setText("-52 mV")
    window.inspector.fields["parameters.Vt"].edit.editingFinished.emit()
    assert window.document.nodes["E"].data.parameters == {"Vt": "-52 mV"}
    toolbar.step_action.trigger()
    qtbot.waitUntil(lambda: toolbar.time_label.text() == " t = 0.020 s ", timeout=20_000)
    qtbot.waitUntil(lambda: "E.Vt" in window.problems.log.toPlainText(), timeout=5_000)
    toolbar.stop_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished", timeout=20_000)


def test_a_failing_worker_leaves_the_window_usable_and_the_project_untouched(qtbot, cuba_window, monkeypatch):
    window = cuba_window
    window.stack.push(SetField(window.document, "spikes_E", "kind", "poisson_generator", check=False))
    before = window.document.to_project()
    shown = []
    monkeypatch.setattr(QMessageBox, "show", lambda box: shown.append(box))
    window.run_toolbar.run(0.1)
    qtbot.waitUntil(lambda: window.run_toolbar.state == "failed", timeout=20_000)
    box = window.failure_dialog
    assert shown == [box]
    assert box.text().startswith("The run failed: ")
    assert "Traceback (most recent call last)" in box.detailedText()
    assert window.problems.messages()[0] == "run: spikes_E.params.rate: missing: poisson_generator needs `rate`"
    assert window.document.to_project() == before
    assert window.isVisible()
    window.undo_action.trigger()
    window.run_toolbar.run(0.05)
    qtbot.waitUntil(lambda: window.scopes.data.received > 0, timeout=20_000)


def test_file_export_recordings_saves_the_finished_run_as_neo_nix(qtbot, cuba_window, tmp_path, monkeypatch):
    window = cuba_window
    export = window.recordings_export
    assert not export.action.isEnabled()  # nothing has run yet
    toolbar = window.run_toolbar
    toolbar.duration.setEditText("100 ms")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished" and not toolbar.timer.isActive(), timeout=30_000)
    assert export.action.isEnabled()
    assert export.action in window.menuBar().actions()[0].menu().actions()
    saved = export.export(tmp_path / "cuba.nix")
    io = NixIO(str(saved), mode="ro")
    block = io.read_block()
    io.close()
    spikes = toolbar.session.simulation.spikes("E")[0]
    assert [g.name for g in block.groups] == ["E", "I"]
    assert len(block.groups[0].spiketrains[0]) == len(spikes) > 0
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    assert export.export(tmp_path / "cuba.csv") is None
    assert shown == ["cannot save recordings as `cuba.csv`: use .npz or .nix"]
