"""The HIL hil_panel end to end with the virtual board (the real board top under Verilator, over TCP) on
hil_demo: 2,000 steps with exactly the engine's spikes, a parameter write seen applied and followed by
both, and the board killed mid-run: the drop reported, the data kept, reconnect offered."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from hdl.design import plan_network
from hdl.hil_protocol import SetProbes
from hdl.netcosim import DEFAULT_FORMAT
from hdl.virtual_board import VirtualBoard, build_virtual_board
from studio.hil.hil_recording import read_recording
from studio.project.project_file import load_network

HIL_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def board_exe():
    _, network = load_network(HIL_DEMO, fmt=DEFAULT_FORMAT)
    return build_virtual_board(plan_network(network, "hil_demo"))


@pytest.fixture
def board(board_exe):
    started = VirtualBoard.start(board_exe)
    yield started
    started.stop()


def run(qtbot, hil_panel, steps: int, until: int) -> None:
    hil_panel.steps.setValue(steps)
    qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
    def finished() -> bool:
        status = hil_panel.session.telemetry.status
        return (status is not None and status.step == until and not status.running
                and hil_panel.session.prediction.steps >= until and f"over {until:,} steps" in hil_panel.verdict.text())

    qtbot.waitUntil(finished, timeout=90000)


def test_the_virtual_board_runs_the_engines_spikes_and_takes_a_parameter(qtbot, hil_panel, board):
    hil_panel.connect_board(board.address)
    qtbot.waitUntil(lambda: hil_panel.session.state == "connected", timeout=10000)
    run(qtbot, hil_panel, 2000, 2000)
    steps, neurons = hil_panel.session.telemetry.spikes()
    engine_steps, engine_neurons = hil_panel.session.prediction.spikes
    inside = engine_steps < 2000
    assert sorted(zip(steps.tolist(), neurons.tolist())) == sorted(zip(engine_steps[inside].tolist(),
                                                                       engine_neurons[inside].tolist()))
    assert steps.size == hil_panel.session.telemetry.status.spikes > 0
    assert hil_panel.session.divergence is None and hil_panel.warning.text() == ""
    before = steps.size
    field = hil_panel.parameters.fields[0]  # E's I_stim
    qtbot.keyClicks(field, "200")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "applied" in hil_panel.parameters.text(0), timeout=10000)
    assert hil_panel.parameters.text(0) == "200 pA applied from step 2,000 (read back)"
    run(qtbot, hil_panel, 1000, 3000)
    assert hil_panel.session.divergence is None  # the board and the engine both run with 200 pA from step 2,000
    assert hil_panel.session.telemetry.spikes()[0].size - before > 2 * before  # and E fires much more


def test_a_killed_board_is_reported_and_its_data_kept(qtbot, hil_panel, board):
    hil_panel.connect_board(board.address)
    qtbot.waitUntil(lambda: hil_panel.session.state == "connected", timeout=10000)
    qtbot.mouseClick(hil_panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hil_panel.session.telemetry.spikes()[0].size > 50, timeout=60000)
    board.kill()
    qtbot.waitUntil(lambda: hil_panel.session.state == "dropped", timeout=10000)
    recording = hil_panel.session.recording
    assert hil_panel.state_label.text().startswith("connection lost: ")
    assert hil_panel.state_label.text().endswith(f"— everything up to the drop is kept in {recording.name}")
    assert hil_panel.reconnect_button.isVisible() and not hil_panel.run_button.isEnabled()
    kept = hil_panel.session.telemetry.spikes()[0].size
    _, events = read_recording(recording)
    assert sum(len(e.message.neurons) for e in events if e.direction == "rx" and hasattr(e.message, "neurons")) == kept
    assert events[-1].kind == "dropped"
    assert hil_panel.session.divergence is None and hil_panel.raster.counts[1] == kept


def test_over_a_serial_port_a_reset_starts_board_and_engine_again_and_refusals_are_said_plainly(
        qtbot, hil_panel, board_exe):
    board = VirtualBoard.start(board_exe, pty=True)
    try:
        hil_panel.connect_board(board.address)  # a pseudo-terminal: the serial path (pyserial)
        qtbot.waitUntil(lambda: hil_panel.session.state == "connected", timeout=10000)
        run(qtbot, hil_panel, 500, 500)
        first = hil_panel.session.telemetry.spikes()
        assert hil_panel.session.divergence is None and first[0].size > 0
        qtbot.mouseClick(hil_panel.reset_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 0, timeout=10000)
        run(qtbot, hil_panel, 500, 500)
        again = hil_panel.session.telemetry.spikes()
        assert hil_panel.session.divergence is None and hil_panel.warning.text() == ""
        assert [a.tolist() for a in again] == [a.tolist() for a in first]  # the same 500 steps, spike for spike
        hil_panel.session.send(SetProbes(every=1, probes=tuple((n, 0) for n in range(5))))
        qtbot.waitUntil(lambda: hil_panel.warning.text() != "", timeout=10000)
        assert hil_panel.warning.text() == "⚠ the board refused SetProbes (too many)"
    finally:
        board.stop()


def test_the_boards_probed_state_is_drawn_beside_the_engines_and_equals_it(qtbot, hil_panel, board):
    hil_panel.connect_board(board.address)
    qtbot.waitUntil(lambda: hil_panel.session.state == "connected" and hil_panel.session.engine is not None,
                    timeout=30000)
    qtbot.mouseClick(hil_panel.probe_button, Qt.MouseButton.LeftButton)
    run(qtbot, hil_panel, 300, 300)
    session = hil_panel.session
    assert session.telemetry.probed == [(0, 0), (1, 0), (2, 0)] and hil_panel.warning.text() == ""
    qtbot.waitUntil(lambda: set(session.prediction.probes) >= set(session.telemetry.probed), timeout=30000)
    for pair in session.telemetry.probed:
        steps, values = session.telemetry.probe(*pair)
        engine = dict(zip(*(a.tolist() for a in session.prediction.probes[pair])))
        assert steps.size == 30 and {s: engine[s] for s in steps.tolist()} == dict(zip(steps.tolist(),
                                                                                       values.tolist()))
    qtbot.waitUntil(lambda: len(hil_panel.traces.curves) == 3, timeout=10000)
    board_curve, engine_curve = hil_panel.traces.curves[(0, 0)]
    assert board_curve.name() == "E[0].V_m board" and engine_curve.name() == "E[0].V_m engine"
    assert board_curve.getData()[0].size == 30 and not hil_panel.traces.hint.isVisible()
