"""The HIL telemetry panel as the "hil" workspace of the main window (:class:`views.workspace.Workspace`).

The panel is made for the window's document when the workspace first comes to the
front; it reads the project file (the document's own when saved, else a snapshot of
what is on screen).  A new or opened document closes the panel's session (its
recording stays on disk) and makes a new panel when the workspace is in front.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from typing import Callable

from PySide6.QtWidgets import QLabel, QWidget

from engine.errors import NeuroCoreError
from studio.document.document import Document
from studio.hardware.hardware_job import project_file
from views.hil.hil_panel import HilPanel, recordings_folder
from views.workspace import placeholder


class HilWorkspace:
    """The HIL panel of the window's document; ``modified()`` says whether the document has unsaved changes.

    Attributes
    ----------
    panel : HilPanel | None
        The panel, ``None`` until first shown (and after a new document, until shown again).
    """

    name, title = "hil", "HIL"
    docks: tuple[str, ...] = ()
    toolbars: tuple[str, ...] = ()

    def __init__(self, modified: Callable[[], bool]):
        self.document: Document | None = None
        self.modified = modified
        self.panel: HilPanel | None = None
        self._front = False
        self._placeholder = placeholder(self.name)
        self._folder = tempfile.mkdtemp(prefix="ncstudio-hil-")  # snapshots of the unsaved document
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)

    def widget(self) -> QWidget:
        return self.panel if self.panel is not None else self._placeholder

    def activate(self) -> None:
        self._front = True
        if self.panel is None and self.document is not None:
            try:
                path = project_file(self.document, self.modified(), self._folder)
            except (NeuroCoreError, OSError) as exc:
                self._placeholder = QLabel(f"The project cannot be written for the HIL session: {exc}")
                self._placeholder.setObjectName(self.name)
                return
            self.panel = HilPanel(str(path), folder=recordings_folder(self.document.path))

    def deactivate(self) -> None:
        self._front = False

    def set_document(self, document: Document) -> bool:
        self.document = document
        if self.panel is not None:
            self.panel.close_session()
            self.panel.deleteLater()  # after the window has put the placeholder in its tab
            self.panel = None
            if self._front:
                self.activate()
        return False
