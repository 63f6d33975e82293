"""A run's recordings as a Neo block, written to a NIX file that Elephant and NIX viewers open.

The block holds one segment (the run) and one group per population.  A
population's spikes are one :class:`neo.SpikeTrain` (times in ms, ``t_stop``
the simulated time) whose ``neuron`` array annotation names the sender of
each spike, annotated with ``population`` and ``size``: NIX stores every
object separately, and a train per neuron made a 4,000-neuron run take ~50 s
to write, against ~1 s this way.  :func:`neuron_trains` splits it into one
train per neuron for Elephant.  Each recorded variable of a voltmeter or
multimeter is one :class:`neo.AnalogSignal` of shape (samples, neurons) in the
variable's unit, with the recorded neurons as its ``neuron`` array
annotation; a population_rate recorder is a signal in Hz, a weight recorder
an irregularly sampled one.  The block's annotations carry the run's metadata
(project, seed, dt, duration, fixed-point format, the studio's version).

Reading it back::

    from neo.io import NixIO
    block = NixIO("run.nix", mode="ro").read_block()
    trains = neuron_trains(block.groups[0].spiketrains[0])   # the first population, one train per neuron
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import quantities as pq

from engine.errors import NeuroCoreError
from engine.network.devices import RECORDERS
from engine.run.simulation import Simulation
from studio.project.run_results import recorded_arrays

SUFFIXES = (".npz", ".nix")


class RecordingsError(NeuroCoreError):
    """Recordings cannot be written in the format asked for."""


def _quantity_unit(unit: str) -> pq.Quantity:
    """The ``quantities`` unit for a unit name of ours ("mV", "pA", "1")."""
    if unit in ("1", ""):
        return pq.dimensionless
    try:
        return pq.Quantity(1.0, unit.replace("·", "*").replace("²", "**2"))
    except (LookupError, ValueError, SyntaxError) as exc:
        raise RecordingsError(f"the unit `{unit}` has no counterpart in Neo's quantities") from exc


def recordings_block(sim: Simulation, project: str):
    """A :class:`neo.Block` with every spike and recorded trace of ``sim`` (see the module's docstring)."""
    import neo

    network = sim.network
    arrays = recorded_arrays(sim)
    units = json.loads(str(arrays["units"]))
    t_stop = sim.t_ms * pq.ms
    block = neo.Block(name=project, file_origin=project, project=project, seed=int(network.definition.seed),
                      dt_ms=network.dt * 1e3, duration_ms=float(t_stop), fixed_point=network.fmt.name if network.fmt is not None else "float64",
                      software=f"NeuroCore Studio {_version()}")
    segment = neo.Segment(name="run", index=0)
    block.segments.append(segment)
    groups = {}
    for name, population in network.populations.items():
        group = neo.Group(name=name, population=name, size=population.size)
        groups[name] = group
        block.groups.append(group)
        times, senders = arrays[f"spikes.{name}.times"], arrays[f"spikes.{name}.senders"]
        train = neo.SpikeTrain(times, units="ms", t_stop=t_stop, name=name, population=name, size=population.size,
                               array_annotations={"neuron": np.asarray(senders, dtype=np.int64)})
        segment.add(train)
        group.add(train)
    for name, device in network.devices.items():
        if device.definition.kind not in RECORDERS or device.definition.kind == "spike_recorder":
            continue
        projection = getattr(device, "projection", None)
        population = projection.target.name if projection is not None else device.population.name
        for signal in _signals(name, arrays, units, population):
            segment.add(signal)
            groups[population].add(signal)
    block.check_relationships()
    return block


_NOT_SIGNALS = ("t", "neurons", "sources", "targets")


def _signals(recorder: str, arrays: dict, units: dict, population: str):
    """One signal per recorded variable of ``recorder``: regular samples as an AnalogSignal, others irregular."""
    import neo

    t = arrays.get(f"{recorder}.t")
    if t is None or len(t) == 0:
        return
    steps = np.diff(t)
    regular = len(t) > 1 and np.allclose(steps, steps[0])
    neurons = arrays.get(f"{recorder}.neurons")
    prefix = f"{recorder}."
    for key in [k[len(prefix):] for k in arrays if k.startswith(prefix)]:
        if key in _NOT_SIGNALS or "." in key:
            continue
        values = arrays[prefix + key].reshape(len(t), -1)
        meta = dict(name=prefix + key, recorder=recorder, variable=key, population=population)
        unit = _quantity_unit(units[prefix + key])
        if regular:
            signal = neo.AnalogSignal(values, units=unit, t_start=t[0] * pq.ms,
                                      sampling_period=steps[0] * pq.ms, **meta)
        else:
            signal = neo.IrregularlySampledSignal(t * pq.ms, values, units=unit, **meta)
        if neurons is not None:
            signal.array_annotate(neuron=np.asarray(neurons))
        yield signal


def neuron_trains(train):
    """One spike train per neuron of a population's train as written here (a :class:`SpikeTrainList`)."""
    from neo.core.spiketrainlist import SpikeTrainList

    return SpikeTrainList.from_spike_time_array(
        train.times, train.array_annotations["neuron"], all_channel_ids=range(int(train.annotations["size"])),
        t_stop=train.t_stop, units=train.units, t_start=train.t_start)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neurocore-studio")
    except PackageNotFoundError:
        return "unknown"


def write_nix(path: Path, block) -> None:
    """Write ``block`` to a new NIX file at ``path`` (an existing file is replaced)."""
    from neo.io import NixIO

    path.unlink(missing_ok=True)
    io = NixIO(str(path), mode="ow")
    try:
        io.write_block(block)
    finally:
        io.close()


def check_destination(path: str | Path) -> Path:
    """``path`` if recordings can be saved there (a known suffix, an existing directory), else a RecordingsError."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise RecordingsError(f"cannot save recordings as `{path.name}`: use {' or '.join(SUFFIXES)}")
    if not path.parent.is_dir():
        raise RecordingsError(f"cannot write {path}: the directory {path.parent} does not exist")
    return path


def save_recordings(path: str | Path, sim: Simulation, project: str) -> Path:
    """Write ``sim``'s recordings to ``path``: ``.npz`` arrays with units, or a Neo ``.nix`` file."""
    from studio.project.fileio import atomic_write
    from studio.project.run_results import save_run

    path = check_destination(path)
    if path.suffix.lower() == ".npz":
        atomic_write(path, lambda fh: save_run(fh, sim))
    else:
        partial = path.with_name(f".{path.name}.partial")
        write_nix(partial, recordings_block(sim, project))
        partial.replace(path)
    return path
