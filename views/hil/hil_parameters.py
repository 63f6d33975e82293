"""The board's parameter bank as a table: each entry's project value, a field to write a new one, and what the
board did with the last write — shown as applied only once the board's read-back equals it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.fixedpoint import QFormat
from studio.hil.hil_prediction import BankEntry
from studio.hil.live_session import ParameterWrite
from views.theme import colors

COLUMNS = ("population", "parameter", "project", "write", "board")


def _value(raw: int, fmt: QFormat, unit: str) -> str:
    return f"{float(fmt.to_float(raw)):g}{' ' + unit if unit else ''}"


class HilParameters(QWidget):
    """The bank's entries (:meth:`set_bank`) and their writes (:meth:`show_writes`).

    Signals
    -------
    write_requested(object, int)
        A value was typed into an entry's field (Enter): the entry and the raw value to write.
    """

    write_requested = Signal(object, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.entries: tuple[BankEntry, ...] = ()
        self.fields: list[QLineEdit] = []
        self.fmt: QFormat | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def set_bank(self, entries: tuple[BankEntry, ...], fmt: QFormat) -> None:
        self.entries, self.fmt = entries, fmt
        self.table.setRowCount(len(entries))
        self.fields = []
        for row, entry in enumerate(entries):
            for column, text in enumerate((entry.population, entry.name, _value(entry.raw, fmt, entry.unit))):
                self.table.setItem(row, column, QTableWidgetItem(text))
            field = QLineEdit()
            field.setPlaceholderText(entry.unit or "raw value")
            field.setToolTip(f"Write into bank {entry.bank}, entry {entry.entry} of the running board")
            field.returnPressed.connect(lambda row=row: self.request(row))
            self.table.setCellWidget(row, 3, field)
            self.fields.append(field)
            self.table.setItem(row, 4, QTableWidgetItem("—"))
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(3, 100)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def request(self, row: int) -> None:
        """Ask to write what is typed in row ``row`` (a number in the entry's unit); a bad number says so."""
        field, entry = self.fields[row], self.entries[row]
        try:
            value = float(field.text().replace(entry.unit, "").strip()) if entry.unit else float(field.text())
        except ValueError:
            self._board(row, f"`{field.text()}` is not a number", colors().error)
            return
        raw = int(self.fmt.to_store(value))
        self.write_requested.emit(entry, raw)

    def show_writes(self, writes: list[ParameterWrite]) -> None:
        """Each entry's latest write: waiting for the read-back, applied (from which step), or refused."""
        theme = colors()
        for row, entry in enumerate(self.entries):
            write = next((w for w in reversed(writes) if (w.entry.bank, w.entry.entry) == (entry.bank, entry.entry)),
                         None)
            if write is None:
                continue
            value = _value(write.value, self.fmt, entry.unit)
            if write.state == "sent":
                self._board(row, f"writing {value}… (waiting for the read-back)", theme.muted)
            elif write.state == "applied":
                self._board(row, f"{value} applied from step {write.step:,} (read back)", theme.recorder)
            else:
                back = "no read-back" if write.readback is None else f"read back {_value(write.readback, self.fmt, entry.unit)}"
                self._board(row, f"{value} not applied ({back})", theme.error)

    def text(self, row: int) -> str:
        """What the board column says for row ``row``."""
        return self.table.item(row, 4).text()

    def _board(self, row: int, text: str, color) -> None:
        item = self.table.item(row, 4)
        if item.text() != text:
            item.setText(text)
            item.setToolTip(text)
            item.setForeground(QBrush(color))
            self.table.resizeRowToContents(row)
