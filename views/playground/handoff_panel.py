"""Buttons that hand the playground's model on: into the network, to a Python script, to Verilog.

"Use in network" calls a callback the main window provides
(:func:`network_handoff` makes one from a window with a ``document``): the model goes into the project's model list as one undoable
edit.  "Export Python script" writes a standalone script that reproduces the
trace (:mod:`studio.interop.script_export`).  "Show Verilog" emits the single-neuron
module in the chosen Q format (:mod:`studio.playground.handoff`) with its
fixed-point run, on a worker thread.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from engine.errors import NeuroCoreError
from engine.equations.model import ModelSpec
from engine.models.base import LibraryModel
from studio.jobs.analysis_job import AnalysisJob, AnalysisRequest
from studio.project.fileio import atomic_write_text
from studio.playground.handoff import add_model_command, emit_verilog
from studio.interop.script_export import trace_script
from views.playground.analysis_panel import AnalysisPanel, message_label
from views.playground.precision_panel import format_from
from views.playground.verilog_view import VerilogView

UseInNetwork = Callable[[LibraryModel | ModelSpec, str], str]
POLL_MS = 10


def network_handoff(window) -> UseInNetwork:
    """A "Use in network" callback adding models to ``window.document`` through its undo stack."""

    def use(model: LibraryModel | ModelSpec, base: str) -> str:
        name, command = add_model_command(window.document, model, base=base)
        if command is not None:
            window.document.undo_stack.push(command)
        return name

    return use


class HandoffPanel(AnalysisPanel):
    """The three hand-off buttons and, once asked for, the Verilog of the model beside its fixed-point trace."""

    title = "Hand on"

    def __init__(self, state, use_in_network: UseInNetwork | None = None, parent: QWidget | None = None):
        super().__init__(state, parent)
        self.use_in_network_callback = use_in_network
        self.network_button = QPushButton("Use in network")
        self.network_button.clicked.connect(self.use_in_network)
        if use_in_network is None:
            self.network_button.setEnabled(False)
            self.network_button.setToolTip("Open the playground from a project to add models to it.")
        self.script_button = QPushButton("Export Python script…")
        self.script_button.clicked.connect(self._ask_script_path)
        self.verilog_button = QPushButton("Show Verilog")
        self.verilog_button.clicked.connect(self.show_verilog)
        self.format_edit = QLineEdit("Q8.8")
        self.format_edit.setMaximumWidth(80)
        self.format_edit.editingFinished.connect(self.schedule)
        row = QHBoxLayout()
        for w in (self.network_button, self.script_button, self.verilog_button, QLabel("in"), self.format_edit):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.stale_label)
        self.status = message_label()
        self.verilog = VerilogView()
        self.verilog.hide()
        self.job: AnalysisJob | None = None
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._take_preview)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.verilog, 1)

    def model(self) -> LibraryModel | ModelSpec:
        """The edited model: still a library model (keeping its name) when only parameters changed."""
        lib = self.state.library_model
        return replace(lib, spec=self.state.spec) if lib is not None else self.state.spec

    def refresh(self) -> None:
        """Keep a shown Verilog module up to date with the model."""
        if self.verilog.isVisible():
            self.show_verilog()

    def use_in_network(self) -> str | None:
        """Add the model to the project's models; the name it has there."""
        if self.use_in_network_callback is None or self.state.spec is None:
            return None
        lib = self.state.library_model
        name = self.use_in_network_callback(self.model(), lib.name if lib is not None else "neuron")
        self.status.setText(f"The project's model <b>{name}</b> is this model; populations can use it now.")
        return name

    def _ask_script_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Python script", "neuron_trace.py", "Python (*.py)")
        if path:
            self.export_script(path)

    def export_script(self, path: str | Path) -> Path | None:
        """Write the script that reproduces the current trace to ``path``."""
        try:
            arguments = self.state.trace_arguments()
            lib = self.state.library_model
            text = trace_script(arguments.pop("model"), title=lib.name if lib is not None else "neuron",
                                **arguments)
            atomic_write_text(path, text)
        except (NeuroCoreError, OSError) as exc:
            self.status.setText(f"Export failed: {exc}")
            return None
        self.status.setText(f"Wrote {path}; run it with <tt>python {Path(path).name} --out trace.npz</tt>.")
        return Path(path)

    def show_verilog(self) -> None:
        """Emit the module in the chosen format, with its fixed-point trace (or why it cannot be emitted), on a
        worker; the view shows it when it is done."""
        if self.state.spec is None:
            return
        self.verilog.show()
        try:
            fmt = format_from(self.format_edit.text(), "saturate", "truncate")
            arguments = self.state.trace_arguments()
            lib = self.state.library_model
            module = f"nc_{lib.name}" if lib is not None else None
        except NeuroCoreError as exc:
            self.verilog.show_failure(str(exc))
            return
        if self.job is not None:
            self.job.cancel()  # its result is discarded
        model = arguments.pop("model")
        request = AnalysisRequest(emit_verilog, (model, fmt), dict(arguments, module=module), "Verilog")
        self.job = AnalysisJob(request).start()
        self._poll.start()

    def _take_preview(self) -> None:
        job = self.job
        if job is None or not job.finished:
            return
        self._poll.stop()
        self.job = None
        if job.state == "done":
            self.verilog.show_preview(job.result)
        elif job.state == "failed":  # a LoweringError names the statement and the operation
            self.verilog.show_failure(job.error)
