"""Live runs on a worker thread: chunks stream, control takes effect at chunk boundaries, failures are contained."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from engine.equations.model import ModelSpec
from engine.errors import SimulationError
from studio.document.document import Document, Edge
from studio.project.project_file import EXAMPLES, ProjectFileError, read_project
from studio.project.project_doc import InlineModel, PopulationDoc, ProjectDoc
from studio.jobs.session import RunSession, SessionError

CUBA = EXAMPLES / "cuba.ncsproj"


def until(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def spike_count(chunks) -> int:
    return sum(t.size for c in chunks for t, _ in c.spikes.values())


def test_cuba_runs_live_and_streams_spikes():
    session = RunSession(Document.open(CUBA), chunk_ms=10)
    assert session.state == "idle"
    session.start(0.1)
    assert session.wait(30)
    assert session.state == "finished" and session.error is None
    assert session.t_ms == pytest.approx(100.0)
    chunks = session.buffer.take()
    assert chunks[0].t_start_ms == 0 and chunks[-1].t_stop_ms == pytest.approx(100.0)
    assert set(chunks[0].spikes) == {"E", "I"} and set(chunks[0].traces) == {"v_E"}
    assert spike_count(chunks) > 1000  # ~22,000 spikes per simulated second
    assert session.speed > 0
    assert session.log[0] == "t = 0 ms: started (100 ms)" and session.log[-1] == "t = 100 ms: finished"
    with pytest.raises(SessionError, match="start a new session"):
        session.start()


def test_pause_step_resume_stop():
    session = RunSession(Document.open(CUBA), chunk_ms=5)
    session.start()  # until stopped
    until(lambda: session.t_ms >= 20)
    session.pause()
    assert session.state == "paused"
    time.sleep(0.05)
    held = session.t_ms
    time.sleep(0.05)
    assert session.t_ms == held
    session.step_chunk()
    until(lambda: session.t_ms == pytest.approx(held + 5))
    time.sleep(0.05)
    assert session.t_ms == pytest.approx(held + 5) and session.state == "paused"
    session.resume()
    until(lambda: session.t_ms >= held + 30)
    session.stop()
    assert session.wait(10)
    assert session.state == "finished" and session.log[-1].endswith("stopped")
    assert session.t_ms / 5 == pytest.approx(round(session.t_ms / 5))  # stopped at a chunk boundary


def test_step_chunk_from_idle_runs_one_chunk():
    session = RunSession(Document.open(CUBA), chunk_ms=10)
    session.step_chunk()
    until(lambda: session.t_ms == pytest.approx(10))
    assert session.state == "paused"
    session.stop()
    assert session.wait(10)
    assert len(session.buffer.take()) == 1


def threshold_doc() -> Document:
    """A silent population whose threshold is per-neuron (so it can change during a run)."""
    pop = PopulationDoc("A", "iaf_psc_exp", 20, {"V_th": "-55*mV + 1*mV*rand()"})
    return Document.from_project(ProjectDoc((pop,), seed=3))


def test_parameter_changes_apply_at_the_next_chunk_and_are_logged():
    session = RunSession(threshold_doc(), chunk_ms=10)
    session.start(paused=True)
    session.step_chunk()
    until(lambda: session.t_ms == pytest.approx(10))
    session.set_parameter("A", "V_th", "-80 mV")  # below rest: every neuron fires once not refractory
    session.set_parameter("A", "tau_m", "5 ms")  # folded into the compiled model: recompiled at the boundary
    session.set_parameter("A", "tau_m", "5 mV")  # a wrong unit: refused, with the reason
    until(lambda: len(session.log) >= 4)
    session.step_chunk()
    until(lambda: session.t_ms == pytest.approx(20))
    session.stop()
    assert session.wait(10)
    first, second = session.buffer.take()
    assert first.spikes["A"][0].size == 0
    times, neurons = second.spikes["A"]
    assert times.min() > 10 and set(neurons.tolist()) == set(range(20))
    assert "t = 10 ms: A.V_th = -80 mV" in session.log
    assert "t = 10 ms: A.tau_m = 5 ms" in session.log
    refused = [line for line in session.log if "not applied" in line]
    assert refused == ["t = 10 ms: not applied: A.tau_m = 5 mV: population `A`, parameter `tau_m`: `5 mV` has units "
                       "volt, expected second"]


def test_weight_scale_is_applied_and_logged():
    session = RunSession(Document.open(CUBA), chunk_ms=10)
    session.start(paused=True)
    session.set_weight_scale("IE", 0.0)
    session.set_weight_scale("nope", 2.0)
    until(lambda: len(session.log) >= 3)
    session.stop()
    assert session.wait(10)
    assert "t = 0 ms: IE weights x 0" in session.log
    assert any(line.startswith("t = 0 ms: not applied: nope = 2.0: no projection `nope`") for line in session.log)


def blow_up_doc() -> Document:
    spec = ModelSpec("dv/dt = v/tau : volt\ntau : second", method="euler", parameters={"tau": "0.5 ms"},
                     initial={"v": "1 mV"})
    return Document.from_project(ProjectDoc((PopulationDoc("P", "grows", 5),), models={"grows": InlineModel(spec)}))


def test_a_blow_up_fails_the_session_and_leaves_the_document_alone():
    doc = blow_up_doc()
    before = doc.to_project()
    session = RunSession(doc)
    session.start(1.0)
    assert session.wait(30)
    assert session.state == "failed"
    assert isinstance(session.error, SimulationError)
    assert str(session.error).startswith("numerical blow-up in population `P`: neuron 0, variable `v` became inf")
    assert session.traceback.startswith("Traceback") and "SimulationError" in session.traceback
    assert session.log[-1].startswith("t = ") and ": failed: numerical blow-up" in session.log[-1]
    assert doc.to_project() == before
    good = RunSession(Document.open(CUBA))
    good.start(0.02)
    assert good.wait(30) and good.state == "finished"


def test_a_broken_document_fails_with_located_problems():
    doc = Document.open(CUBA)
    ee = doc.edges["EE"]
    doc.set_edge("EE", Edge.of(replace(ee.data, weight="1 pA")))
    before = doc.to_project()
    session = RunSession(doc)
    session.start(0.1)
    assert session.wait(30)
    assert session.state == "failed" and isinstance(session.error, ProjectFileError)
    assert [str(p) for p in session.problems()] == [
        "projections[0].weight: projection `EE`: weight `1 pA` has units amp, but receptor `on_pre_0` of `E` "
        "takes volt"]
    assert doc.to_project() == before
    assert session.buffer.take() == []


def test_a_live_session_logs_what_a_float_run_does_not_apply():
    sc_demo = EXAMPLES / "sc_demo.ncsproj"
    session = RunSession(read_project(sc_demo), path=sc_demo)
    session.start(0.01)
    assert session.wait(60)
    assert session.state == "finished"
    assert session.log[:2] == ["t = 0 ms: projection `EE`: sc arithmetic applies to fixed-point runs; this float run "
                               "computes it in float",
                               "t = 0 ms: projection `IE`: sc arithmetic applies to fixed-point runs; this float run "
                               "computes it in float"]
