"""One-click characterisation of the playground's model, and its frequency response to a sinusoidal drive."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.analysis.batch import estimate_seconds
from engine.analysis.characterise import GRID, Characterisation, characterise
from engine.analysis.frequency_response import FrequencyResponse, frequency_response
from engine.analysis.isi import tunable_parameters
from studio.jobs.analysis_job import AnalysisRequest
from views.playground.analysis_panel import axis_label, constant_level, plot_widget, spin
from views.playground.sweep_panel import SweepPanel

CURVE = "#3b78c4"  # the playground's curve colour (the f-I tab's)


def _number(value: float, unit: str = "") -> str:
    text = "–" if not np.isfinite(value) else f"{value:.4g}"
    return f"{text} {unit}" if unit not in ("", "1") and text != "–" else text


class CharacterisePanel(SweepPanel):
    """Firing pattern (with the features that decided it), rheobase, f-I slope, maximum rate, ISIs,
    the five most sensitive parameters and state ranges, as a report beside the f-I curve it measured."""

    title = "Characterise"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Characterise", parent)
        self.sweep.auto_seconds = 0.0  # a whole characterisation runs only when asked
        self.report = QLabel("Press Characterise to classify the model's firing and measure its response.")
        self.report.setWordWrap(True)
        self.report.setTextFormat(Qt.TextFormat.RichText)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.plot = plot_widget("current", "rate (Hz)")
        self.curve = self.plot.plot([], [], pen=pg.mkPen(CURVE, width=2), symbol="o", symbolSize=5)
        body = QHBoxLayout()
        body.addWidget(self.report, 3)
        body.addWidget(self.plot, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sweep)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)

    def estimate(self) -> float:
        spec, dt = self.state.spec, self.state.dt
        variants = 2 * len(tunable_parameters(self.state.checked)) + 1
        return (estimate_seconds(spec, len(GRID), duration=0.5, dt=dt) + estimate_seconds(spec, 19, duration=1.0, dt=dt)
                + estimate_seconds(spec, variants, duration=1.0, dt=dt) + 3 * estimate_seconds(spec, 1, duration=1.0, dt=dt))

    def request(self) -> AnalysisRequest:
        return AnalysisRequest(characterise, (self.state.spec,), {"dt": self.state.dt}, "characterise")

    def show_result(self, result: Characterisation) -> None:
        self.result = result
        unit = result.current_unit
        self.plot.getPlotItem().setLabel("bottom", axis_label("current", unit))
        self.curve.setData(result.fi_currents, result.fi_rates)
        rows = [("pattern", f"<b>{result.pattern}</b>"), ("because", "; ".join(result.reasons))]
        if result.pattern != "silent":
            rows += [("rheobase", _number(result.rheobase, unit)),
                     ("probed at", _number(result.test_current, unit)),
                     ("f-I slope", f"{_number(result.fi_slope)} Hz per {unit if unit not in ('', '1') else 'unit'}"),
                     ("max rate", f"{_number(result.max_rate)} Hz (up to 10 × rheobase)"),
                     ("ISIs", f"mean {_number(result.isi_mean, 'ms')}, CV {_number(result.isi_cv)}"),
                     ("most sensitive", ", ".join(f"{n} {s:+.2f}" for n, s in result.sensitive) or "–")]
            rows += [(name, f"{_number(lo)} .. {_number(hi, u)}") for name, (lo, hi, u) in result.state_ranges.items()]
        self.report.setText("<table cellspacing='4'>" + "".join(
            f"<tr><td style='padding-right:12px'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        self.message.setText("")


class FrequencyResponsePanel(SweepPanel):
    """Rate modulation (gain) and phase against the frequency of a sinusoidal drive, swept log-spaced."""

    title = "Frequency response"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Sweep", parent)
        self.sweep.auto_seconds = 0.0
        self.low = spin(1.0, decimals=2, minimum=0.01, maximum=1e4, suffix="Hz")
        self.high = spin(200.0, decimals=1, minimum=0.1, maximum=1e4, suffix="Hz", step=10.0)
        self.count = QSpinBox(minimum=2, maximum=60, value=12)
        self.amplitude = spin(50.0, decimals=3, minimum=0.0, maximum=1e9, step=10.0)
        controls = QGridLayout()  # two rows: the panel shares the playground's width with the equations
        for k, (label, w) in enumerate((("from", self.low), ("to", self.high), ("points", self.count),
                                        ("amplitude", self.amplitude))):
            controls.addWidget(QLabel(label), k // 2, 2 * (k % 2))
            controls.addWidget(w, k // 2, 2 * (k % 2) + 1)
        controls.setColumnStretch(4, 1)
        controls.addWidget(self.stale_label, 0, 4)
        self.gain_plot = plot_widget("frequency (Hz)", "gain (Hz per unit)")
        self.phase_plot = plot_widget("frequency (Hz)", "phase (°)")
        for plot in (self.gain_plot, self.phase_plot):
            plot.getPlotItem().setLogMode(x=True, y=False)
        self.phase_plot.setXLink(self.gain_plot)
        pen = pg.mkPen(CURVE, width=2)
        self.gain = self.gain_plot.plot([], [], pen=pen, symbol="o", symbolSize=5)
        self.phase = self.phase_plot.plot([], [], pen=pen, symbol="o", symbolSize=5)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.sweep)
        layout.addWidget(self.gain_plot, 1)
        layout.addWidget(self.phase_plot, 1)
        layout.addWidget(self.message)

    def frequencies(self) -> np.ndarray:
        return np.geomspace(self.low.value(), max(self.high.value(), self.low.value() * 1.01), self.count.value())

    def _mean(self) -> float:
        return constant_level(self.state) or 0.0

    def estimate(self) -> float:
        seconds = sum(max(20 / f, 1.0) + 0.2 for f in self.frequencies())
        return estimate_seconds(self.state.spec, 1, duration=seconds, dt=self.state.dt)

    def request(self) -> AnalysisRequest:
        return AnalysisRequest(frequency_response, (self.state.spec, self.frequencies()),
                               {"mean": self._mean(), "amplitude": self.amplitude.value(), "dt": self.state.dt},
                               "frequency response")

    def show_result(self, result: FrequencyResponse) -> None:
        self.result = result
        unit = result.current_unit if result.current_unit not in ("", "1") else "unit"
        self.gain_plot.getPlotItem().setLabel("left", f"gain (Hz per {unit})")
        self.gain.setData(result.frequencies, result.gain)
        self.phase.setData(result.frequencies, result.phase)
        self.message.setText(f"Drive: {_number(result.mean, result.current_unit)} (the stimulus level) ± "
                             f"{_number(result.amplitude, result.current_unit)}; mean rate "
                             f"{_number(float(np.mean(result.mean_rate)))} Hz; a negative phase lags the drive.")
