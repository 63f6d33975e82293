"""Every plot of the window follows View → Theme: background, axes and grid, and items in the text colour, live."""

from __future__ import annotations

import pyqtgraph as pg

from studio.document.document import Document
from tests.views.helpers import CUBA, make_window
from views.hardware.cosim_raster import CosimRaster
from views.playground.trace_panel import TracePanel
from views.scopes.scope import Scope


def plots(window) -> list[pg.GraphicsView]:
    return window.findChildren(pg.GraphicsView)


def plot_items(view: pg.GraphicsView) -> list[pg.PlotItem]:
    if isinstance(view, pg.PlotWidget):
        return [view.getPlotItem()]
    return [item for item in view.ci.items if isinstance(item, pg.PlotItem)]


def shades(window) -> tuple[set[bool], set[bool], set[bool]]:
    """Whether each background, each axis pen and each tick-text pen is dark (lightness below half)."""
    backgrounds, axes, texts = set(), set(), set()
    for view in plots(window):
        backgrounds.add(view.backgroundBrush().color().lightness() < 128)
        for plot in plot_items(view):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axes.add(axis.pen().color().lightness() < 128)
                texts.add(axis.textPen().color().lightness() < 128)
    return backgrounds, axes, texts


def test_every_plot_of_the_window_follows_the_theme(qtbot):
    window = make_window(qtbot, Document.open(CUBA))
    window.set_workspace("playground")
    window.set_workspace("hardware")
    hardware = window.workspace("hardware").panel
    hardware.close_document()  # its raster is made; the generation of the core is not needed here
    window.set_workspace("network")
    views = plots(window)
    owners = {type(view.parent()) for view in views}
    assert any(issubclass(owner, Scope) for owner in owners)  # the network's scopes
    assert TracePanel in owners and CosimRaster in owners  # the playground's panels, the hardware raster
    assert len(views) >= 10

    rings = window.workspace("hardware").panel.findChild(CosimRaster).rtl  # drawn in the theme's text colour

    window.set_theme("dark")
    assert shades(window) == ({True}, {False}, {False})  # dark backgrounds, light axes and tick labels
    assert rings.opts["pen"].color().lightness() > 128
    window.set_theme("light")
    assert shades(window) == ({False}, {True}, {True})
    assert rings.opts["pen"].color().lightness() < 128
    window.set_theme("dark")
    assert shades(window) == ({True}, {False}, {False})


def test_a_plot_made_under_the_dark_theme_is_dark(qtbot):
    window = make_window(qtbot, Document.open(CUBA))
    window.set_theme("dark")
    window.set_workspace("playground")  # its panels are made now
    assert shades(window) == ({True}, {False}, {False})
