"""f-I curve: firing rate against a constant injected current, with the rheobase marked.

All currents run as one population on a worker thread.  The curve recomputes
by itself when the model or its parameters change and the estimated cost is
small; otherwise it waits for "Compute".
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.analysis.batch import estimate_seconds
from engine.analysis.common import current_unit
from engine.analysis.fi_curve import FICurve, fi_curve
from studio.jobs.analysis_job import AnalysisRequest
from views.playground.analysis_panel import add_legend, axis_label, constant_level, plot_widget, spin
from views.playground.sweep_panel import SweepPanel
from views.theme import colors

# A first range per current unit, before the stimulus gives a better one.
DEFAULT_TOP = {"pA": 1000.0, "nA": 1.0, "uA": 1e-3, "1": 2.0}


class FICurvePanel(SweepPanel):
    """Rate (Hz) against constant current for the playground's model."""

    title = "f-I curve"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Compute", parent)
        self.unit = ""
        self.lo = spin(0.0, step=10.0)
        self.hi = spin(1000.0, step=10.0)
        self.count = QSpinBox()
        self.count.setRange(2, 2000)
        self.count.setValue(50)
        self.count.setKeyboardTracking(False)
        self.duration = spin(1000.0, decimals=0, minimum=1.0, maximum=1e6, suffix="ms", step=100.0)
        for w in (self.lo, self.hi, self.count, self.duration):
            w.valueChanged.connect(self.schedule)
        controls = QHBoxLayout()
        for label, w in (("from", self.lo), ("to", self.hi), ("currents", self.count), ("each", self.duration)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.stale_label)
        theme = colors()
        self.plot = plot_widget("current", "rate (Hz)")
        add_legend(self.plot, offset=(-10, -30))
        item = self.plot.getPlotItem()
        self.rate_item = item.plot(pen=pg.mkPen("#3b78c4", width=2), symbol="o", symbolSize=4,
                                   symbolBrush="#3b78c4", name="all spikes")
        self.steady_item = item.plot(pen=pg.mkPen("#d98b23", width=1.5, style=Qt.PenStyle.DashLine),
                                     name="steady state (last half of ISIs)")
        self.rheobase_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.error, width=1.5),
                                             label="", labelOpts={"position": 0.9, "color": theme.error})
        self.rheobase_line.setVisible(False)
        item.addItem(self.rheobase_line)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.sweep)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)

    def _arguments(self) -> dict:
        return dict(duration=self.duration.value() * 1e-3, dt=self.state.dt)

    def currents(self) -> np.ndarray:
        return np.linspace(self.lo.value(), self.hi.value(), self.count.value())

    def prepare(self) -> None:
        """Take the current unit of the model; a new unit resets the range (to twice the stimulus level)."""
        unit = current_unit(self.state.checked)
        if unit != self.unit:
            self.unit = unit
            level = constant_level(self.state)
            top = 2 * abs(level) if level else DEFAULT_TOP.get(unit, 1.0)
            for box, value in ((self.lo, 0.0), (self.hi, top)):
                box.blockSignals(True)
                box.setSuffix(f" {unit}" if unit != "1" else "")
                box.setValue(value)
                box.blockSignals(False)
            self.plot.getPlotItem().setLabel("bottom", axis_label("current", unit))

    def estimate(self) -> float:
        return estimate_seconds(self.state.spec, self.count.value(), **self._arguments())

    def request(self) -> AnalysisRequest:
        return AnalysisRequest(fi_curve, (self.state.spec, self.currents()), self._arguments(), "f-I")

    def show_result(self, result: FICurve) -> None:
        self.result = result
        self.rate_item.setData(result.currents, result.rates)
        self.steady_item.setData(result.currents, result.steady_rates)
        unit = "" if result.current_unit == "1" else f" {result.current_unit}"
        lo, hi = result.rheobase_bracket
        if np.isfinite(lo):
            self.rheobase_line.setValue(result.rheobase)
            self.rheobase_line.label.setFormat(f"rheobase {result.rheobase:.4g}{unit}")
            self.rheobase_line.setVisible(True)
            self.message.setText(f"Rheobase {result.rheobase:.5g}{unit}: no spikes at {lo:.5g}{unit}, spikes at "
                                 f"{hi:.5g}{unit}; peak rate {np.max(result.rates):.4g} Hz.")
        elif np.isfinite(hi):
            self.rheobase_line.setVisible(False)
            self.message.setText(f"The neuron fires at every current tried, from {hi:.5g}{unit}: the rheobase is "
                                 f"lower (start the range lower); peak rate {np.max(result.rates):.4g} Hz.")
        else:
            self.rheobase_line.setVisible(False)
            self.message.setText(f"No current up to {result.currents[-1]:.5g}{unit} makes the neuron fire "
                                 f"within {result.duration * 1e3:g} ms.")
