"""The project settings in the inspector when nothing is selected: dt, seed, duration, description, constants."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from studio.document.commands import SetSetting
from tests.views.helpers import retype, select


def settings(window):
    window.scene.clearSelection()
    assert window.inspector.name is None
    return window.inspector.settings


def test_with_nothing_selected_the_inspector_shows_the_projects_settings(qtbot, cuba_window):
    window = cuba_window
    panel = settings(window)
    assert panel.fields["dt"].text == "0.1 ms" and panel.fields["seed"].text == "1"
    assert panel.fields["duration"].text == "until stopped"
    assert panel.description.toPlainText().startswith("Vogels & Abbott (2005)")
    assert [(name, field.text, value.text) for name, field, value in panel.constants.rows] == [
        ("we", "we", "(60*0.27/10)*mV"), ("wi", "wi", "(-20*4.5/10)*mV")]
    select(window, "E")
    assert window.inspector.settings is None


def test_dt_and_seed_are_set_by_one_undoable_command_each(qtbot, cuba_window):
    window = cuba_window
    panel = settings(window)
    retype(qtbot, panel.fields["dt"].edit, "0.05 ms")
    assert window.document.settings["dt"] == "0.05 ms"
    assert window.stack.undo_text == "Set dt to 0.05 ms"
    retype(qtbot, panel.fields["seed"].edit, "42")
    assert window.document.settings["seed"] == 42 and window.stack.undo_text == "Set seed to 42"
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert panel.fields["dt"].text == "0.1 ms" and panel.fields["seed"].text == "1"
    assert window.document.settings["dt"] == "0.1 ms" and window.document.settings["seed"] == 1


@pytest.mark.parametrize("key, text, reason", [
    ("dt", "-1 ms", "dt must be positive, not -1 ms"),
    ("dt", "1 mV", "`1 mV` has units volt, expected second (e.g. `0.1 ms`)"),
    ("dt", "0.1", "`0.1` needs a unit: expected second (e.g. `0.1 ms`)"),
    ("seed", "-1", "must be at least 0, not -1"),
    ("seed", "4.5", "expected a whole number, got a number"),
    ("duration", "2 parsecs", "unknown unit `parsecs`"),
    ("duration", "2 mV", "`2 mV` is not a positive time (e.g. `2 s`)"),
])
def test_a_refused_setting_is_red_with_the_reason_in_problems_and_esc_reverts(qtbot, cuba_window, key, text, reason):
    window = cuba_window
    before = window.document.to_project()
    field = settings(window).fields[key]
    retype(qtbot, field.edit, text)
    assert field.problem == reason and field.reason.isVisible() and field.text == text
    assert f"{key} (typed, not applied): {reason}" in window.problems.messages()
    assert window.document.to_project() == before and len(window.stack) == 0
    assert window.run_toolbar.duration.currentText() == "until stopped"
    qtbot.keyClick(field.edit, Qt.Key.Key_Escape)
    assert field.problem is None and not any("typed" in m for m in window.problems.messages())


def test_the_duration_is_the_run_toolbars(qtbot, cuba_window):
    window = cuba_window
    field = settings(window).fields["duration"]
    retype(qtbot, field.edit, "2 s")
    assert window.run_toolbar.duration.currentText() == "2 s"
    window.run_toolbar.duration.setCurrentText("100 ms")
    assert field.text == "100 ms"


def test_the_description_is_one_undoable_edit_of_several_lines(qtbot, cuba_window):
    window = cuba_window
    panel = settings(window)
    panel.description.setFocus()
    panel.description.selectAll()
    qtbot.keyClicks(panel.description, "first line")
    qtbot.keyClick(panel.description, Qt.Key.Key_Return)
    qtbot.keyClicks(panel.description, "second line")
    panel.fields["dt"].edit.setFocus()  # leaving the field commits it
    assert window.document.settings["description"] == "first line\nsecond line"
    assert len(window.stack) == 1
    window.undo_action.trigger()
    assert panel.description.toPlainText().startswith("Vogels & Abbott (2005)")


def test_constants_are_added_renamed_edited_and_deleted_each_in_one_step(qtbot, cuba_window):
    window = cuba_window
    table = settings(window).constants
    table.add_button.click()
    assert list(window.document.settings["constants"]) == ["we", "wi", "c1"]
    assert window.stack.undo_text == "Add constant c1"
    name = table.rows[-1][1]
    assert name.edit.hasFocus()
    retype(qtbot, name.edit, "g", Qt.Key.Key_Tab)
    assert list(window.document.settings["constants"]) == ["we", "wi", "g"]
    assert window.stack.undo_text == "Rename constant c1 to g"
    retype(qtbot, table.rows[-1][2].edit, "5")
    assert window.document.settings["constants"]["g"] == 5 and window.stack.undo_text == "Set constant g to 5"
    retype(qtbot, table.rows[0][2].edit, "0.5 mV")
    assert window.document.settings["constants"]["we"] == "0.5 mV"
    table.grid.itemAtPosition(3, 2).widget().click()  # the ✕ of g
    assert list(window.document.settings["constants"]) == ["we", "wi"]
    assert window.stack.undo_text == "Remove constant g"
    assert [name for name, _, _ in table.rows] == ["we", "wi"]
    for _ in range(5):
        window.undo_action.trigger()
    assert window.document.settings["constants"] == {"we": "(60*0.27/10)*mV", "wi": "(-20*4.5/10)*mV"}
    assert [(name, value.text) for name, _, value in table.rows] == [("we", "(60*0.27/10)*mV"),
                                                                     ("wi", "(-20*4.5/10)*mV")]


@pytest.mark.parametrize("column, text, reason", [
    (2, "3 parsecs", "invalid syntax in `3 parsecs`"),
    (2, "wq*2", "unknown name `wq`"),
    (1, "wi", "a constant `wi` exists already"),
    (1, "2x", "`2x` is not a valid name (letters, digits and `_`, not starting with a digit)"),
])
def test_a_refused_constant_is_red_with_the_reason(qtbot, cuba_window, column, text, reason):
    window = cuba_window
    before = window.document.to_project()
    table = settings(window).constants
    field = table.rows[0][column]
    retype(qtbot, field.edit, text)
    assert field.problem == reason and field.reason.isVisible()
    assert f"constants.we (typed, not applied): {reason}" in window.problems.messages()
    assert window.document.to_project() == before and len(window.stack) == 0


def test_a_run_refused_for_a_setting_marks_it_in_the_settings(qtbot, cuba_window, monkeypatch):
    window = cuba_window
    monkeypatch.setattr(QMessageBox, "show", lambda box: None)
    window.stack.push(SetSetting(window.document, "dt", "-0.1 ms"))
    select(window, "E")
    window.run_toolbar.run(0.1)
    qtbot.waitUntil(lambda: window.run_toolbar.state == "failed", timeout=20_000)
    assert window.scene.selectedItems() == [] and window.inspector.settings is not None
    field = window.inspector.settings.fields["dt"]
    assert field.text == "-0.1 ms" and field.problem == "dt must be positive, not -0.1 ms" and field.edit.hasFocus()
    assert window.problems.messages()[0] == "run: dt: dt must be positive, not -0.1 ms"
    assert not any("typed" in m for m in window.problems.messages())


def test_a_new_project_has_no_constants_until_one_is_added(qtbot, empty_window):
    table = settings(empty_window).constants
    assert table.rows == []
    assert any(label.text().startswith("none yet") for label in table.findChildren(QLabel) if label.isVisible())
    table.add_button.click()
    assert empty_window.document.settings["constants"] == {"c1": 0}
    assert [name for name, _, _ in table.rows] == ["c1"]
