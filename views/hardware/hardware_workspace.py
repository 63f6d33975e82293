"""The hardware as the "hardware" workspace of the main window (:class:`views.workspace.Workspace`).

The panel is built for the window's document when the workspace first comes
to the front (generating a core is not free); a new or opened document resets
it (and builds it again at once when the workspace is in front).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QWidget

from studio.document.document import Document
from views.hardware.hardware_panel import HardwarePanel
from views.workspace import placeholder


class HardwareWorkspace:
    """The hardware of the window's document; ``modified()`` says whether it has unsaved changes, ``log``
    takes the panel's log lines.

    Attributes
    ----------
    panel : HardwarePanel | None
        The panel, ``None`` until first built (and after a new document, until shown again).
    """

    name, title = "hardware", "Hardware"
    docks: tuple[str, ...] = ()
    toolbars: tuple[str, ...] = ()

    def __init__(self, modified: Callable[[], bool], log: Callable[[list], None]):
        self.document: Document | None = None
        self.modified = modified
        self.log = log
        self.panel: HardwarePanel | None = None
        self._front = False
        self._placeholder = placeholder(self.name)

    def widget(self) -> QWidget:
        return self.panel if self.panel is not None else self._placeholder

    def activate(self) -> None:
        self._front = True
        if self.panel is None:
            self.panel = HardwarePanel(self.document, self.modified)
            self.panel.log.connect(self.log)

    def deactivate(self) -> None:
        self._front = False

    def set_document(self, document: Document) -> bool:
        self.document = document
        if self.panel is not None:
            self.panel.close_document()
            self.panel.deleteLater()  # after the window has put the placeholder in its tab
            self.panel = None
            if self._front:
                self.activate()
        return False
