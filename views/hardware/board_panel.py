"""The board flow of the hardware workspace: board and Q format, a live resource estimate, Build & deploy.

:class:`BoardPanel` estimates the document's core on the chosen board a moment
after each edit (:class:`~studio.hardware.board_estimate.EstimateRunner`, on a
worker thread) and shows it as bars against the device.  *Build & deploy*
asks the owner for a :class:`~studio.hardware.deploy_flow.DeployRequest`
(:attr:`BoardPanel.requested`), runs it in a worker process (synthesis, place
and route, bitstream, program) with a bar per stage, the tools' live log and
*Cancel*, then shows the report card; a tool's error is shown with its
relevant log lines, and a board that is not connected fails the program stage
only, so the build's report card stays.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from engine.fixedpoint import FormatError, QFormat
from hdl.boards import BOARDS
from hdl.netcosim import DEFAULT_FORMAT
from studio.hardware.board_estimate import EstimateRequest, EstimateRunner
from studio.hardware.deploy_flow import STAGES, DeployRequest
from studio.hardware.hardware_job import HardwareJob
from views.hardware.job_runner import JobRunner
from views.hardware.report_card import ReportCard
from views.hardware.resource_bars import ResourceBars
from views.theme import colors, follow_theme

ESTIMATE_DELAY_MS = 150  # after the last edit, so typing does not queue estimates
POLL_MS = 40
FORMATS = ("Q16.16", "Q8.8", "Q12.12", "Q24.8")
LOG_LINES = 20_000


class BoardPanel(QWidget):
    """Board, format, estimate, Build & deploy with its stages, log and report card.

    Parameters
    ----------
    snapshot
        Gives ``(project description, title)`` of the document as it is now (for the estimate).

    Signals
    -------
    requested(str, object, bool)
        Build & deploy was pressed: board name, :class:`QFormat`, whether to write flash; the owner
        calls :meth:`start` with a request for the project file.
    finished(list)
        Lines for the window's log when a build and deploy ends.
    """

    requested = Signal(str, object, bool)
    finished = Signal(list)

    def __init__(self, snapshot, parent: QWidget | None = None):
        super().__init__(parent)
        self.snapshot = snapshot
        self.estimate = None
        self.estimate_error = ""
        self.unavailable: str | None = None
        self.runner = JobRunner(self)
        self.runner.polled.connect(self._polled)
        self.runner.ended.connect(self._ended)
        self._estimates = EstimateRunner()
        self.destroyed.connect(lambda *_, runner=self._estimates: runner.close())
        self._log_seen = 0
        self._debounce = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS)
        self._debounce.timeout.connect(self._request_estimate)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._take_estimate)

        self.board = QComboBox()
        for name, board in BOARDS.items():
            self.board.addItem(f"{name} ({board.device})", name)
        self.board.setToolTip("The board to build for and program")
        self.board.currentIndexChanged.connect(self.schedule_estimate)
        self.format = QComboBox()
        self.format.setEditable(True)
        self.format.addItems(FORMATS)
        self.format.setCurrentText(DEFAULT_FORMAT.name)
        self.format.setToolTip("The fixed-point format of the core (integer bits including the sign . fraction bits)")
        self.format.currentTextChanged.connect(self.schedule_estimate)
        self.flash = QCheckBox("write flash")
        self.flash.setToolTip("Program the board's flash (kept at power-off) instead of its SRAM")
        self.deploy_button = QPushButton("Build && deploy")
        self.deploy_button.setObjectName("deploy_button")
        self.deploy_button.clicked.connect(self.request)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel("")
        self.status.setObjectName("deploy_status")
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("<b>Board</b>"))
        controls.addWidget(self.board)
        controls.addWidget(QLabel("format"))
        controls.addWidget(self.format)
        controls.addWidget(self.flash)
        controls.addWidget(self.deploy_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.status, 1)

        self.estimate_bars = ResourceBars()
        self.verdict = QLabel("")
        self.verdict.setObjectName("estimate_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        estimate = QWidget()
        column = QVBoxLayout(estimate)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("<b>Estimate</b> (from the design, before synthesis)"))
        column.addWidget(self.estimate_bars)
        column.addWidget(self.verdict)
        column.addStretch(1)

        self.stage_bars: dict[str, QProgressBar] = {}
        self.stage_states: dict[str, QLabel] = {}
        stages = QGridLayout()
        stages.setContentsMargins(0, 0, 0, 0)
        stages.setVerticalSpacing(3)
        for row, name in enumerate(STAGES):
            bar = QProgressBar()
            bar.setRange(0, 1)
            bar.setTextVisible(False)
            bar.setMaximumHeight(12)
            state = QLabel("")
            state.setMinimumWidth(90)
            stages.addWidget(QLabel(name), row, 0)
            stages.addWidget(bar, row, 1)
            stages.addWidget(state, row, 2)
            self.stage_bars[name], self.stage_states[name] = bar, state
        stages.setColumnStretch(1, 1)
        self.message = QLabel("")
        self.message.setObjectName("deploy_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card = ReportCard()
        column_widget = QWidget()
        column = QVBoxLayout(column_widget)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(QLabel("<b>Build & deploy</b>"))
        column.addLayout(stages)
        column.addWidget(self.message)
        column.addWidget(self.card, 1)
        build = QScrollArea()  # the report card stays whole when the pane is short
        build.setWidget(column_widget)
        build.setWidgetResizable(True)
        build.setFrameShape(QFrame.Shape.NoFrame)

        self.log = QPlainTextEdit()
        self.log.setObjectName("deploy_log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText("The tools' output appears here while they run.")
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(estimate)
        body.addWidget(build)
        body.addWidget(self.log)
        body.setSizes([360, 600, 460])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(controls)
        layout.addWidget(body, 1)
        self._show_stages(None)
        self._enable()
        self.schedule_estimate()

    # -- choices -----------------------------------------------------------------------------------------
    @property
    def board_name(self) -> str:
        return self.board.currentData()

    def fixed_format(self) -> QFormat | None:
        """The typed format, or ``None`` (the verdict says why) when it is not a Q format."""
        try:
            return QFormat.parse(self.format.currentText().strip())
        except FormatError:
            return None

    @property
    def running(self) -> bool:
        return self.runner.running

    # -- estimate ----------------------------------------------------------------------------------------
    def schedule_estimate(self, *_) -> None:
        """Estimate again shortly (after an edit, or another board or format)."""
        self._debounce.start()

    def _request_estimate(self) -> None:
        fmt = self.fixed_format()
        if fmt is None:
            self._show_estimate_error(f"`{self.format.currentText()}` is not a Q format (e.g. Q16.16: integer bits "
                                      f"including the sign . fraction bits)")
            return
        project, title = self.snapshot()
        self._estimates.request(EstimateRequest(project, title, self.board_name, fmt))
        self._poll.start()

    def _take_estimate(self) -> None:
        outcome = self._estimates.poll()
        if not self._estimates.busy:
            self._poll.stop()
        if outcome is None:
            return
        _, estimate, error = outcome
        if error:
            self._show_estimate_error(error)
            return
        self.estimate, self.estimate_error = estimate, ""
        self.estimate_bars.show_counts(estimate.used, estimate.available, approximate=True)
        over = estimate.over
        follow_theme(self.verdict, lambda c: f"color: {(c.error if over else c.muted).name()}")
        self.verdict.setText(f"{estimate.neurons:,} neurons, {estimate.synapses:,} synapses, "
                             f"{estimate.memory_bits:,} memory bits: {estimate.verdict()}.")

    def _show_estimate_error(self, message: str) -> None:
        self.estimate, self.estimate_error = None, message
        self.estimate_bars.clear()
        follow_theme(self.verdict, lambda c: f"color: {c.error.name()}")
        self.verdict.setText(message)

    @property
    def estimating(self) -> bool:
        return self._debounce.isActive() or self._estimates.busy

    # -- build and deploy --------------------------------------------------------------------------------
    def set_available(self, reason: str | None) -> None:
        """Whether Build & deploy can start (``None``), else why not (the button's tooltip)."""
        self.unavailable = reason
        self._enable()

    def request(self) -> None:
        """Ask the owner for a build and deploy of the document on the chosen board."""
        if self.running or self.unavailable is not None:
            return
        fmt = self.fixed_format()
        if fmt is None:
            self.fail(f"`{self.format.currentText()}` is not a Q format (e.g. Q16.16)")
            return
        self.requested.emit(self.board_name, fmt, self.flash.isChecked())

    def start(self, request: DeployRequest) -> HardwareJob:
        """Run ``request`` in a worker process."""
        job = self.runner.start(request)
        self._log_seen = 0
        self.log.clear()
        self.message.setText("")
        self.card.show_message("Building…")
        self.status.setText("building…")
        self._show_stages(job)
        self._enable()
        return job

    def cancel(self) -> None:
        """Stop the running build (its tools are stopped) or programming."""
        if self.running:
            self.runner.cancel()
            self.status.setText("cancelling…")

    def drop(self) -> None:
        """Forget the running job (the document changed) and stop estimating."""
        self.runner.drop()
        self._debounce.stop()
        self._poll.stop()
        self._estimates.close()
        self._enable()

    def fail(self, message: str, lines: tuple[str, ...] = ()) -> None:
        """Show ``message`` (and the log ``lines`` that explain it) in red."""
        error = colors().error.name()
        shown = "".join(f"<br><code>{escape(line)}</code>" for line in lines[-8:])
        self.message.setText(f"<span style='color:{error}'>{escape(message)}</span>{shown}")

    def _enable(self) -> None:
        running = self.running
        self.deploy_button.setEnabled(not running and self.unavailable is None)
        self.deploy_button.setToolTip(self.unavailable or "Synthesise, place and route, pack the bitstream and "
                                                          "program the board (an unchanged design is not rebuilt)")
        self.cancel_button.setEnabled(running)
        for widget in (self.board, self.format, self.flash):
            widget.setEnabled(not running)

    def _show_stages(self, job: HardwareJob | None) -> None:
        report = None
        if job is not None:
            report = job.result.report if job.state == "done" else job.report
        for name in STAGES:
            state = job.stages.get(name, "pending") if job is not None else ""
            bar = self.stage_bars[name]
            bar.setRange(0, 0 if state == "running" else 1)  # a busy bar while the tool runs
            bar.setValue(1 if state in ("done", "cached") else 0)
            seconds = report.stage_seconds.get(name) if report is not None else None
            text = state if seconds is None or state != "done" else f"done in {seconds:.1f} s"
            label = self.stage_states[name]
            label.setText(text)
            failed = state == "failed"
            follow_theme(label, lambda c, failed=failed: f"color: {c.error.name()}" if failed else "")

    def _polled(self, job: HardwareJob) -> None:
        self._show_stages(job)
        if len(job.log) > self._log_seen:
            self.log.appendPlainText("\n".join(job.log[self._log_seen:]))
            self._log_seen = len(job.log)
        if job.label and not job.cancelling:
            self.status.setText(f"{job.label}…")

    def _ended(self, job: HardwareJob) -> None:
        self._polled(job)
        self._enable()
        result = job.result if job.state == "done" else None
        if result is not None:
            self.card.show_report(result.report)
            if result.program_error:
                self.status.setText("built; not programmed")
                self.fail(result.program_error)
            else:
                self.status.setText(f"done in {job.seconds:.1f} s")
                what = "programmed" if result.programmed else "built"
                self.message.setText(f"{what}: <code>{escape(result.command)}</code>")
            self.finished.emit([f"hardware: {self.status.text()} ({result.report.board})"]
                               + ([f"hardware: {result.program_error}"] if result.program_error else []))
        elif job.state == "cancelled":
            self.status.setText("cancelled")
            self.card.show_message("Cancelled: no report.")
            self.finished.emit(["hardware: build and deploy cancelled"])
        else:
            self.status.setText("failed")
            self.status.setToolTip(job.traceback)
            self.fail(job.error, job.details)
            if job.report is not None:
                self.card.show_report(job.report)
            else:
                self.card.show_message("No report: the build failed.")
            self.finished.emit([f"hardware: build and deploy failed: {job.error}"])
