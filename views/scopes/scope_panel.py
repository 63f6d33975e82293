"""The live scopes of a run in one widget: raster, rate, traces, ISI/CV and the SC bitstreams as tabs.

``feed`` only stores chunks (cheap, call it as often as chunks arrive); a
timer redraws the scope in front at most ``fps`` times a second, and only when
something it shows changed.  Pausing freezes the display while the data keeps
coming, so the person can pan back through the history and return to live.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QMessageBox, QTabWidget,
                               QToolButton, QVBoxLayout, QWidget)

from engine.network.devices import Sampler
from engine.run.simulation import Chunk
from views.scopes.bitstream_scope import BitstreamScope
from views.scopes.export import ExportError
from views.scopes.history import RecorderInfo, ScopeData
from views.scopes.isi_scope import IsiScope
from views.scopes.raster_scope import RasterScope
from views.scopes.rate_scope import RateScope
from views.scopes.trace_scope import TraceScope
from views.scopes.scope import Scope

EXPORT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg);;CSV table (*.csv);;NumPy arrays (*.npz)"


class ScopePanel(QWidget):
    """Raster, rate, traces and ISI/CV scopes fed from :class:`~engine.run.simulation.Chunk` objects.

    Signals
    -------
    paused_changed(bool)
        The display was frozen or set live again.
    """

    paused_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, fps: float = 40.0):
        super().__init__(parent)
        self.data = ScopeData()
        self.paused = False
        self.raster = RasterScope(self.data)
        self.rate = RateScope(self.data)
        self.traces = TraceScope(self.data)
        self.isi = IsiScope(self.data)
        self.bitstreams = BitstreamScope()
        self.bitstreams.triggered.connect(lambda _: self.set_paused(True))
        self.tabs = QTabWidget()
        for scope, title in ((self.raster, "Raster"), (self.rate, "Rate"), (self.traces, "Traces"),
                             (self.isi, "ISI / CV")):
            self.tabs.addTab(scope, title)
            scope.freeze_requested.connect(lambda: self.set_paused(True))
        self.tabs.addTab(self.bitstreams, "Bitstreams")
        self.tabs.currentChanged.connect(lambda _: self.refresh())
        self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._bar)
        layout.addWidget(self.tabs, 1)
        self._known: tuple[str, ...] = ()
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def _build_toolbar(self) -> None:
        self.pause_button = QToolButton(text="Freeze", checkable=True, toolTip="Freeze the display; the run goes on")
        self.pause_button.toggled.connect(self.set_paused)
        self.window_spin = QDoubleSpinBox(suffix=" ms", decimals=0, toolTip="Length of the time window")
        self.window_spin.setRange(10, 600_000)
        self.window_spin.setValue(self.raster.window_ms)
        self.window_spin.valueChanged.connect(self.set_window)
        self.populations_button = QToolButton(text="Populations", toolTip="Populations shown")
        self.populations_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.populations_button.setMenu(QMenu(self))
        self.export_button = QToolButton(text="Export…", toolTip="Save the scope in front as a picture or its data")
        self.export_button.clicked.connect(self._export_dialog)
        self.status = QLabel()
        self._bar = QHBoxLayout()
        self._bar.setContentsMargins(4, 2, 4, 0)
        for widget in (self.pause_button, QLabel("window"), self.window_spin, self.populations_button,
                       self.export_button):
            self._bar.addWidget(widget)
        self._bar.addStretch(1)
        self._bar.addWidget(self.status)

    @property
    def scopes(self) -> dict[str, Scope]:
        return {"raster": self.raster, "rate": self.rate, "traces": self.traces, "isi": self.isi}

    @property
    def frames(self) -> int:
        """Plot repaints so far, over all scopes."""
        return sum(scope.frames for scope in self.scopes.values())

    # -- data -----------------------------------------------------------------------
    def configure(self, sizes: dict[str, int], recorders: dict[str, RecorderInfo] | None = None) -> None:
        """Declare the populations (display order and sizes) and the sampling recorders of the run."""
        self.data.configure(sizes, recorders)

    def set_network(self, network) -> None:
        """Configure from a built :class:`~engine.network.build.Network` (its SC projections for the bitstream
        scope)."""
        self.bitstreams.set_network(network)
        self.configure({name: pop.size for name, pop in network.populations.items()},
                       {dev.name: RecorderInfo(tuple(dev.record_from), tuple(int(i) for i in dev.neurons))
                        for dev in network.devices.values() if isinstance(dev, Sampler)})

    def feed(self, chunks: list[Chunk]) -> None:
        """Store chunks for the scopes (drawn at the next timer tick)."""
        for chunk in chunks:
            self.data.add(chunk)
        self.bitstreams.feed(chunks)

    def reset(self) -> None:
        """Forget everything shown, for a new run (the display goes live again)."""
        self.data.reset()
        self.traces.reset()
        self.bitstreams.reset()
        self.set_paused(False)
        for scope in self.scopes.values():
            scope.invalidate()

    def clear(self, sizes: dict[str, int]) -> None:
        """Forget the runs and the populations shown: show ``sizes`` (a new document's populations), empty and
        all shown."""
        self.configure(sizes)
        self.set_shown(list(sizes))
        self.reset()

    # -- display --------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the scope in front if what it shows changed."""
        if tuple(self.data.sizes) != self._known:
            self._known = tuple(self.data.sizes)
            self._populations_menu()
        scope = self.tabs.currentWidget()
        scope.refresh()
        text = f"t = {self.data.t_ms / 1e3:.2f} s   {self.data.received:,} spikes"
        if self.data.dropped:
            text += f"   ({self.data.dropped:,} dropped while the display lagged)"
        if scope is self.raster and self.raster.decimation_note():
            text += f"   {self.raster.decimation_note()}"
        if text != self.status.text():
            self.status.setText(text)

    def set_paused(self, paused: bool) -> None:
        """Freeze the display (the data keeps coming) or follow the newest data again."""
        paused = bool(paused)
        for scope in self.scopes.values():
            scope.set_frozen(paused)
        self.bitstreams.set_frozen(paused)
        if paused != self.paused:
            self.paused = paused
            self.pause_button.setChecked(paused)
            self.pause_button.setText("Live" if paused else "Freeze")
            self.paused_changed.emit(paused)

    def set_window(self, ms: float) -> None:
        """Length of the time window of the raster, rate and traces."""
        for scope in self.scopes.values():
            scope.set_window(ms)
        if self.window_spin.value() != ms:
            self.window_spin.setValue(ms)

    def set_shown(self, names: list[str]) -> None:
        """Show only these populations."""
        hidden = set(self.data.sizes) - set(names)
        for scope in self.scopes.values():
            scope.set_hidden(hidden)
        for action in self.populations_button.menu().actions():
            action.setChecked(action.text() not in hidden)

    def _populations_menu(self) -> None:
        menu = self.populations_button.menu()
        menu.clear()
        for name in self.data.sizes:
            action = QAction(name, menu, checkable=True, checked=name not in self.raster.hidden)
            action.toggled.connect(self._shown_from_menu)
            menu.addAction(action)

    def _shown_from_menu(self) -> None:
        self.set_shown([a.text() for a in self.populations_button.menu().actions() if a.isChecked()])

    # -- export ---------------------------------------------------------------------
    def export(self, path: str | Path, scope: str | None = None) -> Path:
        """Write a scope (the one in front by default) as .png/.svg or its data as .csv/.npz."""
        target = self.scopes[scope] if scope else self.tabs.currentWidget()
        return target.export(path)

    def _export_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export scope", "", EXPORT_FILTERS)
        if not path:
            return
        if not Path(path).suffix:
            path += "." + chosen.split("*.")[1].rstrip(")")
        try:
            self.export(path)
        except (ExportError, OSError) as exc:
            QMessageBox.warning(self, "Export scope", str(exc))
