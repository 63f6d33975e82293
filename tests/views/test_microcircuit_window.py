"""The cortical microcircuit example in the studio: its eight populations on the canvas, live scopes while it
runs, and the raster saying when neurons share a pixel row."""

import re

import numpy as np

from engine.run.simulation import Chunk
from studio.document.document import Document
from tests.example_projects import MICROCIRCUIT_POPULATIONS, small_microcircuit
from tests.views.helpers import make_window
from views.scopes import ScopePanel


def test_the_microcircuit_shows_its_eight_populations_and_its_scopes_stay_live_while_it_runs(qtbot, tmp_path):
    window = make_window(qtbot, Document.open(small_microcircuit(tmp_path, 0.02)))
    document = window.document
    populations = [name for name, node in document.nodes.items() if node.kind == "population"]
    assert populations == MICROCIRCUIT_POPULATIONS
    assert all(name in window.scene.nodes for name in populations)
    # the projections: every pair of populations with a connection probability above zero
    assert sum(edge.kind != "device" for edge in document.edges.values()) == 55
    toolbar, scopes = window.run_toolbar, window.scopes
    toolbar.duration.setEditText("2 s")
    toolbar.run_action.trigger()
    qtbot.waitUntil(lambda: toolbar.state == "running" and scopes.data.received > 0, timeout=60_000)
    frames = scopes.frames
    qtbot.waitUntil(lambda: scopes.frames > frames and toolbar.state == "running", timeout=30_000)
    toolbar.stop()
    qtbot.waitUntil(lambda: toolbar.state in ("finished", "stopped", "idle") and not toolbar.timer.isActive(),
                    timeout=30_000)
    assert list(scopes.data.sizes) == MICROCIRCUIT_POPULATIONS and sum(scopes.data.sizes.values()) == 1544
    scopes.tabs.setCurrentWidget(scopes.raster)
    scopes.raster.invalidate()
    scopes.refresh()
    rows = scopes.raster.view.height() * scopes.raster.devicePixelRatioF()
    assert rows < 1544  # more neurons than pixel rows: the raster merges them and says so
    assert re.search(r"raster: up to \d+ neurons per pixel row, not every spike drawn — zoom in to see each$",
                     scopes.status.text())


def _raster_status(qtbot, sizes: dict[str, int]) -> str:
    panel = ScopePanel()
    panel.timer.stop()
    qtbot.addWidget(panel)
    panel.configure(sizes)
    panel.resize(900, 600)
    panel.show()
    qtbot.waitExposed(panel)
    panel.feed([Chunk(0.0, 100.0, {name: (np.array([5.0, 50.0]), np.array([0, size - 1], np.int32))
                                   for name, size in sizes.items()}, {})])
    panel.raster.invalidate()
    panel.refresh()
    return panel.status.text()


def test_the_raster_says_when_neurons_share_a_pixel_row(qtbot):
    assert _raster_status(qtbot, {"E": 60, "I": 20}) == "t = 0.10 s   4 spikes"
    status = _raster_status(qtbot, {"L23E": 20683, "L4E": 21915})
    assert re.fullmatch(r"t = 0\.10 s   4 spikes   raster: up to \d+ neurons per pixel row, not every spike drawn "
                        r"— zoom in to see each", status)
