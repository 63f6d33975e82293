"""What every analysis panel of the playground shares: the state subscription, a debounce, themed plots.

A panel reads the playground state (:class:`studio.playground.PlaygroundState`)
and never keeps a copy of the model: on ``model_changed``,
``parameters_changed`` or ``stimulus_changed`` it schedules :meth:`refresh`
after ``DEBOUNCE_MS`` so a slider scrub recomputes once per pause, not per
pixel.  While the model text is invalid (``state.stale``) the last result
stays, marked stale.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QWidget

from views.theme import colors

DEBOUNCE_MS = 150
MAXIMUM = 1e12


class QtAnalysisPanel(QWidget):
    """Base of the analysis panels: subclasses implement :meth:`refresh` (and may list more ``WATCH`` events)."""

    WATCH = ("model_changed", "parameters_changed", "stimulus_changed")
    title = "Analysis"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.refresh)
        self.stale_label = QLabel("")
        self.stale_label.setStyleSheet(f"color: {colors().error.name()}")
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))

    def _on_state(self, event) -> None:
        if event.kind in self.WATCH:
            self.debounce.start()
        elif event.kind == "problems_changed":
            self.stale_label.setText("stale: the model has errors" if self.state.stale else "")

    def schedule(self) -> None:
        """Refresh after the debounce delay."""
        self.debounce.start()

    def refresh(self) -> None:
        """Recompute from the state (on the GUI thread if cheap, else on request)."""
        raise NotImplementedError

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
    return float(sum(getattr(p, "mean", None) if hasattr(p, "mean") else p.amplitude for p in currents))


def plot_widget(x_label: str = "", y_label: str = "") -> pg.PlotWidget:
    """A pyqtgraph plot in the theme's colours, with a light grid."""
    theme = colors()
    widget = pg.PlotWidget(background=theme.canvas)
    plot = widget.getPlotItem()
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(theme.muted)
        axis.setTextPen(theme.text)
        axis.enableAutoSIPrefix(False)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    return widget


def add_legend(widget: pg.PlotWidget) -> pg.LegendItem:
    legend = widget.getPlotItem().addLegend(offset=(-10, 10))
    legend.setLabelTextColor(colors().text)
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
