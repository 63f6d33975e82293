"""The inspector: the fields of the selected node or edge, each edit one SetField command.

Fields take what a person types (``20 pA``, ``0.02 nA``, ``we``); a value
the model or the engine's rules refuse (a wrong unit, an unknown name, p = 1.5,
a delay shorter than dt) stays in the field, marked, with the reason under it,
and nothing is changed; the refused fields are announced for the problems
panel.  Model parameters show their default as the placeholder and their
meaning and range beside them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget)

from engine.errors import NeuroCoreError
from engine.network.connect import RULE_OPTIONS
from studio.document.checks import DocumentProblem
from studio.document.commands import SetField, field_value_problem
from studio.document.document import Document
from studio.document.events import EdgeChanged, EdgeRemoved, NodeChanged, NodeRemoved, SettingChanged
from studio.document.history import Macro
from views.inspector_rows import Row, device_rows, population_rows, projection_rows
from views.quantity_field import QuantityField
from views.theme import colors

_RULE_DEFAULTS = {"p": "0.1", "k": "10", "n": "100", "sources": "0", "targets": "0"}


class Inspector(QScrollArea):
    """Edits the element chosen with :meth:`show_element` (a node or a projection of ``document``).

    Signals
    -------
    edited(element, field, text)
        A field was changed (the command is on the stack); a running session may apply it live.
    refused(problems)
        The fields whose typed text is refused changed: a list of ``DocumentProblem`` (element, field, reason).
    """

    edited = Signal(str, str, str)
    refused = Signal(list)

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.stack = document.undo_stack
        self.name: str | None = None
        self.fields: dict[str, QuantityField | QComboBox] = {}
        self.refusal = ""
        self._run_mark: tuple[str, str] | None = None  # (field, reason) a failed run marked
        self.setWidgetResizable(True)
        self.setMinimumWidth(280)
        self._rebuild()
        document.events.connect(self._on_event)

    def close_document(self) -> None:
        """Stop following the document (and withdraw the refused fields from the problems panel)."""
        self.document.events.disconnect(self._on_event)
        if self.refused_fields():
            self.refused.emit([])

    def show_element(self, name: str | None) -> None:
        """Edit node or projection ``name`` (``None``, or a device link: nothing to edit)."""
        edge = self.document.edges.get(name) if name else None
        if edge is not None and edge.kind == "device":
            name = edge.source if self.document.nodes[edge.source].kind == "device" else edge.target
        self.name = name if name in self.document.nodes or (edge is not None and edge.kind == "projection") else None
        self._rebuild()

    # -- building ---------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        had_refused = bool(self.refused_fields())
        self.fields = {}
        self.refusal = ""
        self._run_mark = None
        if had_refused:
            self.refused.emit([])
        page = QWidget()
        layout = QVBoxLayout(page)
        doc, name = self.document, self.name
        if name is None:
            hint = QLabel("Select a population, device or projection to edit it.\n\nDrag models and devices from "
                          "the palette; drag from a port to another port to connect.", wordWrap=True)
            hint.setStyleSheet(f"color: {colors().muted.name()};")
            layout.addWidget(hint)
        elif name in doc.nodes:
            node = doc.nodes[name]
            if node.kind == "population":
                main, params, initial, about = population_rows(doc, node)
                self._title(layout, name, f"population · {node.data.model}", about)
                self._group(layout, "Population", main)
                self._group(layout, "Parameters (empty: the model's default)", params)
                self._group(layout, "Initial values", initial)
            else:
                main, params = device_rows(doc, node)
                self._title(layout, name, f"{node.role} · {node.data.kind}", "")
                self._group(layout, "Device", main)
                self._group(layout, "Parameters", params)
        else:
            data = doc.edges[name].data
            self._title(layout, name, f"projection · {data.source} → {data.target}", "")
            self._group(layout, "Projection", projection_rows(data))
        layout.addStretch(1)
        self.setWidget(page)

    def _title(self, layout: QVBoxLayout, name: str, kind: str, about: str) -> None:
        title = QLabel(f"<b>{name}</b><br><span style='color:{colors().muted.name()}'>{kind}</span>")
        layout.addWidget(title)
        if about:
            text = QLabel(about, wordWrap=True)
            text.setStyleSheet(f"color: {colors().muted.name()};")
            layout.addWidget(text)

    def _group(self, layout: QVBoxLayout, title: str, rows: list[Row]) -> None:
        if not rows:
            return
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for row in rows:
            widget = self._combo(row) if row.choices else self._field(row)
            label = QLabel(row.label)
            label.setToolTip(row.help)
            form.addRow(label, widget)
            if row.help and not row.choices:
                hint = QLabel(row.help, wordWrap=True)
                hint.setStyleSheet(f"color: {colors().muted.name()}; font-size: small;")
                form.addRow("", hint)
            self.fields[row.field] = widget
        layout.addWidget(box)

    def _field(self, row: Row) -> QuantityField:
        name = self.name
        field = QuantityField(row.text, lambda text: field_value_problem(self.document, name, row.field, text),
                        placeholder=row.default, tooltip=row.help)
        field.committed.connect(lambda text: self._set(row.field, text))
        field.marked.connect(lambda _: self.refused.emit(self.refused_fields()))
        return field

    def _combo(self, row: Row) -> QComboBox:
        combo = QComboBox()
        combo.addItems([c or "(none)" for c in row.choices])
        if row.text not in row.choices:
            combo.addItem(row.text)
        combo.setCurrentIndex(combo.findText(row.text or "(none)"))
        combo.setToolTip(row.help)
        combo.activated.connect(lambda index: self._choose(row.field, combo.itemText(index)))
        return combo

    def refused_fields(self) -> list[DocumentProblem]:
        """The fields of the element shown whose typed text is refused, with the reason (not a failed run's mark)."""
        return [DocumentProblem(self.name or "", field, widget.problem) for field, widget in self.fields.items()
                if isinstance(widget, QuantityField) and widget.problem is not None
                and (field, widget.problem) != self._run_mark]

    def show_problem(self, field: str, message: str) -> None:
        """Mark ``field`` of the element shown with ``message`` (a failed run's reason) and take the focus there;
        a problem of no one field is shown above the fields."""
        shown = next((f for f in self.fields if field == f or field.startswith(f"{f}.")), "")
        widget = self.fields.get(shown)
        if not isinstance(widget, QuantityField):
            self._refusal(message)
            return
        self._run_mark = (shown, message)
        widget.mark(message)
        widget.edit.setFocus()
        self.ensureWidgetVisible(widget)

    # -- editing ----------------------------------------------------------------------------------------
    def _set(self, field: str, text: str) -> None:
        try:
            self.stack.push(SetField(self.document, self.name, field, text))
        except NeuroCoreError as exc:
            widget = self.fields.get(field)
            if isinstance(widget, QuantityField):
                widget.mark(str(exc))
            return
        self.edited.emit(self.name, field, text)

    def _choose(self, field: str, text: str) -> None:
        text = "" if text == "(none)" else text
        doc, name = self.document, self.name
        try:
            if field == "rule.name":
                old = doc.edges[name].data.rule
                steps = [SetField(doc, name, "rule.name", text, check=False)]
                for option in ("p", "k", "n", "sources", "targets"):
                    needed, value = option in RULE_OPTIONS.get(text, ()), getattr(old, option)
                    if needed and value is None:
                        steps.append(SetField(doc, name, f"rule.{option}", _RULE_DEFAULTS[option], check=False))
                    elif not needed and value is not None:
                        steps.append(SetField(doc, name, f"rule.{option}", "", check=False))
                self.stack.push(Macro(f"Set {name}.rule to {text}", steps))
            else:
                problem = field_value_problem(doc, name, field, text)
                if problem is not None:
                    raise NeuroCoreError(problem)
                self.stack.push(SetField(doc, name, field, text))
        except NeuroCoreError as exc:
            self._rebuild()
            self._refusal(str(exc))
            return
        self.edited.emit(name, field, text)

    def _refusal(self, reason: str) -> None:
        self.refusal = reason
        label = QLabel(f"✕ {reason}", wordWrap=True)
        label.setStyleSheet(f"color: {colors().error.name()};")
        self.widget().layout().insertWidget(1, label)

    # -- following the document ---------------------------------------------------------------------------
    def _on_event(self, event) -> None:
        if self.name is None:
            return
        if isinstance(event, SettingChanged):
            self._rebuild()
        elif isinstance(event, (NodeRemoved, EdgeRemoved)) and event.name == self.name:
            self.name = None
            self._rebuild()
        elif isinstance(event, (NodeChanged, EdgeChanged)) and event.name == self.name:
            self._refresh()

    def _refresh(self) -> None:
        """Show the document's values; rebuild when the set of fields changed (another model, rule or kind)."""
        doc, name = self.document, self.name
        if name in doc.nodes:
            node = doc.nodes[name]
            if node.kind == "population":
                main, params, initial, _ = population_rows(doc, node)
                rows = main + params + initial
            else:
                main, params = device_rows(doc, node)
                rows = main + params
        else:
            rows = projection_rows(doc.edges[name].data)
        if [r.field for r in rows] != list(self.fields):
            self._rebuild()
            return
        for row in rows:
            widget = self.fields[row.field]
            if isinstance(widget, QuantityField):
                widget.set_value(row.text)
            else:
                widget.setCurrentIndex(max(0, widget.findText(row.text or "(none)")))

