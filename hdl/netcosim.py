"""Co-simulation of a whole network: the core under Verilator against the engine's fixed-point run.

:func:`cosimulate_network` takes a network built in fixed point, plans and
generates the core (:mod:`hdl.generate`), builds the Verilator
simulator (cached by the content hash of its files and arguments), runs both
for the same number of steps and compares every spike and every probed value
(the voltmeters' and multimeters' variables at their sampling steps).  The
first divergence names the step, population, neuron and variable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from hdl.design import NetworkPlan, plan_network
from hdl.generate import HARNESS, PREFIX, GeneratedDesign, generate
from hdl.tools import ToolCommand, require_tool, run_command, run_tool

DEFAULT_FORMAT = QFormat.parse("Q16.16")
SIMULATOR = "core_sim"
TRACE = "trace.txt"
_BUILD_ARGS = ("--cc", "--exe", "--build", "-j", "2", "-O3", "--x-assign", "fast", "--x-initial", "fast",
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "--prefix", PREFIX, "-o", SIMULATOR,
               "-MAKEFLAGS", "OPT_FAST=-O1", "-MAKEFLAGS", "OPT_SLOW=-O1")


class CosimCancelled(NeuroCoreError):
    """The co-simulation was cancelled."""


@dataclass
class RtlTrace:
    """What the simulated core reported: spikes, probe samples and counters."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]]  # population -> (steps, neurons)
    probes: dict[tuple[str, int], np.ndarray]  # (population, neuron) -> raw values (steps, variables)
    probe_steps: dict[tuple[str, int], np.ndarray]
    counters: dict[str, int]


@dataclass
class NetworkCosimReport:
    """The comparison; :meth:`summary` is the CLI's JSON."""

    bit_exact: bool
    steps: int
    spikes_rtl: int
    spikes_engine: int
    first_divergence: dict | None
    build_s: float
    run_s: float
    cached: bool
    counters: dict[str, int]
    rtl: RtlTrace = field(repr=False)
    engine_spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False, default_factory=dict)
    manifest: dict = field(repr=False, default_factory=dict)

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.run_s if self.run_s > 0 else float("inf")

    @property
    def cycles_per_step(self) -> float:
        return self.counters.get("cycles", 0) / max(self.steps, 1)

    def summary(self) -> dict:
        return {"bit_exact": self.bit_exact, "steps": self.steps, "spikes_rtl": self.spikes_rtl,
                "spikes_engine": self.spikes_engine, "first_divergence": self.first_divergence,
                "build_s": round(self.build_s, 3), "steps_per_s": round(self.steps_per_s, 1),
                "cycles_per_step": round(self.cycles_per_step, 1),
                "max_cycles_per_step": self.counters.get("max_cycles_per_step", 0),
                "queue_overflows": self.counters.get("queue_overflows", 0),
                "overflow_events": self.counters.get("overflow_events", 0), "cached": self.cached}


def cache_root() -> Path:
    """Where built simulators are kept (``$NCSTUDIO_CACHE`` or ``~/.cache/ncstudio``)."""
    base = os.environ.get("NCSTUDIO_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME")
                                                            or os.path.expanduser("~/.cache"), "ncstudio")
    return Path(base) / "cosim"


def build_key(design: GeneratedDesign, tool: ToolCommand) -> str:
    h = hashlib.sha256()
    for name in sorted(design.files):
        h.update(name.encode() + b"\0" + design.files[name].encode() + b"\0")
    h.update(repr((tool.argv, tool.version, _BUILD_ARGS, design.top)).encode())
    return h.hexdigest()[:24]


def build_simulator(design: GeneratedDesign, tool: ToolCommand | None = None,
                    cache: Path | None = None) -> tuple[Path, float, bool]:
    """The simulator executable for ``design``: (path, build seconds, found in the cache).

    A build happens in a private folder that is moved into the cache only when it succeeded.
    """
    tool = tool or require_tool("verilator")
    cache = cache or cache_root()
    folder = cache / build_key(design, tool)
    exe = folder / "obj_dir" / SIMULATOR
    if exe.exists():
        return exe, 0.0, True
    cache.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    try:
        for name, text in design.files.items():
            (staging / name).write_text(text)
        fixes = [arg for flag in tool.make_flags for arg in ("-MAKEFLAGS", flag)]
        run_tool(tool, [*fixes, *_BUILD_ARGS, "--top-module", design.top, design.verilog_name, HARNESS],
                 cwd=staging, timeout=1800)
        try:
            staging.rename(folder)
        except OSError:  # another process built the same design meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return exe, time.perf_counter() - start, False


def run_simulator(exe: Path, design: GeneratedDesign, nsteps: int, timeout: float = 3600.0, pace: int = 0,
                  single_step: bool = False) -> tuple[RtlTrace, float]:
    """Run ``nsteps`` steps (free-running, or each requested by a pulse with ``single_step``; each at least
    ``pace`` clocks long); returns the trace and the run's wall time."""
    plan = design.plan
    names = [p.name for p in plan.populations]
    total = plan.fmt.total
    with tempfile.TemporaryDirectory(prefix="ncstudio-cosim-") as tmp:
        start = time.perf_counter()
        mode = [str(pace)] + (["single"] if single_step else [])
        run_command([str(exe), str(nsteps), TRACE, *mode], cwd=Path(tmp), env=dict(os.environ), timeout=timeout)
        seconds = time.perf_counter() - start
        lines = (Path(tmp) / TRACE).read_text().splitlines()
    spikes = {n: ([], []) for n in names}
    probes: dict[tuple[str, int], list] = {}
    steps: dict[tuple[str, int], list] = {}
    counters = {}
    for line in lines:
        kind, *fields = line.split()
        if kind == "S":
            step, pop, neuron = (int(x) for x in fields)
            spikes[names[pop]][0].append(step)
            spikes[names[pop]][1].append(neuron)
        elif kind == "P":
            step, pop, neuron, *values = (int(x) for x in fields)
            key = (names[pop], neuron)
            width = len(design.probe_slots[names[pop]])
            raw = [(v & ((1 << total) - 1)) - ((v >> (total - 1) & 1) << total) for v in values[:width]]
            probes.setdefault(key, []).append(raw)
            steps.setdefault(key, []).append(step)
        elif kind == "C":
            counters[fields[0]] = int(fields[1])
    trace = RtlTrace({n: (np.array(s, dtype=np.int64), np.array(k, dtype=np.int64)) for n, (s, k) in spikes.items()},
                     {k: np.array(v, dtype=np.int64) for k, v in probes.items()},
                     {k: np.array(v, dtype=np.int64) for k, v in steps.items()}, counters)
    return trace, seconds


def _first_spike_difference(name: str, rtl: tuple[np.ndarray, np.ndarray],
                            eng: tuple[np.ndarray, np.ndarray]) -> dict | None:
    a = set(zip(rtl[0].tolist(), rtl[1].tolist()))
    b = set(zip(eng[0].tolist(), eng[1].tolist()))
    diff = sorted(a ^ b)
    if not diff:
        return None
    step, neuron = diff[0]
    return {"step": step, "population": name, "neuron": neuron, "variable": "spike",
            "rtl": int((step, neuron) in a), "engine": int((step, neuron) in b)}


def compare(plan: NetworkPlan, design: GeneratedDesign, rtl: RtlTrace, simulation) -> dict | None:
    """The first divergence between the core and the engine's run, or None when they agree."""
    found = []
    rec = simulation.recording
    for pop in plan.populations:
        steps = np.concatenate(rec.spike_steps.get(pop.name, [np.zeros(0, np.int64)]))
        neurons = np.concatenate(rec.spike_neurons.get(pop.name, [np.zeros(0, np.int64)]))
        d = _first_spike_difference(pop.name, rtl.spikes[pop.name], (steps, neurons))
        if d:
            found.append(d)
    fmt = plan.fmt
    for probe in plan.probes:
        pop = plan.populations[probe.population]
        slots = design.probe_slots[pop.name]
        sampler = simulation.network.devices[probe.name]
        samples = sampler.samples
        if not samples:
            continue
        values = fmt.to_store(np.concatenate(samples))  # (samples, vars, neurons)
        sample_steps = np.concatenate(sampler.sample_steps)
        for col, neuron in enumerate(probe.neurons):
            hw_steps = rtl.probe_steps.get((pop.name, neuron), np.zeros(0, np.int64))
            hw = rtl.probes.get((pop.name, neuron), np.zeros((0, len(slots)), np.int64))
            for v, var in enumerate(probe.slots):
                at = np.searchsorted(hw_steps, sample_steps)
                present = (at < hw_steps.size) & (hw_steps[np.minimum(at, max(hw_steps.size - 1, 0))]
                                                 == sample_steps) if hw_steps.size else np.zeros(0, bool)
                k = slots.index(var)
                for i, step in enumerate(sample_steps):
                    hw_value = int(hw[at[i], k]) if hw_steps.size and present[i] else None
                    eng_value = int(values[i, v, col])
                    if hw_value != eng_value:
                        found.append({"step": int(step), "population": pop.name, "neuron": int(neuron),
                                      "variable": var, "rtl": hw_value, "engine": eng_value})
                        break
    if not found:
        return None
    return min(found, key=lambda d: (d["step"], d["variable"] != "spike"))


def cosimulate_network(network, nsteps: int, name: str = "network", project: str = "",
                       progress: Callable[[str, float], None] | None = None,
                       cancel: threading.Event | None = None) -> NetworkCosimReport:
    """Generate, build and run the core of a network built in fixed point, run the engine, compare.

    ``network`` is a fresh :class:`~engine.network.build.Network` (it is run here).
    """
    return cosimulate_plan(plan_network(network, name), network, nsteps, project, progress, cancel)


def cosimulate_plan(plan: NetworkPlan, network, nsteps: int, project: str = "",
                    progress: Callable[[str, float], None] | None = None,
                    cancel: threading.Event | None = None, pace: int = 0,
                    single_step: bool = False, tables: str = "rom") -> NetworkCosimReport:
    """:func:`cosimulate_network` for a given plan of ``network`` (a test can break one of its rules), with the
    core free-running, paced to at least ``pace`` clocks per step, or single-stepped; ``tables="loaded"``:
    the harness writes the delivery's tables through the core's load port first."""
    from engine.run.simulation import Simulation

    def step(label: str, fraction: float):
        if cancel is not None and cancel.is_set():
            raise CosimCancelled("co-simulation cancelled")
        if progress is not None:
            progress(label, fraction)

    step("generating the core", 0.0)
    design = generate(plan, project, tables)
    step("building the simulator (Verilator)", 0.1)
    exe, build_s, cached = build_simulator(design)
    step("running the core", 0.6)
    rtl, run_s = run_simulator(exe, design, nsteps, pace=pace, single_step=single_step)
    step("running the engine", 0.8)
    sim = Simulation(network, chunk_steps=1000)
    sim.run(nsteps * network.dt)
    step("comparing", 0.95)
    first = compare(plan, design, rtl, sim)
    spikes_rtl = sum(s.size for s, _ in rtl.spikes.values())
    spikes_engine = sum(int(sum(a.size for a in v)) for v in sim.recording.spike_steps.values())
    engine_spikes = {p: sim.spikes(p) for p in network.populations}
    step("done", 1.0)
    return NetworkCosimReport(first is None, nsteps, spikes_rtl, spikes_engine, first, build_s, run_s, cached,
                              rtl.counters, rtl, engine_spikes, design.manifest)
