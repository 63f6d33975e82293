"""The Undo and Redo actions of the window, presenting the document's Qt-free undo stack.

The stack (:class:`studio.document.history.UndoStack`) is the one the tests
drive; this module only shows it: the actions are enabled and named after
what they would undo or redo ("Undo Move I"), following the stack's
:class:`~studio.document.events.UndoStackChanged` events.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from studio.document.events import UndoStackChanged
from studio.document.history import UndoStack


class UndoActions(QObject):
    """``undo_action`` and ``redo_action`` for the stack given to :meth:`follow` (one stack at a time)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.stack: UndoStack | None = None
        self.undo_action = QAction("&Undo", parent)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(lambda: self.stack.undo())
        self.redo_action = QAction("&Redo", parent)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)])
        self.redo_action.triggered.connect(lambda: self.stack.redo())

    def follow(self, stack: UndoStack) -> None:
        """Present ``stack`` (instead of the one followed so far)."""
        if self.stack is not None:
            self.stack.events.disconnect(self._update)
        self.stack = stack
        stack.events.connect(self._update)
        self._update()

    def _update(self, event: UndoStackChanged | None = None) -> None:
        stack = self.stack
        self.undo_action.setEnabled(stack.can_undo)
        self.undo_action.setText(f"&Undo {stack.undo_text}".rstrip())
        self.redo_action.setEnabled(stack.can_redo)
        self.redo_action.setText(f"&Redo {stack.redo_text}".rstrip())
