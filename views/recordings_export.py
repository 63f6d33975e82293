"""File → Export recordings…: the last finished run's spikes and traces as a Neo NIX file or NumPy arrays."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from studio.interop.neo_recordings import RecordingsError, save_recordings
from views.run_toolbar import RunToolbar

FILTERS = "Neo NIX file (*.nix);;NumPy arrays (*.npz)"


class RecordingsExport:
    """The action, enabled while the run toolbar holds a finished run."""

    def __init__(self, window: QWidget, toolbar: RunToolbar):
        self.window, self.toolbar = window, toolbar
        self.action = QAction("Export &Recordings…", window, enabled=False,
                              statusTip="Save the last finished run's spikes and traces for Elephant or NumPy")
        self.action.triggered.connect(lambda: self.export())
        toolbar.state_changed.connect(self._update)

    def _finished_simulation(self):
        session = self.toolbar.session
        if session is None or session.state != "finished":
            return None
        return session.simulation

    def _update(self, _state: str = "") -> None:
        self.action.setEnabled(self._finished_simulation() is not None)

    def export(self, path: str | Path | None = None) -> Path | None:
        """Write the finished run to ``path`` (asked for when ``None``); ``None`` if cancelled or refused."""
        sim = self._finished_simulation()
        if sim is None:
            return None
        document = self.toolbar.document()
        name = Path(document.path).stem if document.path else "run"
        if path is None:
            path, chosen = QFileDialog.getSaveFileName(self.window, "Export recordings", f"{name}.nix", FILTERS)
            if not path:
                return None
            if not Path(path).suffix:
                path += ".npz" if "npz" in chosen else ".nix"
        try:
            return save_recordings(path, sim, name)
        except (RecordingsError, OSError) as exc:
            QMessageBox.warning(self.window, "Export recordings", str(exc))
            return None
