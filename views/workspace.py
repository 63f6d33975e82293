"""What a workspace of the main window is: the protocol the window hosts its workspaces through.

The window (:class:`views.main_window.MainWindow`) keeps one tab per workspace
and does the switching: when a workspace comes to the front the window calls
:meth:`Workspace.deactivate` on the one leaving and :meth:`Workspace.activate`
on the one arriving, puts the arriving one's :meth:`Workspace.widget` in its
tab, shows the docks it names in ``docks`` (setting the others aside until a
workspace wants them again) and enables the toolbars it names in
``toolbars`` (the others are disabled).  On New and Open the window calls
:meth:`Workspace.set_document` on every workspace.  A workspace never touches
the window's tabs, docks or toolbars itself.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QWidget

from studio.document.document import Document


class Workspace(Protocol):
    """One workspace of the window (network, playground, hardware, HIL).

    Attributes
    ----------
    name
        What ``--workspace`` and :meth:`MainWindow.set_workspace` call it (``"playground"``).
    title
        The tab's title.
    docks
        Object names of the window's docks shown while it is in front.
    toolbars
        Object names of the window's toolbars enabled while it is in front.
    """

    name: str
    title: str
    docks: tuple[str, ...]
    toolbars: tuple[str, ...]

    def widget(self) -> QWidget:
        """What its tab shows now (a placeholder until the workspace is built); the window re-reads it after
        :meth:`activate` and :meth:`set_document`."""

    def activate(self) -> None:
        """It came to the front (build what is not built yet)."""

    def deactivate(self) -> None:
        """It left the front."""

    def set_document(self, document: Document) -> bool:
        """The window shows ``document`` now (New, Open); ``True`` asks to be brought to the front."""


def placeholder(name: str) -> QWidget:
    """An empty widget named ``name``: the tab of a workspace not built yet."""
    widget = QWidget()
    widget.setObjectName(name)
    return widget
