"""The network as the "network" workspace of the main window (:class:`views.workspace.Workspace`): the graph
editor, with the palette, inspector, scopes and problems docks and the run toolbar.

The window keeps the scene, the inspector and the run: they follow its
document, so this workspace only names what it shows.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from studio.document.document import Document
from views.graph.view import GraphView


class NetworkWorkspace:
    """The graph editor ``view`` as a workspace."""

    name, title = "network", "Network"
    docks = ("palette", "inspector", "scopes", "problems_and_log")
    toolbars = ("run_toolbar",)

    def __init__(self, view: GraphView):
        self.view = view

    def widget(self) -> QWidget:
        return self.view

    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        pass

    def set_document(self, document: Document) -> bool:
        return False
