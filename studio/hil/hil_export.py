"""A HIL session's data to files: NumPy (NPZ), a table (CSV) and waveforms (VCD, through pyvcd).

Each export holds the board's spikes and probe samples beside the engine's prediction of the
same steps, neurons named by their global index (populations in project order), values raw
fixed-point as the board sent them.  In the VCD each neuron is a one-bit wire that is 1 for the
steps it spiked in, each probed variable a 32-bit integer, under a ``board`` and an ``engine``
scope, one VCD time unit per step.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from vcd import VCDWriter

from engine.errors import NeuroCoreError
from studio.hil.live_session import HilSession

FORMATS = {".npz": "NumPy arrays", ".csv": "a CSV table", ".vcd": "waveforms (VCD)"}


class ExportError(NeuroCoreError):
    """An export that could not be written (the message names the file and why)."""


def _spikes(session: HilSession) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The board's spikes and the engine's over the steps the board has finished, sorted by step and neuron."""
    until = session.telemetry.horizon
    out = {}
    for source, (steps, neurons) in (("board", session.telemetry.spikes()), ("engine", session.prediction.spikes)):
        inside = (steps < until) | (source == "board")
        order = np.lexsort((neurons[inside], steps[inside]))
        out[source] = steps[inside][order], neurons[inside][order]
    return out


def _probes(session: HilSession) -> dict[str, dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]]:
    until = session.telemetry.horizon
    out = {"board": {}, "engine": {}}
    for pair in session.telemetry.probed:
        out["board"][pair] = session.telemetry.probe(*pair)
        steps, values = session.prediction.probes.get(pair, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        out["engine"][pair] = steps[steps < until], values[steps < until]
    return out


def _population(session: HilSession, neuron: int) -> tuple[str, int]:
    for name, first, size in session.engine.populations if session.engine is not None else ():
        if first <= neuron < first + size:
            return name, neuron - first
    return "", neuron


def export(session: HilSession, path: str | os.PathLike) -> Path:
    """Write the session's data to ``path``; the suffix chooses the format (:data:`FORMATS`).

    Raises
    ------
    ExportError
        An unknown suffix, or a file that cannot be written.
    """
    path = Path(path)
    writer = {".npz": _npz, ".csv": _csv, ".vcd": _vcd}.get(path.suffix.lower())
    if writer is None:
        raise ExportError(f"{path.name}: export to {', '.join(FORMATS)}, not `{path.suffix or 'no suffix'}`")
    try:
        writer(session, path)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    return path


def _npz(session: HilSession, path: Path) -> None:
    arrays = {"steps_run": np.int64(session.telemetry.horizon)}
    if session.engine is not None:
        arrays["dt_s"] = np.float64(session.engine.dt)
        arrays["populations"] = np.array([name for name, _, _ in session.engine.populations])
        arrays["population_first"] = np.array([first for _, first, _ in session.engine.populations])
    for source, (steps, neurons) in _spikes(session).items():
        arrays[f"{source}_spike_steps"], arrays[f"{source}_spike_neurons"] = steps, neurons
    for source, pairs in _probes(session).items():
        for (neuron, variable), (steps, values) in pairs.items():
            arrays[f"{source}_probe_{neuron}_{variable}_steps"] = steps
            arrays[f"{source}_probe_{neuron}_{variable}_values"] = values
    with path.open("wb") as file:
        np.savez_compressed(file, **arrays)


def _csv(session: HilSession, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["source", "step", "neuron", "population", "local", "variable", "value"])
        for source, (steps, neurons) in _spikes(session).items():
            for step, neuron in zip(steps.tolist(), neurons.tolist()):
                out.writerow([source, step, neuron, *_population(session, neuron), "spike", 1])
        for source, pairs in _probes(session).items():
            for (neuron, variable), (steps, values) in pairs.items():
                name = _variable(session, neuron, variable)
                for step, value in zip(steps.tolist(), values.tolist()):
                    out.writerow([source, step, neuron, *_population(session, neuron), name, value])


def _variable(session: HilSession, neuron: int, variable: int) -> str:
    population, _ = _population(session, neuron)
    slots = session.engine.probe_slots.get(population, ()) if session.engine is not None else ()
    return slots[variable] if variable < len(slots) else f"variable {variable}"


def _vcd(session: HilSession, path: Path) -> None:
    dt_us = round(session.engine.dt * 1e6) if session.engine is not None else 100
    spikes, probes = _spikes(session), _probes(session)
    neurons = session.engine.n_neurons if session.engine is not None else int(
        max((n.max(initial=-1) for _, n in spikes.values()), default=-1)) + 1
    with path.open("w", encoding="utf-8") as file, VCDWriter(file, timescale=f"{dt_us} us",
                                                             comment="ncstudio HIL session") as vcd:
        changes = []
        for source, (steps, fired) in spikes.items():
            wires = []
            for neuron in range(neurons):
                population, local = _population(session, neuron)
                wires.append(vcd.register_var(f"{source}.{population or 'neurons'}", f"n{local}", "wire", size=1,
                                              init=0))
            spiked = set(zip(steps.tolist(), fired.tolist()))
            for step, neuron in sorted(spiked):
                changes.append((step, wires[neuron], 1))
                if (step + 1, neuron) not in spiked:
                    changes.append((step + 1, wires[neuron], 0))
            for (neuron, variable), (steps, values) in probes[source].items():
                population, local = _population(session, neuron)
                var = vcd.register_var(f"{source}.probes", f"{population}{local}_{_variable(session, neuron, variable)}",
                                       "integer", size=32)
                changes += [(step, var, value) for step, value in zip(steps.tolist(), values.tolist())]
        for step, var, value in sorted(changes, key=lambda c: c[0]):
            vcd.change(var, step, value)
