"""The HIL workspace (pytest-qt, offscreen) against a board on a real TCP socket: frames drawn, the first
divergence reported, a parameter shown applied only after its read-back, a drop kept and reconnect
offered, a recording replayed, exports written."""

import time
from pathlib import Path

import pytest

from PySide6.QtCore import Qt

from tests.studio.hil_fake_board import FakeBoard
from views.hil.hil_panel import HilPanel

HIL_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj")


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = HilPanel(HIL_DEMO, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.session.engine is not None, timeout=20000)
    yield widget
    widget.close_session()


@pytest.fixture
def board():
    fake = FakeBoard(HIL_DEMO)
    yield fake
    fake.close()


def connected(qtbot, panel, address):
    panel.connect_board(address)
    qtbot.waitUntil(lambda: panel.session.state == "connected", timeout=10000)
    assert panel.state_label.text().startswith(f"Connected to {address} — recording to hil-")
    assert panel.run_button.isEnabled() and not panel.reconnect_button.isVisible()


def test_the_panel_draws_the_boards_spikes_over_the_engines(qtbot, panel, board):
    connected(qtbot, panel, board.address)
    panel.steps.setValue(2000)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 2000 and panel.session.prediction.steps >= 2000,
                    timeout=20000)
    qtbot.waitUntil(lambda: panel.raster.counts[0] == panel.raster.counts[1] > 0, timeout=5000)
    engine, drawn_board, differ = panel.raster.counts
    assert differ == 0
    assert panel.verdict.text().startswith("<b style=")
    assert f"Board and engine agree</b> over 2,000 steps (200 ms, {drawn_board:,} spikes)" in panel.verdict.text()
    assert "frames/s · step 2,000" in panel.health.text() and "CRC errors 0 · lost 0 · overflow 0" in panel.health.text()
    assert panel.warning.text() == ""
    assert panel.latencies and max(panel.latencies) < 5.0  # drawn, not timed: see benchmarks
    image = panel.raster.widget.grab().toImage()
    assert image.width() > 100


def test_the_first_divergence_is_reported_by_step_and_neuron(qtbot, panel):
    board = FakeBoard(HIL_DEMO, wrong_spike=(150, 7))
    try:
        connected(qtbot, panel, board.address)
        panel.steps.setValue(1000)
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "First divergence" in panel.verdict.text(), timeout=20000)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 1000, timeout=10000)
    finally:
        board.close()
    assert panel.session.divergence == {"step": 150, "neuron": 7, "board": 1, "engine": 0}
    assert panel.verdict.text().endswith("at step 150 (t = 15.1 ms), neuron E 7 (global 7): the board spiked, "
                                         "the engine did not")
    assert panel.raster.counts[2] == 1 and panel.raster.first.isVisible()
    assert panel.raster.first.value() == pytest.approx(15.1)
