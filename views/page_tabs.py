"""A tab widget sized by the page in front only.

A plain :class:`QTabWidget` asks for the largest minimum size of all its
pages, shown or not: the playground's wide panels, hidden behind the graph
editor, made the window grow and squeezed the docks.  Here every page but
the current one has an ``Ignored`` size policy, so its hints do not count.
"""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QTabWidget, QWidget


class PageTabs(QTabWidget):
    """A :class:`QTabWidget` whose size hints are those of the current page (and its tab bar)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tabBar().currentChanged.connect(self._fit)  # the bar's signal also comes while the tabs' are blocked

    def tabInserted(self, index: int) -> None:
        super().tabInserted(index)
        self._fit()

    def tabRemoved(self, index: int) -> None:
        super().tabRemoved(index)
        self._fit()

    def _fit(self, *_) -> None:
        current = self.currentWidget()
        for index in range(self.count()):
            page = self.widget(index)
            policy = QSizePolicy.Policy.Preferred if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.updateGeometry()
