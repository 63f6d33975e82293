"""Paste Brian2 code: a script's ``NeuronGroup`` becomes the playground's model.

The code is read by :func:`studio.interop.brian2_import.import_brian2` (parsed,
never run).  A script that cannot be read keeps the dialog open with each
problem at its line and column of the pasted code (a click selects it); a
model that is read replaces the playground's, and what the script held that
was not read stays listed until the dialog is closed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QVBoxLayout, QWidget)

from engine.errors import ModelError, Problem
from studio.interop.brian2_import import import_brian2
from studio.playground.playground_state import PlaygroundState
from views.theme import colors

SOURCE = "pasted code"


class Brian2PasteDialog(QDialog):
    """Reads pasted Brian2 code into ``state`` (the model of its first ``NeuronGroup``)."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Paste Brian2 code")
        self.state = state
        self.code = QPlainTextEdit()
        self.code.setPlaceholderText("Paste a Brian2 script: its NeuronGroup's equations, threshold, reset, "
                                     "refractory, method and the constants it uses become the model.")
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.notes = QListWidget()
        self.notes.setWordWrap(True)
        self.notes.itemClicked.connect(self._go_to)
        self.notes.itemActivated.connect(self._go_to)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.read_button = buttons.addButton("Use as model", QDialogButtonBox.ButtonRole.ApplyRole)
        self.read_button.clicked.connect(self.read)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.code, 3)
        layout.addWidget(self.status)
        layout.addWidget(self.notes, 1)
        layout.addWidget(buttons)
        self.resize(720, 560)

    def read(self) -> None:
        """Read the pasted code: the model goes to the playground, or its problems are listed here."""
        try:
            result = import_brian2(self.code.toPlainText(), SOURCE)
        except ModelError as exc:
            self._list(exc.problems)
            self.status.setText(f"<span style='color:{colors().error.name()}'>The code cannot be read; the "
                                "playground's model is unchanged.</span>")
            return
        self.state.from_model(result.spec)
        self._list(list(result.unread))
        if result.unread:
            self.status.setText("The model is in the editor. Not read from the code:")
        else:
            self.status.setText("The model is in the editor; everything its NeuronGroup names was read.")

    def _list(self, problems: list[Problem]) -> None:
        self.notes.clear()
        for p in problems:
            item = QListWidgetItem(f"line {p.line}, col {p.col}: {p.message}")
            item.setData(Qt.ItemDataRole.UserRole, (p.line, p.col))
            self.notes.addItem(item)

    def _go_to(self, item: QListWidgetItem) -> None:
        line, col = item.data(Qt.ItemDataRole.UserRole)
        block = self.code.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.Right, n=min(col - 1, max(block.length() - 1, 0)))
        self.code.setTextCursor(cursor)
        self.code.setFocus()
