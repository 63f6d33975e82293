"""The HIL session against a board on a real TCP socket: spikes in, compared with the engine, parameter
writes applied only on their read-back, a drop kept on disk, a recording replayed."""

import time
from pathlib import Path

import numpy as np
import pytest

from hdl.hil_protocol import ProbeSamples, RunSteps, SetProbes, Spikes, Start, Stop
from studio.hil.hil_recording import read_recording
from studio.hil.live_session import HilSession
from studio.hil.hil_telemetry import Telemetry, first_divergence
from tests.studio.hil_fake_board import FakeBoard

HIL_DEMO = str(Path(__file__).resolve().parents[2] / "resources" / "examples" / "hil_demo.ncsproj")


def wait(session, condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out: state {session.state}, error {session.error!r}"
        session.poll()
        time.sleep(0.005)


@pytest.fixture
def session(tmp_path):
    s = HilSession(HIL_DEMO, folder=tmp_path)
    yield s
    s.close()


def test_first_divergence_names_the_first_step_and_neuron():
    board = (np.array([1, 3, 3, 7]), np.array([5, 2, 9, 1]))
    engine = (np.array([1, 3, 7]), np.array([5, 2, 1]))
    assert first_divergence(board, engine, 0, 10) == {"step": 3, "neuron": 9, "board": 1, "engine": 0}
    assert first_divergence(board, engine, 4, 10) is None
    assert first_divergence(board, engine, 0, 3) is None


def test_telemetry_keeps_every_spike_and_probe_sample_in_order_of_arrival():
    telemetry = Telemetry()
    for step in range(3000):
        telemetry.add(Spikes(step=step, neurons=tuple(range(step % 4))))
        telemetry.add(ProbeSamples(step=step, samples=((7, 0, -step), (2, 1, step))))
    steps, neurons = telemetry.spikes()
    assert steps.tolist() == [s for s in range(3000) for _ in range(s % 4)]
    assert neurons.tolist() == [n for s in range(3000) for n in range(s % 4)]
    assert telemetry.probed == [(2, 1), (7, 0)] and telemetry.horizon == 2999
    assert [a.tolist() for a in telemetry.probe(7, 0)] == [list(range(3000)), [-s for s in range(3000)]]
    assert [a.size for a in telemetry.probe(7, 1)] == [0, 0]


def test_a_run_of_2000_steps_receives_exactly_the_engines_spikes(session, tmp_path):
    board = FakeBoard(HIL_DEMO)
    try:
        session.connect(board.address)
        wait(session, lambda: session.state == "connected" and session.engine is not None)
        session.send(RunSteps(steps=2000))
        wait(session, lambda: session.telemetry.status is not None and session.telemetry.status.step == 2000
             and session.prediction.steps >= 2000)
        session.poll()
        steps, neurons = session.telemetry.spikes()
        engine_steps, engine_neurons = session.prediction.spikes
        inside = engine_steps < 2000
        assert steps.size == inside.sum() > 0
        assert set(zip(steps, neurons)) == set(zip(engine_steps[inside], engine_neurons[inside]))
        assert session.divergence is None
        assert session.warnings() == []
        header, events = read_recording(session.recording)
        assert header["address"] == board.address
        assert sum(e.direction == "rx" and type(e.message).__name__ == "Spikes" for e in events) > 0
        assert [type(e.message).__name__ for e in events if e.direction == "tx"] == ["RunSteps"]
    finally:
        board.close()


def test_a_write_is_applied_only_after_its_read_back_and_the_prediction_follows(session):
    board = FakeBoard(HIL_DEMO, hold_acks=True)
    try:
        session.connect(board.address)
        wait(session, lambda: session.state == "connected" and session.engine is not None)
        session.send(RunSteps(steps=500))
        wait(session, lambda: session.telemetry.status is not None and session.telemetry.status.step == 500)
        entry = session.engine.bank[0]  # E's I_stim
        write = session.write_parameter(entry, session.engine.fmt.to_store(200.0))
        for _ in range(20):
            session.poll()
            time.sleep(0.01)
        assert write.state == "sent"
        board.release_acks()
        wait(session, lambda: write.state == "applied")
        assert write.readback == write.value and write.step == 500
        session.send(RunSteps(steps=1000))
        wait(session, lambda: session.telemetry.status.step == 1500 and session.prediction.steps >= 1500
             and session._job is None)
        session.poll()
        steps, _ = session.telemetry.spikes()
        assert session.divergence is None
        assert (steps >= 500).sum() > 3 * (steps < 500).sum()  # the current drives E much harder
        session.reset()
        wait(session, lambda: session.telemetry.horizon == 0 and session.engine is not None)
        session.send(RunSteps(steps=500))
        wait(session, lambda: session.telemetry.status is not None and session.telemetry.status.step == 500
             and session.prediction.steps >= 500 and session._job is None)
        session.poll()
        again, _ = session.telemetry.spikes()
        assert session.divergence is None and session.refusals == []
        assert again.size > 3 * (steps < 500).sum()  # from step 0 with the current written before the reset
    finally:
        board.close()


def test_a_drop_is_reported_the_data_kept_and_reconnect_works(session):
    board = FakeBoard(HIL_DEMO, drop_at=1000)
    try:
        session.connect(board.address)
        wait(session, lambda: session.state == "connected")
        session.send(Start())
        wait(session, lambda: session.state == "dropped")
        assert session.error.startswith("connection lost")
        kept = session.telemetry.spikes()[0].size
        assert kept > 0 and session.telemetry.horizon <= 1000
        header, events = read_recording(session.recording)
        assert sum(len(e.message.neurons) for e in events if e.direction == "rx"
                   and type(e.message).__name__ == "Spikes") == kept
        assert events[-1].kind == "dropped"
        first = session.recording
        session.reconnect()
        wait(session, lambda: session.state == "connected")
        assert session.recording != first and first.exists()
        session.send(Stop())
    finally:
        board.close()


def test_a_recording_replays_the_same_spikes(session, tmp_path):
    board = FakeBoard(HIL_DEMO)
    try:
        session.connect(board.address)
        wait(session, lambda: session.state == "connected")
        session.send(RunSteps(steps=1000))
        wait(session, lambda: session.telemetry.status is not None and session.telemetry.status.step == 1000)
        live = session.telemetry.spikes()
        recording = session.recording
        session.close_link()
    finally:
        board.close()
    session.replay(recording, speed=float("inf"))
    wait(session, lambda: session.state == "replayed")
    replayed = session.telemetry.spikes()
    assert np.array_equal(replayed[0], live[0]) and np.array_equal(replayed[1], live[1])
    assert [type(w).__name__ for w in session.writes] == []


def test_a_project_without_a_prediction_says_why(tmp_path):
    missing = HilSession(tmp_path / "gone.ncsproj", folder=tmp_path)
    try:
        wait(missing, lambda: missing.prediction_error != "")
        assert missing.warnings() == [f"no prediction from the engine: {tmp_path / 'gone.ncsproj'}: No such file or "
                                      "directory"]
    finally:
        missing.close()


def test_disconnecting_while_connecting_connects_nothing(session):
    board = FakeBoard(HIL_DEMO)
    try:
        session.connect(board.address)
        session.close_link()
        for _ in range(50):
            session.poll()
            time.sleep(0.01)
        assert session.state == "idle" and session.link is None and session.recording is None
    finally:
        board.close()


def test_a_bad_address_and_an_absent_board_say_so(session):
    with pytest.raises(Exception, match=r"^`nowhere:1` is neither"):
        session.connect("nowhere:1")
    session.connect("tcp:127.0.0.1:1")
    wait(session, lambda: session.state == "dropped")
    assert session.error == "tcp:127.0.0.1:1: connection refused"


def test_exports_hold_the_board_and_the_engine(session, tmp_path):
    import csv

    from vcd.reader import TokenKind, tokenize

    from studio.hil.hil_export import ExportError, export

    board = FakeBoard(HIL_DEMO)
    try:
        session.connect(board.address)
        wait(session, lambda: session.state == "connected" and session.engine is not None)
        session.send(SetProbes(every=1, probes=((1, 0), (2, 0))))
        session.send(RunSteps(steps=300))
        wait(session, lambda: session.telemetry.status is not None and session.telemetry.status.step == 300
             and session.prediction.steps >= 300 and (1, 0) in session.prediction.probes)
    finally:
        board.close()
    board_steps, board_neurons = session.telemetry.spikes()
    with np.load(export(session, tmp_path / "s.npz")) as data:
        assert np.array_equal(np.sort(data["board_spike_steps"]), np.sort(board_steps))
        assert np.array_equal(data["board_spike_steps"], data["engine_spike_steps"])
        assert np.array_equal(data["board_spike_neurons"], data["engine_spike_neurons"])
        assert data["board_probe_1_0_values"].size == 300
        assert np.array_equal(data["board_probe_1_0_values"], data["engine_probe_1_0_values"])
    with export(session, tmp_path / "s.csv").open() as file:
        rows = list(csv.DictReader(file))
    spikes = [r for r in rows if r["source"] == "board" and r["variable"] == "spike"]
    assert len(spikes) == board_steps.size and {r["population"] for r in spikes} <= {"E", "I"}
    assert sum(r["variable"] == "V_m" and r["source"] == "engine" for r in rows) == 600
    export(session, tmp_path / "s.vcd")
    with (tmp_path / "s.vcd").open("rb") as file:
        tokens = list(tokenize(file))
    scopes = {t.scope.ident for t in tokens if t.kind is TokenKind.SCOPE}
    assert {"board", "engine", "E", "I", "probes"} <= scopes
    assert sum(t.kind is TokenKind.VAR for t in tokens) == 2 * (200 + 2)
    assert max(t.data for t in tokens if t.kind is TokenKind.CHANGE_TIME) <= 300
    with pytest.raises(ExportError, match=r"^s\.txt: export to \.npz, \.csv, \.vcd, not `\.txt`$"):
        export(session, tmp_path / "s.txt")
