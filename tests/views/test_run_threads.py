"""The threads setting of the run toolbar: kept in the app's settings, used by the next run."""

from PySide6.QtCore import QSettings

from engine.run.simulation import max_threads
from studio.document.document import Document
from tests.views.helpers import CUBA, make_window


def test_the_threads_setting_is_kept_and_used_by_the_next_run(qtbot, cuba_window):
    toolbar = cuba_window.run_toolbar
    assert toolbar.threads.value() == 1 and toolbar.threads.maximum() == max_threads()
    assert toolbar.threads.text() == "1 thread"
    toolbar.threads.setValue(max_threads())
    assert toolbar.threads.text() == f"{max_threads()} thread{'s' if max_threads() > 1 else ''}"
    assert QSettings().value("run_threads") == max_threads()
    assert make_window(qtbot, Document.open(CUBA)).run_toolbar.threads.value() == max_threads()
    toolbar.duration.setEditText("100 ms")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished" and not toolbar.timer.isActive(), timeout=30_000)
    assert toolbar.session.simulation.network.kernel.threads == max_threads()
    assert cuba_window.scopes.data.received > 1000
    assert not cuba_window.isWindowModified()  # a setting of the app, not of the project


def test_a_saved_setting_beyond_this_machine_is_clamped(qtbot):
    QSettings().setValue("run_threads", 999)
    assert make_window(qtbot, Document.open(CUBA)).run_toolbar.threads.value() == max_threads()
    QSettings().setValue("run_threads", "many")
    assert make_window(qtbot, Document.open(CUBA)).run_toolbar.threads.value() == 1
