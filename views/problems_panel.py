"""The problems panel (the document's problems, a failed run's, the inspector's refused fields) and the run log;
the failure dialog."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import (QHeaderView, QMessageBox, QPlainTextEdit, QStyledItemDelegate, QStyleOptionViewItem,
                               QTabWidget, QTreeWidget, QTreeWidgetItem, QWidget)

from studio.document.checks import DocumentProblem
from views.theme import colors, theme_events


class _Shown(NamedTuple):
    """A problem and where the panel says it is."""

    problem: DocumentProblem
    where: str


def _where(problem: DocumentProblem) -> str:
    return ".".join(x for x in (problem.element, problem.field) if x)


class _Wrapped(QStyledItemDelegate):
    """Sizes an item of its tree for its text wrapped at the column's width (Qt sizes it unwrapped)."""

    def sizeHint(self, option, index):
        wrapped = QStyleOptionViewItem(option)
        wrapped.rect = QRect(0, 0, self.parent().columnWidth(index.column()), 1)
        return super().sizeHint(wrapped, index)


class ProblemsPanel(QTabWidget):
    """Two tabs: *Problems* (where and what; double-click selects the element) and *Log* (the run log).

    Signals
    -------
    activated(element)
        A problem was double-clicked; ``element`` names the node or edge ("" for the whole project).
    """

    activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Where", "Problem"])
        self.tree.setRootIsDecorated(False)
        # Where as wide as it needs; the message takes the rest and wraps rather than being cut.
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setWordWrap(True)
        self.tree.setItemDelegateForColumn(1, _Wrapped(self.tree))
        # rows take their wrapped height again once a resize is over (not inside the layout that resized them)
        self.tree.header().sectionResized.connect(self.tree.doItemsLayout, Qt.ConnectionType.QueuedConnection)
        self.tree.itemActivated.connect(lambda item: self.activated.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        self.addTab(self.tree, "Problems")
        self.addTab(self.log, "Log")
        self._document: list[_Shown] = []
        self._run: list[_Shown] = []
        self._typed: list[_Shown] = []
        theme_events().changed.connect(self._show)

    def set_document_problems(self, problems) -> None:
        """Show the document's problems (``DocumentProblem``: element, field, message)."""
        self._document = [_Shown(p, _where(p) or "project") for p in problems]
        self._show()

    def set_run_failure(self, problems) -> None:
        """Show the problems of a failed run (each a ``DocumentProblem``; [] clears them); a document problem of
        the same element and field is shown once, as the run's."""
        self._run = [_Shown(p, "run: " + (_where(p) or "network")) for p in problems]
        self._show()
        if problems:
            self.setCurrentWidget(self.tree)

    def set_field_problems(self, problems) -> None:
        """Show the fields whose typed text the inspector refuses (each a ``DocumentProblem``; [] clears them)."""
        self._typed = [_Shown(p, _where(p) + " (typed, not applied)") for p in problems]
        self._show()

    def _shown(self) -> list[_Shown]:
        ran = {(s.problem.element, s.problem.field) for s in self._run}
        return self._run + self._typed + [s for s in self._document
                                          if (s.problem.element, s.problem.field) not in ran]

    def _show(self) -> None:
        self.tree.clear()
        for shown in self._shown():
            message = shown.problem.message
            item = QTreeWidgetItem(self.tree, [shown.where, message])
            item.setData(0, Qt.ItemDataRole.UserRole, shown.problem.element)
            item.setToolTip(1, message)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            item.setForeground(0, colors().error)
        count = len(self._shown())
        self.setTabText(0, f"Problems ({count})" if count else "Problems")

    def messages(self) -> list[str]:
        """Every problem shown, as ``where: message``."""
        return [f"{s.where}: {s.problem.message}" for s in self._shown()]

    def append_log(self, lines: list[str]) -> None:
        for line in lines:
            self.log.appendPlainText(line)


def show_failure(parent: QWidget, title: str, message: str, details: str) -> QMessageBox:
    """A non-blocking error dialog with the traceback behind "Show Details…"; the window stays usable."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Close, parent)
    box.setDetailedText(details)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
