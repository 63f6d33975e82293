"""Probed state from the board beside the engine's: one solid curve per (neuron, variable) from the board,
a dashed one from the engine, in the neuron's population colour, over the raster's window."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from views.playground.analysis_panel import add_legend, plot_widget
from views.scopes.scope import population_color
from views.theme import colors

MAX_TRACES = 8


class HilTraces(QWidget):
    """Curves of the probed pairs (:meth:`show_traces`); items are made once per pair and updated with ``setData``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.widget = plot_widget("time (ms)", "")
        self.plot = self.widget.getPlotItem()
        self.plot.showGrid(x=False, y=False)  # redrawn at every scroll (see views.hil.hil_raster)
        self.legend = add_legend(self.widget)
        self.legend.setColumnCount(2)
        self.curves: dict[tuple[int, int], tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.hint = pg.TextItem("Probed state, board beside engine, shows here: press Probe while connected",
                                color=colors().muted, anchor=(0.5, 0.5))
        self.plot.addItem(self.hint, ignoreBounds=True)
        self.plot.getViewBox().sigRangeChanged.connect(self._place_hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    def show_traces(self, traces: dict, start: int, steps: int, dt_ms: float) -> None:
        """Draw ``traces``: (neuron, variable) -> (label, population index, board (steps, values), engine
        (steps, values)), values in the variable's units, over steps ``start`` to ``steps``."""
        self.hint.setVisible(not traces)
        variables = sorted({label.rpartition(".")[2] for label, _, _, _ in traces.values()})
        self.plot.setLabel("left", ", ".join(variables))
        for pair, (label, population, board, engine) in list(traces.items())[:MAX_TRACES]:
            if pair not in self.curves:
                color = population_color(population + len(self.curves))
                self.curves[pair] = (self.plot.plot(pen=pg.mkPen(color, width=1.5), name=f"{label} board"),
                                     self.plot.plot(pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                                                    name=f"{label} engine"))
            for curve, (s, v) in zip(self.curves[pair], (board, engine)):
                inside = (s >= start) & (s < steps)
                curve.setData((s[inside] + 1) * dt_ms, np.asarray(v)[inside], skipFiniteCheck=True)

    def _place_hint(self, view, ranges) -> None:
        (x0, x1), (y0, y1) = ranges
        self.hint.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def clear(self) -> None:
        for board, engine in self.curves.values():
            for curve in (board, engine):
                self.legend.removeItem(curve)
                self.plot.removeItem(curve)
        self.curves = {}
        self.hint.show()
