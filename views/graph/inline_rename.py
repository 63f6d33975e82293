"""Renaming on the canvas: a name field laid over a node's title (or a projection's label), checked as typed.

Enter commits through the undoable :class:`~studio.document.commands.Rename`;
a name it refuses (empty, taken, invalid) stays in the field with the reason
under it, and the old name is kept.  Esc, or leaving the field with a
refused name, closes it with nothing changed.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGraphicsProxyWidget

from studio.document.document import Document
from studio.document.fields import name_problem
from views.quantity_field import QuantityField
from views.theme import colors

MIN_WIDTH = 150.0


class InlineRename(QGraphicsProxyWidget):
    """The name field of node or projection ``name``, over ``rect`` (scene coordinates); ``renamed(new)`` is
    called once a valid new name is entered, ``closed()`` whenever the field goes away."""

    def __init__(self, document: Document, name: str, rect: QRectF, renamed, closed):
        super().__init__()
        self.name = name
        self.is_open = True
        self._renamed, self._closed = renamed, closed
        self.field = QuantityField(name, lambda text: name_problem(document, name, text),
                                   tooltip="Enter renames, Esc keeps the name")
        self.field.setFixedWidth(int(max(MIN_WIDTH, rect.width())))
        self.field.setAutoFillBackground(True)
        palette = self.field.palette()
        palette.setColor(QPalette.ColorRole.Window, colors().node)  # the reason reads as part of the node
        self.field.setPalette(palette)
        self.field.committed.connect(self._commit)
        self.field.marked.connect(lambda _: self.field.adjustSize())
        self.field.edit.escaped.connect(self.close_field)
        self.field.edit.returnPressed.connect(self._unchanged)
        self.setWidget(self.field)
        self.setZValue(20)
        self.setPos(rect.left(), rect.center().y() - self.field.edit.sizeHint().height() / 2)

    @property
    def problem(self) -> str | None:
        """The reason the typed name is refused, as shown under the field."""
        return self.field.problem

    @property
    def text(self) -> str:
        return self.field.text

    def start(self) -> None:
        """Take the keyboard, the whole name selected."""
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.field.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.field.edit.selectAll()

    def _commit(self, new: str) -> None:
        self.close_field()
        self._renamed(new)

    def _unchanged(self) -> None:
        if self.field.text.strip() == self.name:
            self.close_field()

    def close_field(self) -> None:
        """Take the field off the canvas (nothing renamed unless already committed)."""
        if not self.is_open:
            return
        self.is_open = False
        self.field.committed.disconnect(self._commit)
        self.scene().removeItem(self)
        self.deleteLater()
        self._closed()

    def focusOutEvent(self, event) -> None:
        """Leaving the field renames if the name typed is valid (the field commits), else keeps the old name."""
        super().focusOutEvent(event)
        if event.reason() not in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason):
            self.close_field()
