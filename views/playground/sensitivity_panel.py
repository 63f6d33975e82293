"""How the firing rate depends on parameters: sensitivity bars (±10 %) and a two-parameter rate map.

Both are sweeps of many variants as one population on a worker thread, with
progress, cancel and a cost estimate; cheap ones follow the model as it changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.analysis.batch import estimate_seconds
from engine.analysis.isi import RateMap, Sensitivity, rate_map, rate_sensitivity, tunable_parameters
from engine.errors import NeuroCoreError
from studio.jobs.analysis_job import AnalysisRequest
from views.playground.analysis_panel import axis_label, constant_level, default_span, plot_widget, spin, sweepable
from views.playground.sweep_panel import SweepPanel
from views.theme import colors


class SensitivityPanel(SweepPanel):
    """Normalised sensitivity of the rate to each parameter: (r(+10 %) - r(-10 %)) / (0.2 r)."""

    title = "Sensitivity"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Compute", parent)
        self.delta = spin(10.0, decimals=1, minimum=0.1, maximum=90.0, suffix="%", step=5.0)
        self.duration = spin(1000.0, decimals=0, minimum=10.0, maximum=1e6, suffix="ms", step=100.0)
        for w in (self.delta, self.duration):
            w.valueChanged.connect(self.schedule)
        controls = QHBoxLayout()
        for label, w in (("change", self.delta), ("run", self.duration)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.stale_label)
        self.plot = plot_widget("relative change of rate per relative change of parameter", "")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brushes=[])
        self.plot.addItem(self.bars)
        self.plot.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen(colors().muted, width=1)))
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.sweep)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)

    def _arguments(self) -> dict:
        return dict(current=constant_level(self.state) or 0.0, delta=self.delta.value() / 100,
                    duration=self.duration.value() * 1e-3, dt=self.state.dt)

    def estimate(self) -> float:
        n = 2 * len(tunable_parameters(self.state.checked)) + 1
        return estimate_seconds(self.state.spec, n, duration=self.duration.value() * 1e-3, dt=self.state.dt)

    def request(self) -> AnalysisRequest:
        return AnalysisRequest(rate_sensitivity, (self.state.spec,), self._arguments(), "sensitivity")

    def show_result(self, result: Sensitivity) -> None:
        self.result = result
        k = len(result.parameters)
        sens = np.nan_to_num(result.sensitivity)
        brushes = [pg.mkBrush("#3b78c4" if s >= 0 else "#d9534f") for s in sens]
        self.bars.setOpts(x0=np.zeros(k), y=np.arange(k), height=0.6, width=sens, brushes=brushes)
        self.plot.getPlotItem().getAxis("left").setTicks([list(enumerate(result.parameters))])
        self.plot.getPlotItem().setYRange(-0.7, k - 0.3, padding=0)
        if result.base_rate > 0:
            top = int(np.argmax(np.abs(sens))) if k else None
            most = f"; most sensitive to {result.parameters[top]} ({sens[top]:+.2f})" if top is not None else ""
            self.message.setText(f"Base rate {result.base_rate:.4g} Hz at ±{result.delta * 100:g} %{most}.")
        else:
            self.message.setText("The neuron does not fire at the base values: no sensitivity of the rate "
                                 "(raise the stimulus).")


class RateMapPanel(SweepPanel):
    """The firing rate over a grid of two parameters (either may be the injected current)."""

    title = "Rate map"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Compute", parent)
        self.boxes = (QComboBox(), QComboBox())
        self.spans = ((spin(0.0), spin(1.0)), (spin(0.0), spin(1.0)))
        self.counts = (QSpinBox(), QSpinBox())
        for box, (lo, hi), count in zip(self.boxes, self.spans, self.counts):
            box.currentTextChanged.connect(self._axis_changed)
            count.setRange(2, 400)
            count.setValue(20)
            count.setKeyboardTracking(False)
            for w in (lo, hi, count):
                w.valueChanged.connect(self.schedule)
        self.duration = spin(500.0, decimals=0, minimum=10.0, maximum=1e6, suffix="ms", step=100.0)
        self.duration.valueChanged.connect(self.schedule)
        layout = QVBoxLayout(self)
        for axis, box, (lo, hi), count in zip("xy", self.boxes, self.spans, self.counts):
            row = QHBoxLayout()
            for label, w in ((axis, box), ("from", lo), ("to", hi), ("values", count)):
                row.addWidget(QLabel(label))
                row.addWidget(w)
            if axis == "y":
                row.addWidget(QLabel("run"))
                row.addWidget(self.duration)
            row.addStretch(1)
            layout.addLayout(row)
        self.plot = plot_widget()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get("viridis"), label="rate (Hz)",
                                        interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        layout.addWidget(self.sweep)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)

    def names(self) -> list[str]:
        cm = self.state.checked
        inp = cm.spec.current_input
        return ([inp] if inp else []) + sweepable(cm)

    def prepare(self) -> None:
        names = self.names()
        for k, box in enumerate(self.boxes):
            if names == [box.itemText(i) for i in range(box.count())]:
                continue
            keep = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.blockSignals(False)
            box.setCurrentText(keep if keep in names else names[min(k, len(names) - 1)])
            self._set_span(k)

    def _axis_changed(self, *_) -> None:
        for k in range(2):
            if self.sender() is self.boxes[k]:
                self._set_span(k)

    def _set_span(self, k: int) -> None:
        cm = self.state.checked
        name = self.boxes[k].currentText()
        if cm is None or not name:
            return
        if name == cm.spec.current_input:
            level = constant_level(self.state) or 0.0
            lo, hi = (0.0, 2 * abs(level)) if level else (0.0, 1.0)
        else:
            lo, hi = default_span(self.state, name, cm.parameters[name].value)
        unit = cm.display_unit(name)
        for box, value in zip(self.spans[k], (lo, hi)):
            box.blockSignals(True)
            box.setSuffix("" if unit == "1" else f" {unit}")
            box.setValue(value)
            box.blockSignals(False)

    def set_axes(self, x: tuple[str, float, float, int], y: tuple[str, float, float, int]) -> None:
        """Set both axes as ``(parameter, from, to, values)``."""
        self.prepare()
        for k, (name, lo, hi, n) in enumerate((x, y)):
            self.boxes[k].setCurrentText(name)
            self.spans[k][0].setValue(lo)
            self.spans[k][1].setValue(hi)
            self.counts[k].setValue(n)

    def _grid(self, k: int) -> np.ndarray:
        lo, hi = self.spans[k]
        return np.linspace(lo.value(), hi.value(), self.counts[k].value())

    def estimate(self) -> float:
        inp = self.state.checked.spec.current_input
        parameters = {self.boxes[k].currentText(): self._grid(k) for k in range(2)}
        shape = (len(self._grid(1)), len(self._grid(0)))
        columns = {n: np.broadcast_to(v if k == 0 else v[:, None], shape).ravel()
                   for k, (n, v) in enumerate(parameters.items()) if n != inp}
        n = shape[0] * shape[1]
        return estimate_seconds(self.state.spec, n, duration=self.duration.value() * 1e-3, dt=self.state.dt,
                                parameters=columns)

    def request(self) -> AnalysisRequest:
        x, y = self.boxes[0].currentText(), self.boxes[1].currentText()
        if x == y:
            raise NeuroCoreError("Choose two different parameters.")
        kwargs = dict(current=constant_level(self.state) or 0.0, duration=self.duration.value() * 1e-3,
                      dt=self.state.dt)
        return AnalysisRequest(rate_map, (self.state.spec, x, self._grid(0), y, self._grid(1)), kwargs, "rate map")

    def show_result(self, result: RateMap) -> None:
        self.result = result
        xs, ys = result.x, result.y
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1) or 1.0
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1) or 1.0
        self.image.setImage(result.rates, autoLevels=False)
        self.image.setRect(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))
        top = float(np.max(result.rates)) if result.rates.size else 0.0
        self.colorbar.setLevels((0.0, max(top, 1e-9)))
        plot = self.plot.getPlotItem()
        plot.setLabel("bottom", axis_label(result.x_parameter, result.x_unit))
        plot.setLabel("left", axis_label(result.y_parameter, result.y_unit))
        plot.autoRange(padding=0)
        self.message.setText(f"{result.rates.size} variants; rate from {float(np.min(result.rates)):.4g} to "
                             f"{top:.4g} Hz.")
