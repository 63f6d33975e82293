"""Bifurcation sweep: the extrema of a state variable on the attractor against any parameter.

Every value of the parameter is one neuron of one population, run on a
worker thread after a transient.  The estimated cost shows before a sweep of
more than a few seconds, which then waits for "Sweep"; cheaper sweeps follow
the model as it changes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.analysis.common import AnalysisError
from engine.analysis.bifurcation import Bifurcation, bifurcation, estimate_cost
from studio.jobs.analysis_job import AnalysisRequest
from views.playground.analysis_panel import (add_legend, axis_label, constant_level, current_like, default_span,
                                       first_choice, plot_widget, spin, sweepable)
from views.playground.sweep_panel import SweepPanel
from views.theme import colors

KINDS = ((1, "maxima", "#d9534f"), (-1, "minima", "#3b78c4"), (0, "steady state", None))


class BifurcationPanel(SweepPanel):
    """Extrema of a variable per parameter value (maxima, minima, steady states)."""

    title = "Bifurcation"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Sweep", parent)
        self.parameter_box, self.variable_box = QComboBox(), QComboBox()
        self.parameter_box.currentTextChanged.connect(self._parameter_changed)
        self.variable_box.currentTextChanged.connect(self.schedule)
        self.lo, self.hi = spin(0.0), spin(1.0)
        self.count = QSpinBox()
        self.count.setRange(2, 5000)
        self.count.setValue(100)
        self.count.setKeyboardTracking(False)
        self.current = spin(0.0, step=10.0)
        self.transient = spin(500.0, decimals=0, minimum=0.0, maximum=1e6, suffix="ms", step=100.0)
        self.duration = spin(500.0, decimals=0, minimum=1.0, maximum=1e6, suffix="ms", step=100.0)
        for w in (self.lo, self.hi, self.count, self.current, self.transient, self.duration):
            w.valueChanged.connect(self.schedule)
        self.follow = True
        self.current.editingFinished.connect(lambda: setattr(self, "follow", False))
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for row, pairs in ((row1, (("parameter", self.parameter_box), ("from", self.lo), ("to", self.hi),
                                   ("values", self.count))),
                           (row2, (("variable", self.variable_box), ("current", self.current),
                                   ("transient", self.transient), ("then", self.duration)))):
            for label, w in pairs:
                row.addWidget(QLabel(label))
                row.addWidget(w)
            row.addStretch(1)
        row1.addWidget(self.stale_label)
        self.plot = plot_widget()
        add_legend(self.plot)
        muted = colors().muted
        self.items = {}
        for kind, name, color in KINDS:
            c = color or muted
            self.items[kind] = self.plot.getPlotItem().plot(pen=None, symbol="o", symbolSize=4, symbolPen=None,
                                                            symbolBrush=c, name=name)
        layout = QVBoxLayout(self)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.sweep)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)

    # -- inputs ---------------------------------------------------------------------------------------------
    def _fill(self) -> None:
        cm = self.state.checked
        for box, names in ((self.parameter_box, sweepable(cm)), (self.variable_box, list(cm.states))):
            if names == [box.itemText(k) for k in range(box.count())]:
                continue
            keep = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.blockSignals(False)
            if keep in names:
                box.setCurrentText(keep)
            elif box is self.parameter_box:
                box.setCurrentText(first_choice(cm, names))
                self._parameter_changed(box.currentText())

    def _parameter_changed(self, name: str) -> None:
        cm = self.state.checked
        if cm is None or name not in cm.parameters:
            return
        lo, hi = default_span(self.state, name, cm.parameters[name].value)
        unit = cm.display_unit(name)
        for box, value in ((self.lo, lo), (self.hi, hi)):
            box.blockSignals(True)
            box.setSuffix("" if unit == "1" else f" {unit}")
            box.setValue(value)
            box.blockSignals(False)

    def set_sweep(self, parameter: str, lo: float, hi: float, count: int) -> None:
        """Sweep ``parameter`` over ``count`` values from ``lo`` to ``hi`` (model units)."""
        self.parameter_box.setCurrentText(parameter)
        self.lo.setValue(lo)
        self.hi.setValue(hi)
        self.count.setValue(count)

    def values(self) -> np.ndarray:
        return np.linspace(self.lo.value(), self.hi.value(), self.count.value())

    def _arguments(self) -> dict:
        return dict(transient=self.transient.value() * 1e-3, duration=self.duration.value() * 1e-3,
                    dt=self.state.dt)

    # -- running --------------------------------------------------------------------------------------------
    def prepare(self) -> None:
        self._fill()
        if not self.parameter_box.currentText():
            raise AnalysisError("The model has no parameter to sweep.")
        # A swept drive replaces the stimulus; otherwise the stimulus level drives every value.
        level = 0.0 if current_like(self.state.checked, self.parameter_box.currentText()) else \
            constant_level(self.state)
        if self.follow and level is not None:
            self.current.blockSignals(True)
            self.current.setValue(level)
            self.current.blockSignals(False)

    def estimate(self) -> float:
        """Seconds the sweep as set up now would take."""
        return estimate_cost(self.state.spec, self.parameter_box.currentText(), self.values(), **self._arguments())

    def request(self) -> AnalysisRequest:
        kwargs = dict(self._arguments(), variable=self.variable_box.currentText() or None,
                      current=self.current.value() if self.state.checked.spec.current_input else 0.0)
        return AnalysisRequest(bifurcation, (self.state.spec, self.parameter_box.currentText(), self.values()),
                               kwargs, "bifurcation")

    def show_result(self, result: Bifurcation) -> None:
        self.result = result
        for kind, item in self.items.items():
            sel = result.kind == kind
            item.setData(result.param_values[sel], result.extrema[sel])
        plot = self.plot.getPlotItem()
        plot.setLabel("bottom", axis_label(result.parameter, result.parameter_unit))
        plot.setLabel("left", axis_label(f"extrema of {result.variable}", result.variable_unit))
        spiking = result.values[result.spike_counts > 0]
        where = (f"spikes for {result.parameter} in [{spiking.min():.4g}, {spiking.max():.4g}]"
                 if len(spiking) else "no spikes anywhere in the sweep")
        self.message.setText(f"{len(result.values)} values, {len(result.extrema)} points; {where}.")
