"""The bitstream scope: the stochastic-computing streams of one target neuron of an SC projection over time.

Three plots share the time axis: each chosen stream's density against its expected value (dashed) and, beside
it, its effective bits and the SCC of a chosen pair; a table gives the latest popcount, density,
expected value and effective bits of every stream.  Triggers (density out of a band, |SCC| above a bound)
mark the step on the plots, say what fired, and freeze the display (the run goes on); ``triggered`` tells the
scope panel, which freezes its other scopes too.  The numbers come from
:class:`studio.playground.bitstream_monitor.BitstreamMonitor`; the streams from
:class:`studio.playground.projection_streams.ProjectionProbe`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QMenu, QSpinBox,
                               QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from studio.playground.bitstream_monitor import BitstreamMonitor, DensityTrigger, SccTrigger, TriggerHit
from studio.playground.projection_streams import STREAMS, ProjectionProbe, emission_steps
from views.scopes.export import export
from views.scopes.scope import PALETTE
from views.theme import colors, follow_theme, style_plots

MAX_MARKS = 200  # trigger marks drawn (the newest)
COLUMNS = ("stream", "popcount", "density", "expected", "bits")
NO_SC = ("No SC projection in this run: set a projection's arithmetic to sc in the inspector and run in a "
         "fixed-point format (the run toolbar's arithmetic, e.g. Q16.16).")


def _spin(value: float, maximum: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(decimals=2, singleStep=0.01, toolTip=tip, specialValueText="off")
    spin.setRange(0.0, maximum)
    spin.setValue(value)
    return spin


class BitstreamScope(QWidget):
    """The streams of the SC projections of a run (:meth:`set_network`), fed with its chunks (:meth:`feed`).

    Signals
    -------
    triggered(str)
        A trigger fired (the text says when and what); the display froze.
    """

    triggered = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.network = None
        self.monitor: BitstreamMonitor | None = None
        self.probe: ProjectionProbe | None = None
        self.frozen = False
        self.frames = 0  # repaints of the plots
        self.emitted: dict[str, int] = {}  # emission steps of each SC projection so far in the run
        self.shown = list(STREAMS)
        self._drawn = -1
        self.projection_box = QComboBox(toolTip="The SC projection whose streams are shown")
        self.projection_box.setPlaceholderText("no SC projection")
        self.projection_box.currentTextChanged.connect(lambda _: self._probe())
        self.target_spin = QSpinBox(toolTip="The target neuron whose inputs are shown")
        self.target_spin.valueChanged.connect(lambda _: self._probe())
        self.streams_button = QToolButton(text="Streams", toolTip="Streams drawn")
        self.streams_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        for name in STREAMS:
            action = QAction(name, menu, checkable=True, checked=True)
            action.toggled.connect(self._streams_from_menu)
            menu.addAction(action)
        self.streams_button.setMenu(menu)
        self.pair = (QComboBox(toolTip="SCC of this stream…"), QComboBox(toolTip="…with this one"))
        for box, name in zip(self.pair, ("weight", "activity")):
            box.addItems(STREAMS)
            box.setCurrentText(name)
            box.currentTextChanged.connect(lambda _: self._triggers())
        self.band_spin = _spin(0.0, 1.0, "Trigger when a shown stream's density leaves expected ± this (off: 0)")
        self.scc_spin = _spin(0.0, 1.0, "Trigger when |SCC| of the pair exceeds this (off: 0)")
        for spin in (self.band_spin, self.scc_spin):
            spin.valueChanged.connect(lambda _: self._triggers())
        self._build_plots()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)  # every stream's row fits a low dock
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + len(STREAMS) * rows.defaultSectionSize() + 2 * self.table.frameWidth())
        self.status = QLabel(" ", wordWrap=True)
        self.trigger_label = QLabel("", wordWrap=True)
        follow_theme(self.trigger_label, lambda c: f"color: {c.error.name()};")
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 0)
        for widget in (QLabel("projection"), self.projection_box, QLabel("neuron"), self.target_spin,
                       self.streams_button):
            row.addWidget(widget)
        row.addStretch(1)
        pair = QHBoxLayout()
        pair.addWidget(self.pair[0], 1)
        pair.addWidget(self.pair[1], 1)
        settings = QFormLayout()  # beside the plots, under the table: the dock stays as narrow as before
        settings.addRow("SCC of", pair)
        settings.addRow("trigger: density ±", self.band_spin)
        settings.addRow("trigger: |SCC| >", self.scc_spin)
        side = QVBoxLayout()
        side.addWidget(self.table, 1)
        side.addLayout(settings)
        body = QHBoxLayout()
        body.addWidget(self.plots, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addLayout(body, 1)
        layout.addWidget(self.trigger_label)
        layout.addWidget(self.status)

    def _build_plots(self) -> None:
        self.plots = pg.GraphicsLayoutWidget()
        # the density as tall as the dock, the bits and the SCC stacked beside it: readable in a low dock
        self.density_plot = self.plots.addPlot(row=0, col=0, rowspan=2)
        self.bits_plot = self.plots.addPlot(row=0, col=1)
        self.scc_plot = self.plots.addPlot(row=1, col=1)
        for plot, label in ((self.density_plot, "density"), (self.bits_plot, "bits"), (self.scc_plot, "SCC")):
            plot.setLabel("left", label)
            if plot is not self.bits_plot:
                plot.setLabel("bottom", "time (ms)")
            plot.showGrid(x=True, y=True, alpha=0.25)
            for side in ("left", "bottom"):  # as every scope: the third level of grid lines costs and adds little
                plot.getAxis(side).setStyle(maxTickLevel=1)
                plot.getAxis(side).enableAutoSIPrefix(False)
            if plot is not self.density_plot:
                plot.setXLink(self.density_plot)
        self.density_plot.setYRange(-0.05, 1.1, padding=0)
        self.scc_plot.setYRange(-1.05, 1.05, padding=0)
        style_plots(self.plots)
        self.plots.viewport().installEventFilter(self)
        self.density_curves, self.expected_curves, self.bits_curves = {}, {}, {}
        for k, name in enumerate(STREAMS):
            color = PALETTE[k % len(PALETTE)]
            self.density_curves[name] = self.density_plot.plot(pen=pg.mkPen(color, width=1.2), name=name)
            self.expected_curves[name] = self.density_plot.plot(
                pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            self.bits_curves[name] = self.bits_plot.plot(pen=pg.mkPen(color, width=1.2))
        self.scc_curve = self.scc_plot.plot(pen=pg.mkPen(PALETTE[4], width=1.2))
        self.marks = pg.ScatterPlotItem(symbol="t", size=11, brush=pg.mkBrush(colors().error), pen=None)
        self.density_plot.addItem(self.marks)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.frames += 1
        return False

    # -- what is probed ------------------------------------------------------------------
    def set_network(self, network) -> None:
        """Offer the SC projections of the built ``network`` (:class:`engine.network.build.Network`, before it
        runs) and start afresh."""
        self.network = network
        self.emitted = dict.fromkeys(network.sc, 0)
        keep = self.projection_box.currentText()
        self.projection_box.blockSignals(True)
        self.projection_box.clear()
        self.projection_box.addItems(list(network.sc))
        if network.sc:
            self.projection_box.setCurrentText(keep if keep in network.sc else next(iter(network.sc)))
        self.projection_box.blockSignals(False)
        self._probe()

    def _probe(self) -> None:
        name = self.projection_box.currentText()
        self.probe, self.monitor = None, None
        self._drawn = -1
        if self.network is None or name not in self.network.sc:
            self.status.setText(" " if self.network is None else NO_SC)
            return
        projection, sc = self.network.projections[name], self.network.sc[name]
        plan = sc.plan
        self.target_spin.blockSignals(True)
        self.target_spin.setRange(0, max(0, projection.target.size - 1))
        self.target_spin.blockSignals(False)
        self.monitor = BitstreamMonitor(plan.length)
        try:
            self.probe = ProjectionProbe(sc, projection.source.name, self.target_spin.value(),
                                         self.network.dt * 1e3, self.emitted.get(name, 0))
        except ValueError as exc:
            self.status.setText(f"{name}: {exc}")
            return
        self._triggers()
        self.status.setText(f"{name}: {plan.source} (seed {plan.seed:#06x}) with {plan.select_source} select, "
                            f"L = {plan.length}; neuron {self.probe.target}: {self.probe.n_inputs} inputs")

    def _triggers(self) -> None:
        if self.monitor is None:
            return
        triggers: list = []
        if self.band_spin.value() > 0:
            triggers += [DensityTrigger(name, self.band_spin.value()) for name in self.shown]
        a, b = (box.currentText() for box in self.pair)
        if self.scc_spin.value() > 0 and a != b:
            triggers.append(SccTrigger(a, b, self.scc_spin.value()))
        self.monitor.triggers = triggers
        self._drawn = -1

    def _streams_from_menu(self) -> None:
        self.shown = [a.text() for a in self.streams_button.menu().actions() if a.isChecked()]
        self._triggers()

    # -- data ------------------------------------------------------------------------------
    def feed(self, chunks) -> None:
        """Take a run's chunks (:class:`engine.run.simulation.Chunk`); a firing trigger freezes the display."""
        if self.network is None:
            return
        dt_ms = self.network.dt * 1e3
        for chunk in chunks:
            if self.probe is not None:
                hits = self.probe.feed(self.monitor, chunk.spikes)
                if hits:
                    self._fired(hits[0])
            for name in self.emitted:
                source = self.network.projections[name].source.name
                self.emitted[name] += emission_steps(chunk.spikes, source, dt_ms)

    def _fired(self, hit: TriggerHit) -> None:
        text = str(hit)
        if not self.frozen:
            self.trigger_label.setText(f"⚑ stopped by a trigger — {text}")
            self.refresh(force=True)
            self.set_frozen(True)
        self.triggered.emit(text)

    def reset(self) -> None:
        """Forget what was shown, for a new run."""
        self.trigger_label.setText("")
        self.emitted = dict.fromkeys(self.emitted, 0)
        self._probe()

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = bool(frozen)
        if not frozen:
            self._drawn = -1

    # -- display ---------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Redraw if the streams changed (and the display is live); whether it redrew."""
        monitor = self.monitor
        if monitor is None or (not force and (self.frozen or self._drawn == monitor.version)):
            return False
        self._drawn = monitor.version
        rows = []
        for name in STREAMS:
            shown = name in self.shown and name in monitor.streams
            series = monitor.series(name) if name in monitor.streams else None
            for curve, y in ((self.density_curves[name], "density"), (self.expected_curves[name], "expected"),
                             (self.bits_curves[name], "effective_bits")):
                if shown:
                    curve.setData(series.t_ms, getattr(series, y))
                else:
                    curve.setData([], [])
            if series is not None and series.t_ms.size:
                rows.append((name, f"{series.popcount[-1]} / {monitor.length}", f"{series.density[-1]:.3f}",
                             f"{series.expected[-1]:.3f}", f"{series.effective_bits[-1]:.1f}"))
        a, b = (box.currentText() for box in self.pair)
        if a in monitor.streams and b in monitor.streams:
            self.scc_curve.setData(*monitor.scc_series(a, b))
        else:
            self.scc_curve.setData([], [])
        hits = monitor.hits[-MAX_MARKS:]
        self.marks.setData([h.t_ms for h in hits], [1.05] * len(hits))
        self.bits_plot.setYRange(0, np.log2(monitor.length) + 0.5, padding=0)
        self._fill_table(rows)
        return True

    def _fill_table(self, rows: list[tuple[str, ...]]) -> None:
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:  # the stream's name in its curves' colour: the key to the plots
                    item.setForeground(QColor(PALETTE[STREAMS.index(text) % len(PALETTE)]))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        width = self.table.horizontalHeader().length() + 2 * self.table.frameWidth()
        self.table.setFixedWidth(width)

    def table_columns(self) -> dict[str, np.ndarray]:
        """The streams kept, as equal-length columns: time, then popcount, density, expected value and effective
        bits of each."""
        monitor = self.monitor
        if monitor is None or not monitor.streams:
            return {"t_ms": np.zeros(0)}
        out = {"t_ms": monitor.series(monitor.names[0]).t_ms}
        for name in monitor.names:
            series = monitor.series(name)
            for column in ("popcount", "density", "expected", "effective_bits"):
                out[f"{column}_{name}"] = getattr(series, column)
        return out

    def export(self, path: str | Path) -> Path:
        """Write the density plot (.png, .svg) or the streams kept (.csv, .npz) to ``path``."""
        self.refresh(force=True)
        return export(self.density_plot, self.table_columns(), path)

    def rows(self) -> dict[str, tuple[str, ...]]:
        """The table as shown: the cells of each stream's row, by stream."""
        return {self.table.item(r, 0).text(): tuple(self.table.item(r, c).text() for c in range(1, len(COLUMNS)))
                for r in range(self.table.rowCount())}
