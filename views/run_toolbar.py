"""The run toolbar: run (F5), pause (Space), step one chunk, stop, the duration, the threads, the arithmetic
(float or a fixed-point format), the simulated time and the speed.  The threads are an app setting (QSettings ``run_threads``), not the project's.

It drives a :class:`studio.jobs.session.RunSession` (the worker thread) and polls
it from a timer on the GUI thread: chunks, state, log lines and a failure come
back as signals, so no Qt object ever crosses threads.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QStyle, QToolBar

from engine.fixedpoint import QFormat
from engine.run.simulation import Chunk, max_threads
from studio.document.document import Document
from studio.jobs.run_duration import UNTIL_STOPPED, duration_s
from studio.jobs.session import RunSession
from views.theme import follow_theme

POLL_MS = 25
DURATION_TIP = "Simulated time to run, e.g. `2 s`, or until stopped"
THREADS_KEY = "run_threads"
ARITHMETIC = ("float", "Q16.16", "Q8.8")
_SMOOTHING = 0.3


def chunk_rates(chunks: list[Chunk], sizes: dict[str, int]) -> dict[str, float]:
    """Mean firing rate (Hz) of each population over ``chunks``."""
    if not chunks:
        return {}
    span_s = (chunks[-1].t_stop_ms - chunks[0].t_start_ms) * 1e-3
    counts: dict[str, int] = {}
    for chunk in chunks:
        for name, (times, _) in chunk.spikes.items():
            counts[name] = counts.get(name, 0) + int(np.size(times))
    return {name: counts.get(name, 0) / (max(n, 1) * span_s) for name, n in sizes.items() if span_s > 0}


def _saved_threads() -> int:
    """The threads setting kept in QSettings, within what this machine offers (1 when unset or unreadable)."""
    try:
        value = int(QSettings().value(THREADS_KEY, 1))
    except (TypeError, ValueError):
        return 1
    return min(max(value, 1), max_threads())


class RunToolbar(QToolBar):
    """Run controls for the document returned by ``document()``.

    Signals
    -------
    started(session)
        A new session started (the scopes reset).
    built(network)
        The worker built the network (before its first chunk is announced).
    chunks(list)
        Chunks taken from the session's buffer since the last poll.
    rates(dict)
        Recent rate of each population, Hz (smoothed), for the activity indicators.
    log(list)
        New lines of the run log.
    failed(session)
        The worker failed (``session.error``, ``session.traceback``).
    refused(str, str)
        Run or Step did nothing: what was refused (``"duration"``, ``""`` for the project) and why.
    state_changed(str)
        The session's state changed.
    """

    started = Signal(object)
    built = Signal(object)
    chunks = Signal(list)
    rates = Signal(dict)
    log = Signal(list)
    failed = Signal(object)
    refused = Signal(str, str)
    state_changed = Signal(str)

    def __init__(self, document: Callable[[], Document], parent=None):
        super().__init__("Run", parent)
        self.setObjectName("run_toolbar")
        self.document = document
        self.session: RunSession | None = None
        self.sizes: dict[str, int] = {}
        self._state = "idle"
        self._logged = 0
        self._rates: dict[str, float] = {}
        self.duration_problem: str | None = None  # why the duration typed is refused
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.run_action = self._action("Run", "F5", "Run the network (F5); resumes when paused", self.run,
                                       QStyle.StandardPixmap.SP_MediaPlay)
        self.pause_action = self._action("Pause", "Space", "Pause at the next chunk, or resume (Space)", self.pause,
                                         QStyle.StandardPixmap.SP_MediaPause)
        self.step_action = self._action("Step", "F6", "Run one chunk, then pause (F6)", self.step,
                                        QStyle.StandardPixmap.SP_MediaSkipForward)
        self.stop_action = self._action("Stop", "Shift+F5", "Stop the run (Shift+F5)", self.stop,
                                        QStyle.StandardPixmap.SP_MediaStop)
        self.addSeparator()
        self.addWidget(QLabel(" for "))
        self.duration = QComboBox(editable=True, toolTip=DURATION_TIP)
        self.duration.addItems([UNTIL_STOPPED, "100 ms", "1 s", "10 s", "60 s"])
        self.duration.setMinimumContentsLength(10)
        self.duration.editTextChanged.connect(self._recheck_duration)
        self.addWidget(self.duration)
        self.addWidget(QLabel(" on "))
        self.threads = QSpinBox(minimum=1, maximum=max_threads(), suffix=" threads")
        self.threads.setToolTip(f"Threads the next run uses (this machine has {max_threads()}); the results are "
                                "the same on any number")
        self.threads.setValue(_saved_threads())
        self.threads.valueChanged.connect(lambda n: QSettings().setValue(THREADS_KEY, n))
        self.threads.valueChanged.connect(self._name_threads)
        self._name_threads(self.threads.value())
        self.addWidget(self.threads)
        self.addWidget(QLabel(" in "))
        self.arithmetic = QComboBox(toolTip="Arithmetic of the next run: float, or a fixed-point format (what the "
                                            "FPGA computes; SC projections compute with bitstreams only in fixed "
                                            "point)")
        self.arithmetic.addItems(ARITHMETIC)
        self.addWidget(self.arithmetic)
        self.addSeparator()
        self.time_label = QLabel(toolTip="simulated time")
        self.speed_label = QLabel(toolTip="simulated seconds per wall-clock second")
        self.state_label = QLabel(" idle ")
        for label in (self.time_label, self.speed_label, self.state_label):
            self.addWidget(label)
        self._show_progress(0.0, 0.0)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._enable()

    def _action(self, text: str, key: str, tip: str, slot, icon: QStyle.StandardPixmap) -> QAction:
        action = QAction(self.style().standardIcon(icon), text, self)
        action.setShortcut(QKeySequence(key))
        action.setToolTip(tip)
        action.triggered.connect(lambda: slot())
        self.addAction(action)
        return action

    @property
    def state(self) -> str:
        return self._state

    # -- control -----------------------------------------------------------------------------------
    def run(self, duration: float | None | str = "toolbar") -> RunSession | None:
        """Start a run (for ``duration`` s; by default what the toolbar says) or resume a paused one."""
        if self.session is not None and self.session.state == "paused":
            self.session.resume()
            self.poll()
            return self.session
        if self.session is not None and self.session.state == "running":
            return self.session
        if duration == "toolbar":
            try:
                duration = duration_s(self.duration.currentText())
            except ValueError as exc:
                self._mark_duration(str(exc))
                self._refuse("duration", str(exc))
                return None
        if self._nothing_to_run():
            return None
        return self._start(duration, paused=False)

    def _nothing_to_run(self) -> bool:
        if any(node.kind == "population" for node in self.document().nodes.values()):
            return False
        self._refuse("", "nothing to run: the project has no population (drag a model from the palette)")
        return True

    def _refuse(self, what: str, reason: str) -> None:
        self.log.emit([f"cannot run: {what + ': ' if what else ''}{reason}"])
        self.refused.emit(what, reason)

    def _mark_duration(self, problem: str | None) -> None:
        """Show at the duration field why it is refused (``None``: clear the mark)."""
        self.duration_problem = problem
        follow_theme(self.duration.lineEdit(), lambda c: f"border: 1px solid {c.error.name()};" if problem else "")
        self.duration.setToolTip(problem or DURATION_TIP)

    def _name_threads(self, n: int) -> None:
        self.threads.setSuffix(" thread" if n == 1 else " threads")

    def _recheck_duration(self, text: str) -> None:
        """A marked duration loses its mark once it reads as a time."""
        if self.duration_problem is not None:
            try:
                duration_s(text)
            except ValueError:
                return
            self._mark_duration(None)

    def _start(self, duration: float | None, paused: bool) -> RunSession:
        text = self.arithmetic.currentText()
        self.session = RunSession(self.document(), threads=self.threads.value(),
                                  fmt=None if text == "float" else QFormat.parse(text))
        self.sizes, self._rates, self._logged = {}, {}, 0
        self.started.emit(self.session)
        if paused:
            self.session.step_chunk()
        else:
            self.session.start(duration)
        self.timer.start()
        self.poll()
        return self.session

    def pause(self) -> None:
        """Pause a running session, resume a paused one."""
        if self.session is not None:
            if self.session.state == "paused":
                self.session.resume()
            else:
                self.session.pause()
            self.poll()

    def step(self) -> None:
        """Run one chunk (starting a paused run if none is going)."""
        if self.session is None or self.session.state not in ("running", "paused"):
            if self._nothing_to_run():
                return
            self._start(None, paused=True)
        else:
            self.session.step_chunk()
        self.poll()

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.poll()

    def reset(self) -> None:
        """Stop the run, if any, and forget it: the toolbar shows t = 0, idle (a new document)."""
        if self.session is not None:
            self.session.stop()
        self.session = None
        self.timer.stop()
        self.sizes, self._rates, self._logged = {}, {}, 0
        self._mark_duration(None)
        self._show_progress(0.0, 0.0)
        if self._state != "idle":
            self._set_state("idle")

    def set_parameter(self, population: str, name: str, text: str) -> bool:
        """Apply a parameter change to the running session at its next chunk; ``False`` when none runs."""
        if self.session is None or self.session.state not in ("running", "paused"):
            return False
        self.session.set_parameter(population, name, text)
        return True

    # -- polling -------------------------------------------------------------------------------------
    def poll(self) -> None:
        """Take what the worker produced: chunks, time, speed, log, state changes."""
        session = self.session
        if session is None:
            return
        if not self.sizes and session.simulation is not None:
            self.sizes = {name: pop.size for name, pop in session.simulation.network.populations.items()}
            self.built.emit(session.simulation.network)
        chunks = session.buffer.take()
        if chunks:
            self.chunks.emit(chunks)
            fresh = chunk_rates(chunks, self.sizes)
            self._rates = {k: v if k not in self._rates else self._rates[k] + _SMOOTHING * (v - self._rates[k])
                           for k, v in fresh.items()}
            self.rates.emit(dict(self._rates))
        if len(session.log) > self._logged:
            lines = session.log[self._logged:]
            self._logged += len(lines)
            self.log.emit(list(lines))
        self._show_progress(session.t_ms, session.speed)
        state = session.state
        if state != self._state:
            self._set_state(state)
            if state == "failed":
                self.failed.emit(session)
        if state in ("finished", "failed") and not len(session.buffer):
            self.timer.stop()

    def _show_progress(self, t_ms: float, speed: float) -> None:
        self.time_label.setText(f" t = {t_ms / 1e3:.3f} s ")
        self.speed_label.setText(f" speed {speed:.2f}× " if speed else " speed – ")

    def _set_state(self, state: str) -> None:
        self._state = state
        self.state_label.setText(f" {state} ")
        self._enable()
        self.state_changed.emit(state)

    def changeEvent(self, event) -> None:
        """A disabled toolbar (another workspace is in front) disables its actions too, menus and shortcuts."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.EnabledChange:
            self._enable()

    def _enable(self) -> None:
        live = self._state in ("running", "paused")
        on = self.isEnabled()
        self.run_action.setText("Resume" if self._state == "paused" else "Run")
        self.run_action.setEnabled(on and self._state != "running")
        self.pause_action.setEnabled(on and live)
        self.step_action.setEnabled(on)
        self.stop_action.setEnabled(on and live)
        self.duration.setEnabled(not live)
