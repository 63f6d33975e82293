"""What every analysis panel of the playground shares: the state subscription, a debounce, themed plots.

A panel reads the playground state (:class:`studio.playground.playground_state.PlaygroundState`)
and never keeps a copy of the model: on ``ModelChanged``,
``ParametersChanged`` or ``StimulusChanged`` it schedules :meth:`refresh`
after ``DEBOUNCE_MS`` so a slider scrub recomputes once per pause, not per
pixel.  While the model text is invalid (``state.stale``) the last result
stays, marked stale.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QWidget

from engine.equations.units import UnitError, quantity_in
from studio.playground.playground_events import ModelChanged, ParametersChanged, ProblemsChanged, StimulusChanged
from views.theme import follow_theme, style_legend, style_plots

DEBOUNCE_MS = 150
MAXIMUM = 1e12


class AnalysisPanel(QWidget):
    """Base of the analysis panels: subclasses implement :meth:`refresh` (and may list other ``WATCH`` events).

    Only a visible panel recomputes; one in a tab at the back catches up when it comes to the front.
    """

    WATCH: tuple[type, ...] = (ModelChanged, ParametersChanged, StimulusChanged)
    title = "Analysis"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.refresh)
        self.dirty = True  # a change arrived while hidden: refresh when shown
        self.stale_label = QLabel("")
        follow_theme(self.stale_label, lambda c: f"color: {c.error.name()}")
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))

    def _on_state(self, event) -> None:
        if isinstance(event, self.WATCH):
            self.schedule()
        elif isinstance(event, ProblemsChanged):
            self.stale_label.setText("stale: the model has errors" if self.state.stale else "")

    def schedule(self) -> None:
        """Refresh after the debounce delay (a hidden panel, such as a tab in the back, when it is shown)."""
        if self.isVisible():
            self.dirty = False
            self.debounce.start()
        else:
            self.dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.dirty:
            self.schedule()

    def refresh(self) -> None:
        """Recompute from the state (on a worker thread; a costly sweep only on request)."""
        raise NotImplementedError

    def applies(self) -> bool:
        """Whether the panel has something to show for the state's model (the playground opens on the first
        panel that does)."""
        return True

    @property
    def ready(self) -> bool:
        """Whether the state holds a valid model to analyse."""
        return self.state.spec is not None and not self.state.stale


def constant_level(state) -> float | None:
    """The current the stimulus holds while on (model current unit): the sum of each protocol's amplitude (its
    mean for a sine or noise); ``None`` without current protocols."""
    currents = state.stimulus.currents
    if not currents:
        return None
    return float(sum(p.mean if hasattr(p, "mean") else p.amplitude for p in currents))


def axis_label(name: str, unit: str) -> str:
    """``name (unit)``, or the bare name for a dimensionless quantity."""
    return name if unit in ("", "1") else f"{name} ({unit})"


def plot_widget(x_label: str = "", y_label: str = "") -> pg.PlotWidget:
    """A pyqtgraph plot in the theme's colours, with a light grid."""
    widget = pg.PlotWidget()
    style_plots(widget)
    plot = widget.getPlotItem()
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    return widget


def add_legend(widget: pg.PlotWidget, offset: tuple[float, float] = (-10, 10)) -> pg.LegendItem:
    """A legend (by default in the top right corner) in the theme's colours."""
    legend = widget.getPlotItem().addLegend(offset=offset)
    style_legend(legend)
    return legend


def spin(value: float, *, decimals: int = 3, minimum: float = -MAXIMUM, maximum: float = MAXIMUM,
         suffix: str = "", step: float = 1.0) -> QDoubleSpinBox:
    """A number field that keeps its focus while typing (``keyboardTracking`` off)."""
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setKeyboardTracking(False)
    box.setAlignment(Qt.AlignmentFlag.AlignRight)
    if suffix:
        box.setSuffix(f" {suffix}")
    return box


def message_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def sweepable(model) -> list[str]:
    """Parameters a sweep can vary: numeric ones other than the current input and run_regularly variables."""
    variables = {t for t, _ in model.run_regularly}
    return [n for n, p in model.parameters.items()
            if p.var_type == "float" and n != model.spec.current_input and n not in variables]


def default_span(state, name: str, value: float) -> tuple[float, float]:
    """The metadata range of parameter ``name`` (library models), else a span around ``value``."""
    lib = state.library_model
    info = next((p for p in lib.params if p.name == name), None) if lib is not None else None
    if info is not None and info.low is not None and info.high is not None:
        try:
            system = state.checked.system
            return quantity_in(info.low, system)[0], quantity_in(info.high, system)[0]
        except UnitError:
            pass
    return (value * 0.5, value * 1.5) if value > 0 else (value * 1.5, value * 0.5) if value < 0 else (-1.0, 1.0)


def current_like(model, name: str) -> bool:
    """Whether parameter ``name`` has the dimension of the model's current input (it drives the neuron)."""
    inp = model.spec.current_input
    params = model.parameters
    return bool(inp) and inp in params and name in params and params[name].dim is params[inp].dim


def first_choice(model, names: list[str]) -> str:
    """The parameter to sweep first: a current-like one named ``I...``, else any current-like one, else the first."""
    like = [n for n in names if current_like(model, n)]
    return next((n for n in like if n.startswith("I")), like[0] if like else names[0] if names else "")
