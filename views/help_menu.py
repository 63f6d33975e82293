"""The Help menu: About (the studio's version and its libraries'), the keyboard shortcuts as the window's actions
have them, and the README.

The shortcut list is read from the actions when it opens, so it never disagrees with them; the README comes
from the installed package's metadata, so an installed wheel shows it as a source checkout does.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QMainWindow, QMenu, QMessageBox, QTableWidget,
                               QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget)

DISTRIBUTION = "neurocore-studio"
LIBRARIES = (("PySide6", ("PySide6-Essentials", "PySide6")), ("pyqtgraph", ("pyqtgraph",)), ("NumPy", ("numpy",)),
             ("SciPy", ("scipy",)), ("Amaranth", ("amaranth",)))


def version_of(distribution: str) -> str | None:
    """The installed version of ``distribution``, or ``None`` when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> list[tuple[str, str]]:
    """``(name, version)`` of the main libraries, "not installed" for an optional one that is missing."""
    return [(name, next(filter(None, map(version_of, distributions)), "not installed"))
            for name, distributions in LIBRARIES]


def about_text() -> str:
    """The About box's text (rich text): the studio's version and the versions of its libraries."""
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{version}</td></tr>" for name, version in library_versions())
    return (f"<h3>NeuroCore Studio {version_of(DISTRIBUTION) or '(not installed)'}</h3>"
            "<p>A desktop studio for spiking neural networks.</p>"
            f"<table>{rows}</table>")


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """``(menu, action, shortcuts)`` for every action of ``window`` that has a shortcut: the menus' first, in
    menu order, then the others (under "Other")."""
    rows, seen = [], set()

    def add(section: str, action: QAction) -> None:
        keys = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())
        if keys and action not in seen:
            seen.add(action)
            rows.append((section, action.text().replace("&", ""), keys))

    def walk(section: str, menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(section, action.menu())
            else:
                add(section, action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.text().replace("&", ""), top.menu())
    for action in window.findChildren(QAction):
        add("Other", action)
    return rows


class ShortcutsDialog(QDialog):
    """A table of the window's keyboard shortcuts (:func:`shortcut_rows`)."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        _lay_out_with_close(self, self.table, 460, 520)


def _lay_out_with_close(dialog: QDialog, content: QWidget, width: int, height: int) -> None:
    """``content`` above a Close button that dismisses ``dialog``, which opens ``width`` x ``height``."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(content)
    layout.addWidget(buttons)
    dialog.resize(width, height)


class ReadmeDialog(QDialog):
    """The README, rendered, with its links opening in the browser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("NeuroCore Studio — Read Me")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setSearchPaths([str(Path(__file__).resolve().parents[1])])  # the docs/ images of a checkout
        description = metadata.metadata(DISTRIBUTION).get_payload() if version_of(DISTRIBUTION) else ""
        self.text.setMarkdown(description or "The README is not installed with this copy of the studio.")
        _lay_out_with_close(self, self.text, 760, 640)


def help_menu(window: QMainWindow) -> QMenu:
    """The Help menu of ``window``; its dialogs are the window's children, open without blocking and go when
    closed."""
    menu = QMenu("&Help", window)

    def show(dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def about() -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, "About NeuroCore Studio", about_text(),
                          QMessageBox.StandardButton.Ok, window)
        box.setIconPixmap(window.windowIcon().pixmap(64, 64))
        show(box)

    menu.addAction("&Keyboard Shortcuts", lambda: show(ShortcutsDialog(window)))
    menu.addAction("&Read Me", lambda: show(ReadmeDialog(window)))
    menu.addSeparator()
    menu.addAction("&About NeuroCore Studio", about)
    return menu
