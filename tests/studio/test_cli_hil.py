"""``ncstudio board --virtual`` and ``ncstudio hil``, for real: the board top under Verilator, TCP and a pty."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hdl.virtual_board import VirtualBoard, build_virtual_board
from studio.hardware.hardware_flow import plan_project
from studio.hil.headless_run import HilRequest, ParamWrite, engine_spikes, run_hil

ROOT = Path(__file__).resolve().parents[2]
HIL = ROOT / "resources" / "examples" / "hil_demo.ncsproj"
SCRIPT = Path(sys.executable).with_name("ncstudio")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "studio.cli.main"]
STIM = 13_107_200  # I_stim = 200 pA in Q16.16


@pytest.fixture(scope="module")
def board_exe() -> Path:
    """The virtual board of hil_demo, built once (Verilator; cached across runs)."""
    return build_virtual_board(plan_project(HIL))


class ServedBoard:
    """``ncstudio board HIL --virtual ...`` as a process, with the address it printed."""

    def __init__(self, *options: str):
        self.process = subprocess.Popen([*COMMAND, "board", str(HIL), "--virtual", *options],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        found = re.search(r"serving (\S+) \(Ctrl\+C stops it\)", line)
        assert found, line + self.process.stderr.read()
        self.address = found.group(1)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=30)
        return self.process.returncode, out


def hil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "hil", *args, "--project", str(HIL)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_the_virtual_board_sends_exactly_the_engines_spikes_over_tcp(board_exe):
    board = ServedBoard("--listen", "tcp:127.0.0.1:0", "--free")
    try:
        result = hil(board.address, "--duration", "200ms", "--json")
    finally:
        status, out = board.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["steps"] == 2000
    assert summary["matches_engine"] is True and summary["first_divergence"] is None
    assert summary["spikes"] == summary["spikes_engine"] == summary["board"]["spikes"] > 100
    assert summary["link"]["crc_errors"] == 0 and summary["link"]["lost_frames"] == 0
    assert summary["board"]["spikes_dropped"] == 0 and summary["board"]["queue_overflows"] == 0
    assert status == 0 and re.search(r"^stopped after \d+ cycles", out, re.M), out


@pytest.mark.slow
def test_a_parameter_write_is_read_back_and_changes_the_spikes_as_the_engine_predicts(board_exe):
    board = ServedBoard("--listen", "tcp:127.0.0.1:0", "--free")
    try:
        result = hil(board.address, "--duration", "200ms", "--write", f"0:0={STIM}", "--json")
    finally:
        board.stop()
    summary = json.loads(result.stdout)
    assert summary["writes"] == summary["writes_applied"] == 1
    assert summary["matches_engine"] is True, summary["first_divergence"]
    unwritten = len(engine_spikes(HIL, 2000))
    assert summary["spikes"] == len(engine_spikes(HIL, 2000, (ParamWrite(0, 0, STIM),))) > 2 * unwritten


@pytest.mark.slow
def test_probed_state_arrives_and_equals_the_engines(board_exe):
    board = ServedBoard("--listen", "tcp:127.0.0.1:0", "--free")
    try:
        result = hil(board.address, "--duration", "50ms", "--probe", "5", "--json")
    finally:
        board.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    probes = json.loads(result.stdout)["probes"]
    assert probes["pairs"] == [[0, 0], [1, 0], [2, 0]] and probes["refused"] is None
    assert probes["samples"] == 3 * 100 and probes["matches_engine"] is True and probes["first_mismatch"] is None


@pytest.mark.slow
def test_the_serial_path_works_on_the_virtual_boards_pty(board_exe):
    board = ServedBoard("--pty", "--free")
    try:
        assert board.address.startswith("/dev/")
        result = hil(board.address, "--duration", "50ms")
    finally:
        board.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.match(r"^/dev/\S+: 500 steps, (\d+) spikes \(engine \1\) in [\d.]+ s: matches the engine$",
                    result.stdout.splitlines()[0]), result.stdout


@pytest.mark.slow
def test_a_board_that_dies_mid_run_is_reported_and_what_came_before_is_kept(board_exe):
    board = VirtualBoard.start(board_exe, realtime=True)
    threading.Timer(1.0, board.kill).start()
    report = run_hil(HilRequest(board.address, steps=100_000, timeout_s=60))
    assert re.match(r"^connection lost", report.error), report.error
    assert report.spikes
    last = report.spikes[-1][0]
    predicted = [s for s in engine_spikes(HIL, last + 1) if s[0] < last]
    assert [s for s in report.spikes if s[0] < last] == predicted


def test_the_hil_command_says_plainly_when_no_board_listens():
    result = hil("tcp:127.0.0.1:9", "--duration", "1ms")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.match(r"^ncstudio: error: tcp:127\.0\.0\.1:9: ", result.stderr), result.stderr


def test_board_refuses_a_listen_address_it_cannot_read(board_exe):
    result = subprocess.run([*COMMAND, "board", str(HIL), "--virtual", "--listen", "localhost"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"^ncstudio: error: listen address `localhost`: expected tcp:HOST:PORT", result.stderr, re.M)
