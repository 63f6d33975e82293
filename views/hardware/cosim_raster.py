"""The co-simulation raster: the core's spikes over the engine's, the first divergence marked.

x is time in ms (a spike of step ``s`` is at ``(s + 1) * dt``, as the
engine records it), y the neuron, populations stacked from the bottom in the
core's order, each a labelled band.  The engine's spikes are small filled dots
in the population's colour, the core's open circles around them: where the two
agree every dot sits in a ring.  Each kind is one scatter item, whatever the
number of spikes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from views.playground.analysis_panel import add_legend, plot_widget
from views.scopes.scope import population_color
from views.theme import colors


class CosimRaster(QWidget):
    """Engine and core spikes of one :class:`~hdl.netcosim.NetworkCosimReport` (:meth:`show_report`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        theme = colors()
        self.widget = plot_widget("time (ms)", "neuron")
        self.plot = self.widget.getPlotItem()
        self.legend = add_legend(self.widget)
        self.engine = pg.ScatterPlotItem(size=4, pen=None, name="engine")
        self.rtl = pg.ScatterPlotItem(size=9, symbol="o", brush=None, pen=pg.mkPen(theme.text, width=1),
                                      name="core (RTL)")
        self.divergence = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.error, width=1.5,
                                                                                  style=pg.QtCore.Qt.PenStyle.DashLine))
        self.divergence_mark = pg.ScatterPlotItem(size=16, symbol="x", pen=pg.mkPen(theme.error, width=2),
                                                  brush=theme.error)
        for item in (self.engine, self.rtl, self.divergence_mark):
            self.plot.addItem(item)
        self.plot.addItem(self.divergence, ignoreBounds=True)
        self.divergence.hide()
        self.divergence_mark.hide()
        self._bands: list = []
        self.counts = (0, 0)  # spikes drawn: (engine, core)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    def show_report(self, report, dt_ms: float) -> None:
        """Draw ``report``'s spikes; mark its first divergence, if any."""
        names = [p["name"] for p in report.manifest.get("populations", [])] or list(report.engine_spikes)
        sizes = {p["name"]: p["size"] for p in report.manifest.get("populations", [])}
        offsets, total = {}, 0
        for name in names:
            offsets[name] = total
            total += sizes.get(name, 1)
        ex, ey, eb, rx, ry = [], [], [], [], []
        for k, name in enumerate(names):
            times, neurons = report.engine_spikes.get(name, (np.zeros(0), np.zeros(0)))
            ex.append(np.asarray(times, float))
            ey.append(np.asarray(neurons, float) + offsets[name])
            eb.extend([pg.mkBrush(population_color(k))] * len(times))
            steps, neurons = report.rtl.spikes.get(name, (np.zeros(0), np.zeros(0)))
            rx.append((np.asarray(steps, float) + 1) * dt_ms)
            ry.append(np.asarray(neurons, float) + offsets[name])
        ex_, ey_ = (np.concatenate(ex), np.concatenate(ey)) if ex else (np.zeros(0), np.zeros(0))
        rx_, ry_ = (np.concatenate(rx), np.concatenate(ry)) if rx else (np.zeros(0), np.zeros(0))
        self.engine.setData(x=ex_, y=ey_, brush=eb or None)
        self.rtl.setData(x=rx_, y=ry_)
        self.counts = (ex_.size, rx_.size)
        self._draw_bands(names, sizes, offsets, total)
        first = report.first_divergence
        if first is not None and first["population"] in offsets:
            t = (first["step"] + 1) * dt_ms
            self.divergence.setValue(t)
            self.divergence.show()
            self.divergence_mark.setData(x=[t], y=[first["neuron"] + offsets[first["population"]]])
            self.divergence_mark.show()
            if self.legend.getLabel(self.divergence_mark) is None:
                self.legend.addItem(self.divergence_mark, "first divergence")
        else:
            self._hide_divergence()
        self.plot.setXRange(0.0, report.steps * dt_ms, padding=0.01)
        self.plot.setYRange(0.0, max(total, 1), padding=0.02)

    def clear(self) -> None:
        self.engine.clear()
        self.rtl.clear()
        self.counts = (0, 0)
        self._hide_divergence()
        self._draw_bands([], {}, {}, 0)

    def _hide_divergence(self) -> None:
        self.divergence.hide()
        self.divergence_mark.hide()
        self.legend.removeItem(self.divergence_mark)

    def _draw_bands(self, names, sizes, offsets, total) -> None:
        for item in self._bands:
            self.plot.removeItem(item)
        self._bands = []
        theme = colors()
        for k, name in enumerate(names):
            if offsets[name] > 0:
                line = pg.InfiniteLine(pos=offsets[name] - 0.5, angle=0, movable=False,
                                       pen=pg.mkPen(theme.muted, width=1))
                self.plot.addItem(line, ignoreBounds=True)
                self._bands.append(line)
            label = pg.TextItem(name, color=population_color(k), anchor=(0, 0))
            label.setPos(0.0, offsets[name] + sizes.get(name, 1))
            self.plot.addItem(label, ignoreBounds=True)
            self._bands.append(label)
