"""Inter-spike-interval histogram and coefficient of variation, per population, since the run began."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from views.scopes.history import ScopeData
from views.scopes.scope import Scope
from views.theme import colors


class IsiScope(Scope):
    """ISI density (per ms) of every shown population, with the mean CV over its neurons in the title."""

    follows_time = False

    def __init__(self, data: ScopeData, parent: QWidget | None = None):
        super().__init__(data, parent)
        self.plot.setLabel("bottom", "inter-spike interval (ms)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "density (1/ms)")
        self.add_legend()
        self.plot.enableAutoRange()
        self.curves: dict[str, pg.PlotDataItem] = {}

    def cv(self, name: str) -> float:
        """Mean CV over the neurons of ``name`` with at least two intervals (nan when none)."""
        cvs = self.data.isi.cv(name)
        return float(cvs.mean()) if cvs.size else float("nan")

    def cv_text(self, name: str) -> str:
        """The mean CV of ``name`` as the title shows it: a number, or why there is none."""
        if self.data.isi.cv(name).size:
            return f"{self.cv(name):.2f}"
        return "too few intervals" if self.data.isi.spiked(name) else "silent"

    def density(self, name: str) -> np.ndarray:
        """Fraction of intervals per ms in each histogram bin (intervals beyond the last bin count too)."""
        isi = self.data.isi
        total = isi.intervals(name)
        return isi.histogram(name) / (total * isi.bin_ms) if total else np.zeros(isi.edges.size - 1)

    def redraw(self) -> None:
        edges = self.data.isi.edges
        title = []
        for name in self.data.sizes:
            curve = self.curves.get(name)
            if curve is None:
                curve = self.curves[name] = self.plot.plot(stepMode="center", name=name,
                                                           pen=pg.mkPen(self.color(name), width=1))
            if name in self.hidden:
                curve.setData([], [])
                continue
            curve.setData(edges, self.density(name))
            title.append(f"{name} {self.cv_text(name)}")
        text = "mean CV of the intervals: " + " · ".join(title)
        if text != self.plot.titleLabel.text:
            self.plot.setTitle(text, color=colors().text, size="10pt")

    def table(self) -> dict[str, np.ndarray]:
        out = {"bin_start_ms": self.data.isi.edges[:-1]}
        for name in self.shown():
            out[f"count_{name}"] = self.data.isi.histogram(name)
        return out

    def describe(self, x: float, y: float) -> str:
        return f"ISI = {x:.1f} ms   density = {y:.4g} /ms"
