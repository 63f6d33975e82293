"""Spike raster: every spike of the shown populations, one colour per population.

The whole raster is one ``ImageItem`` covering exactly the visible rectangle at
screen resolution: each redraw paints the spikes inside the view into a uint8
image (a lookup-table index per population), so drawing costs the same however
many spikes there are.  Populations are stacked from the bottom in display
order, each a band of rows labelled with its name.  Where more neurons are
shown than the view has pixel rows, neighbours share a row and their spikes
merge into one pixel; :meth:`decimation_note` says so for the status line.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from views.scopes.history import ScopeData
from views.scopes.scope import Scope, population_color
from views.scopes.stats import rasterize


def _lut() -> np.ndarray:
    lut = np.zeros((256, 4), np.ubyte)
    for k in range(1, 256):
        c = population_color(k - 1)
        lut[k] = (c.red(), c.green(), c.blue(), 255)
    return lut


class RasterScope(Scope):
    """The spike raster of ``data`` (see the module docstring)."""

    def __init__(self, data: ScopeData, parent: QWidget | None = None):
        super().__init__(data, parent)
        self.plot.setLabel("bottom", "time (ms)")
        self.plot.setLabel("left", "neuron")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self._lut = _lut()
        self._layout: tuple = ()
        self._separators: list[pg.InfiniteLine] = []
        self._shown_range = (0.0, 0.0)
        # neurons sharing one pixel row in the last drawing of spikes (their spikes merge); 1 without spikes
        self.neurons_per_row = 1.0
        self.view.sigResized.connect(self.invalidate)
        self.view.sigRangeChanged.connect(self.invalidate)

    def rows(self) -> int:
        """Raster rows of all shown populations."""
        return sum(self.data.sizes[name] for name in self.shown())

    def redraw(self) -> None:
        shown = self.shown()
        offsets = self.data.offsets(shown)
        self._relabel(shown, offsets)
        (x0, x1), (y0, y1) = self.view.viewRange()
        total = self.rows()
        r0, r1 = max(0, math.floor(y0)), min(total, math.ceil(y1))
        scale = self.devicePixelRatioF()
        width, height = int(self.view.width() * scale), int(self.view.height() * scale)
        order = list(self.data.sizes)
        parts = []
        for name in shown:
            buf = self.data.spikes.get(name)
            if buf is not None:
                rows = buf.between("t", x0, x1)
                parts.append((rows["t"], rows["n"] + offsets[name], min(order.index(name) + 1, 255)))
        self._shown_range = (float(x0), float(x1))
        pixel_rows = min(max(r1 - r0, 0), height)
        drawn = sum(t.size for t, _, _ in parts)
        self.neurons_per_row = (r1 - r0) / pixel_rows if pixel_rows and drawn else 1.0
        image = rasterize(parts, (x0, x1), (r0, r1), (pixel_rows, width))
        if image.size == 0 or x1 <= x0:
            self.image.clear()
            return
        self.image.setImage(image, autoLevels=False, levels=(0, 255), lut=self._lut)
        self.image.setRect(QRectF(x0, r0, x1 - x0, r1 - r0))

    def _relabel(self, shown: list[str], offsets: dict[str, int]) -> None:
        layout = tuple((name, self.data.sizes[name]) for name in shown)
        if layout == self._layout:
            return
        self._layout = layout
        for line in self._separators:
            self.plot.removeItem(line)
        self._separators = []
        ticks = []
        for name, size in layout:
            ticks.append((offsets[name] + size / 2, name))
            if offsets[name] > 0:
                line = pg.InfiniteLine(offsets[name], angle=0, pen=pg.mkPen(self.color(name), width=1))
                self.plot.addItem(line)
                self._separators.append(line)
        edges = [(offsets[name], str(offsets[name])) for name in shown]
        self.plot.getAxis("left").setTicks([ticks, edges])
        self.view.setYRange(0, max(self.rows(), 1), padding=0)

    def decimation_note(self) -> str:
        """What the last drawing could not show spike by spike (``""`` when every neuron had its own row)."""
        if self.neurons_per_row <= 1.0:
            return ""
        shared = math.ceil(self.neurons_per_row)
        return f"raster: up to {shared} neurons per pixel row, not every spike drawn — zoom in to see each"

    def spikes_shown(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per shown population, the spikes (times in ms, neurons) inside the time range drawn."""
        x0, x1 = self._shown_range
        out = {}
        for name in self.shown():
            buf = self.data.spikes.get(name)
            if buf is not None:
                rows = buf.between("t", x0, x1)
                out[name] = (rows["t"], rows["n"])
        return out

    def table(self) -> dict[str, np.ndarray]:
        shown = self.spikes_shown()
        t = np.concatenate([t for t, _ in shown.values()] or [np.zeros(0)])
        n = np.concatenate([n for _, n in shown.values()] or [np.zeros(0, np.int32)])
        pop = np.concatenate([np.full(v[0].size, name) for name, v in shown.items()] or [np.zeros(0, str)])
        order = np.argsort(t, kind="stable")
        return {"time_ms": t[order], "population": pop[order], "neuron": n[order]}

    def describe(self, x: float, y: float) -> str:
        row = math.floor(y)
        for name, start in self.data.offsets(self.shown()).items():
            if start <= row < start + self.data.sizes[name]:
                return f"t = {x:.1f} ms   {name} #{row - start}"
        return f"t = {x:.1f} ms"
