"""The inspector: the name and fields of the selected node or edge, or the project's settings when nothing is
selected; each edit one command.

Fields take what a person types (``20 pA``, ``0.02 nA``, ``we``); a value
the model or the engine's rules refuse (a wrong unit, an unknown name, p = 1.5,
a delay shorter than dt) stays in the field, marked, with the reason under it,
and nothing is changed; the refused fields are announced for the problems
panel.  The name field renames (references follow), the model field lists the
project's and the library's models as one types.  Model parameters show their
default as the placeholder and their meaning and range under them; F1 in a
field (or the "?" button, then a click on it) tells what it means, its unit
and an example (:mod:`studio.document.field_help`).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QScrollArea,
                               QToolButton, QToolTip, QVBoxLayout, QWhatsThis, QWidget)

from engine.errors import NeuroCoreError
from engine.network.connect import RULE_OPTIONS
from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.document.checks import DocumentProblem, checked_model, resolved_model
from studio.document.commands import Rename, SetArithmetic, SetField, field_value_problem, population_name
from studio.document.document import Document
from studio.document.events import EdgeChanged, EdgeRemoved, NodeChanged, NodeRemoved, SettingChanged
from studio.document.field_help import HELP
from studio.document.fields import name_problem
from studio.document.history import Macro
from views.inspector_rows import (Row, arithmetic_rows, device_rows, model_choices, population_rows,
                                  projection_rows, synapse_rows)
from views.quantity_field import QuantityField
from views.settings_panel import SettingsPanel
from views.theme import follow_theme

_RULE_DEFAULTS = {"p": "0.1", "k": "10", "n": "100", "sources": "0", "targets": "0"}
HELP_SHOWN_MS = 30_000


def _muted(label: QLabel, small: bool = False) -> QLabel:
    follow_theme(label, lambda c: f"color: {c.muted.name()};" + (" font-size: small;" if small else ""))
    return label


class Inspector(QScrollArea):
    """Edits the element chosen with :meth:`show_element` (a node or a projection of ``document``), or the
    project's settings when none is (``duration``: the run toolbar's duration field, shown there too).

    Signals
    -------
    edited(element, field, text)
        A field was changed (the command is on the stack); a running session may apply it live.
    refused(problems)
        The fields whose typed text is refused changed: a list of ``DocumentProblem`` (element, field, reason).
    renamed(name)
        The element shown was renamed ``name`` (the window selects it again).
    """

    edited = Signal(str, str, str)
    refused = Signal(list)
    renamed = Signal(str)

    def __init__(self, document: Document, duration: QComboBox | None = None, parent=None):
        super().__init__(parent)
        self.document = document
        self.duration = duration
        self.stack = document.undo_stack
        self.name: str | None = None
        self.fields: dict[str, QuantityField | QComboBox] = {}
        self.name_field: QuantityField | None = None
        self.settings: SettingsPanel | None = None
        self.refusal = ""
        self._run_mark: tuple[str, str] | None = None  # (field, reason) a failed run marked
        self._shape: tuple = ()
        self.setWidgetResizable(True)
        self.setMinimumWidth(280)
        QShortcut(QKeySequence(Qt.Key.Key_F1), self, self.show_help,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._rebuild()
        document.events.connect(self._on_event)

    def close_document(self) -> None:
        """Stop following the document, withdraw the refused fields from the problems panel and go (the window
        makes an inspector for the next document)."""
        self.document.events.disconnect(self._on_event)
        if self.refused_fields():
            self.refused.emit([])
        self.deleteLater()

    def show_element(self, name: str | None) -> None:
        """Edit node or projection ``name`` (``None``, or a device link: nothing to edit)."""
        edge = self.document.edges.get(name) if name else None
        if edge is not None and edge.kind == "device":
            name = edge.source if self.document.nodes[edge.source].kind == "device" else edge.target
        self.name = name if name in self.document.nodes or (edge is not None and edge.kind == "projection") else None
        self._rebuild()

    # -- building ---------------------------------------------------------------------------------
    def _rows(self) -> tuple[str, str, list[tuple[str, list[Row]]]]:
        """(kind, about, groups of rows) of the element shown."""
        doc, name = self.document, self.name
        if name in doc.nodes:
            node = doc.nodes[name]
            if node.kind == "population":
                main, params, initial, about = population_rows(doc, node)
                return (f"population · {node.data.model}", about,
                        [("Population", main), ("Arithmetic", arithmetic_rows(doc, name, "population",
                                                                               node.data.arithmetic)),
                         ("Parameters (empty: the model's default)", params), ("Initial values", initial)])
            main, params = device_rows(doc, node)
            return f"{node.role} · {node.data.kind}", "", [("Device", main), ("Parameters", params)]
        data = doc.edges[name].data
        groups = [("Projection", projection_rows(doc, data))]
        synapse = synapse_rows(doc, data)
        if synapse:
            groups.append((f"{data.synapse} (empty: NEST's default)", synapse))
        groups.append(("Arithmetic", arithmetic_rows(doc, name, "projection", data.arithmetic)))
        return f"projection · {data.source} → {data.target}", "", groups

    def _rebuild(self) -> None:
        had_refused = bool(self.refused_fields())
        self.fields, self.name_field, self.settings = {}, None, None
        self.refusal = ""
        self._run_mark = None
        if had_refused:
            self.refused.emit([])
        page = QWidget()
        layout = QVBoxLayout(page)
        if self.name is None:
            self._shape = ()
            self._header(layout, QLabel("<b>Project settings</b>"))
            self.settings = SettingsPanel(self.document, self.duration)
            self.settings.refused.connect(lambda _: self.refused.emit(self.refused_fields()))
            layout.addWidget(self.settings)
            layout.addWidget(_muted(QLabel("Select a population, device or projection to edit it.\n\nDrag models "
                                           "and devices from the palette; drag from a port to another port to "
                                           "connect.", wordWrap=True)))
        else:
            kind, about, groups = self._rows()
            self._shape = (kind, about, [r.field for _, rows in groups for r in rows])
            self._title(layout, kind, about)
            for title, rows in groups:
                self._group(layout, title, rows)
        layout.addStretch(1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()  # the edit that led here may still be in its signal
        page.installEventFilter(self)
        self.setWidget(page)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep the page as tall as its wrapped texts need at the viewport's width: a scroll area sizes its
        widget by the size hint, which ignores height-for-width, so a reason or hint that wraps to more lines
        (or a scroll bar that narrows the page) would squeeze the rows into each other."""
        if watched is self.widget() and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._fit_height()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        page = self.widget()
        if page is not None and page.layout() is not None:
            height = page.layout().totalHeightForWidth(self.viewport().width())
            if height > 0 and page.minimumHeight() != height:
                page.setMinimumHeight(height)

    def _header(self, layout: QVBoxLayout, title: QWidget) -> None:
        row = QHBoxLayout()
        row.addWidget(title, 1)
        ask = QToolButton(text="?", autoRaise=True, toolTip="What's This: click a field to read what it means "
                                                            "(or press F1 in it)")
        ask.clicked.connect(QWhatsThis.enterWhatsThisMode)
        row.addWidget(ask, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)

    def _title(self, layout: QVBoxLayout, kind: str, about: str) -> None:
        name = self.name
        role = kind.split(" ·")[0]
        entry = HELP[f"{role if role in ('population', 'projection') else 'device'}.name"]
        self.name_field = QuantityField(name, lambda text: name_problem(self.document, name, text),
                                        tooltip=entry.meaning)
        self.name_field.edit.setWhatsThis(entry.text("name"))
        font = self.name_field.edit.font()
        font.setBold(True)
        self.name_field.edit.setFont(font)
        self.name_field.committed.connect(self._rename)
        self.name_field.marked.connect(lambda _: self.refused.emit(self.refused_fields()))
        self._header(layout, self.name_field)
        layout.addWidget(_muted(QLabel(kind)))
        if about:
            layout.addWidget(_muted(QLabel(about, wordWrap=True)))

    def _group(self, layout: QVBoxLayout, title: str, rows: list[Row]) -> None:
        if not rows:
            return
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for row in rows:
            widget = self._combo(row) if row.choices else self._field(row)
            label = QLabel(row.label)
            label.setToolTip(row.help.meaning)
            label.setWhatsThis(row.help.text(row.label))
            (widget if isinstance(widget, QComboBox) else widget.edit).setWhatsThis(row.help.text(row.label))
            form.addRow(label, widget)
            if row.help.meaning and not row.choices and row.field != "model":
                form.addRow("", _muted(QLabel(row.help.meaning, wordWrap=True), small=True))
            self.fields[row.field] = widget
        layout.addWidget(box)

    def _field(self, row: Row) -> QuantityField:
        name = self.name
        field = QuantityField(row.text, lambda text: field_value_problem(self.document, name, row.field, text),
                              placeholder=row.default, tooltip=row.help.meaning)
        if row.field == "model":
            field.offer(list(model_choices(self.document)))
            field.committed.connect(self._set_model)
        else:
            field.committed.connect(lambda text: self._set(row.field, text))
        field.marked.connect(lambda _: self.refused.emit(self.refused_fields()))
        return field

    def _combo(self, row: Row) -> QComboBox:
        combo = QComboBox()
        combo.addItems([c or "(none)" for c in row.choices])
        if row.text not in row.choices:
            combo.addItem(row.text)
        combo.setCurrentIndex(combo.findText(row.text or "(none)"))
        combo.setToolTip(row.help.meaning)
        combo.activated.connect(lambda index: self._choose(row.field, combo.itemText(index)))
        return combo

    def refused_fields(self) -> list[DocumentProblem]:
        """The fields shown whose typed text is refused, with the reason (not a failed run's mark): the element's
        name and fields, or the project's settings."""
        if self.settings is not None:
            return [p for p in self.settings.refused_fields() if (p.field, p.message) != self._run_mark]
        named = [("name", self.name_field)] if self.name_field is not None else []
        return [DocumentProblem(self.name or "", field, widget.problem)
                for field, widget in [*named, *self.fields.items()]
                if isinstance(widget, QuantityField) and widget.problem is not None
                and (field, widget.problem) != self._run_mark]

    def show_problem(self, field: str, message: str) -> None:
        """Mark ``field`` of the element shown (or of the settings: ``"dt"``, ``"constants.we"``) with
        ``message`` (a failed run's reason) and take the focus there; a problem of no one field is shown above
        the fields."""
        if self.settings is not None:
            shown, widget = field, self.settings.field(field)
        else:
            shown = next((f for f in self.fields if field == f or field.startswith(f"{f}.")), "")
            widget = self.fields.get(shown)
        if not isinstance(widget, QuantityField):
            self._refusal(message)
            return
        self._run_mark = (shown, message)
        widget.mark(message)
        widget.edit.setFocus()
        self.ensureWidgetVisible(widget)

    def show_help(self) -> None:
        """Show what the field with the focus means, its unit and an example (F1)."""
        widget = QApplication.focusWidget()
        while widget is not None and widget is not self and not widget.whatsThis():
            widget = widget.parentWidget()
        if widget is None or widget is self:
            return
        self.ensureWidgetVisible(widget)
        QToolTip.showText(widget.mapToGlobal(QPoint(0, widget.height())), widget.whatsThis(), widget, QRect(),
                          HELP_SHOWN_MS)

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

    def _rename(self, new: str) -> None:
        old = self.name
        try:
            command = Rename(self.document, old, new)
        except NeuroCoreError as exc:
            self.name_field.mark(str(exc))
            return
        self.name = None  # the element goes and comes back under its new name
        self.stack.push(command)
        self.show_element(command.new)
        self.renamed.emit(command.new)

    def _set_model(self, model: str) -> None:
        """Change the population's model, drop the values of parameters and states the new model lacks, and
        rename a population named after its old model (as earlier versions named new ones)."""
        doc, name = self.document, self.name
        pop = doc.nodes[name].data
        resolved, checked = resolved_model(doc, model), checked_model(doc, model)
        kept = set() if resolved is None else (
            {p.name for p in resolved[1].params} if resolved[1] is not None else set(resolved[0].parameters))
        states = set() if checked is None else set(checked.states)
        steps: list = [SetField(doc, name, "model", model)]
        steps += [SetField(doc, name, f"parameters.{k}", "", check=False) for k in pop.parameters if k not in kept]
        steps += [SetField(doc, name, f"initial.{k}", "", check=False) for k in pop.initial if k not in states]
        if re.fullmatch(rf"{re.escape(pop.model)}(_\d+)?", name):
            steps.append(Rename(doc, name, population_name(doc)))
        self.stack.push(Macro(f"Set {name}.model to {model}", steps) if len(steps) > 1 else steps[0])
        if isinstance(steps[-1], Rename):
            self.show_element(steps[-1].new)
            self.renamed.emit(steps[-1].new)
        self.edited.emit(self.name, "model", model)

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
            elif field == "synapse":
                # parameters the new synapse model does not have go with the old one, in the same command
                kept = SYNAPSE_PARAMETERS.get(text, {})
                steps = [SetField(doc, name, "synapse", text)]
                steps += [SetField(doc, name, f"synapse_params.{k}", "", check=False)
                          for k in doc.edges[name].data.synapse_params if k not in kept]
                self.stack.push(Macro(f"Set {name}.synapse to {text}", steps))
            elif field == "arithmetic.mode":
                self.stack.push(SetArithmetic(doc, name, text))
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
        follow_theme(label, lambda c: f"color: {c.error.name()};")
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
        """Show the document's values; rebuild when the fields or the title changed (another model, rule or
        kind)."""
        kind, about, groups = self._rows()
        rows = [r for _, rs in groups for r in rs]
        if (kind, about, [r.field for r in rows]) != self._shape:
            self._rebuild()
            return
        for row in rows:
            widget = self.fields[row.field]
            if isinstance(widget, QuantityField):
                widget.set_value(row.text)
            else:
                widget.setCurrentIndex(max(0, widget.findText(row.text or "(none)")))
