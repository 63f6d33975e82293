"""The "Verilog" tab: the model's neuron datapath in a chosen Q format, with Copy and Save.

The module is emitted (:func:`studio.playground.handoff.emit_verilog`) on a
worker whenever the tab is in front and the model, its parameters, the
stimulus or the format change.  A format that does not parse is marked at the
format field; a model the emitter cannot lower says why in plain text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from engine.errors import NeuroCoreError
from engine.fixedpoint import FormatError
from studio.jobs.analysis_job import AnalysisJob, AnalysisRequest
from studio.playground.handoff import emit_verilog
from studio.project.fileio import atomic_write_text
from views.playground.analysis_panel import AnalysisPanel
from views.playground.precision_panel import format_from
from views.playground.verilog_view import VerilogView
from views.theme import follow_theme

POLL_MS = 10


class VerilogPanel(AnalysisPanel):
    """The Verilog of the model beside its fixed-point trace, with the format field, Copy and Save."""

    title = "Verilog"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, parent)
        self.format_edit = QLineEdit("Q8.8")
        self.format_edit.setMaximumWidth(80)
        self.format_edit.editingFinished.connect(self.schedule)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self._ask_path)
        row = QHBoxLayout()
        for w in (QLabel("Format"), self.format_edit, self.copy_button, self.save_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.stale_label)
        self.view = VerilogView()
        self.job: AnalysisJob | None = None
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._take_preview)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        self._enable()

    def _enable(self) -> None:
        for button in (self.copy_button, self.save_button):
            button.setEnabled(self.view.preview is not None)

    def _mark_format(self, reason: str) -> None:
        follow_theme(self.format_edit, lambda c: f"border: 1px solid {c.error.name()}" if reason else "")
        self.format_edit.setToolTip(reason)

    def refresh(self) -> None:
        """Emit the module in the chosen format with its fixed-point trace, on a worker."""
        if self.state.spec is None:
            return
        try:
            fmt = format_from(self.format_edit.text(), "saturate", "truncate")
        except FormatError as exc:
            self._mark_format(str(exc))
            self._show_failure("No module: the format is not valid.", str(exc))
            return
        self._mark_format("")
        try:
            arguments = self.state.trace_arguments()
        except NeuroCoreError as exc:
            self._show_failure("No module: the model does not run.", str(exc))
            return
        if self.job is not None:
            self.job.cancel()  # its result is discarded
        lib = self.state.library_model
        module = f"nc_{lib.name}" if lib is not None else None
        model = arguments.pop("model")
        request = AnalysisRequest(emit_verilog, (model, fmt), dict(arguments, module=module), "Verilog")
        self.job = AnalysisJob(request).start()
        self._poll.start()

    def _show_failure(self, caption: str, message: str) -> None:
        self.view.show_failure(caption, message)
        self._enable()

    def _take_preview(self) -> None:
        job = self.job
        if job is None or not job.finished:
            return
        self._poll.stop()
        self.job = None
        if job.state == "done":
            self.view.show_preview(job.result)
            self._enable()
        elif job.state == "failed":  # a LoweringError names the instruction and the operation
            self._show_failure("No module for this model.", job.error)

    def copy(self) -> None:
        """Put the module's text on the clipboard."""
        if self.view.preview is not None:
            QApplication.clipboard().setText(self.view.preview.verilog.text)

    def _ask_path(self) -> None:
        if self.view.preview is None:
            return
        name = f"{self.view.preview.verilog.module}.v"
        path, _ = QFileDialog.getSaveFileName(self, "Save Verilog", name, "Verilog (*.v)")
        if path:
            self.save(path)

    def save(self, path: str | Path) -> Path | None:
        """Write the module's text to ``path``; ``None`` (and the reason in the caption) when it fails."""
        if self.view.preview is None:
            return None
        try:
            atomic_write_text(path, self.view.preview.verilog.text)
        except OSError as exc:
            self.view.caption.setText(f"Saving failed: {exc}")
            return None
        return Path(path)
