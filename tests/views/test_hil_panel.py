"""The HIL workspace (pytest-qt, offscreen) against a board on a real TCP socket: frames drawn, the first
divergence reported, a parameter shown applied only after its read-back, a drop kept and reconnect
offered, a recording replayed, exports written."""

from pathlib import Path

import numpy as np
import pytest

from PySide6.QtCore import Qt

from tests.studio.hil_fake_board import FakeBoard

HIL_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj")


@pytest.fixture
def board():
    fake = FakeBoard(HIL_DEMO)
    yield fake
    fake.close()


def connected(qtbot, hil_panel, address):
    hil_panel.connect_board(address)
    qtbot.waitUntil(lambda: hil_panel.session.state == "connected", timeout=10000)
    assert hil_panel.state_label.text().startswith(f"Connected to {address} — recording to hil-")
    assert hil_panel.run_button.isEnabled() and not hil_panel.reconnect_button.isVisible()


def test_the_panel_draws_the_boards_spikes_over_the_engines(qtbot, hil_panel, board):
    connected(qtbot, hil_panel, board.address)
    hil_panel.steps.setValue(2000)
    qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 2000 and hil_panel.session.prediction.steps >= 2000,
                    timeout=20000)
    qtbot.waitUntil(lambda: hil_panel.raster.counts[0] == hil_panel.raster.counts[1] > 0, timeout=5000)
    engine, drawn_board, differ = hil_panel.raster.counts
    assert differ == 0
    assert hil_panel.verdict.text().startswith("<b style=")
    assert f"Board and engine agree</b> over 2,000 steps (200 ms, {drawn_board:,} spikes)" in hil_panel.verdict.text()
    health = hil_panel.health.text()
    assert "frames/s · step 2,000" in health and "CRC errors 0 · lost 0 · overflow 0" in health
    assert hil_panel.warning.text() == ""
    assert hil_panel.latencies and max(hil_panel.latencies) < 5.0  # drawn, not timed: see benchmarks
    image = hil_panel.raster.widget.grab().toImage()
    assert image.width() > 100


def test_the_first_divergence_is_reported_by_step_and_neuron(qtbot, hil_panel):
    board = FakeBoard(HIL_DEMO, wrong_spike=(150, 7))
    try:
        connected(qtbot, hil_panel, board.address)
        hil_panel.steps.setValue(1000)
        qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "First divergence" in hil_panel.verdict.text(), timeout=20000)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 1000, timeout=10000)
    finally:
        board.close()
    assert hil_panel.session.divergence == {"step": 150, "neuron": 7, "board": 1, "engine": 0}
    assert hil_panel.verdict.text().endswith("at step 150 (t = 15.1 ms), neuron E 7 (global 7): the board spiked, "
                                         "the engine did not")
    assert hil_panel.raster.counts[2] == 1 and hil_panel.raster.first.isVisible()
    assert hil_panel.raster.first.value() == pytest.approx(15.1)


def test_a_corrupt_frame_is_counted_and_warned_about(qtbot, hil_panel):
    board = FakeBoard(HIL_DEMO, corrupt_at=300)
    try:
        connected(qtbot, hil_panel, board.address)
        hil_panel.steps.setValue(1000)
        qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 1000
                        and "over 1,000 steps" in hil_panel.verdict.text(), timeout=20000)
    finally:
        board.close()
    assert "CRC errors 1 · lost 0" in hil_panel.health.text()
    assert hil_panel.warning.text() == ("⚠ 1 corrupt frame dropped (1 CRC, 0 framing, 0 malformed): check the "
                                        "cable and the baud rate")
    assert hil_panel.session.divergence is None  # the damaged frame was an extra one: nothing is missing


def test_a_parameter_write_shows_as_applied_only_after_its_read_back(qtbot, hil_panel):
    board = FakeBoard(HIL_DEMO, hold_acks=True)
    try:
        connected(qtbot, hil_panel, board.address)
        assert [hil_panel.parameters.table.item(0, k).text() for k in range(3)] == ["E", "I_stim", "0 pA"]
        hil_panel.steps.setValue(500)
        qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.status is not None
                        and hil_panel.session.telemetry.status.step == 500, timeout=10000)
        field = hil_panel.parameters.fields[0]
        qtbot.keyClicks(field, "abc")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert hil_panel.parameters.text(0) == "`abc` is not a number"
        field.clear()
        qtbot.keyClicks(field, "250")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert hil_panel.parameters.text(0) == "writing 250 pA… (waiting for the read-back)"
        qtbot.wait(200)
        assert hil_panel.parameters.text(0) == "writing 250 pA… (waiting for the read-back)"
        board.release_acks()
        qtbot.waitUntil(lambda: "applied" in hil_panel.parameters.text(0), timeout=5000)
        assert hil_panel.parameters.text(0) == "250 pA applied from step 500 (read back)"
        hil_panel.steps.setValue(1000)
        qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 1500
                        and hil_panel.session.prediction.steps >= 1500
                        and "over 1,500 steps" in hil_panel.verdict.text(), timeout=20000)
    finally:
        board.close()
    assert hil_panel.session.divergence is None  # the board and the prediction both took the new current


def test_a_drop_is_shown_the_data_kept_and_reconnect_offered(qtbot, hil_panel):
    board = FakeBoard(HIL_DEMO, drop_at=800)
    try:
        connected(qtbot, hil_panel, board.address)
        qtbot.mouseClick(hil_panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.state == "dropped", timeout=10000)
        recording = hil_panel.session.recording
        assert hil_panel.state_label.text() == ("connection lost: the board closed the connection — everything up to "
                                            f"the drop is kept in {recording.name}")
        assert hil_panel.reconnect_button.isVisible() and not hil_panel.run_button.isEnabled()
        kept = hil_panel.session.telemetry.spikes()[0].size
        assert kept > 0 and hil_panel.raster.counts[1] == kept
        qtbot.mouseClick(hil_panel.reconnect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.state == "connected", timeout=10000)
        assert recording.exists() and hil_panel.session.recording != recording
    finally:
        board.close()


def test_a_recorded_session_replays_and_exports(qtbot, hil_panel, board, tmp_path):
    connected(qtbot, hil_panel, board.address)
    qtbot.mouseClick(hil_panel.probe_button, Qt.MouseButton.LeftButton)
    hil_panel.steps.setValue(1000)
    qtbot.mouseClick(hil_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon == 1000 and len(hil_panel.traces.curves) == 3,
                    timeout=10000)
    live = hil_panel.session.telemetry.spikes()
    recording = hil_panel.session.recording
    qtbot.mouseClick(hil_panel.disconnect_button, Qt.MouseButton.LeftButton)
    assert hil_panel.state_label.text() == "Not connected"
    hil_panel.replay(str(recording), speed=20.0)
    assert hil_panel.state_label.text() == f"Replaying {recording.name}"
    qtbot.waitUntil(lambda: hil_panel.session.state == "replayed", timeout=10000)
    assert hil_panel.state_label.text() == "Replay finished"
    replayed = hil_panel.session.telemetry.spikes()
    assert np.array_equal(replayed[0], live[0]) and np.array_equal(replayed[1], live[1])
    qtbot.waitUntil(lambda: hil_panel.raster.counts[1] == live[0].size and len(hil_panel.traces.curves) == 3,
                    timeout=5000)
    board_curve, engine_curve = hil_panel.traces.curves[(1, 0)]
    (bx, by), (ex, ey) = board_curve.getData(), engine_curve.getData()
    assert bx.size and np.array_equal(ey[np.isin(ex, bx)], by)  # the board samples every 10th step
    for suffix in (".npz", ".csv", ".vcd"):
        assert hil_panel.export_to(tmp_path / f"out{suffix}") == tmp_path / f"out{suffix}"
        assert hil_panel.state_label.text() == f"exported to {tmp_path / f'out{suffix}'}"
    with np.load(tmp_path / "out.npz") as data:
        assert np.array_equal(np.sort(data["board_spike_steps"]), np.sort(live[0]))
    assert hil_panel.export_to(tmp_path / "out.txt") is None
    assert hil_panel.state_label.text() == "out.txt: export to .npz, .csv, .vcd, not `.txt`"
    (tmp_path / "junk.hilrec").write_text("hello\n")
    hil_panel.replay(str(tmp_path / "junk.hilrec"))
    assert hil_panel.state_label.text() == "junk.hilrec: not a HIL recording (its first line is no ncstudio-hil header)"


def test_the_window_hosts_the_hil_workspace(qtbot, tmp_path):
    from studio.document.document import Document
    from tests.views.helpers import make_window
    from views.hil.hil_panel import recordings_folder

    window = make_window(qtbot, Document.open(HIL_DEMO))
    assert [w.name for w in window.workspaces][-1] == "hil" and window.tabs.tabText(3) == "HIL"
    window.set_workspace("hil")
    hil_panel = window.workspace("hil").panel
    assert window.tabs.currentWidget() is hil_panel and hil_panel.project == HIL_DEMO
    assert hil_panel.session.folder == recordings_folder(HIL_DEMO) == Path(HIL_DEMO).parent / "hil-recordings"
    assert not window.run_toolbar.isEnabled() and window.palette_dock.isHidden()
    qtbot.waitUntil(lambda: hil_panel.parameters.table.rowCount() == 2, timeout=20000)
    hil_panel.connect_board("tcp:127.0.0.1:1")
    qtbot.waitUntil(lambda: hil_panel.session.state == "dropped", timeout=10000)
    assert hil_panel.state_label.text() == "tcp:127.0.0.1:1: connection refused"
    hil_panel.connect_board("tcp:localhost")
    assert hil_panel.state_label.text() == ("`tcp:localhost` is not a TCP address (write tcp:HOST:PORT, "
                                            "e.g. tcp:127.0.0.1:7000)")
    window.set_workspace("network")
    assert window.run_toolbar.isEnabled()


@pytest.mark.slow
def test_the_latency_benchmark_runs_briefly(tmp_path):
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "benchmarks" / "hil_panel_latency.py"), "--steps", "3000"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen",
                                 "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["matches_engine"] and report["spikes"] > 0 and report["paints_per_s"] > 0
    assert set(report["latency_ms"]) == {"median", "p95", "max"}


def test_a_write_while_running_is_predicted_from_the_step_the_board_acknowledged(qtbot, hil_panel):
    board = FakeBoard(HIL_DEMO, steps=100_000)
    try:
        connected(qtbot, hil_panel, board.address)
        qtbot.mouseClick(hil_panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: hil_panel.session.telemetry.horizon > 300, timeout=10000)
        field = hil_panel.parameters.fields[0]
        qtbot.keyClicks(field, "300")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "applied" in hil_panel.parameters.text(0), timeout=10000)
        write = hil_panel.session.writes[-1]
        assert write.step > 300
        assert hil_panel.parameters.text(0) == f"300 pA applied from step {write.step:,} (read back)"
        qtbot.mouseClick(hil_panel.stop_button, Qt.MouseButton.LeftButton)
        telemetry = hil_panel.session.telemetry  # its status is None until the board's first Status
        qtbot.waitUntil(lambda: telemetry.status is not None and telemetry.status.running == 0
                        and hil_panel.session._job is None and hil_panel.session.prediction.steps >= telemetry.horizon,
                        timeout=20000)
        qtbot.wait(100)
    finally:
        board.close()
    assert hil_panel.session.divergence is None
    assert "Board and engine agree" in hil_panel.verdict.text()
