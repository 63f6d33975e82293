"""Live scopes of a run: spike raster, population rate, state traces, ISI/CV (pyqtgraph)."""

from views.scopes.scope_panel import ScopePanel

__all__ = ["ScopePanel"]
