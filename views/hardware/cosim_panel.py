"""Co-simulation controls and result: duration, Co-simulate / Cancel, progress, the verdict and the raster.

The run itself is a :class:`studio.hardware.hardware_flow.CosimRequest` made by the owner
(:attr:`CosimPanel.requested` gives the duration); :meth:`CosimPanel.start` runs it
on a worker through a :class:`~views.hardware.job_runner.JobRunner`.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from studio.hardware.hardware_flow import CosimRequest
from studio.hardware.hardware_job import HardwareJob, cosim_verdict
from views.hardware.cosim_raster import CosimRaster
from views.hardware.job_runner import JobRunner
from views.quantity_field import QuantityField
from views.run_toolbar import duration_s
from views.theme import follow_theme

DEFAULT_DURATION = "100 ms"


def _check_duration(text: str) -> str | None:
    try:
        return None if duration_s(text) is not None else "a duration is needed (e.g. `100 ms`)"
    except ValueError as exc:
        return str(exc)


class CosimPanel(QWidget):
    """Controls, verdict and raster of the co-simulation.

    Signals
    -------
    requested(float)
        Co-simulate was pressed with a valid duration (seconds); the owner calls :meth:`start`.
    failed(str)
        A co-simulation failed; the message.
    """

    requested = Signal(float)
    failed = Signal(str)
    RUN_TIP = ("Build the core with Verilator, run it and the engine for the same steps, and compare every spike "
               "and probed value")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = JobRunner(self)
        self.runner.progressed.connect(self._progressed)
        self.runner.ended.connect(self._ended)
        self.report = None
        self.state = "idle"
        self.unavailable: str | None = None
        self.duration = QuantityField(DEFAULT_DURATION, _check_duration, tooltip="Simulated time to co-simulate, "
                                "e.g. `100 ms` or `1 s`")
        self.duration.edit.setMaximumWidth(110)
        self.duration.edit.returnPressed.connect(self.request)
        self.run_button = QPushButton("Co-simulate")
        self.run_button.clicked.connect(self.request)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.progress.setMaximumWidth(220)
        self.status = QLabel("")
        self.status.setObjectName("cosim_status")
        self.verdict = QLabel("Co-simulate to compare the generated core with the engine, step for step.")
        self.verdict.setObjectName("cosim_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raster = CosimRaster()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("<b>Co-simulation</b> for"))
        row.addWidget(self.duration)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.status, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.verdict)
        layout.addWidget(self.raster, 1)
        self._enable()

    @property
    def running(self) -> bool:
        return self.runner.running

    def request(self) -> None:
        """Ask the owner for a co-simulation of the typed duration (the field shows why one is refused)."""
        if self.running or self.unavailable is not None:
            return
        problem = _check_duration(self.duration.text)
        self.duration.mark(problem)
        if problem is None:
            self.requested.emit(duration_s(self.duration.text))

    def start(self, request: CosimRequest) -> HardwareJob:
        """Run ``request`` on a worker."""
        job = self.runner.start(request)
        self.state = "running"
        self.progress.setValue(0)
        self.status.setText("starting…")
        self.status.setToolTip("")
        self._enable()
        return job

    def cancel(self) -> None:
        """Stop the running co-simulation at its next phase (a Verilator build finishes first)."""
        if self.running:
            self.runner.cancel()
            self.status.setText("cancelling… (after the current phase)")

    def drop(self) -> None:
        """Forget the running co-simulation (the document changed)."""
        self.runner.drop()
        self.state = "idle"
        self._enable()

    def fail(self, message: str) -> None:
        """Show why a co-simulation cannot run or failed."""
        self.status.setText("failed")
        self.verdict.setText(escape(message))
        follow_theme(self.verdict, lambda c: f"color: {c.error.name()}")
        self.failed.emit(message)

    def set_available(self, reason: str | None) -> None:
        """Whether a co-simulation can start (``None``), else why not (the button's tooltip)."""
        self.unavailable = reason
        self._enable()

    def _enable(self) -> None:
        running = self.running
        self.run_button.setEnabled(not running and self.unavailable is None)
        self.run_button.setToolTip(self.unavailable or self.RUN_TIP)
        self.cancel_button.setEnabled(running)
        self.duration.edit.setEnabled(not running)

    def _progressed(self, label: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))
        if label and not (self.runner.job is not None and self.runner.job.cancelling):
            self.status.setText(f"{label}…" if fraction < 1 else label)

    def _ended(self, job: HardwareJob) -> None:
        self.state = "idle"
        self._enable()
        if job.state == "done":
            self.report = report = job.result
            summary = report.summary()
            dt_ms = float(report.manifest.get("dt_ms", 0.1))
            self.status.setText(f"done in {job.seconds:.1f} s")
            exact = report.bit_exact
            head, _, rest = cosim_verdict(summary, dt_ms).partition(": ")
            self.verdict.setText(f"<b>{escape(head)}</b>: {escape(rest)}")
            follow_theme(self.verdict, lambda c: f"color: {(c.recorder if exact else c.error).name()}")
            self.raster.show_report(report, dt_ms)
        elif job.state == "cancelled":
            self.progress.setValue(0)
            self.status.setText("cancelled")
        else:
            self.status.setToolTip(job.traceback)
            self.fail(job.error)
