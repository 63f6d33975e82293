"""A row of Run / Cancel, a progress bar and a status line that drives one sweep on a worker thread.

The sweep is a :class:`studio.jobs.analysis_job.AnalysisJob`; a timer polls it
(no Qt object crosses threads) and emits :attr:`SweepBar.finished` with the
result on the GUI thread.  Starting a new sweep cancels the running one and
drops its result.

Before a sweep the owner may call :meth:`SweepBar.set_estimate`: a sweep
estimated above ``auto_seconds`` (by default ``AUTO_SECONDS``) shows its cost
and waits for Run (a change of the model does not start it by itself).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from engine.errors import NeuroCoreError
from studio.jobs.analysis_job import AnalysisJob, AnalysisRequest
from views.playground.analysis_panel import AnalysisPanel, message_label

POLL_MS = 40
AUTO_SECONDS = 1.0


class SweepBar(QWidget):
    """Run / Cancel buttons, progress and a status line for one sweep at a time; a sweep estimated above
    ``auto_seconds`` waits for Run.

    Signals
    -------
    run_requested
        The person pressed Run.
    finished(object)
        A sweep ended with a result (not emitted when cancelled or failed).
    """

    run_requested = Signal()
    finished = Signal(object)

    def __init__(self, run_text: str = "Run", parent: QWidget | None = None, auto_seconds: float = AUTO_SECONDS):
        super().__init__(parent)
        self.job: AnalysisJob | None = None
        self.estimate: float | None = None
        self.auto_seconds = auto_seconds
        self._superseded = False  # the running job was cancelled because the settings changed
        self._started_cheap = False  # the running job started by itself (its estimate was cheap)
        self.run_button = QPushButton(run_text)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.status = QLabel("")
        self.status.setMinimumWidth(160)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.run_button)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.status, 2)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.finished

    @property
    def cheap(self) -> bool:
        """Whether the last estimate allows recomputing by itself on every change."""
        return self.estimate is not None and self.estimate <= self.auto_seconds

    def set_estimate(self, seconds: float) -> None:
        """Show what the next sweep would cost, when it is too much to start by itself.

        A sweep that started by itself for settings that have since changed is out of date: when
        the new one is too costly to start by itself, the old one is cancelled and the cost shown.
        """
        self.estimate = seconds
        if self.running and self._started_cheap and not self.cheap:
            self.job.cancel()
            self._superseded = True
        if not self.running or not self.cheap:
            self.status.setText(self._hint())

    def _hint(self) -> str:
        return "" if self.cheap else f"≈ {_duration(self.estimate)} — press {self.run_button.text()}"

    def start(self, request: AnalysisRequest) -> AnalysisJob:
        """Run ``request`` on a worker (cancelling a running one)."""
        if self.job is not None and not self.job.finished:
            self.job.cancel()
        self._superseded = False
        self._started_cheap = self.cheap
        self.job = AnalysisJob(request).start()
        self.progress.setValue(0)
        self.status.setToolTip("")
        self.cancel_button.setEnabled(True)
        guess = f" (≈ {_duration(self.estimate)})" if self.estimate and self.estimate > self.auto_seconds else ""
        self.status.setText(f"running{guess}…")
        self.timer.start()
        return self.job

    def cancel(self) -> None:
        """Stop the running sweep; the plot keeps the last result."""
        if self.job is not None and not self.job.finished:
            self.job.cancel()

    def fail(self, message: str) -> None:
        """Show why a sweep could not start."""
        self.status.setText(message)

    def _poll(self) -> None:
        job = self.job
        if job is None:
            self.timer.stop()
            return
        self.progress.setValue(int(job.progress * 1000))
        if not job.finished:
            return
        self.timer.stop()
        self.cancel_button.setEnabled(False)
        if job.state == "done":
            self.status.setText(f"{_duration(job.seconds)}")
            self.finished.emit(job.result)
        elif job.state == "cancelled":
            self.status.setText(self._hint() if self._superseded else "cancelled")
        else:
            self.status.setText(job.error)
            self.status.setToolTip(job.traceback)

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)


def _duration(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class SweepPanel(AnalysisPanel):
    """A panel whose result comes from one sweep: estimate on change, run when cheap or on request."""

    def __init__(self, state, run_text: str, parent: QWidget | None = None):
        super().__init__(state, parent)
        self.result = None
        self.sweep = SweepBar(run_text)
        self.sweep.run_requested.connect(self.run)
        self.sweep.finished.connect(self.show_result)
        self.message = message_label()

    def request(self) -> AnalysisRequest:
        raise NotImplementedError

    def estimate(self) -> float:
        raise NotImplementedError

    def prepare(self) -> None:
        """Bring the controls up to date with the model (called before estimating and running)."""

    def refresh(self) -> None:
        if not self.ready:
            return
        try:
            self.prepare()
            self.sweep.set_estimate(self.estimate())
        except NeuroCoreError as exc:
            self.sweep.fail(str(exc))
            return
        if self.sweep.cheap:
            self.run()

    def run(self) -> None:
        if not self.ready:
            return
        try:
            self.prepare()
            request = self.request()
        except NeuroCoreError as exc:
            self.sweep.fail(str(exc))
            return
        self.sweep.start(request)

    def show_result(self, result) -> None:
        raise NotImplementedError
