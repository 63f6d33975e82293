"""The playground as a workspace of the main window: a single neuron opens in it; ``--workspace playground``."""

from __future__ import annotations

from PySide6.QtGui import QImage

from studio.document.document import Document
from tests.views.helpers import CUBA, ROOT, make_window
from tests.views.test_cli_window import ncstudio

GLIF = ROOT / "resources" / "examples" / "playground_glif.ncsproj"


def test_a_project_of_a_single_neuron_opens_in_the_playground(qtbot):
    window = make_window(qtbot, Document.open(GLIF))
    playground = window.workspace("playground").view
    assert window.tabs.currentWidget() is playground
    assert playground.state.library_model.name == "glif_cond"
    assert playground.state.parameters["adapting_threshold"] == "true"
    qtbot.waitUntil(lambda: playground.trace.shown is not None, timeout=5000)
    assert len(playground.trace.shown.spike_times) == 22
    assert not window.scopes_dock.isVisible() and not window.palette_dock.isVisible()
    assert playground.panels.count() >= 7
    window.set_workspace("network")
    assert window.scopes_dock.isVisible() and window.palette_dock.isVisible()


def test_other_projects_build_the_playground_when_it_is_first_shown(qtbot):
    window = make_window(qtbot, Document.open(CUBA))
    workspace = window.workspace("playground")
    assert window.tabs.currentIndex() == 0 and workspace.view is None
    window.set_workspace("playground")
    assert workspace.view is not None and window.tabs.currentWidget() is workspace.view
    assert workspace.view.state.library_model.name == "lif"
    qtbot.waitUntil(lambda: workspace.view.state.trace is not None, timeout=5000)
    window.set_document(Document.open(CUBA))
    assert workspace.view.state.library_model.name == "lif"
    window.set_document(Document.open(GLIF))
    assert workspace.view.state.library_model.name == "glif_cond"


def test_the_run_toolbar_is_disabled_outside_the_network_workspace(qtbot):
    window = make_window(qtbot, Document.open(CUBA))
    toolbar = window.run_toolbar
    assert window.front.name == "network" and toolbar.isEnabled() and toolbar.run_action.isEnabled()
    window.set_workspace("playground")
    assert window.front is window.workspace("playground")
    assert not toolbar.isEnabled() and not toolbar.run_action.isEnabled() and not toolbar.step_action.isEnabled()
    window.set_workspace("network")
    assert toolbar.isEnabled() and toolbar.run_action.isEnabled() and toolbar.step_action.isEnabled()


def test_the_headless_screenshot_shows_the_playground_run(tmp_path):
    shot = tmp_path / "playground.png"
    result = ncstudio(GLIF, "--workspace", "playground", "--run", "0.5s", "--screenshot", shot, "--quit",
                      tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)


def test_the_keystroke_benchmark_runs_briefly(qapp):
    from benchmarks.playground_keystroke import keystrokes

    result = keystrokes(qapp, "lif", repeats=2)
    assert result["repeats"] == 2 and result["spikes"] == 61
    assert result["median_ms"] > 0 and result["problem_listed_median_ms"] > 0


def test_the_saved_layout_keeps_the_network_docks(qtbot):
    from PySide6.QtCore import QSettings

    from views.main_window import MainWindow

    window = MainWindow(Document.open(GLIF), keep_layout=True)
    qtbot.addWidget(window)
    window.show()
    assert window.tabs.currentWidget() is window.workspace("playground").view and not window.scopes_dock.isVisible()
    window.close()
    again = MainWindow(Document.open(CUBA), keep_layout=True)
    qtbot.addWidget(again)
    again.show()
    assert QSettings().value("window/state") is not None
    assert again.scopes_dock.isVisible() and again.palette_dock.isVisible()
