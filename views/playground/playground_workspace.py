"""The playground as the "playground" workspace of the main window (:class:`views.workspace.Workspace`).

The view is built when the workspace first comes to the front (so the network
workspace does not pay for it), or at once for a document that holds a single
neuron, which asks to open in the playground.  It shows none of the network's
docks and leaves the run toolbar disabled.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.models import LIBRARY
from studio.document.document import Document
from studio.playground.playground_state import PlaygroundState, playground_from_project
from views.playground.handoff_panel import UseInNetwork
from views.playground.panels import install_panels
from views.playground.playground_view import PlaygroundView
from views.workspace import placeholder

DEFAULT_MODEL = "lif"


class PlaygroundWorkspace:
    """The playground; ``use_in_network`` adds a model to the window's document (undoably).

    Attributes
    ----------
    view : PlaygroundView | None
        The playground, ``None`` until first built.
    """

    name, title = "playground", "Playground"
    docks: tuple[str, ...] = ()
    toolbars: tuple[str, ...] = ()

    def __init__(self, use_in_network: UseInNetwork):
        self.use_in_network = use_in_network
        self.view: PlaygroundView | None = None
        self._placeholder = placeholder(self.name)

    def widget(self) -> QWidget:
        return self.view if self.view is not None else self._placeholder

    def activate(self) -> None:
        if self.view is None:
            self._build(PlaygroundState(LIBRARY[DEFAULT_MODEL]))

    def deactivate(self) -> None:
        pass

    def set_document(self, document: Document) -> bool:
        """A document holding a single neuron gets a new playground on that neuron and asks for the front; for
        any other the playground keeps what it shows."""
        state = playground_from_project(document.to_project())
        if state is None:
            return False
        self._build(state)
        return True

    def open(self, state: PlaygroundState) -> None:
        """Show ``state`` (a model handed over from the network) in a new playground."""
        self._build(state)

    def _build(self, state: PlaygroundState) -> None:
        if self.view is not None:
            self.view.deleteLater()  # after the window has put the new view in its tab
        self.view = PlaygroundView(state)
        install_panels(self.view, self.use_in_network)
