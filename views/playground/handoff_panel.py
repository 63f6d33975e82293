"""Buttons that hand the playground's model on: into the network and to a Python script.

"Use in network" calls a callback the main window provides
(:func:`network_handoff` makes one from a window with a ``document``): the model goes into the project's model list as one undoable
edit.  "Export Python script" writes a standalone script that reproduces the
trace (:mod:`studio.interop.script_export`).  The model's Verilog has its own
tab (:mod:`views.playground.verilog_panel`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from engine.errors import NeuroCoreError
from engine.equations.model import ModelSpec
from engine.models.base import LibraryModel
from studio.project.fileio import atomic_write_text
from studio.playground.handoff import add_model_command
from studio.interop.script_export import trace_script
from views.playground.analysis_panel import AnalysisPanel, message_label

UseInNetwork = Callable[[LibraryModel | ModelSpec, str], str]


def network_handoff(window) -> UseInNetwork:
    """A "Use in network" callback adding models to ``window.document`` through its undo stack."""

    def use(model: LibraryModel | ModelSpec, base: str) -> str:
        name, command = add_model_command(window.document, model, base=base)
        if command is not None:
            window.document.undo_stack.push(command)
        return name

    return use


class HandoffPanel(AnalysisPanel):
    """The hand-off buttons: "Use in network" and "Export Python script…"."""

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
        row = QHBoxLayout()
        for w in (self.network_button, self.script_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.stale_label)
        self.status = message_label()
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def model(self) -> LibraryModel | ModelSpec:
        """The edited model: still a library model (keeping its name) when only parameters changed."""
        lib = self.state.library_model
        return replace(lib, spec=self.state.spec) if lib is not None else self.state.spec

    def refresh(self) -> None:
        """Nothing to recompute: the buttons act on the model as it is when pressed."""

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
