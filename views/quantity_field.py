"""A line edit for a value a person types (``20 pA``, ``0.02 nA``, ``we``), checked in place.

The check is a callable returning the reason a text is refused (``None`` when
it is fine); it runs as the person types (after a short pause) and on Enter.  A
refused text stays in the field, marked, with the reason shown under it and as
the tooltip; nothing is committed until the text is valid.  Esc puts the
document's value back.  A field may offer choices (:meth:`QuantityField.offer`):
typing filters them (a name containing what is typed), the arrow at its end
lists them all.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QStyle, QVBoxLayout, QWidget

from views.theme import follow_theme

Check = Callable[[str], "str | None"]
TYPING_PAUSE_MS = 300


class _Edit(QLineEdit):
    """A line edit that announces Esc."""

    escaped = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
        else:
            super().keyPressEvent(event)


class QuantityField(QWidget):
    """One editable value with its in-place check.

    Signals
    -------
    committed(text)
        A changed, valid text was entered (Enter or focus out).
    marked(reason)
        The reason the text is refused changed (``None``: the mark was cleared).
    """

    committed = Signal(str)
    marked = Signal(object)

    def __init__(self, text: str, check: Check, placeholder: str = "", tooltip: str = "", parent=None):
        super().__init__(parent)
        self._check = check
        self._value = text
        self.edit = _Edit(text, placeholderText=placeholder)
        self.edit.setToolTip(tooltip)
        self._tooltip = tooltip
        self.reason = QLabel(wordWrap=True)
        follow_theme(self.reason, lambda c: f"color: {c.error.name()};")
        self.reason.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.reason)
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._check_typed)
        self.edit.editingFinished.connect(self._finish)
        self.edit.textEdited.connect(lambda _: self._typing.start())
        self.edit.escaped.connect(self.revert)

    def offer(self, choices: list[tuple[str, str]]) -> None:
        """Offer ``choices`` (value, group) in a list that typing filters (case-insensitive, a value containing
        the text) and the arrow at the field's end opens whole; each is listed as ``value · group``, and
        picking one commits it."""
        model = QStandardItemModel(self)
        for value, group in choices:
            item = QStandardItem(f"{value}  · {group}" if group else value)
            item.setData(value, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        completer = QCompleter(model, self)
        completer.setCompletionRole(Qt.ItemDataRole.UserRole)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(12)
        self.edit.setCompleter(completer)
        completer.activated.connect(lambda text: (self.edit.setText(text), self._finish()))
        arrow = self.edit.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowDown),
                                    QLineEdit.ActionPosition.TrailingPosition)
        arrow.setToolTip("list them all")
        arrow.triggered.connect(self.show_choices)

    def show_choices(self) -> None:
        """Open the list of every choice (:meth:`offer`)."""
        completer = self.edit.completer()
        completer.setCompletionPrefix("")
        completer.complete()

    @property
    def text(self) -> str:
        return self.edit.text()

    @property
    def problem(self) -> str | None:
        """The reason the current text is refused, if it is."""
        return None if self.reason.isHidden() else self.reason.text()

    def set_value(self, text: str) -> None:
        """Show ``text`` (the document's value) unless the person is typing something else here."""
        typing = self.edit.hasFocus() and self.edit.text().strip() != self._value
        self._value = text
        if not typing:
            self.edit.setText(text)
            self.mark(None)

    def revert(self) -> None:
        """Put the document's value back and clear the mark (Esc)."""
        self._typing.stop()
        self.edit.setText(self._value)
        self.mark(None)

    def _check_typed(self) -> None:
        text = self.edit.text().strip()
        self.mark(None if text == self._value else self._check(text))

    def _finish(self) -> None:
        self._typing.stop()
        text = self.edit.text().strip()
        if text == self._value:
            self.mark(None)
            return
        problem = self._check(text)
        self.mark(problem)
        if problem is None:
            self._value = text
            self.committed.emit(text)

    def mark(self, problem: str | None) -> None:
        """Show ``problem`` as the reason the text is refused (``None``: clear the mark)."""
        changed = problem != self.problem
        self.reason.setText(problem or "")
        self.reason.setVisible(problem is not None)
        follow_theme(self.edit, lambda c: f"border: 1px solid {c.error.name()};" if problem else "")
        self.edit.setToolTip(problem or self._tooltip)
        if changed:
            self.marked.emit(problem)
