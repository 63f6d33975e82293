"""The window keeps its shape across workspace switches, New and Open leave nothing of the previous project
on screen, and the run toolbar says why it does not run."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar, QWidget

from tests.views.helpers import ROOT

HIL_DEMO = ROOT / "resources" / "examples" / "hil_demo.ncsproj"


def _widths(window) -> dict[str, int]:
    docks = (window.palette_dock, window.inspector_dock, window.scopes_dock, window.problems_dock)
    return {"window": window.width(), **{dock.objectName(): dock.width() for dock in docks}}


def test_the_window_and_its_docks_keep_their_widths_across_ten_workspace_switches(qtbot, cuba_window):
    window = cuba_window
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: window.width() == 1440)
    before = _widths(window)
    assert before["window"] == 1440 and before["palette"] == 220
    for _ in range(10):
        window.set_workspace("playground")
        qtbot.wait(10)
        assert window.width() == 1440
        window.set_workspace("network")
        qtbot.wait(10)
    assert _widths(window) == before


def test_the_playground_lays_out_in_1280_by_720_with_nothing_cut_off(qtbot, cuba_window):
    window = cuba_window
    window.resize(1280, 720)
    window.set_workspace("playground")
    view = window.workspace("playground").view
    for index in range(view.panels.count()):  # every analysis panel in front in turn
        view.panels.setCurrentIndex(index)
        qtbot.wait(10)
        assert (window.width(), window.height()) == (1280, 720)
        hint = view.minimumSizeHint()
        assert hint.width() <= view.width() and hint.height() <= view.height(), view.panels.tabText(index)
        for widget in view.findChildren(QWidget):  # a scrolled tab bar's own arrows are narrow by design
            if widget.isVisible() and widget.minimumSizeHint().isValid() and not isinstance(widget.parent(), QTabBar):
                assert widget.width() >= widget.minimumSizeHint().width(), (view.panels.tabText(index), widget)


def test_f5_in_the_playground_runs_nothing(qtbot, cuba_window):
    window = cuba_window
    window.set_workspace("playground")
    qtbot.keyClick(window.workspace("playground").view, Qt.Key.Key_F5)
    assert window.run_toolbar.session is None and window.run_toolbar.state == "idle"


def _run_a_little(qtbot, window) -> None:
    toolbar = window.run_toolbar
    toolbar.duration.setEditText("100 ms")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "finished" and not toolbar.timer.isActive(), timeout=30_000)
    window.scopes.set_shown(["E"])
    window.scopes.refresh()
    assert toolbar.time_label.text() == " t = 0.100 s " and window.scopes.data.received > 0


def _shows_no_run(window, populations: dict[str, int]) -> None:
    toolbar, scopes = window.run_toolbar, window.scopes
    assert toolbar.session is None
    assert (toolbar.time_label.text(), toolbar.speed_label.text(), toolbar.state_label.text()) == (
        " t = 0.000 s ", " speed – ", " idle ")
    assert toolbar.run_action.isEnabled() and toolbar.run_action.text() == "Run"
    scopes.refresh()
    assert scopes.data.sizes == populations and scopes.raster.shown() == list(populations)
    assert scopes.data.received == 0 and all(t.size == 0 for t, _ in scopes.raster.spikes_shown().values())
    assert [a.text() for a in scopes.populations_button.menu().actions()] == list(populations)
    assert scopes.status.text() == "t = 0.00 s   0 spikes"


def test_new_and_open_show_the_new_project_with_no_trace_of_the_last_run(qtbot, cuba_window):
    window = cuba_window
    _run_a_little(qtbot, window)
    window.files.new()
    _shows_no_run(window, {})
    window.files.open(ROOT / "resources" / "examples" / "cuba.ncsproj")
    _run_a_little(qtbot, window)
    window.files.open(HIL_DEMO)
    _shows_no_run(window, {"E": 160, "I": 40})
    window.files.open(ROOT / "resources" / "examples" / "brunel.ncsproj")
    _shows_no_run(window, {"E": 10_000, "I": 2_500})  # sizes named by constants: 4*order and order


def test_new_during_a_run_stops_it(qtbot, cuba_window):
    toolbar = cuba_window.run_toolbar
    toolbar.run_action.trigger()
    session = toolbar.session
    qtbot.waitUntil(lambda: session.t_ms > 0, timeout=30_000)
    cuba_window.files.new()
    assert session.wait(10) and session.state == "finished"
    _shows_no_run(cuba_window, {})


def test_a_bad_duration_is_marked_at_the_field_and_listed_in_problems(qtbot, cuba_window):
    window = cuba_window
    toolbar = window.run_toolbar
    toolbar.duration.setEditText("2 parsecs")
    toolbar.run_action.trigger()
    assert toolbar.session is None
    assert "border" in toolbar.duration.lineEdit().styleSheet()
    assert toolbar.duration.toolTip() == toolbar.duration_problem and "parsecs" in toolbar.duration_problem
    assert window.statusBar().currentMessage().startswith("Cannot run: duration: ")
    assert window.problems.messages()[0] == f"run: duration: {toolbar.duration_problem}"
    toolbar.duration.setEditText("2 s")
    assert toolbar.duration.lineEdit().styleSheet() == "" and toolbar.duration_problem is None


def test_running_an_empty_project_says_there_is_nothing_to_run(qtbot, empty_window):
    window = empty_window
    for action in (window.run_toolbar.run_action, window.run_toolbar.step_action):
        action.trigger()
        assert window.run_toolbar.session is None and window.run_toolbar.state == "idle"
        assert "nothing to run" in window.statusBar().currentMessage()
        assert window.problems.messages()[0].startswith("run: network: nothing to run")


def test_the_scope_display_button_is_not_a_second_pause(cuba_window):
    scopes = cuba_window.scopes
    assert scopes.pause_button.text() == "Freeze"
    scopes.set_paused(True)
    assert scopes.pause_button.text() == "Live"
    assert cuba_window.run_toolbar.pause_action.text() == "Pause"


def test_the_run_actions_carry_icons_beside_their_names(cuba_window):
    bar = cuba_window.run_toolbar
    actions = (bar.run_action, bar.pause_action, bar.step_action, bar.stop_action)
    assert [a.text() for a in actions] == ["Run", "Pause", "Step", "Stop"]
    assert all(not a.icon().isNull() for a in actions)
    assert bar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
