"""The HIL panel's bitstream scope on sc_demo: the SC projections' streams, rebuilt from the board's spikes as
they arrive (each spike taken once), are those of the engine's run, and start again after a reset (with the
virtual board)."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from hdl.design import plan_network
from hdl.netcosim import DEFAULT_FORMAT
from hdl.virtual_board import VirtualBoard, build_virtual_board
from studio.hil.hil_bitstreams import board_chunk
from studio.project.project_file import load_network
from tests.studio.hil_fake_board import FakeBoard
from views.hil.hil_panel import HilPanel
from views.scopes.bitstream_scope import BitstreamScope

SC_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "sc_demo.ncsproj")


@pytest.fixture(scope="module")
def board_exe():
    _, network = load_network(SC_DEMO, fmt=DEFAULT_FORMAT)
    return build_virtual_board(plan_network(network, "sc_demo"))


def _series(scope: BitstreamScope) -> dict[str, tuple]:
    return {name: (s.t_ms.tolist(), s.popcount.tolist()) for name in scope.monitor.names
            for s in [scope.monitor.series(name)]}


def _engine_twin(qtbot, panel: HilPanel, steps: int) -> BitstreamScope:
    """A bitstream scope fed the engine's spikes of the first ``steps`` steps in one chunk."""
    engine = panel.session.engine
    twin = BitstreamScope()
    qtbot.addWidget(twin)
    twin.set_network(engine.network)
    spike_steps, neurons = panel.session.prediction.spikes
    early = spike_steps < steps
    twin.feed([board_chunk((spike_steps[early], neurons[early]), engine.populations, 0, steps, engine.dt * 1e3)])
    return twin


def test_each_spike_is_fed_once_as_it_arrives_and_the_streams_are_the_engines(qtbot, tmp_path):
    board = FakeBoard(SC_DEMO, steps=3000)
    panel = HilPanel(SC_DEMO, folder=tmp_path)
    qtbot.addWidget(panel)
    panel.show()
    fed = []
    feed = panel.bitstreams.feed
    panel.bitstreams.feed = lambda chunks: (fed.extend(chunks), feed(chunks))
    try:
        qtbot.waitUntil(lambda: panel.session.engine is not None, timeout=30000)
        panel.connect_board(board.address)
        qtbot.waitUntil(lambda: panel.session.state == "connected", timeout=10000)
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        telemetry = panel.session.telemetry
        qtbot.waitUntil(lambda: telemetry.status is not None and telemetry.status.running == 0
                        and panel.session.prediction.steps >= 3000, timeout=30000)
        qtbot.waitUntil(lambda: panel._streamed[:2] == (telemetry, 3000), timeout=5000)
    finally:
        panel.close_session()
        board.close()
    spikes = telemetry.spikes()[0].size
    assert len(fed) > 2 and panel._streamed == (telemetry, 3000, spikes)
    assert sum(t.size for chunk in fed for t, _ in chunk.spikes.values()) == spikes
    assert _series(panel.bitstreams) == _series(_engine_twin(qtbot, panel, 3000))


@pytest.mark.slow
def test_the_board_streams_are_the_engines_and_start_again_after_a_reset(qtbot, tmp_path, board_exe):
    board = VirtualBoard.start(board_exe)
    panel = HilPanel(SC_DEMO, folder=tmp_path)
    qtbot.addWidget(panel)
    panel.resize(1400, 800)
    panel.show()
    try:
        qtbot.waitUntil(lambda: panel.session.engine is not None, timeout=30000)
        assert panel.below.isTabVisible(1) and panel.below.tabText(1) == "Bitstreams"
        panel.connect_board(board.address)
        qtbot.waitUntil(lambda: panel.session.state == "connected", timeout=10000)
        panel.steps.setValue(400)
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 400 and panel.session.prediction.steps >= 400,
                        timeout=90000)
        qtbot.waitUntil(lambda: panel._streamed[1] == 400, timeout=10000)
        board_streams = _series(panel.bitstreams)
        assert set(board_streams) == {"weight", "activity", "output"}
        assert len(board_streams["output"][0]) > 20 and sum(board_streams["output"][1]) > 0

        assert _series(_engine_twin(qtbot, panel, 400)) == board_streams

        qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 0, timeout=10000)
        panel.poll()
        assert panel.bitstreams.monitor.names == []
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 400, timeout=90000)
        qtbot.waitUntil(lambda: panel._streamed == (panel.session.telemetry, 400,
                                                    panel.session.telemetry.spikes()[0].size), timeout=10000)
        assert _series(panel.bitstreams) == board_streams  # the SC sources restarted with the network
        qtbot.waitUntil(lambda: panel.session.prediction.steps >= 400, timeout=60000)
        panel.poll()
        assert panel.session.divergence is None
        assert np.isfinite(panel.bitstreams.monitor.series("output").density).all()
    finally:
        panel.close_session()
        board.stop()
