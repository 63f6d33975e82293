"""The live HIL raster: the board's spikes over the engine's prediction, divergences marked.

x is time in ms (a spike of step ``s`` at ``(s + 1) * dt``, as the engine records it), y the
global neuron, populations stacked from the bottom, each a labelled band.  The engine's
spikes are small filled dots, the board's open rings around them: where the two agree every
dot sits in a ring.  A spike only one side has is a cross in the error colour, and the first
divergence a dashed line.  It shows at least the last ``window`` steps the board has run (the axis
moves in jumps of a quarter of that); each kind is one scatter item, whatever the number of spikes, given
only the spikes that are new (the steps drawn start again, further right, every few jumps).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from views.playground.analysis_panel import add_legend, plot_widget
from views.scopes.scope import population_color
from views.theme import colors

WINDOW_STEPS = 2000


class HilRaster(QWidget):
    """Board and engine spikes of a HIL session (:meth:`show_spikes`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        theme = colors()
        self.window = WINDOW_STEPS
        self.widget = plot_widget("time (ms)", "neuron")
        self.plot = self.widget.getPlotItem()
        self.plot.showGrid(x=False, y=False)  # the grid's lines are redrawn with the axes at every scroll: 20 ms
        self.legend = add_legend(self.widget)
        self.legend.setColumnCount(3)
        self.engine = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(theme.muted), name="engine")
        self.board = pg.ScatterPlotItem(size=9, symbol="o", brush=None, pen=pg.mkPen(theme.selection, width=1.2),
                                        name="board")
        self.differ = pg.ScatterPlotItem(size=11, symbol="x", pen=pg.mkPen(theme.error, width=2), brush=theme.error,
                                         name="only one side")
        self.first = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.error, width=1.5,
                                                                           style=Qt.PenStyle.DashLine))
        for item in (self.engine, self.board, self.differ):
            self.plot.addItem(item)
        self.plot.addItem(self.first, ignoreBounds=True)
        self.first.hide()
        self._bands: list = []
        self._labels: list[pg.TextItem] = []
        self._left = -1  # the first step the x axis shows
        self._start = 0  # the first step drawn (a little before the axis; at most two windows before it)
        self._shown: dict[pg.ScatterPlotItem, tuple] = {}  # item -> the dt (ms), steps and neurons it shows
        self.counts = (0, 0, 0)  # drawn now: (engine, board, only one side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    def set_populations(self, populations: tuple[tuple[str, int, int], ...]) -> None:
        """Label the bands of ``(name, first global index, size)``."""
        for item in self._bands:
            self.plot.removeItem(item)
        self._bands, self._labels = [], []
        total = sum(size for _, _, size in populations)
        for k, (name, first, size) in enumerate(populations):
            if first > 0:
                line = pg.InfiniteLine(pos=first - 0.5, angle=0, movable=False, pen=pg.mkPen(colors().muted, width=1))
                self.plot.addItem(line, ignoreBounds=True)
                self._bands.append(line)
            label = pg.TextItem(name, color=population_color(k), anchor=(0, 0))
            label.setPos(0.0, first + size - 0.5)
            self.plot.addItem(label, ignoreBounds=True)
            self._bands.append(label)
            self._labels.append(label)
        self.plot.setYRange(-0.5, max(total, 1) - 0.5, padding=0.02)

    def show_spikes(self, board: tuple[np.ndarray, np.ndarray], engine: tuple[np.ndarray, np.ndarray], steps: int,
                    dt_ms: float, first_divergence: dict | None) -> None:
        """Draw the last :attr:`window` of ``steps`` steps (and some before): ``board`` and ``engine`` spikes as
        (steps, neurons)."""
        # the axes move in jumps of a quarter window, not at every frame: redrawing them is most of a paint
        jump = self.window // 4
        left = -(-max(0, steps - self.window) // jump) * jump
        if not left - 2 * self.window <= self._start <= max(0, left - jump):
            self._start = max(0, left - jump)  # the symbols left of the axis still show a little
        start = self._start
        b_steps, b_neurons = board
        b_in = b_steps >= start
        e_steps, e_neurons = engine
        e_in = (e_steps >= start) & (e_steps < steps)
        bs, bn, es, en = b_steps[b_in], b_neurons[b_in], e_steps[e_in], e_neurons[e_in]
        board_keys, engine_keys = bs * (1 << 20) + bn, es * (1 << 20) + en
        differ = np.setxor1d(board_keys[bs < steps], engine_keys)
        for item, spikes in ((self.board, (bs, bn)), (self.engine, (es, en)),
                             (self.differ, (differ >> 20, differ & ((1 << 20) - 1)))):
            self._update(item, spikes, dt_ms)
        self.counts = (int(es.size), int(bs.size), int(differ.size))
        if first_divergence is not None:
            self.first.setValue((first_divergence["step"] + 1) * dt_ms)
            self.first.show()
        else:
            self.first.hide()
        if self._left != left:
            self._left = left
            self.plot.setXRange(left * dt_ms, (left + self.window + jump) * dt_ms, padding=0.0)
            for label in self._labels:
                label.setPos(left * dt_ms, label.pos().y())

    def _update(self, item: pg.ScatterPlotItem, spikes: tuple[np.ndarray, np.ndarray], dt_ms: float) -> None:
        """Show ``spikes`` in ``item``: only the new ones are added when those shown are where they begin (a
        scatter item takes a while per point), else all anew."""
        steps, neurons = spikes
        shown_dt, shown_steps, shown_neurons = self._shown.get(item, (dt_ms, steps[:0], neurons[:0]))
        n = shown_steps.size
        if shown_dt == dt_ms and steps.size >= n and np.array_equal(steps[:n], shown_steps) and np.array_equal(
                neurons[:n], shown_neurons):
            if steps.size > n:
                item.addPoints(x=(steps[n:] + 1) * dt_ms, y=neurons[n:])
        else:
            item.setData(x=(steps + 1) * dt_ms, y=neurons)
        self._shown[item] = (dt_ms, steps.copy(), neurons.copy())
