"""The HIL panel's bitstream scope on sc_demo with the virtual board: the SC projections' streams, rebuilt from
the board's spikes as they arrive, are those of the engine's run, and start again after a reset."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from hdl.design import plan_network
from hdl.netcosim import DEFAULT_FORMAT
from hdl.virtual_board import VirtualBoard, build_virtual_board
from studio.hil.hil_bitstreams import board_chunk
from studio.project.project_file import load_network
from views.hil.hil_panel import HilPanel
from views.scopes.bitstream_scope import BitstreamScope

SC_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "sc_demo.ncsproj")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def board_exe():
    _, network = load_network(SC_DEMO, fmt=DEFAULT_FORMAT)
    return build_virtual_board(plan_network(network, "sc_demo"))


def _series(scope: BitstreamScope) -> dict[str, tuple]:
    return {name: (s.t_ms.tolist(), s.popcount.tolist()) for name in scope.monitor.names
            for s in [scope.monitor.series(name)]}


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

        engine = panel.session.engine
        twin = BitstreamScope()
        qtbot.addWidget(twin)
        twin.set_network(engine.network)
        steps, neurons = panel.session.prediction.spikes
        twin.feed([board_chunk((steps[steps < 400], neurons[steps < 400]), engine.populations, 0, 400,
                               engine.dt * 1e3)])
        assert _series(twin) == board_streams

        qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 0, timeout=10000)
        panel.poll()
        assert panel.bitstreams.monitor.names == []
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.session.telemetry.horizon == 400, timeout=90000)
        qtbot.waitUntil(lambda: panel._streamed == (panel.session.telemetry, 400), timeout=10000)
        assert _series(panel.bitstreams) == board_streams  # the SC sources restarted with the network
        qtbot.waitUntil(lambda: panel.session.prediction.steps >= 400, timeout=60000)
        panel.poll()
        assert panel.session.divergence is None
        assert np.isfinite(panel.bitstreams.monitor.series("output").density).all()
    finally:
        panel.close_session()
        board.stop()
