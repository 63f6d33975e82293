"""The parameter table of the playground: one row per parameter with a slider and a unit-aware field.

Rows follow the model (:meth:`~studio.playground.playground_state.PlaygroundState.parameter_names`).
A slider spans the range the model library gives, or a span around the value
(logarithmic for positive ranges over two decades); moving it sets the
parameter at once, so the trace follows the slider.  The field takes any
quantity of the right dimension (``20 pA`` or ``0.02 nA``) and refuses others
in place, with the reason.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QScrollArea, QSlider, QWidget

from engine.equations.units import UnitError, quantity_in
from studio.playground.playground_events import ModelChanged, ParametersChanged
from studio.playground.playground_state import PlaygroundError, PlaygroundState
from views.quantity_field import QuantityField

STEPS = 1000
LABEL_WIDTH = 120
# Spans around a zero value, by display unit (other units: -1 .. 1).
_ZERO_SPAN = {"mV": (-100.0, 100.0), "pA": (-1000.0, 1000.0), "nS": (0.0, 100.0), "ms": (0.0, 100.0),
              "pF": (0.0, 1000.0)}


def slider_range(state: PlaygroundState, name: str, value: float) -> tuple[float, float, bool]:
    """``(low, high, logarithmic)`` of the slider of parameter ``name`` in its display unit."""
    info = state.parameter_info(name)
    checked = state.structure
    if info is not None and info.low is not None and info.high is not None and checked is not None:
        try:
            low = quantity_in(info.low, checked.system)[0]
            high = quantity_in(info.high, checked.system)[0]
        except UnitError:
            low = high = math.nan
        if low < high:
            return low, high, low > 0 and high / low >= 100
    if value > 0:
        return value / 10, value * 10, True
    if value < 0:
        return 2 * value, 0.0, False
    low, high = _ZERO_SPAN.get(state.unit(name), (-1.0, 1.0))
    return low, high, False


def to_slider(value: float, low: float, high: float, log: bool) -> int:
    if log:
        frac = (math.log(max(value, low)) - math.log(low)) / (math.log(high) - math.log(low))
    else:
        frac = (value - low) / (high - low)
    return round(min(max(frac, 0.0), 1.0) * STEPS)


def from_slider(position: int, low: float, high: float, log: bool) -> float:
    frac = position / STEPS
    value = math.exp(math.log(low) + frac * (math.log(high) - math.log(low))) if log else low + frac * (high - low)
    return float(f"{value:.4g}")


class _Row:
    """The widgets of one parameter."""

    def __init__(self, table: "ParametersPanel", name: str):
        self.table, self.name = table, name
        state = table.state
        info = state.parameter_info(name)
        self.label = QLabel()
        self.label.setText(self.label.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, LABEL_WIDTH))
        self.label.setToolTip(f"{name}: {info.meaning}" if info is not None else name)
        self.boolean = state.structure is not None and state.structure.parameters[name].var_type == "boolean"
        self.slider: QSlider | None = None
        self.check: QCheckBox | None = None
        self.field: QuantityField | None = None
        if self.boolean:
            self.check = QCheckBox(name)
            self.check.setToolTip(self.label.toolTip())
            self.check.toggled.connect(lambda on: table.set(name, "true" if on else "false"))
            return
        self.range = slider_range(state, name, state.value(name))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.valueChanged.connect(self._slid)
        low, high, log = self.range
        tip = f"{low:g} … {high:g} {state.unit(name)}" + (" (logarithmic)" if log else "")
        self.slider.setToolTip(tip)
        self.field = QuantityField(state.parameters[name], lambda text: state.parameter_problem(name, text),
                             tooltip=self.label.toolTip())
        self.field.setFixedWidth(105)
        self.field.committed.connect(lambda text: table.set(name, text))

    def widgets(self) -> list[QWidget]:
        return [self.check] if self.boolean else [self.label, self.slider, self.field]

    def show(self, text: str) -> None:
        """Show ``text``, the parameter's value, unless it comes from this row's own slider."""
        if self.boolean:
            self.check.blockSignals(True)
            self.check.setChecked(text.strip().lower() in ("true", "1"))
            self.check.blockSignals(False)
            return
        self.field.set_value(text)
        if self.slider.isSliderDown() or self.table.sliding == self.name:
            return
        self.slider.blockSignals(True)
        self.slider.setValue(to_slider(self.table.state.value(self.name), *self.range))
        self.slider.blockSignals(False)

    def _slid(self, position: int) -> None:
        state = self.table.state
        value = from_slider(position, *self.range)
        unit = state.unit(self.name)
        text = f"{value:g}" if unit == "1" else f"{value:g} {unit}"
        self.table.sliding = self.name
        try:
            self.table.set(self.name, text)
        finally:
            self.table.sliding = None


class ParametersPanel(QScrollArea):
    """Sliders and fields for the parameters of ``state``."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.rows: dict[str, _Row] = {}
        self.sliding: str | None = None
        self.setWidgetResizable(True)
        self._key: tuple = ()
        self.rebuild()
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))

    def rebuild(self) -> None:
        """Make one row per parameter of the model (when the names changed) and show the values."""
        names = self.state.parameter_names()
        key = (tuple((n, self.state.unit(n)) for n in names), id(self.state.library_model))
        if key != self._key or not self.rows:
            self._key = key
            self.rows = {name: _Row(self, name) for name in names}
            inner = QWidget()
            grid = QGridLayout(inner)
            grid.setContentsMargins(4, 4, 4, 4)
            grid.setVerticalSpacing(2)
            grid.setColumnStretch(1, 1)
            for r, row in enumerate(self.rows.values()):
                widgets = row.widgets()
                for c, widget in enumerate(widgets):
                    grid.addWidget(widget, r, c, 1, 3 if len(widgets) == 1 else 1)
            grid.setRowStretch(len(self.rows), 1)
            self.setWidget(inner)
        values = self.state.parameters
        for name, row in self.rows.items():
            row.show(values[name])

    def set(self, name: str, text: str) -> None:
        """Set parameter ``name`` to ``text`` in the state (a refused value is marked on the row)."""
        try:
            self.state.set_parameter(name, text)
        except PlaygroundError as exc:
            row = self.rows.get(name)
            if row is not None and row.field is not None:
                row.field.mark(str(exc))

    def _on_state(self, event) -> None:
        if isinstance(event, ModelChanged):
            self.rebuild()
        elif isinstance(event, ParametersChanged):
            name = event.name
            if name in self.rows:
                self.rows[name].show(self.state.parameters[name])
            else:
                self.rebuild()
