"""A headless HIL session: run a board (or the virtual board) for some steps, check it against the engine.

:func:`run_hil` connects (:class:`~hdl.hil_link.HilLink`), applies parameter
writes (each counted as applied only when its ``Ack`` reads the value back),
asks for ``steps`` steps and collects every ``Spikes`` and ``Status`` until the
board reports it has stopped, the link drops or time runs out; whatever
arrived is kept.  :func:`engine_spikes` is the fixed-point engine's prediction
for the same project and writes, and :func:`first_divergence` names the first
(step, neuron) where the two part ways.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field

from hdl.design import param_banks
from hdl.hil_link import HilLink, LinkError
from hdl.hil_protocol import Ack, GetStatus, Pace, Result, RunSteps, SetPace, Spikes, Status, WriteParam
from hdl.netcosim import DEFAULT_FORMAT
from studio.hardware.hardware_flow import plan_project
from studio.project.project_file import load_network

__all__ = ["HilRequest", "HilReport", "ParamWrite", "engine_spikes", "first_divergence", "run_hil"]


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


@dataclass
class HilReport:
    """What came back: spikes as (step, neuron) pairs, the last Status, the Acks, link statistics."""

    spikes: list[tuple[int, int]] = field(default_factory=list)
    status: Status | None = None
    acks: list[Ack] = field(default_factory=list)
    writes: dict[int, WriteParam] = field(default_factory=dict)  # by the command's seq
    frames: int = 0
    wall_s: float = 0.0
    error: str = ""  # why the run ended early ("" when the board finished)
    start_step: int | None = None  # the board's step count before the run (0: fresh from power-up)
    link: dict = field(default_factory=dict)

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
            report.frames += 1
            if isinstance(message, Spikes):
                report.spikes += [(message.step, n) for n in message.neurons]
            elif isinstance(message, Status):
                report.status = message
            elif isinstance(message, Ack):
                report.acks.append(message)

    try:
        link.send(GetStatus())
        while report.status is None and link.connected and time.monotonic() - start < request.timeout_s:
            collect()
            time.sleep(0.002)
        report.start_step = report.status.step if report.status else None
        link.send(SetPace(mode=request.pace))
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


def engine_spikes(project: str | os.PathLike, steps: int,
                  writes: tuple[ParamWrite, ...] = ()) -> list[tuple[int, int]]:
    """The fixed-point engine's spikes for ``steps`` steps as sorted (step, global neuron) pairs, with
    ``writes`` applied before the first step."""
    from engine.run.simulation import Simulation

    banks = param_banks(plan_project(project))
    _, network = load_network(project, fmt=DEFAULT_FORMAT)
    for w in writes:
        name, slots = banks[w.bank]
        pop = network.populations[name]
        pop.state.slots[pop.ir.slot_index(slots[w.entry])][:] = w.value
    sim = Simulation(network, chunk_steps=1000)
    sim.run(steps * network.dt)
    out = []
    base = 0
    for name, pop in network.populations.items():
        at = sim.recording.spike_steps.get(name, [])
        who = sim.recording.spike_neurons.get(name, [])
        for s, n in zip(at, who):
            out += [(int(a), int(b) + base) for a, b in zip(s, n)]
        base += pop.size
    return sorted(out)


def first_divergence(board: list[tuple[int, int]], engine: list[tuple[int, int]]) -> dict | None:
    """The first (step, neuron) in one list and not the other, or None when they are equal."""
    a, b = set(board), set(engine)
    diff = sorted(a ^ b)
    if not diff:
        return None
    step, neuron = diff[0]
    return {"step": step, "neuron": neuron, "board": int((step, neuron) in a), "engine": int((step, neuron) in b)}


