"""Completion of names in the model editor: the model's own names, functions, units and section headers."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QCompleter, QPlainTextEdit

from engine.equations.expr import FUNCTIONS
from engine.equations.model import CheckedModel
from engine.equations.units import UNITS
from studio.project.model_text import SECTIONS

_SHORT_PREFIXES = ("", "m", "u", "n", "p", "k", "M")
_SHORT_UNITS = ("V", "A", "s", "S", "F", "ohm", "Hz")


def common_units() -> list[str]:
    """Named units (``volt``, ``siemens``...) and the usual prefixed short forms (``mV``, ``pA``, ``nS``...)."""
    named = [name for name, unit in UNITS.items() if name.isalpha() and name.islower() and len(name) > 2
             and unit.scale == 1.0 and not (name[0] in "kmunpMG" and name[1:] in UNITS)]
    short = [p + u for u in _SHORT_UNITS for p in _SHORT_PREFIXES if p + u in UNITS]
    return sorted(set(named + short), key=str.lower)


def completion_words(checked: CheckedModel | None) -> list[str]:
    """Every word the editor offers: names of ``checked`` first, then functions, units and sections."""
    names: list[str] = []
    if checked is not None:
        names = [*checked.states, *checked.parameters, *checked.subexpressions]
    words = names + [f"{f}(" for f in FUNCTIONS] + common_units() + [f"[{s}]" for s in SECTIONS]
    return list(dict.fromkeys(words))


class NameCompleter(QCompleter):
    """A popup of :func:`completion_words` for the word under the cursor of ``editor`` (Ctrl+Space)."""

    def __init__(self, editor: QPlainTextEdit):
        super().__init__(editor)
        self.editor = editor
        self.words = QStringListModel(completion_words(None), self)
        self.setModel(self.words)
        self.setWidget(editor)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.activated.connect(self.insert)

    def set_model(self, checked: CheckedModel | None) -> None:
        self.words.setStringList(completion_words(checked))

    def prefix(self) -> str:
        """The part of the word before the cursor (letters, digits, ``_`` and a leading ``[``)."""
        cursor = self.editor.textCursor()
        block, col = cursor.block().text(), cursor.positionInBlock()
        start = col
        while start > 0 and (block[start - 1].isalnum() or block[start - 1] in "_["):
            start -= 1
        return block[start:col]

    def open(self) -> None:
        """Show the names that begin with the word under the cursor (insert at once if only one does)."""
        self.setCompletionPrefix(self.prefix())
        if self.completionCount() == 1 and self.completionPrefix():
            self.insert(self.currentCompletion())
            return
        rect = self.editor.cursorRect()
        rect.setWidth(max(220, self.popup().sizeHintForColumn(0) + 30))
        self.complete(rect)

    def insert(self, word: str) -> None:
        """Replace the word under the cursor by ``word``."""
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(self.prefix()))
        cursor.insertText(word)
        self.editor.setTextCursor(cursor)
