"""``ncstudio export PROJECT --to nest``: a standalone PyNEST script of the project's network.

The script holds the network as data in NEST's names and units (:mod:`studio.interop.nest_mapping`:
models and parameters, per-neuron draws as ``nest.random`` distributions, connection rules,
synapse models including ``static_synapse_hom_w``, devices and recorders) and a short builder.
It runs as is, with threads, and under ``mpirun`` on an MPI build of NEST::

    python cuba_nest.py --duration 1 --threads 4
    mpirun -n 4 python cuba_nest.py --out run.npz      # run.rank0.npz ... run.rank3.npz

Each process writes what its recorders saw (spike times in ms and senders as indices within
their population; sampled variables under the project's names and in its units) to one
``.npz`` and prints each recorded population's mean rate over its local neurons.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from studio.interop.export_source import about, export_source, write_script
from studio.interop.nest_mapping import NestNetwork, nest_network
from studio.interop.script_export import literal
from studio.project.project_doc import ProjectDoc

_BODY = '''
# NEST keeps at most 2**27 - 2 connections per synapse model and virtual process (the full-scale cortical
# microcircuit on two threads has more), so each projection connects through a copy of its synapse model of
# its own; NEST holds at most 511 synapse models, so projections after the first OWN_MODELS share theirs.
OWN_MODELS = 400


def _values(spec):
    """A per-neuron value as NEST draws it."""
    kind, *args = spec
    if kind == "uniform":
        return nest.random.uniform(*args)
    if kind == "normal":
        return nest.random.normal(*args)
    return args[0] if kind == "value" else list(args)


def _pick(nodes, neurons):
    return nodes if neurons is None else nodes[list(neurons)]


def build():
    """Create the populations, projections and devices; return (populations, recorders)."""
    pops = {}
    for name, p in POPULATIONS.items():
        pops[name] = nest.Create(p["model"], p["size"], params=p["params"])
        for key, spec in p["varying"].items():
            pops[name].set({key: _values(spec)})
    for index, p in enumerate(PROJECTIONS):
        syn_spec = dict(p["syn_spec"])
        if p["synapse"] is not None or index < OWN_MODELS:
            model = syn_spec.get("synapse_model", "static_synapse")
            nest.CopyModel(model, f"{p['name']}_synapse", p["synapse"] or {})
            syn_spec["synapse_model"] = f"{p['name']}_synapse"
        conn_spec = dict(p["conn_spec"])
        source, target = pops[p["source"]], pops[p["target"]]
        if "sources" in conn_spec:  # an explicit list of pairs, as node IDs
            source = [source[i].global_id for i in conn_spec.pop("sources")]
            target = [target[i].global_id for i in conn_spec.pop("targets")]
        nest.Connect(source, target, conn_spec, syn_spec)
    recorders = {}
    for d in DEVICES:
        device = nest.Create(d["model"], params=d["params"])
        neurons = _pick(pops[d["target"]], d["neurons"])
        if d["role"] == "generator":
            nest.Connect(device, neurons, syn_spec=d["syn_spec"])
        elif d["model"] == "spike_recorder":
            nest.Connect(neurons, device)
        else:
            nest.Connect(device, neurons)
        if d["role"] == "recorder":
            recorders[d["name"]] = (device, d)
    return pops, recorders


def collect(pops, recorders, duration_ms):
    """What each recorder saw on this process, and the mean rate of its neurons here (Hz)."""
    data, rates = {}, {}
    for name, (device, d) in recorders.items():
        events = device.get("events")
        first = pops[d["target"]][0].global_id
        order = np.lexsort((events["senders"], events["times"]))
        data[f"{name}.times"] = np.asarray(events["times"], dtype=float)[order]
        data[f"{name}.senders"] = np.asarray(events["senders"], dtype=np.int64)[order] - first
        for ours, (theirs, factor) in d["record_from"].items():
            data[f"{name}.{ours}"] = np.asarray(events[theirs], dtype=float)[order] / factor
        if d["model"] == "spike_recorder":
            local = int(np.sum(np.atleast_1d(_pick(pops[d["target"]], d["neurons"]).local)))
            rates[name] = len(order) / (local * duration_ms * 1e-3) if local else 0.0
    return data, rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DURATION, help="simulated seconds (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="threads per process (local_num_threads)")
    parser.add_argument("--seed", type=int, default=SEED, help="NEST's rng_seed (default %(default)s)")
    parser.add_argument("--out", default=Path(__file__).with_suffix(".npz").name,
                        help="recordings (.npz); with several MPI processes one file per rank, NAME.rankR.npz")
    args = parser.parse_args(argv)
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.set(resolution=RESOLUTION, local_num_threads=args.threads, rng_seed=args.seed, print_time=False)
    pops, recorders = build()
    nest.Simulate(args.duration * 1e3)
    data, rates = collect(pops, recorders, args.duration * 1e3)
    out = Path(args.out)
    if nest.NumProcesses() > 1:
        out = out.with_name(f"{out.stem}.rank{nest.Rank()}{out.suffix}")
    np.savez(out, duration_s=args.duration, rank=nest.Rank(), processes=nest.NumProcesses(), **data)
    for name, rate in rates.items():
        print(f"rank {nest.Rank()}: {name}: {rate:.3f} Hz")
    print(f"rank {nest.Rank()}: saved {out}")


if __name__ == "__main__":
    main()
'''


def plain(value):
    """A mapping record as plain data (dictionaries and lists) for the script's literals."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


def nest_script(nest: NestNetwork, title: str, description: str = "", duration: float = 1.0) -> str:
    """The text of the PyNEST script of a network already in NEST's terms."""
    imports: set[tuple[str, str]] = set()
    populations = {p.name: {k: v for k, v in plain(p).items() if k != "name"} for p in nest.populations}
    for p in populations.values():
        p["varying"] = {k: [d["kind"], *d["args"]] for k, d in p["varying"].items()}
    sections = [
        ("RESOLUTION", f"{nest.resolution!r}  # ms"),
        ("SEED", repr(nest.seed)),
        ("DURATION", f"{float(duration)!r}  # s, the default of --duration"),
        ("POPULATIONS", literal(populations, imports)),
        ("PROJECTIONS", literal([plain(p) for p in nest.projections], imports)),
        ("DEVICES", literal([plain(d) for d in nest.devices], imports)),
    ]
    head = [f'"""The NeuroCore Studio project `{title}` as a PyNEST script.{about(description)}',
            "",
            "Usage: python SCRIPT [--duration S] [--threads N] [--seed S] [--out FILE.npz]",
            "       mpirun -n P python SCRIPT ...   (an MPI build of NEST; one FILE.rankR.npz per process)",
            '"""',
            "",
            "import argparse",
            "import os",
            "from pathlib import Path",
            "",
            "import numpy as np",
            "",
            'os.environ.setdefault("PYNEST_QUIET", "1")',
            "import nest  # noqa: E402",
            "",
            *(f"{name} = {text}" for name, text in sections)]
    return "\n".join(head) + _BODY


def export_nest(project: str | os.PathLike | ProjectDoc, out_path: str | os.PathLike) -> Path:
    """Write the project's network as a standalone PyNEST script at ``out_path``.

    Raises
    ------
    studio.interop.export_source.ExportRefused
        A model, synapse, input or device with no NEST counterpart, named with the reason.
    studio.project.project_file.ProjectFileError
        The project has problems.
    """
    source = export_source(project)
    return write_script(out_path, nest_script(nest_network(source.net), source.title, source.description))
