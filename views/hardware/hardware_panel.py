"""The hardware workspace: the network core generated from the document, its manifest, its co-simulation, the board.

:class:`HardwarePanel` generates the core of the document's project on a worker
when it is made (and on *Regenerate*), shows its Verilog one module at a time
(:class:`~views.hardware.module_tree.ModuleTree`), its manifest and resource
estimate (:class:`~views.hardware.manifest_view.ManifestView`), runs
co-simulations (:class:`~views.hardware.cosim_panel.CosimPanel`) and, on a
board, estimates, builds and programs it
(:class:`~views.hardware.board_panel.BoardPanel`).  The hardware reads a
project file: the document's own when it is saved, else a snapshot of what is
on screen (:func:`studio.hardware.hardware_job.project_file`).  A project the
hardware cannot take shows the reason here, and on :attr:`HardwarePanel.log`.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from html import escape
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from engine.errors import NeuroCoreError
from studio.document.document import Document
from studio.document.events import PathChanged
from studio.hardware.deploy_flow import DeployRequest
from studio.hardware.hardware_flow import CosimRequest
from studio.hardware.hardware_job import GenerateRequest, HardwareJob, manifest_totals, project_file
from views.hardware.board_panel import BoardPanel
from views.hardware.cosim_panel import CosimPanel
from views.hardware.job_runner import JobRunner
from views.hardware.manifest_view import ManifestView
from views.hardware.module_tree import ModuleTree
from views.theme import follow_theme


class HardwarePanel(QWidget):
    """The hardware workspace of ``document``; ``modified()`` tells whether it has unsaved changes.

    Signals
    -------
    log(list)
        Lines for the window's log (failures, verdicts).
    """

    log = Signal(list)

    def __init__(self, document: Document, modified: Callable[[], bool] = lambda: False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hardware")
        self.document = document
        self.modified = modified
        self.design = None
        self.error = ""
        self.stale = False
        self._folder = tempfile.mkdtemp(prefix="ncstudio-hardware-")  # snapshots of the unsaved document
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)
        self.generator = JobRunner(self)
        self.generator.ended.connect(self._generated)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel()
        self.message.setObjectName("hardware_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Generate the core again from the project as it is now")
        self.regenerate_button.clicked.connect(self.generate)
        self.modules = ModuleTree()
        self.manifest = ManifestView()
        self.cosim = CosimPanel()
        self.cosim.requested.connect(self.cosimulate)
        self.cosim.failed.connect(lambda message: self.log.emit([f"hardware: co-simulation failed: {message}"]))
        self.cosim.runner.ended.connect(self._cosimulated)
        self.board = BoardPanel(lambda: (self.document.to_project(), self.document.title))
        self.board.requested.connect(self.deploy)
        self.board.finished.connect(self.log)
        self.bottom = QTabWidget()
        self.bottom.setDocumentMode(True)
        self.bottom.addTab(self.cosim, "Co-simulation")
        self.bottom.addTab(self.board, "Board: build && deploy")
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.message, 1)
        header.addWidget(self.regenerate_button)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.modules)
        top.addWidget(self.manifest)
        top.setStretchFactor(0, 1)
        top.setSizes([930, 490])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(self.bottom)
        body.setSizes([390, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addWidget(body, 1)
        document.events.connect(self._on_event)
        self.destroyed.connect(lambda *_, cb=self._on_event, events=document.events: events.disconnect(cb))
        self.destroyed.connect(lambda *_, cleanup=self._cleanup: cleanup())
        self.generate()

    @property
    def busy(self) -> bool:
        """Whether a generation, a co-simulation or a build and deploy is running."""
        return self.generator.running or self.cosim.running or self.board.running

    # -- generation ------------------------------------------------------------------------------------
    def _project(self) -> str:
        return str(project_file(self.document, self.modified(), self._folder))

    def generate(self) -> HardwareJob | None:
        """Generate the core of the document as it is now, on a worker."""
        try:
            path = self._project()
        except (NeuroCoreError, OSError) as exc:
            self._show_error(f"cannot write the project for the hardware: {exc}")
            return None
        self.stale = False
        self._set_title(generating=True)
        self.message.setText("generating the core…")
        follow_theme(self.message, lambda c: "")
        self.regenerate_button.setEnabled(False)
        return self.generator.start(GenerateRequest(path))

    def _generated(self, job: HardwareJob) -> None:
        self.regenerate_button.setEnabled(True)
        if job.state != "done":
            self.design = None
            self.modules.clear()
            self._show_error(job.error or "generation cancelled")
            self.manifest.show_message("No core: " + (job.error or "generation cancelled"))
            self.cosim.set_available(job.error or "generation cancelled")
            self._set_title()
            return
        self.design = design = job.result
        self.error = ""
        self.modules.show_verilog(design.files[design.verilog_name])
        self.manifest.show_manifest(design.manifest)
        self.cosim.set_available(None)
        self._set_title()
        follow_theme(self.message, lambda c: f"color: {c.muted.name()}")
        snapshot = "" if str(job.request.path) == str(self.document.path) else " (from the unsaved project)"
        self.message.setText(f"{len(self.modules.modules)} modules, "
                             f"{len(design.files[design.verilog_name].splitlines()):,} lines of Verilog, "
                             f"generated in {job.seconds:.1f} s{snapshot}")

    def _set_title(self, generating: bool = False) -> None:
        name = escape(self.document.title)
        if self.design is None:
            self.title.setText(f"<b>{name}</b>")
            return
        totals = manifest_totals(self.design.manifest)
        fmt = self.design.manifest.get("format", {}).get("name", "")
        self.title.setText(f"<b>{name}</b> — core <code>{escape(self.design.top)}</code>, {escape(fmt)}, "
                           f"{totals['neurons']:,} neurons, {totals['synapses']:,} synapses")

    def _show_error(self, message: str) -> None:
        self.error = message
        self.message.setText(message)
        follow_theme(self.message, lambda c: f"color: {c.error.name()}")
        self.log.emit([f"hardware: {message}"])

    def _on_event(self, event) -> None:
        if isinstance(event, PathChanged):
            return
        self.board.schedule_estimate()
        if not self.stale and not self.generator.running:
            self.stale = True
            self.message.setText("The project changed since the core was generated: press Regenerate.")
            follow_theme(self.message, lambda c: "")

    # -- co-simulation ---------------------------------------------------------------------------------
    def cosimulate(self, duration: float) -> HardwareJob | None:
        """Co-simulate the document as it is now for ``duration`` simulated seconds, on a worker."""
        try:
            path = self._project()
        except (NeuroCoreError, OSError) as exc:
            self.cosim.fail(f"cannot write the project for the hardware: {exc}")
            return None
        self.log.emit([f"hardware: co-simulating {self.document.title} for {duration * 1e3:g} ms"])
        return self.cosim.start(CosimRequest(path, duration))

    def _cosimulated(self, job: HardwareJob) -> None:
        if job.state == "done":
            s = job.result.summary()
            verdict = "bit-exact" if s["bit_exact"] else f"diverges: {s['first_divergence']}"
            self.log.emit([f"hardware: co-simulation {verdict} ({s['steps']} steps, {s['spikes_rtl']} spikes)"])
        elif job.state == "cancelled":
            self.log.emit(["hardware: co-simulation cancelled"])

    # -- build and deploy ------------------------------------------------------------------------------
    def deploy(self, board: str, fmt, flash: bool) -> HardwareJob | None:
        """Build the document as it is now for ``board`` in ``fmt`` and program it, in a worker process."""
        try:
            path = self._project()
        except (NeuroCoreError, OSError) as exc:
            self.board.fail(f"cannot write the project for the hardware: {exc}")
            return None
        self.log.emit([f"hardware: building {self.document.title} for the {board}"])
        return self.board.start(DeployRequest(path, board, fmt, flash, speed=True))

    def close_document(self) -> None:
        """Drop running work (the window shows another document)."""
        self.generator.drop()
        self.cosim.drop()
        self.board.drop()
        self._cleanup()
