"""The analysis panels of the playground, added to a :class:`~views.playground.qt_playground.QtPlayground`."""

from __future__ import annotations

from views.playground.qt_bifurcation import QtBifurcation
from views.playground.qt_fi_curve import QtFICurve
from views.playground.qt_handoff import QtHandoff, UseInNetwork
from views.playground.qt_isi import QtSpikeStatistics
from views.playground.qt_phase_plane import QtPhasePlane
from views.playground.qt_precision import QtPrecision
from views.playground.qt_rate import QtRateMap, QtSensitivity

PANEL_CLASSES = (QtPhasePlane, QtFICurve, QtBifurcation, QtSpikeStatistics, QtSensitivity, QtRateMap, QtPrecision)


def install_panels(playground, use_in_network: UseInNetwork | None = None) -> dict[str, object]:
    """Add every analysis panel and the hand-off buttons to ``playground`` as tabs; the panels by title.

    ``use_in_network`` is the main window's callback for "Use in network"
    (:func:`views.playground.qt_handoff.network_handoff`); without it that button is disabled.
    """
    state = playground.state
    panels = {cls.title: cls(state) for cls in PANEL_CLASSES}
    handoff = panels[QtHandoff.title] = QtHandoff(state, use_in_network)
    precision = panels[QtPrecision.title]
    precision.format_edit.textChanged.connect(handoff.format_edit.setText)
    for title, panel in panels.items():
        playground.add_panel(title, panel)
    return panels
