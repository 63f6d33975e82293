"""Spike statistics of the playground's trace: ISI histogram with CV, and the spike-triggered average.

Both read the last good trace (``state.trace``) and redraw when it changes;
the spike-triggered average is of the injected current (most telling under a
noise stimulus).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.analysis.isi import ISIStats, SpikeTriggeredAverage, isi_stats, spike_triggered_average
from studio.playground.playground_events import TraceChanged
from views.playground.analysis_panel import AnalysisPanel, message_label, plot_widget, spin
from views.theme import colors


class SpikeStatisticsPanel(AnalysisPanel):
    """ISI histogram (with mean and CV) beside the spike-triggered average of the injected current."""

    WATCH = (TraceChanged,)
    title = "ISI / STA"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, parent)
        self.isi: ISIStats | None = None
        self.sta: SpikeTriggeredAverage | None = None
        self.bins = QSpinBox()
        self.bins.setRange(2, 500)
        self.bins.setValue(30)
        self.window = spin(50.0, decimals=1, minimum=0.1, maximum=10000.0, suffix="ms", step=10.0)
        for w in (self.bins, self.window):
            w.valueChanged.connect(self.schedule)
        controls = QHBoxLayout()
        for label, w in (("bins", self.bins), ("STA window", self.window)):
            controls.addWidget(QLabel(label))
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.stale_label)
        theme = colors()
        self.isi_plot = plot_widget("inter-spike interval (ms)", "count")
        self.isi_item = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=pg.mkBrush("#3b78c480"),
                                        pen=pg.mkPen("#3b78c4", width=1.5))
        self.isi_plot.addItem(self.isi_item)
        self.sta_plot = plot_widget("time from spike (ms)", "current")
        self.sta_item = self.sta_plot.getPlotItem().plot(pen=pg.mkPen("#d98b23", width=2))
        self.sta_plot.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen(theme.muted, width=1)))
        plots = QHBoxLayout()
        plots.addWidget(self.isi_plot)
        plots.addWidget(self.sta_plot)
        self.isi_text, self.sta_text = message_label(), message_label()
        texts = QHBoxLayout()
        texts.addWidget(self.isi_text)
        texts.addWidget(self.sta_text)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)
        layout.addLayout(texts)

    def refresh(self) -> None:
        run = self.state.trace
        if run is None:
            return
        self.isi = stats = isi_stats(run.spike_times, bins=self.bins.value())
        self.isi_item.setData(stats.edges, stats.counts)
        if len(stats.isi) >= 2:
            self.isi_text.setText(f"{len(run.spike_times)} spikes, {len(stats.isi)} intervals: mean "
                                  f"{stats.mean:.4g} ms, CV {stats.cv:.3f}")
        elif len(run.spike_times):
            count = len(run.spike_times)
            self.isi_text.setText(f"{count} spike{'s' if count > 1 else ''}: too few for interval statistics")
        else:
            self.isi_text.setText("silent: no spikes in this run")
        self.sta = sta = spike_triggered_average(run.current, run.spike_times, run.dt,
                                                 before=self.window.value() * 1e-3)
        unit = "" if run.current_unit in ("", "1") else f" ({run.current_unit})"
        self.sta_plot.getPlotItem().setLabel("left", f"current{unit}")
        self.sta_item.setData(sta.lags, np.nan_to_num(sta.average) if sta.count else sta.lags * 0)
        if sta.count:
            flat = np.ptp(sta.average) <= 1e-12 * max(1.0, float(np.max(np.abs(sta.average))))
            self.sta_text.setText(f"average over {sta.count} spikes"
                                  + (" — the current is constant there; try a noise stimulus" if flat else ""))
        else:
            self.sta_text.setText("no spike with a full window before it")
