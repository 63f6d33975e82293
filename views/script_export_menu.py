"""File → Export Script ▸ NEST / PyNN / Brian2 / Python…: the open project as a script for another simulator."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from engine.errors import NeuroCoreError
from studio.cli.subcommands import EXPORTERS
from studio.document.document import Document

LABELS = {"nest": "&NEST Script…", "pynn": "&PyNN Script…", "brian2": "&Brian2 Script…",
          "python": "P&ython Script (this engine)…"}


class ScriptExportMenu:
    """The submenu; each action writes the document as it stands (unsaved edits included)."""

    def __init__(self, window: QWidget, document: Callable[[], Document]):
        self.window, self.document = window, document
        self.menu = QMenu("Export &Script", window)
        self.menu.setStatusTip("Write the network as a script for NEST, PyNN, Brian2 or this engine")
        self.actions = {}
        for target, label in LABELS.items():
            self.actions[target] = self.menu.addAction(label)
            self.actions[target].triggered.connect(partial(self.export, target))

    def export(self, target: str, path: str | Path | None = None) -> Path | None:
        """Write the ``target`` script to ``path`` (asked for when ``None``); ``None`` if cancelled or refused
        (the refusal is shown)."""
        document = self.document()
        stem = Path(document.path).stem if document.path else "network"
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export script", f"{stem}_{target}.py",
                                                  "Python script (*.py)")
            if not path:
                return None
        try:
            return EXPORTERS[target](document.to_project(), path)
        except (NeuroCoreError, OSError) as exc:
            QMessageBox.warning(self.window, "Export script", str(exc))
            return None
