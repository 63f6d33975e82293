# amaranth: UnusedElaboratable=no
"""The board side of the HIL protocol (hdl/telemetry.py) in the virtual board: real RTL under Verilator, real TCP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import Elaboratable, Module

from hdl.core import NetworkCore
from hdl.design import param_banks
from hdl.hil_codec import FrameDecoder, encode, frame, parameter_crc
from hdl.hil_protocol import (
    Ack, GetStatus, Pace, ProbeSamples, ReadParam, Reset, Result, RunSteps, SetPace, SetProbes, Spikes, Start, Status,
    Stop, WriteParam)
from hdl.synth import plan_synthesis, synthesize
from hdl.telemetry import Telemetry
from hdl.virtual_board import VirtualBoard, VirtualBoardError, build_virtual_board
from studio.hardware.hardware_flow import plan_project
from studio.hil.headless_run import ParamWrite, engine_spikes
from studio.hil.hil_prediction import EnginePrediction, Write

pytestmark = pytest.mark.slow

HIL = Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj"


@pytest.fixture(scope="module")
def board_exe() -> Path:
    return build_virtual_board(plan_project(HIL))


class Raw:
    """A TCP client that sends any bytes and collects the board's messages."""

    def __init__(self, address: str):
        host, port = address.removeprefix("tcp:").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.setblocking(False)
        self.decoder = FrameDecoder()
        self.messages: list = []
        self.seq = 0

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, cls, **fields) -> int:
        seq, self.seq = self.seq, self.seq + 1
        self.raw(encode(cls(seq=seq, **fields)))
        return seq

    def until(self, found, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if found(m):
                    return m
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                time.sleep(0.005)
                continue
            self.messages += self.decoder.feed(data)
        raise AssertionError(f"nothing matched in {timeout} s; got {self.messages[-5:]}")

    def ack(self, seq: int) -> Ack:
        return self.until(lambda m: isinstance(m, Ack) and m.command_seq == seq)

    def status(self) -> Status:
        self.messages = [m for m in self.messages if not isinstance(m, Status)]
        self.send(GetStatus)
        return self.until(lambda m: isinstance(m, Status))


@pytest.fixture
def board(board_exe):
    served = VirtualBoard.start(board_exe, realtime=False)
    client = Raw(served.address)
    yield client
    client.sock.close()
    served.stop()


def test_parameters_are_read_written_with_read_back_and_covered_by_the_status_crc(board):
    assert param_banks(plan_project(HIL)) == (("E", ("I_stim",)), ("I", ("I_stim",)))
    assert board.ack(board.send(ReadParam, bank=1, entry=0)) == Ack(seq=0, command_seq=0, command=ReadParam.TYPE, bank=1)
    assert board.status().param_crc == parameter_crc([[0], [0]])
    ack = board.ack(board.send(WriteParam, bank=1, entry=0, value=-123456))
    assert (ack.result, ack.bank, ack.entry, ack.value) == (Result.OK, 1, 0, -123456)
    assert board.status().param_crc == parameter_crc([[0], [-123456]])
    assert board.ack(board.send(ReadParam, bank=1, entry=0)).value == -123456


def test_commands_the_board_cannot_do_are_refused_with_the_reason(board):
    assert board.ack(board.send(WriteParam, bank=2, entry=0, value=1)).result == Result.BAD_ADDRESS
    assert board.ack(board.send(ReadParam, bank=0, entry=1)).result == Result.BAD_ADDRESS
    assert board.ack(board.send(SetPace, mode=3)).result == Result.BAD_ADDRESS
    assert board.ack(board.send(SetPace, mode=Pace.REAL_TIME, period=1 << 24)).result == Result.BAD_ADDRESS
    assert board.ack(board.send(SetProbes, every=1, probes=tuple((n, 0) for n in range(5)))).result == Result.TOO_MANY
    assert board.ack(board.send(SetProbes, every=1, probes=((199, 0),))).result == Result.BAD_ADDRESS
    assert board.ack(board.send(SetProbes, every=1, probes=((0, 1),))).result == Result.BAD_ADDRESS
    assert board.ack(board.send(SetProbes, every=1)).result == Result.OK
    board.raw(frame(bytes([0x7E, 50, 0])))
    assert board.ack(50).result == Result.UNKNOWN_COMMAND
    board.raw(frame(bytes([GetStatus.TYPE, 51, 0, 9])))
    ack = board.ack(51)
    assert (ack.command, ack.result) == (GetStatus.TYPE, Result.BAD_LENGTH)


def test_garbage_and_corrupt_frames_are_counted_and_never_acted_upon(board):
    good = bytearray(encode(RunSteps(seq=60, steps=5)))
    good[3] ^= 0x10  # one flipped bit: the CRC fails
    board.raw(b"\x13\x37 line noise \x00" + bytes(good))
    ack = board.ack(board.send(GetStatus))
    status = board.until(lambda m: isinstance(m, Status) and m.seq > ack.seq)
    assert status.rx_errors == 2 and status.step == 0
    assert not any(isinstance(m, Ack) and m.command_seq == 60 for m in board.messages)


def test_single_steps_start_and_stop(board):
    board.ack(board.send(SetPace, mode=Pace.SINGLE_STEP))
    for _ in range(3):
        board.ack(board.send(Start))
    time.sleep(0.2)
    assert (board.status().step, board.status().running) == (3, 0)
    board.ack(board.send(SetPace, mode=Pace.REAL_TIME, period=5000))
    board.ack(board.send(Start))
    time.sleep(0.3)
    board.ack(board.send(Stop))
    first = board.until(lambda m: isinstance(m, Status) and m.step > 3 and not m.running).step
    time.sleep(0.2)
    assert board.status().step == first


def test_a_link_too_slow_for_the_spikes_drops_them_and_says_how_many(board):
    stim = 13_107_200
    board.ack(board.send(WriteParam, bank=0, entry=0, value=stim))
    board.ack(board.send(WriteParam, bank=1, entry=0, value=stim))
    board.ack(board.send(SetPace, mode=Pace.FREE_RUNNING))
    board.send(RunSteps, steps=2000)
    status = board.until(lambda m: isinstance(m, Status) and m.step == 2000 and not m.running)
    received = [(m.step, n) for m in board.messages if isinstance(m, Spikes) for n in m.neurons]
    predicted = engine_spikes(HIL, 2000, (ParamWrite(0, 0, stim), ParamWrite(1, 0, stim)))
    assert status.spikes == len(predicted) and status.spikes_dropped > 0
    assert [m.step for m in board.messages if isinstance(m, Status) and m.running] == [1024]  # every 1,024 steps
    assert len(received) + status.spikes_dropped == status.spikes
    assert set(received) <= set(predicted)


def test_a_killed_board_can_still_be_stopped_and_leaves_no_pipe_open(board_exe):
    served = VirtualBoard.start(board_exe)
    served.kill()
    assert served.stop() == ""
    assert served.process.returncode == -signal.SIGKILL and served.process.stdout.closed


def test_a_board_that_cannot_listen_says_why_and_leaves_no_pipe_open(board_exe):
    with pytest.raises(VirtualBoardError, match=r"^the virtual board did not start: bad address 999\.1\.1\.1$"):
        VirtualBoard.start(board_exe, "tcp:999.1.1.1:0")


def _gone(pid: int) -> bool:
    """No process ``pid``, or only its zombie (an orphan's exit status is init's to collect)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_board_stops_when_the_process_that_started_it_is_killed(board_exe):
    starter = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from hdl.virtual_board import "
         "VirtualBoard; print(VirtualBoard.start(Path(sys.argv[1])).process.pid, flush=True); time.sleep(600)",
         str(board_exe)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(HIL.parents[2])})
    with starter.stdout:
        pid = int(starter.stdout.readline())
    assert not _gone(pid)
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


def _board_spikes(board) -> list[tuple[int, int]]:
    return sorted((m.step, n) for m in board.messages if isinstance(m, Spikes) for n in m.neurons)


def test_probes_sample_exactly_the_fixed_point_engines_values(board):
    engine = EnginePrediction(HIL)
    pairs = engine.probe_pairs()
    assert pairs == ((0, 0), (1, 0), (2, 0))
    assert board.ack(board.send(SetProbes, every=3, probes=pairs)).result == Result.OK
    board.ack(board.send(SetPace, mode=Pace.FREE_RUNNING))
    board.send(RunSteps, steps=300)
    status = board.until(lambda m: isinstance(m, Status) and m.step == 300 and not m.running)
    samples = [m for m in board.messages if isinstance(m, ProbeSamples)]
    assert [m.step for m in samples] == list(range(0, 300, 3)) and status.frames_dropped == 0
    engine.extend(300)
    for n, v in pairs:
        steps, values = engine.probe(n, v)
        predicted = dict(zip(steps.tolist(), values.tolist()))
        board_values = {m.step: value for m in samples for (neuron, variable, value) in m.samples
                        if (neuron, variable) == (n, v)}
        assert len(board_values) == 100 and len(set(board_values.values())) > 10
        assert {s: predicted[s] for s in board_values} == board_values


def test_a_write_while_running_acts_from_the_step_its_ack_names(board):
    stim = 13_107_200
    board.ack(board.send(SetPace, mode=Pace.REAL_TIME, period=2000))
    board.ack(board.send(RunSteps, steps=1500))
    board.until(lambda m: isinstance(m, Spikes) and m.step > 400)
    ack = board.ack(board.send(WriteParam, bank=0, entry=0, value=stim))
    assert ack.value == stim and 400 < ack.step < 1500
    board.until(lambda m: isinstance(m, Status) and m.step == 1500 and not m.running)
    engine = EnginePrediction(HIL)
    engine.write(Write(ack.step, 0, 0, stim))
    engine.extend(1500)
    steps, neurons = engine.spikes()
    assert _board_spikes(board) == sorted(zip(steps.tolist(), neurons.tolist()))
    assert sum(1 for s, _ in _board_spikes(board) if s >= ack.step) > 2 * sum(1 for s, _ in _board_spikes(board)
                                                                              if ack.step - 400 <= s < ack.step)


def test_a_reset_stops_the_board_and_starts_the_network_again_keeping_the_parameter_writes(board):
    stim = 13_107_200
    board.ack(board.send(SetPace, mode=Pace.REAL_TIME, period=20000))
    board.ack(board.send(Start))
    board.until(lambda m: isinstance(m, Spikes) and m.step > 20)
    ack = board.ack(board.send(Reset))  # while running
    assert (ack.result, ack.step) == (Result.OK, 0)
    time.sleep(0.2)
    status = board.status()
    assert (status.step, status.spikes, status.running) == (0, 0, 0)
    board.messages.clear()

    assert board.ack(board.send(WriteParam, bank=0, entry=0, value=stim)).step == 0
    board.ack(board.send(SetPace, mode=Pace.FREE_RUNNING))
    board.send(RunSteps, steps=300)
    board.until(lambda m: isinstance(m, Status) and m.step == 300 and not m.running)
    first = _board_spikes(board)
    assert board.ack(board.send(Reset)).step == 0
    board.messages.clear()
    board.send(RunSteps, steps=300)
    board.until(lambda m: isinstance(m, Status) and m.step == 300 and not m.running)
    engine = EnginePrediction(HIL)
    engine.write(Write(0, 0, 0, stim))
    engine.extend(300)
    steps, neurons = engine.spikes()
    assert _board_spikes(board) == first == sorted(zip(steps.tolist(), neurons.tolist()))


class _TelemetryAlone(Elaboratable):
    def __init__(self, telemetry: Telemetry):
        self.telemetry = telemetry

    def elaborate(self, platform):
        m = Module()
        m.submodules.telemetry = self.telemetry
        return m


@pytest.mark.tools("yosys")
def test_the_telemetry_alone_stays_lean_for_the_icebreaker(tmp_path):
    core = NetworkCore(plan_project(HIL))
    telemetry = Telemetry(core, 8, 2400)
    ports = [telemetry.rx, telemetry.tx] + [getattr(core, name) for name in core.signature.members]
    text = verilog.convert(_TelemetryAlone(telemetry), name="telemetry", ports=ports)
    report = synthesize(plan_synthesis(text, "telemetry", "ice40-up5k", place=False), tmp_path)
    assert report.ram == 3  # command FIFO, spike FIFO, the encoder's ring
    assert report.dsp == 0 and report.lut4 < 1300 and report.flip_flops < 700  # 1,232 and 641 measured
