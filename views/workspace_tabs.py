"""The window's workspace tabs, found by object name and swapped in place (placeholder -> workspace)."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget


def tab_index(tabs: QTabWidget, name: str) -> int | None:
    """The index of the tab whose widget is named ``name``, or None."""
    return next((k for k in range(tabs.count()) if tabs.widget(k).objectName() == name), None)


def replace_tab(tabs: QTabWidget, name: str, widget: QWidget, title: str) -> QWidget:
    """Put ``widget`` where the tab named ``name`` is, keeping the current tab and emitting no signals;
    returns the widget it replaced (the caller disposes of it)."""
    index = tab_index(tabs, name)
    current = tabs.currentIndex()
    old = tabs.widget(index)
    tabs.blockSignals(True)
    tabs.removeTab(index)
    tabs.insertTab(index, widget, title)
    tabs.setCurrentIndex(current)
    tabs.blockSignals(False)
    return old
