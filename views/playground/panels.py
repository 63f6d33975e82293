"""The analysis panels of the playground, added to a :class:`~views.playground.playground_view.PlaygroundView`."""

from __future__ import annotations

from views.playground.bifurcation_panel import BifurcationPanel
from views.playground.characterise_panel import CharacterisePanel, FrequencyResponsePanel
from views.playground.fi_curve_panel import FICurvePanel
from views.playground.handoff_panel import HandoffPanel, UseInNetwork
from views.playground.spike_statistics import SpikeStatisticsPanel
from views.playground.phase_plane_panel import PhasePlanePanel
from views.playground.precision_panel import PrecisionPanel
from views.playground.sensitivity_panel import RateMapPanel, SensitivityPanel
from views.playground.verilog_panel import VerilogPanel

PANEL_CLASSES = (PhasePlanePanel, FICurvePanel, BifurcationPanel, SpikeStatisticsPanel, SensitivityPanel, RateMapPanel,
                 CharacterisePanel, FrequencyResponsePanel, PrecisionPanel, VerilogPanel)


def install_panels(playground, use_in_network: UseInNetwork | None = None) -> dict[str, object]:
    """Add every analysis panel and the hand-off buttons to ``playground`` as tabs, the first that has something
    to show for the model in front; the panels by title.

    ``use_in_network`` is the main window's callback for "Use in network"
    (:func:`views.playground.handoff_panel.network_handoff`); without it that button is disabled.
    """
    state = playground.state
    panels = {cls.title: cls(state) for cls in PANEL_CLASSES}
    panels[HandoffPanel.title] = HandoffPanel(state, use_in_network)
    precision = panels[PrecisionPanel.title]
    precision.format_edit.textChanged.connect(panels[VerilogPanel.title].format_edit.setText)
    for title, panel in panels.items():
        playground.add_panel(title, panel)
    playground.show_first_applicable()
    return panels
