"""The hardware as the "hardware" workspace of the main window.

:func:`install_hardware` gives the window a *Hardware* tab.  The workspace is
built for the window's document when it is first shown (generating a core is
not free); a new or opened document resets it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from views.hardware.hardware_panel import HardwarePanel
from views.workspace_tabs import replace_tab, tab_index

NAME, TITLE = "hardware", "Hardware"


def install_hardware(window) -> None:
    """Add (once) the hardware tab to ``window.workspaces``; reset it for ``window.document``."""
    tabs = window.workspaces
    index = _index(window)
    if index is None:
        tabs.addTab(_placeholder(), TITLE)
        tabs.currentChanged.connect(lambda _: _shown(window))
    elif window.hardware is not None:
        _replace(window, _placeholder())
        window.hardware = None
        _shown(window)


def _placeholder() -> QWidget:
    placeholder = QWidget()
    placeholder.setObjectName(NAME)
    return placeholder


def _index(window) -> int | None:
    return tab_index(window.workspaces, NAME)


def _replace(window, widget: QWidget) -> None:
    old = replace_tab(window.workspaces, NAME, widget, TITLE)
    if isinstance(old, HardwarePanel):
        old.close_document()
    old.deleteLater()


def _shown(window) -> None:
    """Build the workspace when its tab first comes to the front."""
    if window.workspaces.currentIndex() == _index(window) and window.hardware is None:
        hardware = HardwarePanel(window.document, window.is_modified)
        hardware.log.connect(window.problems.append_log)
        _replace(window, hardware)
        window.hardware = hardware
