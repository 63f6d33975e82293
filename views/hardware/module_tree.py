"""The generated Verilog, one module at a time: module names on the left, the highlighted text on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from studio.hardware.hardware_job import verilog_modules
from views.playground.verilog_view import VerilogHighlighter


class ModuleTree(QWidget):
    """The modules of one Verilog file (:meth:`show_verilog`); choosing a name shows its text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.modules: dict[str, str] = {}
        self.list = QListWidget()
        self.list.setObjectName("hardware_modules")
        self.list.currentTextChanged.connect(self._chosen)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setObjectName("hardware_module_text")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = VerilogHighlighter(self.text.document())
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(QLabel("<b>Modules</b>"))
        column.addWidget(self.list, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        split.setSizes([210, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_verilog(self, text: str) -> None:
        """Split ``text`` into its modules and show the first that is not the top (or the top)."""
        self.modules = dict(verilog_modules(text))
        self.text.setProperty("module", None)
        self.list.blockSignals(True)
        self.list.clear()
        for name, body in self.modules.items():
            item = QListWidgetItem(name)
            item.setToolTip(f"{name}: {body.count(chr(10)):,} lines")
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.modules:
            self.list.setCurrentRow(0)
            self._chosen(self.list.currentItem().text())

    def select(self, name: str) -> None:
        """Show module ``name``."""
        items = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
        if items:
            self.list.setCurrentItem(items[0])

    def clear(self) -> None:
        self.modules = {}
        self.text.setProperty("module", None)
        self.list.clear()
        self.text.clear()

    def _chosen(self, name: str) -> None:
        if name in self.modules and self.text.property("module") != name:
            self.text.setProperty("module", name)
            self.text.setPlainText(self.modules[name])
