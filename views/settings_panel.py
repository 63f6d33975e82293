"""The project's settings, shown in the inspector when nothing is selected: the simulation's time step and seed,
the run's duration, the description and the constants.

Each edit is one :class:`~studio.document.commands.SetSetting` command (the
duration is the run toolbar's: the field shows and sets the toolbar's
duration, which stays the one place it is kept).  Values are checked as they
are typed by the project's own rules (:func:`studio.document.fields.setting_value_problem`);
a refused value stays in its field, marked, with the reason.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGridLayout, QGroupBox, QLabel, QPlainTextEdit, QPushButton,
                               QToolButton, QVBoxLayout, QWidget)

from studio.document.checks import DocumentProblem
from studio.document.commands import SetSetting
from studio.document.document import Document
from studio.document.events import SettingChanged
from studio.document.field_help import HELP
from studio.document.fields import setting_value_problem, typed_setting
from studio.jobs.run_duration import duration_problem
from views.inspector_rows import text_of
from views.quantity_field import QuantityField

FIELDS = (("dt", "0.1 ms"), ("seed", "0"))


def _help(widget: QWidget, key: str, label: str) -> None:
    """Give ``widget`` the help of setting ``key`` (hint as its tooltip, the whole entry as What's This)."""
    entry = HELP[f"settings.{key}"]
    widget.setToolTip(entry.meaning)
    widget.setWhatsThis(entry.text(label))


class _Description(QPlainTextEdit):
    """The multi-line description; it is committed when the focus leaves it."""

    left = Signal(str)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.left.emit(self.toPlainText())


class SettingsPanel(QWidget):
    """Edits ``document``'s settings; ``duration`` is the run toolbar's duration field (``None``: not shown).

    Signals
    -------
    refused(problems)
        The settings whose typed text is refused changed: a list of ``DocumentProblem`` ("", field, reason).
    """

    refused = Signal(list)

    def __init__(self, document: Document, duration: QComboBox | None = None, parent=None):
        super().__init__(parent)
        self.document = document
        self.fields: dict[str, QuantityField] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        box = QGroupBox("Simulation")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, default in FIELDS:
            field = QuantityField(text_of(document.settings[key]),
                                  lambda text, key=key: setting_value_problem(self.document, key, text), default,
                                  HELP[f"settings.{key}"].meaning)
            field.committed.connect(lambda text, key=key: self._set(key, typed_setting(key, text)))
            self._add(form, key, field)
        if duration is not None:
            field = QuantityField(duration.currentText(), duration_problem, "until stopped",
                                  HELP["settings.duration"].meaning)
            field.committed.connect(duration.setCurrentText)
            duration.currentTextChanged.connect(field.set_value)
            self._add(form, "duration", field)
        layout.addWidget(box)
        about = QGroupBox("Description")
        self.description = _Description(document.settings["description"] or "")
        self.description.setPlaceholderText("What this project is about")
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 5)
        self.description.left.connect(lambda text: self._set("description", typed_setting("description", text)))
        _help(self.description, "description", "description")
        QVBoxLayout(about).addWidget(self.description)
        layout.addWidget(about)
        self.constants = ConstantsTable(document)
        self.constants.refused.connect(lambda _: self.refused.emit(self.refused_fields()))
        layout.addWidget(self.constants)
        document.events.connect(self._on_event)
        self.destroyed.connect(lambda *_, cb=self._on_event, events=document.events: events.disconnect(cb))

    def _add(self, form: QFormLayout, key: str, field: QuantityField) -> None:
        label = QLabel(key)
        _help(label, key, key)
        field.edit.setWhatsThis(HELP[f"settings.{key}"].text(key))
        field.marked.connect(lambda _: self.refused.emit(self.refused_fields()))
        form.addRow(label, field)
        self.fields[key] = field

    def field(self, path: str) -> QuantityField | None:
        """The field of setting ``path`` (``"dt"``; ``"constants.we"``: the value of ``we``), if shown."""
        if path.startswith("constants."):
            return next((value for name, _, value in self.constants.rows if f"constants.{name}" == path), None)
        return self.fields.get(path)

    def refused_fields(self) -> list[DocumentProblem]:
        """The settings whose typed text is refused, with the reason."""
        return [DocumentProblem("", key, field.problem) for key, field in self.fields.items()
                if field.problem is not None] + self.constants.refused_fields()

    def _set(self, key: str, value) -> None:
        if value != self.document.settings[key]:
            self.document.undo_stack.push(SetSetting(self.document, key, value))

    def _on_event(self, event) -> None:
        if not isinstance(event, SettingChanged):
            return
        if event.key in self.fields:
            self.fields[event.key].set_value(text_of(event.value))
        elif event.key == "description" and not self.description.hasFocus():
            self.description.setPlainText(event.value or "")


class ConstantsTable(QGroupBox):
    """The project's constants as a table of name and value fields, each checked as typed; Add and ✕ add and
    delete one, and every edit is one SetSetting command.

    Signals
    -------
    refused(problems)
        The constants whose typed name or value is refused changed (``DocumentProblem``s).
    """

    refused = Signal(list)

    def __init__(self, document: Document, parent=None):
        super().__init__("Constants", parent)
        self.document = document
        self.rows: list[tuple[str, QuantityField, QuantityField]] = []
        layout = QVBoxLayout(self)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 3)
        layout.addLayout(self.grid)
        self.add_button = QPushButton("Add constant")
        self.add_button.clicked.connect(self.add)
        layout.addWidget(self.add_button, alignment=Qt.AlignmentFlag.AlignLeft)
        _help(self, "constants", "constants")
        self._fill()
        document.events.connect(self._on_event)
        self.destroyed.connect(lambda *_, cb=self._on_event, events=document.events: events.disconnect(cb))

    @property
    def values(self) -> dict:
        return dict(self.document.settings["constants"])

    def _fill(self) -> None:
        """One row per constant (rebuilt when constants are added, deleted or renamed); the focus stays put."""
        focused = next(((r, c) for r, (_, *fields) in enumerate(self.rows) for c, field in enumerate(fields)
                        if field.edit.hasFocus()), None)
        while self.grid.count():
            old = self.grid.takeAt(0).widget()
            old.hide()  # gone from the screen now, deleted once the edit that led here has returned
            old.deleteLater()
        self.rows = []
        for column, title in enumerate(("name", "value")):
            self.grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        for row, (name, value) in enumerate(self.values.items(), start=1):
            name_field = QuantityField(name, lambda text, old=name: self._name_problem(old, text))
            name_field.committed.connect(lambda text, old=name: self._rename(old, text))
            value_field = QuantityField(text_of(value), lambda text, key=name: self._value_problem(key, text))
            value_field.committed.connect(lambda text, key=name: self._set({**self.values, key: text}))
            delete = QToolButton(text="✕", toolTip=f"Delete the constant {name}", autoRaise=True)
            delete.clicked.connect(lambda _=False, key=name: self._set({k: v for k, v in self.values.items()
                                                                         if k != key}))
            for column, widget in enumerate((name_field, value_field, delete)):
                self.grid.addWidget(widget, row, column, Qt.AlignmentFlag.AlignTop)
            for field in (name_field, value_field):
                field.marked.connect(lambda _: self.refused.emit(self.refused_fields()))
                field.edit.setWhatsThis(self.whatsThis())
            self.rows.append((name, name_field, value_field))
        if not self.rows:
            self.grid.addWidget(QLabel("none yet: Add one, then use its name in any field"), 1, 0, 1, 3)
        if focused is not None and self.rows:
            row, column = min(focused[0], len(self.rows) - 1), focused[1]
            self.rows[row][1 + column].edit.setFocus()

    def add(self) -> None:
        """Add a constant (``c1``, ``c2``... = 0) and put the cursor in its name."""
        taken = set(self.values) | set(self.document.nodes) | set(self.document.edges)
        name = next(f"c{k}" for k in range(1, len(taken) + 2) if f"c{k}" not in taken)
        self._set({**self.values, name: "0"})
        self.rows[-1][1].edit.setFocus()
        self.rows[-1][1].edit.selectAll()

    def refused_fields(self) -> list[DocumentProblem]:
        """The constants whose typed name or value is refused, with the reason."""
        return [DocumentProblem("", f"constants.{name}", field.problem) for name, *fields in self.rows
                for field in fields if field.problem is not None]

    def _name_problem(self, old: str, new: str) -> str | None:
        if new in self.values and new != old:
            return f"a constant `{new}` exists already"
        return setting_value_problem(self.document, "constants", _renamed(self.values, old, new))

    def _value_problem(self, key: str, text: str) -> str | None:
        problem = setting_value_problem(self.document, "constants", {**self.values, key: text})
        return problem.removeprefix(f"{key}: ") if problem is not None else None

    def _rename(self, old: str, new: str) -> None:
        self._set(_renamed(self.values, old, new))

    def _set(self, constants: dict) -> None:
        value = typed_setting("constants", constants)
        if value != self.values or list(value) != list(self.values):
            self.document.undo_stack.push(SetSetting(self.document, "constants", value))

    def _on_event(self, event) -> None:
        if not isinstance(event, SettingChanged) or event.key != "constants":
            return
        if list(event.value) != [name for name, _, _ in self.rows]:
            self._fill()
            return
        for (_, _, value_field), value in zip(self.rows, event.value.values()):
            value_field.set_value(text_of(value))


def _renamed(constants: dict, old: str, new: str) -> dict:
    """``constants`` with ``old`` renamed ``new``, in the same place."""
    return {new if k == old else k: v for k, v in constants.items()}
