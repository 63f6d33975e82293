"""Population rate: spikes per neuron per second in bins of adjustable width, one curve per population."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QWidget

from views.scopes.history import ScopeData
from views.scopes.scope import Scope
from views.scopes.stats import binned_rate


class RateScope(Scope):
    """Binned population rates of ``data`` over the time window shown."""

    def __init__(self, data: ScopeData, parent: QWidget | None = None):
        super().__init__(data, parent)
        self.bin_ms = 5.0
        self.plot.setLabel("bottom", "time (ms)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "rate (Hz)")
        self.add_legend()
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._rates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        spin = QDoubleSpinBox()
        spin.setRange(0.1, 1000.0)
        spin.setDecimals(1)
        spin.setSuffix(" ms")
        spin.setValue(self.bin_ms)
        spin.valueChanged.connect(self.set_bin)
        self.controls.insertWidget(0, QLabel("bin"))
        self.controls.insertWidget(1, spin)
        self.bin_spin = spin

    def set_bin(self, ms: float) -> None:
        self.bin_ms = float(ms)
        self.invalidate()

    def redraw(self) -> None:
        x0, x1 = self.time_range()
        self._rates = {}
        for name in self.data.sizes:
            curve = self.curves.get(name)
            if curve is None:
                curve = self.curves[name] = self.plot.plot(stepMode="center", name=name,
                                                           pen=pg.mkPen(self.color(name), width=1))
            buf = self.data.spikes.get(name)
            if name in self.hidden or buf is None:
                curve.setData([], [])
                continue
            t = buf.between("t", x0, x1)["t"]
            edges, rate = binned_rate(t, x0, min(x1, self.data.t_ms), self.bin_ms, self.data.sizes[name])
            self._rates[name] = (edges, rate)
            if rate.size:
                curve.setData(edges, rate)
            else:
                curve.setData([], [])
        top = max((float(rate.max()) for _, rate in self._rates.values() if rate.size), default=0.0)
        if not self.frozen:
            self.view.setYRange(0, max(top * 1.1, 1.0), padding=0)

    def table(self) -> dict[str, np.ndarray]:
        if not self._rates:
            return {"bin_start_ms": np.zeros(0)}
        edges = next(iter(self._rates.values()))[0]
        out = {"bin_start_ms": edges[:-1]}
        for name, (_, rate) in self._rates.items():
            out[f"rate_hz_{name}"] = rate
        return out

    def describe(self, x: float, y: float) -> str:
        parts = [f"t = {x:.1f} ms"]
        for name, (edges, rate) in self._rates.items():
            k = int(np.searchsorted(edges, x, side="right")) - 1
            if 0 <= k < rate.size:
                parts.append(f"{name} {rate[k]:.1f} Hz")
        return "   ".join(parts)
