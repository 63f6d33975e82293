"""A headless HIL run (``ncstudio hil``): run a board (or the virtual board) for some steps, check it against the engine.

:func:`run_hil` connects (:class:`~hdl.hil_link.HilLink`), applies parameter
writes (each counted as applied only when its ``Ack`` reads the value back),
asks for ``steps`` steps and gathers the board's messages in a
:class:`~studio.hil.hil_telemetry.Telemetry` until the board reports it has
stopped, the link drops or time runs out; whatever arrived is kept.
:func:`predict` runs the session's :class:`~studio.hil.hil_prediction.EnginePrediction`
with the applied writes, for :func:`~studio.hil.hil_telemetry.first_divergence` to compare.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from hdl.hil_link import HilLink, LinkError
from hdl.hil_protocol import Ack, GetStatus, Pace, Result, RunSteps, SetPace, SetProbes, Status, WriteParam
from studio.hil.hil_prediction import EnginePrediction, Write
from studio.hil.hil_telemetry import Telemetry

__all__ = ["HilRequest", "HilReport", "ParamWrite", "engine_spikes", "predict", "run_hil"]


@dataclass(frozen=True)
class ParamWrite:
    """Write raw ``value`` into ``entry`` of ``bank`` (docs/hil-protocol.md, "The board side")."""

    bank: int
    entry: int
    value: int


@dataclass(frozen=True)
class HilRequest:
    """One headless run: where the board is, how many steps, paced how, with which parameter writes first."""

    connection: str
    steps: int
    pace: Pace = Pace.REAL_TIME
    writes: tuple[ParamWrite, ...] = ()
    timeout_s: float = 60.0
    probes: tuple[tuple[int, int], ...] = ()  # (global neuron, variable) pairs to sample
    probe_every: int = 1  # steps between two samples


@dataclass
class HilReport:
    """What came back: the board's telemetry, the Acks, the writes sent, link statistics."""

    telemetry: Telemetry = field(default_factory=Telemetry)
    acks: list[Ack] = field(default_factory=list)
    writes: dict[int, WriteParam] = field(default_factory=dict)  # by the command's seq
    wall_s: float = 0.0
    error: str = ""  # why the run ended early ("" when the board finished)
    start_step: int | None = None  # the board's step count before the run (0: fresh from power-up)
    link: dict = field(default_factory=dict)

    @property
    def spikes(self) -> list[tuple[int, int]]:
        """The board's spikes as (step, global neuron) pairs, in order of arrival."""
        steps, neurons = self.telemetry.spikes()
        return list(zip(steps.tolist(), neurons.tolist()))

    @property
    def status(self) -> Status | None:
        """The board's last Status."""
        return self.telemetry.status

    @property
    def frames(self) -> int:
        """Messages received from the board."""
        return self.telemetry.messages

    @property
    def applied(self) -> list[ParamWrite]:
        """The parameter writes whose Ack read back the value written."""
        sent = [(self.writes[a.command_seq], a) for a in self.acks if a.command_seq in self.writes]
        return [ParamWrite(w.bank, w.entry, w.value) for w, a in sent if a.result == Result.OK and a.value == w.value]


def run_hil(request: HilRequest) -> HilReport:
    """Run ``request`` against its board; a dropped link ends the run with ``error`` set, keeping the data.

    Raises
    ------
    LinkError
        When the board cannot be reached at all.
    """
    link = HilLink(request.connection)
    report = HilReport()
    start = time.monotonic()

    def collect() -> None:
        for message in link.poll():
            report.telemetry.add(message)
            if isinstance(message, Ack):
                report.acks.append(message)

    try:
        link.send(GetStatus())
        while report.status is None and link.connected and time.monotonic() - start < request.timeout_s:
            collect()
            time.sleep(0.002)
        report.start_step = report.status.step if report.status else None
        link.send(SetPace(mode=request.pace))
        if request.probes:
            link.send(SetProbes(every=request.probe_every, probes=request.probes))
        for write in request.writes:
            sent = link.send(WriteParam(bank=write.bank, entry=write.entry, value=write.value))
            report.writes[sent.seq] = sent
        run = link.send(RunSteps(steps=request.steps))
        while time.monotonic() - start < request.timeout_s:
            collect()
            if not link.connected:
                report.error = link.error
                break
            done = report.status is not None and not report.status.running and (
                report.status.step >= request.steps + (report.start_step or 0))
            if done and any(a.command_seq == run.seq for a in report.acks):
                break
            time.sleep(0.005)
        else:
            report.error = f"timed out after {request.timeout_s:g} s"
    except LinkError as exc:
        report.error = str(exc)
    report.wall_s = time.monotonic() - start
    report.link = dataclasses.asdict(link.stats)
    link.close()
    return report


def predict(engine: EnginePrediction, steps: int,
            writes: Iterable[ParamWrite] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Run ``engine`` (not run yet) for ``steps`` steps with ``writes`` applied before the first; its spikes
    in those steps as (steps, global neurons), sorted."""
    for w in writes:
        engine.write(Write(0, w.bank, w.entry, w.value))
    engine.extend(steps)
    at, neurons = engine.spikes()
    return at[at < steps], neurons[at < steps]


def engine_spikes(project: str | os.PathLike, steps: int,
                  writes: Iterable[ParamWrite] = ()) -> list[tuple[int, int]]:
    """The fixed-point engine's spikes for ``steps`` steps of ``project`` as sorted (step, global neuron) pairs,
    with ``writes`` applied before the first step."""
    at, neurons = predict(EnginePrediction(project), steps, writes)
    return list(zip(at.tolist(), neurons.tolist()))
