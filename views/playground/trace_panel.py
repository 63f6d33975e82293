"""The trace view of the playground: one or two chosen state variables and the injected current against time,
with the spikes marked; the last good trace stays, greyed and marked stale, while the model is invalid."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.analysis.traces import Trace
from engine.equations import expr as E
from studio.playground.playground_events import ProblemsChanged, TraceChanged
from studio.playground.playground_state import PlaygroundState
from views.theme import colors, follow_theme, style_plots

CURRENT = "input current"
_VOLTAGE_NAMES = ("V_m", "v", "V", "x")


class _Plots(pg.GraphicsLayoutWidget):
    """The plots; counts its repaints so callers can wait until a new trace is on screen."""

    def __init__(self):
        super().__init__()
        self.painted = 0

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted += 1


class TracePanel(QWidget):
    """Traces of ``state.trace``: the top and middle plots show chosen state variables, the bottom one the
    injected current; spikes are ticks above the top plot.  A model of one state variable has no middle plot
    (the current is shown once, at the bottom).

    ``shown`` is the trace drawn last and ``painted_trace`` the trace that was
    on screen at the last repaint.
    """

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        theme = colors()
        self.top_choice = QComboBox()
        self.middle_choice = QComboBox()
        self.info = QLabel()
        self.banner = QLabel("stale — the model has problems; this is the last valid trace")
        follow_theme(self.banner, lambda c: f"color: {c.canvas.name()}; background: {c.error.name()}; "
                                            "padding: 2px 6px;")
        self.banner.hide()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(QLabel("show"))
        bar.addWidget(self.top_choice)
        self.and_label = QLabel("and")
        bar.addWidget(self.and_label)
        bar.addWidget(self.middle_choice)
        bar.addWidget(self.info, 1)
        self.plots = _Plots()
        self.top = self.plots.addPlot(row=0, col=0)
        self.middle = self.plots.addPlot(row=1, col=0)
        self.bottom = self.plots.addPlot(row=2, col=0)
        self.plots.ci.layout.setRowStretchFactor(0, 5)
        self.plots.ci.layout.setRowStretchFactor(1, 3)
        self.plots.ci.layout.setRowStretchFactor(2, 2)
        for plot in (self.top, self.middle, self.bottom):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.getAxis("left").setWidth(72)
        style_plots(self.plots)
        self.middle.setXLink(self.top)
        self.bottom.setXLink(self.top)
        self.bottom.setLabel("bottom", "time (ms)")
        self.top.getAxis("bottom").setStyle(showValues=False)
        self.middle.getAxis("bottom").setStyle(showValues=False)
        self.colors = (theme.selection, QColor("#d98b23"), theme.muted)
        self.curves = [plot.plot(pen=pg.mkPen(color, width=1.4), skipFiniteCheck=True)
                       for plot, color in zip((self.top, self.middle, self.bottom), self.colors)]
        self.threshold = self.top.plot(pen=pg.mkPen(theme.error, width=1, style=Qt.PenStyle.DashLine),
                                       skipFiniteCheck=True)
        self.spikes = pg.ScatterPlotItem(symbol="t1", size=9, pen=None, brush=pg.mkBrush(theme.error))
        self.top.addItem(self.spikes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.plots, 1)
        self.shown: Trace | None = None
        self.painted_trace: Trace | None = None
        self._painted_at = 0
        self.top_choice.currentTextChanged.connect(lambda _: self.redraw())
        self.middle_choice.currentTextChanged.connect(lambda _: self.redraw())
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))
        if state.trace is not None:
            self.show_trace(state.trace)

    @property
    def on_screen(self) -> Trace | None:
        """The trace that was drawn at the last repaint of the plots."""
        if self.plots.painted != self._painted_at:
            self._painted_at = self.plots.painted
            self.painted_trace = self.shown
        return self.painted_trace

    def _on_state(self, event) -> None:
        if isinstance(event, TraceChanged):
            self.show_trace(self.state.trace)
        elif isinstance(event, ProblemsChanged):
            self.mark_stale(self.state.stale)

    def _offer(self, trace: Trace) -> None:
        names = list(trace.values)
        if [self.top_choice.itemText(k) for k in range(self.top_choice.count())] == names:
            return
        top = next((n for n in _VOLTAGE_NAMES if n in names), names[0])
        varying = [n for n in names if n != top and np.ptp(trace.values[n]) > 0]
        middle = varying[0] if varying else next((n for n in names if n != top), top)
        for combo, pick in ((self.top_choice, top), (self.middle_choice, middle)):
            combo.blockSignals(True)
            old = combo.currentText()
            combo.clear()
            combo.addItems(names)
            combo.setCurrentText(old if old in names and self.shown is not None and
                                 list(self.shown.values) == names else pick)
            combo.blockSignals(False)
        self._show_middle(len(names) > 1)

    def _show_middle(self, shown: bool) -> None:
        """Give the middle plot its row (a second state variable to show), or take it out of the layout."""
        self.and_label.setVisible(shown)
        self.middle_choice.setVisible(shown)
        if shown == (self.middle in self.plots.ci.items):
            return
        if shown:
            self.plots.ci.addItem(self.middle, row=1, col=0)
        else:
            self.plots.ci.removeItem(self.middle)
        self.plots.ci.layout.setRowStretchFactor(1, 3 if shown else 0)

    def show_trace(self, trace: Trace | None) -> None:
        """Draw ``trace`` (a new simulation of the valid model)."""
        if trace is None:
            return
        self._offer(trace)
        self.shown = trace
        self.redraw()
        self.mark_stale(self.state.stale)

    def _series(self, trace: Trace, name: str) -> tuple[np.ndarray, str]:
        if name == CURRENT or name not in trace.values:
            return trace.current, trace.current_unit
        return trace.values[name], trace.units[name]

    def redraw(self) -> None:
        trace = self.shown
        if trace is None:
            return
        top, middle = self.top_choice.currentText(), self.middle_choice.currentText()
        for curve, plot, name in ((self.curves[0], self.top, top), (self.curves[1], self.middle, middle),
                                  (self.curves[2], self.bottom, CURRENT)):
            values, unit = self._series(trace, name)
            curve.setData(trace.t, values)
            label = "I" if name == CURRENT else name
            plot.setLabel("left", label, units=None if unit in ("", "1") else unit)
        moving = self.moving_threshold(top)
        if moving in trace.values:
            self.threshold.setData(trace.t, trace.values[moving])
        else:
            self.threshold.setData([], [])
        values = trace.values.get(top)
        if values is not None and len(trace.spike_times):
            finite = values[np.isfinite(values)]
            high = float(finite.max()) if finite.size else 0.0
            span = float(np.ptp(finite)) if finite.size else 1.0
            self.spikes.setData(trace.spike_times, np.full(len(trace.spike_times), high + 0.06 * (span or 1.0)))
        else:
            self.spikes.setData([], [])
        duration_s = trace.t[-1] * 1e-3 if len(trace.t) else 0.0
        n = len(trace.spike_times)
        rate = n / duration_s if duration_s else 0.0
        self.info.setText(f"{n} spike{'s' if n != 1 else ''} · {rate:.1f} Hz · {duration_s * 1e3:g} ms at "
                          f"dt {trace.dt * 1e3:g} ms")

    def moving_threshold(self, name: str) -> str | None:
        """The variable the threshold compares ``name`` with (``V_m > threshold``), if it is one."""
        checked = self.state.structure
        cond = checked.threshold if checked is not None else None
        if isinstance(cond, E.Binary) and cond.op in (">", ">=", "<", "<="):
            sides = {cond.a, cond.b}
            if E.Ref(name) in sides:
                other = next((s for s in sides if s != E.Ref(name)), None)
                if isinstance(other, E.Ref):
                    return other.name
        return None

    def mark_stale(self, stale: bool) -> None:
        """Grey the curves and show the banner while the trace is not that of the text."""
        self.banner.setVisible(stale and self.shown is not None)
        theme = colors()
        for curve, color in zip(self.curves, self.colors):
            pen = pg.mkPen(theme.muted if stale else color, width=1.4,
                           style=Qt.PenStyle.DashLine if stale else Qt.PenStyle.SolidLine)
            curve.setPen(pen)
