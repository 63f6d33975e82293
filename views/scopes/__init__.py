"""Live scopes of a run: spike raster, population rate, state traces, ISI/CV (pyqtgraph)."""

from views.scopes.qt_scopes import QtScopes

__all__ = ["QtScopes"]
