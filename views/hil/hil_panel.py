"""The HIL telemetry panel: a board (or the virtual board) running the project, live, beside the engine.

:class:`HilPanel` holds a :class:`studio.hil.live_session.HilSession` and polls it
from a timer on the GUI thread (the session opens the link and runs the engine on
its own workers, so nothing here waits).  It connects to a serial port (listed with
pyserial) or a TCP address; shows the raster (:class:`~views.hil.hil_raster.HilRaster`),
the probed traces (:class:`~views.hil.hil_traces.HilTraces`), the streams of the SC projections rebuilt
from the board's spikes (:class:`~views.scopes.bitstream_scope.BitstreamScope`), counters and link
health with plain warnings, the first divergence by step and neuron, and the
parameter bank (:class:`~views.hil.hil_parameters.HilParameters`); records every
session to disk as it arrives, replays a recording, and exports NPZ, CSV or VCD.
A lost connection says so, keeps the data and offers Reconnect.
"""

from __future__ import annotations

import time
from collections import deque
from html import escape
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSpinBox, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from engine.errors import NeuroCoreError
from hdl.hil_link import serial_ports
from hdl.hil_protocol import Pace, RunSteps, SetPace, SetProbes, Start, Stop
from studio.hil.hil_bitstreams import board_chunk
from studio.hil.hil_export import FORMATS, export
from studio.hil.hil_recording import SUFFIX
from studio.hil.live_session import HilSession
from views.hil.hil_parameters import HilParameters
from views.hil.hil_raster import HilRaster
from views.hil.hil_traces import HilTraces
from views.scopes.bitstream_scope import BitstreamScope
from views.theme import colors, follow_theme

POLL_MS = 15
HEALTH_S = 0.5  # the counters are shown again at least this often
DEFAULT_ADDRESS = "tcp:127.0.0.1:7000"
PACES = (("real time", Pace.REAL_TIME), ("free-running", Pace.FREE_RUNNING), ("single step", Pace.SINGLE_STEP))
MAX_PROBES = 8
PROBE_EVERY = 10  # steps between samples: every step of three neurons alone would fill a 3 Mbaud link


def recordings_folder(project: str | Path | None) -> Path:
    """Where sessions are recorded: ``hil-recordings`` beside the project file when it is saved, else in the
    app's data folder (never beside a snapshot, which goes away)."""
    if project:
        return Path(project).parent / "hil-recordings"
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)) / "hil-recordings"


def _button(text: str, tip: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(lambda: slot())
    return button


class HilPanel(QWidget):
    """The HIL session of the project file ``project``, recorded into ``folder`` (default: beside it).

    Attributes
    ----------
    session : HilSession
        The session polled.
    latencies : deque
        Seconds from a poll that brought frames to the next paint of the raster or the traces (the last 200;
        the health line shows their median).
    """

    def __init__(self, project: str, folder: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hil")
        self.project = project
        self.session = HilSession(project, folder=folder or recordings_folder(project))
        self.latencies: deque[float] = deque(maxlen=200)
        self._arrived: float | None = None
        self._drawn: tuple = ()
        self._bank_shown = False
        self._health_shown = 0.0
        self.address = QComboBox()
        self.address.setEditable(True)
        self.address.setMinimumWidth(220)
        self.address.setToolTip("A serial port (the list is this machine's), or tcp:HOST:PORT for a virtual board")
        self.list_ports()
        self.connect_button = _button("Connect", "Connect to the board at this address", self.connect_board)
        self.disconnect_button = _button("Disconnect", "Close the link (the recording stays on disk)",
                                         self.disconnect_board)
        self.reconnect_button = _button("Reconnect", "Connect again to the board that was lost", self.reconnect)
        self.state_label = QLabel()
        self.state_label.setObjectName("hil_state")
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = _button("Start", "Run the board (paced as chosen)", lambda: self.command(Start()))
        self.stop_button = _button("Stop", "Stop after the current step", lambda: self.command(Stop()))
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(2000)
        self.steps.setSuffix(" steps")
        self.run_button = _button("Run", "Run this many steps, then stop",
                                  lambda: self.command(RunSteps(steps=self.steps.value())))
        self.reset_button = _button("Reset", "Stop and return the network and the step count to their start "
                                    "(parameter writes stay)", self.reset)
        self.pace = QComboBox()
        for name, _ in PACES:
            self.pace.addItem(name)
        self.pace.setToolTip("How the board steps")
        self.pace.activated.connect(lambda k: self.command(SetPace(mode=PACES[k][1])))
        self.probe_button = _button("Probe", f"Sample the state the project's recorders record, every {PROBE_EVERY} "
                                    "steps",
                                    self.probe)
        self.replay_button = _button("Replay…", "Replay a recorded session", self.choose_replay)
        self.export_button = _button("Export…", "Export spikes and probes, board beside engine: "
                                     + ", ".join(f"{s} ({d})" for s, d in FORMATS.items()), self.choose_export)
        self.health = QLabel()
        self.health.setObjectName("hil_health")
        self.warning = QLabel()
        self.warning.setObjectName("hil_warning")
        self.warning.setWordWrap(True)
        follow_theme(self.warning, lambda theme: f"color: {theme.error.name()}")
        self.verdict = QLabel("Connect to a board to compare it with the engine, step for step.")
        self.verdict.setObjectName("hil_verdict")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raster = HilRaster()
        self.traces = HilTraces()
        self.traces.plot.setXLink(self.raster.plot)
        self.bitstreams = BitstreamScope()
        self._streamed = (None, 0, 0)  # the telemetry whose spikes the bitstream scope has, up to which step,
        # and how many of its spikes (in order of arrival) it was given
        self.parameters = HilParameters()
        self.parameters.write_requested.connect(self.write_parameter)
        for plot in (self.raster, self.traces):  # a frame's pixels: its spikes, or its probe samples
            plot.widget.viewport().installEventFilter(self)
        self._layout()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self.destroyed.connect(lambda *_, session=self.session: session.close())
        self._show_state()

    def _layout(self) -> None:
        link = QHBoxLayout()
        link.addWidget(QLabel("<b>Board</b>"))
        for widget in (self.address, self.connect_button, self.disconnect_button, self.reconnect_button):
            link.addWidget(widget)
        link.addWidget(self.state_label, 1)
        link.addWidget(self.replay_button)
        link.addWidget(self.export_button)
        run = QHBoxLayout()
        for widget in (self.start_button, self.stop_button, self.steps, self.run_button, self.reset_button,
                       QLabel("pace"), self.pace, self.probe_button):
            run.addWidget(widget)
        run.addWidget(self.health, 1)
        self.below = QTabWidget()
        self.below.addTab(self.traces, "Probes")
        self.below.addTab(self.bitstreams, "Bitstreams")
        self.below.setTabToolTip(1, "The streams of the project's SC projections, rebuilt from the board's spikes "
                                    "with the projections' sources")
        self.below.setTabVisible(1, False)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.raster)
        plots.addWidget(self.below)
        plots.setSizes([520, 220])
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(plots)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Parameter bank</b>"))
        side_layout.addWidget(self.parameters, 1)
        body.addWidget(side)
        body.setStretchFactor(0, 1)
        body.setSizes([960, 460])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(link)
        layout.addLayout(run)
        layout.addWidget(self.verdict)
        layout.addWidget(self.warning)
        layout.addWidget(body, 1)

    # -- actions -----------------------------------------------------------------------------------
    def list_ports(self) -> None:
        """List this machine's serial ports under the address (keeping what is typed)."""
        typed = self.address.currentText() or DEFAULT_ADDRESS
        self.address.clear()
        self.address.addItems([DEFAULT_ADDRESS, *serial_ports()])
        self.address.setCurrentText(typed)

    def connect_board(self, address: str | None = None) -> None:
        """Connect to ``address`` (default: the one typed); a bad address says so at once."""
        if address is not None:
            self.address.setCurrentText(address)
        try:
            self.session.connect(self.address.currentText())
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
            return
        self._show_state()

    def disconnect_board(self) -> None:
        self.session.close_link()
        self._show_state()

    def reconnect(self) -> None:
        self.session.reconnect()
        self._show_state()

    def command(self, message) -> None:
        """Send a command to the board (a failure shows in the state line)."""
        try:
            self.session.send(message)
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
        self._show_state()

    def reset(self) -> None:
        try:
            self.session.reset()
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
        self.traces.clear()
        self._show_state()

    def probe(self) -> None:
        """Ask the board for the state the project's recorders sample (at most the board's eight)."""
        if self.session.engine is not None:
            self.command(SetProbes(every=PROBE_EVERY, probes=self.session.engine.probe_pairs()[:MAX_PROBES]))

    def write_parameter(self, entry, raw: int) -> None:
        try:
            self.session.write_parameter(entry, raw)
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
        self.parameters.show_writes(self.session.writes)

    def choose_replay(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Replay a HIL recording", str(self.session.folder),
                                              f"HIL recordings (*{SUFFIX})")
        if path:
            self.replay(path)

    def replay(self, path: str, speed: float = 1.0) -> None:
        """Replay the recording at ``path`` (``speed`` times as fast)."""
        try:
            self.session.replay(path, speed)
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
            return
        self.traces.clear()
        self._drawn = ()
        self._show_state(Path(path).name)

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the session", str(self.session.folder / "hil-session.npz"),
                                              ";;".join(f"{d} (*{s})" for s, d in FORMATS.items()))
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> Path | None:
        """Export the session to ``path`` (NPZ, CSV or VCD by its suffix)."""
        try:
            written = export(self.session, path)
        except NeuroCoreError as exc:
            self._say(str(exc), error=True)
            return None
        self._say(f"exported to {written}")
        return written

    # -- the poll ------------------------------------------------------------------------------------
    def poll(self) -> None:
        session = self.session
        before = session.state
        messages = session.poll()
        if messages and self._arrived is None:
            self._arrived = time.monotonic()
        if session.engine is not None and not self._bank_shown:
            self._bank_shown = True
            self.parameters.set_bank(session.engine.bank, session.engine.fmt)
            self.raster.set_populations(session.engine.populations)
            if session.engine.network.sc:
                self.bitstreams.set_network(session.engine.network)
                self.below.setTabVisible(1, True)
        if session.state != before or (session.error and not self.warning.text()):
            self._show_state()
        self._draw()
        if time.monotonic() - self._health_shown > HEALTH_S:  # frames/s falls to 0 when nothing arrives
            self._show_health()

    def _draw(self) -> None:
        session, telemetry = self.session, self.session.telemetry
        drawn = (id(telemetry), telemetry.messages, session.prediction.steps, tuple(w.state for w in session.writes),
                 len(session.refusals), session.state)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        dt_ms = session.engine.dt * 1e3 if session.engine is not None else 0.1
        steps = telemetry.horizon
        self.raster.show_spikes(telemetry.spikes(), session.prediction.spikes, steps, dt_ms, session.divergence)
        self._show_traces(steps, dt_ms)
        self._show_streams(steps, dt_ms)
        self._show_verdict(steps, dt_ms)
        self._show_health()
        self.parameters.show_writes(session.writes)

    def _show_traces(self, steps: int, dt_ms: float) -> None:
        """The probed pairs over the raster's window: only the samples inside it are converted and drawn."""
        engine = self.session.engine
        if engine is None:
            return
        start = max(0, steps - self.raster.window)

        def window(samples):  # samples arrive in step order: the window is found by bisection, not a scan
            at, raw = samples
            lo, hi = np.searchsorted(at, (start, steps))
            return (at[lo:hi] + 1) * dt_ms, engine.fmt.to_float(raw[lo:hi])

        traces = {}
        for neuron, variable in self.session.telemetry.probed:
            k, (name, first, _) = next((k, p) for k, p in enumerate(engine.populations)
                                       if p[1] <= neuron < p[1] + p[2])
            slots = engine.probe_slots.get(name, ())
            label = f"{name}[{neuron - first}].{slots[variable] if variable < len(slots) else variable}"
            board = self.session.telemetry.probe(neuron, variable)
            predicted = self.session.prediction.probes.get((neuron, variable), (board[0][:0], board[1][:0]))
            traces[(neuron, variable)] = (label, k, window(board), window(predicted))
        self.traces.show_traces(traces)

    def _show_streams(self, steps: int, dt_ms: float) -> None:
        """Feed the bitstream scope the board's steps it has not seen, from the spikes that arrived since the
        last time (from step 0 again after a reset)."""
        engine, telemetry = self.session.engine, self.session.telemetry
        if self.bitstreams.network is None:
            return
        source, done, fed = self._streamed
        if source is not telemetry:
            self.bitstreams.reset()
            done = fed = 0
        if engine is None:  # rebuilding after a reset
            self._streamed = (telemetry, done, fed)
            return
        if steps > done:
            spike_steps, neurons = (a[fed:] for a in telemetry.spikes())
            later = np.flatnonzero(spike_steps >= steps)  # spikes arrive step by step: those of step `steps` on wait
            new = int(later[0]) if later.size else spike_steps.size
            self.bitstreams.feed([board_chunk((spike_steps[:new], neurons[:new]), engine.populations, done, steps,
                                              dt_ms)])
            self.bitstreams.refresh()
            fed += new
        self._streamed = (telemetry, max(done, steps), fed)

    def _show_verdict(self, steps: int, dt_ms: float) -> None:
        session = self.session
        first = session.divergence
        theme = colors()
        if first is not None:
            name, local = self._neuron(first["neuron"])
            who = "the board spiked, the engine did not" if first["board"] else "the engine spiked, the board did not"
            self.verdict.setText(f"<b style='color:{theme.error.name()}'>First divergence</b> at step "
                                 f"{first['step']:,} (t = {(first['step'] + 1) * dt_ms:g} ms), neuron "
                                 f"{escape(name)} {local} (global {first['neuron']}): {who}")
        elif steps and session.prediction.steps:
            checked = min(steps, session.prediction.steps)
            spikes = int((session.telemetry.spikes()[0] < checked).sum())
            self.verdict.setText(f"<b style='color:{theme.recorder.name()}'>Board and engine agree</b> over "
                                 f"{checked:,} steps ({checked * dt_ms:g} ms, {spikes:,} spikes)")
        elif steps:
            self.verdict.setText("The engine's prediction is being computed…")

    def _neuron(self, neuron: int) -> tuple[str, int]:
        for name, first, size in self.session.engine.populations if self.session.engine is not None else ():
            if first <= neuron < first + size:
                return name, neuron - first
        return "neuron", neuron

    def _show_health(self) -> None:
        session = self.session
        link = session.link.stats if session.link is not None else None
        status = session.telemetry.status
        parts = [f"{session.frames_per_s:,.0f} frames/s", f"step {session.telemetry.horizon:,}",
                 f"{session.telemetry.spikes()[0].size:,} spikes"]
        if link is not None:
            parts += [f"CRC errors {link.crc_errors}", f"lost {link.lost_frames}"]
        if status is not None:
            parts.append(f"overflow {status.queue_overflows + status.spikes_dropped}")
        if self.latencies:
            parts.append(f"drawn {1e3 * sorted(self.latencies)[len(self.latencies) // 2]:.0f} ms after arrival")
        self.health.setText(" · ".join(parts))
        self._health_shown = time.monotonic()
        warnings = session.warnings()
        self.warning.setText("" if not warnings else "⚠ " + "; ".join(warnings))

    def _show_state(self, detail: str = "") -> None:
        session = self.session
        state, theme = session.state, colors()
        recording = f" — recording to {session.recording.name}" if session.recording is not None else ""
        texts = {"idle": ("Not connected", theme.muted),
                 "connecting": (f"Connecting to {session.address}…", theme.muted),
                 "connected": (f"Connected to {session.address}{recording}", theme.recorder),
                 "dropped": (f"{session.error or 'Connection lost'}" + (
                     f" — everything up to the drop is kept in {session.recording.name}" if session.recording
                     else ""), theme.error),
                 "replaying": (f"Replaying {detail}", theme.muted),
                 "replayed": ("Replay finished", theme.muted)}
        text, color = texts[state]
        self._say(text, error=state == "dropped", color=color)
        connected = state == "connected"
        for widget in (self.start_button, self.stop_button, self.steps, self.run_button, self.reset_button, self.pace,
                       self.probe_button, self.disconnect_button):
            widget.setEnabled(connected)
        self.reconnect_button.setVisible(state == "dropped" and bool(session.address))
        self.connect_button.setEnabled(state in ("idle", "dropped", "replayed"))
        for field in self.parameters.fields:
            field.setEnabled(connected)

    def _say(self, text: str, error: bool = False, color=None) -> None:
        color = colors().error if error else (color or colors().muted)
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color.name()}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._arrived is not None:
            self.latencies.append(time.monotonic() - self._arrived)
            self._arrived = None
        return False

    def close_session(self) -> None:
        """Stop polling and close the link (the recording stays)."""
        self.timer.stop()
        self.session.close()
