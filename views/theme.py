"""Light and dark themes that follow the platform, or a choice kept in QSettings.

The application uses the Fusion style with a palette per theme; views read
their colours from :func:`colors` so the graph and the scopes match.  Every
pyqtgraph plot is styled by :func:`style_plots`, and every widget coloured by a
style sheet by :func:`follow_theme`; both restyle whenever :func:`apply_theme`
changes the theme (:func:`theme_events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

THEMES = ("auto", "light", "dark")


@dataclass(frozen=True)
class Colors:
    """The colours the custom-drawn views use."""

    dark: bool
    canvas: QColor
    grid: QColor
    node: QColor
    node_border: QColor
    text: QColor
    muted: QColor
    selection: QColor
    edge: QColor
    inhibitory: QColor
    error: QColor
    population: QColor
    generator: QColor
    recorder: QColor


_LIGHT = Colors(False, QColor("#f4f5f7"), QColor("#e3e5e8"), QColor("#ffffff"), QColor("#9aa0a8"),
                QColor("#1d2126"), QColor("#5f6670"), QColor("#2f7de1"), QColor("#6b7380"), QColor("#c8443c"),
                QColor("#c62828"), QColor("#3b78c4"), QColor("#d98b23"), QColor("#3f9c5a"))
_DARK = Colors(True, QColor("#1e2024"), QColor("#2a2d33"), QColor("#2d3036"), QColor("#5a606a"),
               QColor("#e6e8eb"), QColor("#a4aab3"), QColor("#5aa2ff"), QColor("#8e96a3"), QColor("#ef6b62"),
               QColor("#ff6b6b"), QColor("#5b9be6"), QColor("#f0a543"), QColor("#5fc07c"))


def platform_is_dark() -> bool:
    """Whether the platform asks for a dark colour scheme."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(theme: str) -> bool:
    """Whether ``theme`` ("auto", "light" or "dark") is dark here."""
    return theme == "dark" or (theme == "auto" and platform_is_dark())


def colors() -> Colors:
    """The colours of the theme in use (read from the application palette)."""
    app = QApplication.instance()
    dark = app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    return _DARK if dark else _LIGHT


def _dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, c in ((role.Window, "#26282c"), (role.WindowText, "#e6e8eb"), (role.Base, "#1e2024"),
                 (role.AlternateBase, "#2a2d32"), (role.ToolTipBase, "#2d3036"), (role.ToolTipText, "#e6e8eb"),
                 (role.PlaceholderText, "#8a9099"), (role.Text, "#e6e8eb"), (role.Button, "#2f3237"),
                 (role.ButtonText, "#e6e8eb"), (role.BrightText, "#ff6b6b"), (role.Link, "#5aa2ff"),
                 (role.Highlight, "#3d6fb5"), (role.HighlightedText, "#ffffff"), (role.Mid, "#3a3d43"),
                 (role.Dark, "#17191c"), (role.Light, "#3d4047"), (role.Shadow, "#0b0c0e")):
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#6c727b"))
    return p


def apply_theme(app: QApplication, theme: str) -> None:
    """Fusion style with the light or dark palette of ``theme``."""
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if is_dark(theme) else app.style().standardPalette())
    theme_events().changed.emit()


class ThemeEvents(QObject):
    """``changed`` is emitted after :func:`apply_theme` installed a theme."""

    changed = Signal()


_events: ThemeEvents | None = None


def theme_events() -> ThemeEvents:
    """The one :class:`ThemeEvents` of the application."""
    global _events
    if _events is None:
        _events = ThemeEvents()
    return _events


class _StyleFollower(QObject):
    """Gives its parent widget the style sheet of the theme in use, now and at each theme change."""

    def __init__(self, widget: QWidget, style: Callable[[Colors], str]):
        super().__init__(widget)
        self.widget, self.style = widget, style
        theme_events().changed.connect(self.restyle)

    def restyle(self) -> None:
        self.widget.setStyleSheet(self.style(colors()))


def follow_theme(widget: QWidget, style: Callable[[Colors], str]) -> None:
    """Style ``widget`` with ``style(colors())`` (a style sheet from the theme's colours, e.g.
    ``lambda c: f"color: {c.muted.name()};"``), now and after every theme change, for as long as it lives;
    a later call replaces the style."""
    follower = widget.findChild(_StyleFollower, options=Qt.FindChildOption.FindDirectChildrenOnly)
    if follower is None:
        follower = _StyleFollower(widget, style)
    follower.style = style
    follower.restyle()


def style_legend(legend: pg.LegendItem) -> None:
    """``legend`` on a translucent canvas, in the theme's text colour."""
    theme = colors()
    fill = QColor(theme.canvas)
    fill.setAlpha(200)
    legend.setBrush(pg.mkBrush(fill))
    legend.setLabelTextColor(theme.text)


def _recolor(plot: pg.PlotItem, old: Colors, new: Colors) -> None:
    """Give the items of ``plot`` drawn in ``old``'s text or muted colour ``new``'s (population and error
    colours read on both themes and stay)."""
    swap = {old.text.rgba(): new.text, old.muted.rgba(): new.muted}

    def swapped(color: QColor) -> QColor | None:
        return swap.get(color.rgba())

    for item in plot.items:
        if isinstance(item, pg.PlotDataItem):
            pen, brush = pg.mkPen(item.opts["pen"]), item.opts["symbolBrush"]
            if swapped(pen.color()):
                pen.setColor(swapped(pen.color()))
                item.setPen(pen)
            if brush is not None and swapped(pg.mkBrush(brush).color()):
                item.setSymbolBrush(swapped(pg.mkBrush(brush).color()))
        elif isinstance(item, (pg.ScatterPlotItem, pg.PlotCurveItem, pg.InfiniteLine)):
            pen = QPen(item.pen if isinstance(item, pg.InfiniteLine) else pg.mkPen(item.opts["pen"]))
            if swapped(pen.color()):
                pen.setColor(swapped(pen.color()))
                item.setPen(pen)


def _style_plot_item(plot: pg.PlotItem) -> None:
    theme = colors()
    for side in plot.axes:
        axis = plot.getAxis(side)
        axis.setPen(theme.muted)  # the grid lines are drawn in the axis pen
        axis.setTextPen(theme.text)
    if plot.titleLabel.isVisible():
        plot.setTitle(plot.titleLabel.text, color=theme.text)
    if plot.legend is not None:
        style_legend(plot.legend)


class _PlotStyler(QObject):
    """Restyles the plots of its parent widget at each theme change (and goes with the widget)."""

    def __init__(self, widget: pg.GraphicsView):
        super().__init__(widget)
        self.widget = widget
        self.styled = colors()
        theme_events().changed.connect(self.restyle)

    def restyle(self) -> None:
        new = colors()
        self.widget.setBackground(new.canvas)
        layout = self.widget.getPlotItem() if isinstance(self.widget, pg.PlotWidget) else self.widget.ci
        plots = [layout] if isinstance(layout, pg.PlotItem) else [i for i in layout.items if isinstance(i, pg.PlotItem)]
        for plot in plots:
            _style_plot_item(plot)
            if new != self.styled:
                _recolor(plot, self.styled, new)
        self.styled = new


def style_plots(widget: pg.PlotWidget | pg.GraphicsLayoutWidget) -> None:
    """Draw ``widget``'s background, axes, grid, title and legend in the theme's colours, now and after every
    theme change, and then swap the old theme's text and muted colours for the new one's in its items (plots
    added to a layout later are styled at the next change, or by calling this again)."""
    styler = widget.findChild(_PlotStyler)
    (styler or _PlotStyler(widget)).restyle()
