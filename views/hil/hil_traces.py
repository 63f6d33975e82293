"""Probed state from the board beside the engine's: one solid curve per (neuron, variable) from the board,
a dashed one from the engine, in the neuron's population colour, over the raster's window."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from views.playground.analysis_panel import add_legend, plot_widget
from views.scopes.scope import population_color
from views.theme import colors

MAX_TRACES = 8
PEN_WIDTH = 1  # wider lines leave Qt's fast path: a trace of 2,000 steps then takes ~2 ms more to paint


class HilTraces(QWidget):
    """Curves of the probed pairs (:meth:`show_traces`); items are made once per pair and updated with ``setData``
    (plain curve items: the data items' extra machinery costs a millisecond per frame)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.widget = plot_widget("time (ms)", "")
        self.plot = self.widget.getPlotItem()
        self.plot.showGrid(x=False, y=False)  # redrawn at every scroll (see views.hil.hil_raster)
        self.legend = add_legend(self.widget)
        self.legend.setColumnCount(2)
        self.curves: dict[tuple[int, int], tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = {}
        self.hint = pg.TextItem("Probed state, board beside engine, shows here: press Probe while connected",
                                color=colors().muted, anchor=(0.5, 0.5))
        self.plot.addItem(self.hint, ignoreBounds=True)
        self.plot.getViewBox().sigRangeChanged.connect(self._place_hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    def show_traces(self, traces: dict) -> None:
        """Draw ``traces``: (neuron, variable) -> (label, population index, board (times in ms, values), engine
        (times in ms, values)), values in the variable's units."""
        self.hint.setVisible(not traces)
        variables = ", ".join(sorted({label.rpartition(".")[2] for label, _, _, _ in traces.values()}))
        if variables != self.plot.getAxis("left").labelText:  # a new label redraws the axis
            self.plot.setLabel("left", variables)
        for pair, (label, population, board, engine) in list(traces.items())[:MAX_TRACES]:
            if pair not in self.curves:
                color = population_color(population + len(self.curves))
                self.curves[pair] = (
                    pg.PlotCurveItem(pen=pg.mkPen(color, width=PEN_WIDTH), name=f"{label} board"),
                    pg.PlotCurveItem(pen=pg.mkPen(color, width=PEN_WIDTH, style=Qt.PenStyle.DashLine),
                                     name=f"{label} engine"))
                for curve in self.curves[pair]:
                    self.plot.addItem(curve)
            for curve, (t_ms, values) in zip(self.curves[pair], (board, engine)):
                curve.setData(t_ms, values, skipFiniteCheck=True)

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
