"""What a project run reports and saves: the summary (counts, rates, timings) and the recorded arrays with units."""

from __future__ import annotations

import json
from typing import BinaryIO

import numpy as np

from engine.network.devices import RECORDERS
from engine.run.simulation import RunSummary, Simulation

_INDEX_KEYS = ("senders", "sources", "targets", "neurons")


def run_summary(network, summary: RunSummary, build_s: float) -> dict:
    """The JSON summary of a run: ``sim_s``, ``run_s`` (the run's wall time), ``wall_s`` (the simulation
    loop's), ``devices_s`` (the devices' around the loop), ``cpu_s`` (the run's processor time),
    ``threads``, ``build_s``, ``steps``, ``spikes`` and ``rates_hz`` per population, the network's size and
    its ``notes`` (settings this run does not apply, such as SC arithmetic in a float run)."""
    return {
        "sim_s": summary.sim_s,
        "run_s": summary.run_s,
        "wall_s": summary.wall_s,
        "cpu_s": summary.cpu_s,
        "devices_s": summary.devices_s,
        "threads": network.kernel.threads,
        "build_s": build_s,
        "steps": summary.steps,
        "dt_ms": network.dt * 1e3,
        "seed": int(network.definition.seed),
        "n_neurons": sum(p.size for p in network.populations.values()),
        "n_synapses": sum(p.n_connections for p in network.projections.values()),
        "spikes": dict(summary.spikes),
        "rates_hz": {name: round(rate, 6) for name, rate in summary.rates_hz.items()},
        "notes": list(network.notes),
    }


def _units(network, device, key: str) -> str:
    if key in ("t", "times"):
        return "ms"
    if key == "rate":
        return "Hz"
    if key in _INDEX_KEYS:
        return "index"
    projection = getattr(device, "projection", None)
    if key == "weights" and projection is not None:
        target = projection.target.model
        return target.system.unit_name(target.receptor_dims[projection.receptor])
    model = device.population.model
    dim = model.states[key].dim if key in model.states else model.parameters[key].dim
    return model.system.unit_name(dim)


def recorded_arrays(sim: Simulation) -> dict[str, np.ndarray]:
    """Every spike and recorder trace of a run, keyed ``spikes.<population>.times|senders`` and
    ``<recorder>.<field>``; ``units`` (JSON) gives the unit of each key, ``populations`` (JSON) their sizes."""
    network = sim.network
    arrays: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for name in network.populations:
        times, senders = sim.spikes(name)
        arrays[f"spikes.{name}.times"], arrays[f"spikes.{name}.senders"] = times, senders
        units[f"spikes.{name}.times"], units[f"spikes.{name}.senders"] = "ms", "index"
    for name, device in network.devices.items():
        if device.definition.kind not in RECORDERS:
            continue
        data = sim.recorder(name)
        neurons = getattr(device, "neurons", None)
        if device.definition.kind in ("voltmeter", "multimeter") and neurons is not None:
            data = {**data, "neurons": neurons}
        for key, values in data.items():
            arrays[f"{name}.{key}"] = np.asarray(values)
            units[f"{name}.{key}"] = _units(network, device, key)
    arrays["units"] = np.array(json.dumps(units))
    arrays["populations"] = np.array(json.dumps({n: p.size for n, p in network.populations.items()}))
    return arrays


def save_run(fh: BinaryIO, sim: Simulation) -> None:
    """Write :func:`recorded_arrays` as an ``.npz`` to an open binary file."""
    np.savez(fh, **recorded_arrays(sim))
