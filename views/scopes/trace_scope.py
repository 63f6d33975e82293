"""Voltage and state traces of chosen neurons, from the voltmeters and multimeters of a run.

Each trace is one ``PlotDataItem`` with peak downsampling and clip-to-view,
fed a zero-copy slice of its recorder's history; a checkable list beside the
plot picks the traces (the first few of the first recorder to begin with).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QSplitter, QWidget

from views.scopes.history import ScopeData
from views.scopes.scope import Scope, population_color

DEFAULT_TRACES = 5

Key = tuple[str, int, int]


class TraceScope(Scope):
    """Sampled traces of ``data`` over the time window shown."""

    def __init__(self, data: ScopeData, parent: QWidget | None = None):
        super().__init__(data, parent)
        self.plot.setLabel("bottom", "time (ms)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "value")
        self.plot.enableAutoRange(axis="y")
        self.curves: dict[Key, pg.PlotDataItem] = {}
        self.choices = QListWidget()
        self.choices.itemChanged.connect(self._chosen)
        self._items: dict[Key, QListWidgetItem] = {}
        layout = self.layout()
        layout.removeWidget(self.plot_widget)
        split = QSplitter()
        split.addWidget(self.choices)
        split.addWidget(self.plot_widget)
        split.setStretchFactor(1, 1)
        split.setSizes([150, 850])
        layout.addWidget(split, 1)

    def label(self, key: Key) -> str:
        recorder, q, j = key
        info = self.data.recorders[recorder]
        return f"{recorder} {info.variables[q]} #{info.neurons[j]}"

    def set_chosen(self, keys: list[Key]) -> None:
        """Show exactly the traces ``(recorder, variable index, column)`` given."""
        self._offer()
        for key, item in self._items.items():
            item.setCheckState(Qt.CheckState.Checked if key in keys else Qt.CheckState.Unchecked)

    def chosen(self) -> list[Key]:
        return list(self.curves)

    def redraw(self) -> None:
        self._offer()
        x0, x1 = self.time_range()
        for (recorder, q, j), curve in self.curves.items():
            buf = self.data.samples.get(recorder)
            if buf is None:
                curve.setData([], [])
                continue
            rows = buf.between("t", x0, x1)
            curve.setData(rows["t"], rows["v"][:, q, j])

    def _offer(self) -> None:
        """List every trace the recorders offer, choosing the first few when the list was empty."""
        first = not self._items
        for recorder, info in self.data.recorders.items():
            if recorder not in self.data.samples:
                continue
            for q in range(len(info.variables)):
                for j in range(len(info.neurons)):
                    key = (recorder, q, j)
                    if key in self._items:
                        continue
                    item = QListWidgetItem(self.label(key))
                    item.setData(Qt.ItemDataRole.UserRole, key)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    on = first and len(self._items) < DEFAULT_TRACES
                    self._items[key] = item
                    item.setCheckState(Qt.CheckState.Unchecked)
                    self.choices.addItem(item)
                    if on:
                        item.setCheckState(Qt.CheckState.Checked)

    def _chosen(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        on = item.checkState() == Qt.CheckState.Checked
        if on and key not in self.curves:
            color = population_color(len(self.curves))
            curve = pg.PlotDataItem(name=self.label(key), pen=pg.mkPen(color, width=1), skipFiniteCheck=True)
            item.setForeground(color)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.plot.addItem(curve)
            self.curves[key] = curve
        elif not on and key in self.curves:
            self.plot.removeItem(self.curves.pop(key))
            item.setForeground(self.palette().text())
        self.invalidate()

    def reset(self) -> None:
        """Forget the listed traces (a new run may record others)."""
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves.clear()
        self._items.clear()
        self.choices.clear()
        self.invalidate()

    def table(self) -> dict[str, np.ndarray]:
        names, ts, vs = [], [], []
        for key, curve in self.curves.items():
            t, v = curve.getOriginalDataset()
            if t is None:
                continue
            names.append(np.full(len(t), self.label(key)))
            ts.append(np.asarray(t))
            vs.append(np.asarray(v))
        if not names:
            return {"trace": np.zeros(0, str), "time_ms": np.zeros(0), "value": np.zeros(0)}
        return {"trace": np.concatenate(names), "time_ms": np.concatenate(ts), "value": np.concatenate(vs)}

    def describe(self, x: float, y: float) -> str:
        parts = [f"t = {x:.2f} ms"]
        for key, curve in self.curves.items():
            t, v = curve.getOriginalDataset()
            if t is not None and len(t):
                k = min(int(np.searchsorted(t, x)), len(t) - 1)
                parts.append(f"{self.label(key)}: {v[k]:.3g}")
        return "   ".join(parts)
