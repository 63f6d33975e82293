"""The Help menu: About with the versions, the keyboard shortcuts read from the actions, the README; the window icon."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox

from views.help_menu import ReadmeDialog, ShortcutsDialog, shortcut_rows


def help_action(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def opened(window, kind):
    return [d for d in window.findChildren(kind) if d.isVisible()]


def test_about_names_the_version_and_the_libraries(qtbot, cuba_window):
    help_action(cuba_window, "About NeuroCore Studio").trigger()
    box = opened(cuba_window, QMessageBox)[0]
    text = box.text()
    assert "NeuroCore Studio 0.1.0" in text
    for name, version in (("PySide6", None), ("pyqtgraph", pg.__version__), ("NumPy", np.__version__), ("SciPy", None),
                          ("Amaranth", None)):
        assert name in text and (version is None or version in text)
    assert "not installed" not in text  # the dev environment has them all
    box.accept()


def test_the_shortcuts_dialog_lists_the_actions_as_they_are(qtbot, cuba_window):
    window = cuba_window
    help_action(window, "Keyboard Shortcuts").trigger()
    dialog = opened(window, ShortcutsDialog)[0]
    table = dialog.table
    shown = {(table.item(r, 0).text(), table.item(r, 1).text()): table.item(r, 2).text()
             for r in range(table.rowCount())}
    assert shown[("Run", "Run")] == "F5" and shown[("Run", "Step")] == "F6"
    assert shown[("File", "Save")] == QKeySequence(QKeySequence.StandardKey.Save).toString(
        QKeySequence.SequenceFormat.NativeText)
    assert all(keys != "F10" for keys in shown.values())  # F10 is the desktop's menu key
    window.run_toolbar.step_action.setShortcut(QKeySequence("Ctrl+."))  # read from the actions, not a copy
    assert ("Run", "Step", "Ctrl+.") in shortcut_rows(window)
    dialog.reject()
    assert not opened(window, QDialog)


def test_the_readme_opens_rendered(qtbot, cuba_window):
    help_action(cuba_window, "Read Me").trigger()
    dialog = opened(cuba_window, ReadmeDialog)[0]
    assert dialog.text.toPlainText().startswith("NeuroCore Studio")
    assert "Quick start" in dialog.text.toPlainText()


def test_the_application_and_its_windows_have_the_bundled_icon(qtbot, cuba_window):
    from views.app import application

    app = application()
    assert not app.windowIcon().isNull() and app.windowIcon().pixmap(32, 32).width() == 32
    assert not cuba_window.windowIcon().isNull()
