"""The playground as the "playground" workspace of the main window.

:func:`install_playground` gives the window a *Playground* tab.  The
workspace is built when it is first shown (so the network workspace does not
pay for it), or at once for a document that holds a single neuron, which
opens in the playground.  While the playground is in front, the docks of the
network workspace step aside.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.models import LIBRARY
from studio.playground.playground_state import PlaygroundState, playground_from_project
from views.playground.panels import install_panels
from views.playground.handoff_panel import network_handoff
from views.playground.playground_view import PlaygroundView
from views.workspace_tabs import replace_tab, tab_index

NAME, TITLE = "playground", "Playground"
DEFAULT_MODEL = "lif"


def install_playground(window) -> PlaygroundView | None:
    """Add (once) the playground tab to ``window.workspaces`` and follow ``window.document``.

    A document holding a single neuron gets a new playground on that neuron,
    brought to the front; for any other document the playground keeps what
    it shows.  Returns ``window.playground`` (``None`` until first built).
    """
    tabs = window.workspaces
    if _index(window) is None:
        placeholder = QWidget()
        placeholder.setObjectName(NAME)
        tabs.addTab(placeholder, TITLE)
        window.hidden_docks = []
        window.docks_aside = False
        tabs.currentChanged.connect(lambda _: _shown(window))
    state = playground_from_project(window.document.to_project())
    if state is not None:
        _build(window, state)
        tabs.setCurrentIndex(_index(window))
    return window.playground


def _index(window) -> int | None:
    return tab_index(window.workspaces, NAME)


def _build(window, state: PlaygroundState) -> PlaygroundView:
    playground = PlaygroundView(state)
    install_panels(playground, network_handoff(window))
    replace_tab(window.workspaces, NAME, playground, TITLE).deleteLater()
    window.playground = playground
    return playground


def _shown(window) -> None:
    """Build the playground when its tab first comes to the front; the network docks step aside while any
    workspace other than the network (the first tab) is in front."""
    tabs = window.workspaces
    front = tabs.currentIndex() == _index(window)
    if front and window.playground is None:
        _build(window, PlaygroundState(LIBRARY[DEFAULT_MODEL]))
    aside = tabs.currentIndex() != 0
    if aside == window.docks_aside:
        return
    window.docks_aside = aside
    docks = (window.palette_dock, window.inspector_dock, window.scopes_dock, window.problems_dock)
    if aside:
        window.statusBar().clearMessage()
        window.hidden_docks = [d for d in docks if not d.isHidden()]
        for dock in window.hidden_docks:
            dock.hide()
    else:
        for dock in window.hidden_docks:
            dock.show()
        window.hidden_docks = []
