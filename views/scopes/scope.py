"""The common part of every scope: a pyqtgraph plot of :class:`ScopeData`, redrawn on demand.

A scope never redraws by itself: :meth:`Scope.refresh`, called from the
owner's timer, redraws when the data changed (unless frozen) or the view
changed, and does nothing otherwise.  Time scopes follow the newest data with a
window of ``window_ms`` until frozen; a frozen scope keeps its view, and the
person can pan and zoom back through the bounded history.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from views.scopes.export import export
from views.scopes.history import ScopeData
from views.theme import style_legend, style_plots

PALETTE = ("#3b78c4", "#d9534f", "#3f9c5a", "#d98b23", "#8e5cc2", "#1aa3a3", "#c2569b", "#7f8c8d")


def population_color(index: int) -> QColor:
    """The colour of the ``index``-th population (the same in every scope)."""
    return QColor(PALETTE[index % len(PALETTE)])


class Scope(QWidget):
    """A plot of ``data`` with a row of controls and a cursor readout.

    Subclasses implement :meth:`redraw`, :meth:`table` and :meth:`describe`.

    Signals
    -------
    freeze_requested
        The person moved the time axis of a live scope (so it should freeze).
    """

    freeze_requested = Signal()
    follows_time = True

    def __init__(self, data: ScopeData, parent: QWidget | None = None):
        super().__init__(parent)
        self.data = data
        self.window_ms = 1000.0
        self.frozen = False
        self.hidden: set[str] = set()
        self.frames = 0
        self._drawn = -1
        self._stale = True
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        style_plots(self.plot_widget)
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            # the third level of grid lines costs ~10 ms a frame and adds little
            axis.setStyle(maxTickLevel=1)
            axis.enableAutoSIPrefix(False)
        self.plot.disableAutoRange()
        self.view = self.plot.getViewBox()
        self.view.sigRangeChangedManually.connect(self._moved_by_hand)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot_widget.viewport().installEventFilter(self)
        self.readout = QLabel(" ")
        self.readout.setMinimumWidth(40)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.controls = QHBoxLayout()
        self.controls.setContentsMargins(4, 2, 4, 0)
        self.controls.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self.controls)
        layout.addWidget(self.plot_widget, 1)

    # -- driven by the owner ----------------------------------------------------
    def refresh(self) -> bool:
        """Redraw if anything shown changed; whether it redrew."""
        if not self._stale and (self.frozen or self._drawn == self.data.version):
            return False
        version = self.data.version
        if self.follows_time and not self.frozen:
            self._follow()
        self.redraw()
        self._drawn, self._stale = version, False
        return True

    def invalidate(self) -> None:
        """Redraw at the next refresh even if the data did not change."""
        self._stale = True

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = bool(frozen)
        self.invalidate()

    def set_window(self, ms: float) -> None:
        self.window_ms = float(ms)
        self.invalidate()

    def set_hidden(self, names: set[str]) -> None:
        self.hidden = set(names)
        self.invalidate()

    def shown(self) -> list[str]:
        """The populations drawn, in display order."""
        return [name for name in self.data.sizes if name not in self.hidden]

    def color(self, name: str) -> QColor:
        return population_color(list(self.data.sizes).index(name))

    def add_legend(self) -> pg.LegendItem:
        """A legend in the top right corner, in the theme's text colour."""
        legend = self.plot.addLegend(offset=(-10, 10))
        style_legend(legend)
        return legend

    def export(self, path: str | Path) -> Path:
        """Write the plot (.png, .svg) or the data shown (.csv, .npz) to ``path``."""
        self.refresh()
        return export(self.plot, self.table(), path)

    # -- for subclasses -----------------------------------------------------------
    def redraw(self) -> None:
        raise NotImplementedError

    def table(self) -> dict[str, np.ndarray]:
        """The data shown, as equal-length named columns."""
        raise NotImplementedError

    def describe(self, x: float, y: float) -> str:
        """The cursor readout at view coordinates ``(x, y)``."""
        raise NotImplementedError

    def time_range(self) -> tuple[float, float]:
        """The time axis shown (ms)."""
        x0, x1 = self.view.viewRange()[0]
        return float(x0), float(x1)

    # -- internals ----------------------------------------------------------------
    def _follow(self) -> None:
        stop = max(self.data.t_ms, self.window_ms)
        self.view.setXRange(stop - self.window_ms, stop, padding=0)
        # apply the new range now: left to the next paint, it would ask for a second paint
        self.view.updateMatrix()

    def _moved_by_hand(self, mask) -> None:
        self.invalidate()
        if self.follows_time and not self.frozen and mask[0]:
            self.freeze_requested.emit()

    def _mouse_moved(self, pos) -> None:
        if not self.view.sceneBoundingRect().contains(pos):
            return
        point = self.view.mapSceneToView(pos)
        self.readout.setText(self.describe(point.x(), point.y()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.frames += 1
        return False
