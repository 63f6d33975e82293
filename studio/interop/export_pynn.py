"""``ncstudio export PROJECT --to pynn``: a PyNN script of the project's network (the ``pyNN.nest`` backend).

The network is first put in NEST's terms (:mod:`studio.interop.nest_mapping`, so the same
models are recognised and the same things refused); NEST models with a PyNN standard cell type
become it (``iaf_psc_exp`` -> ``IF_curr_exp``, ``iaf_cond_exp`` -> ``IF_cond_exp``, ...) with
PyNN's names and units (nF, nA, uS), the others are NEST's own via ``native_cell_type``.
Rules become PyNN connectors, a ``poisson_generator`` a population of ``SpikeSourcePoisson``
(one independent train per target, as in NEST), current generators PyNN's current sources.
Run it where PyNN and NEST are installed::

    python cuba_pynn.py --duration 1 --out run.npz
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.interop.export_nest import plain
from studio.interop.export_source import ExportRefused, about, export_source, write_script
from studio.interop.nest_mapping import NestDevice, NestNetwork, NestPopulation, NestProjection, nest_network
from studio.interop.script_export import literal
from studio.project.project_doc import ProjectDoc

_LIF = {"C_m": ("cm", 1e-3), "tau_m": ("tau_m", 1.0), "t_ref": ("tau_refrac", 1.0), "V_th": ("v_thresh", 1.0),
        "V_reset": ("v_reset", 1.0), "E_L": ("v_rest", 1.0), "I_e": ("i_offset", 1e-3),
        "tau_syn_ex": ("tau_syn_E", 1.0), "tau_syn_in": ("tau_syn_I", 1.0), "E_ex": ("e_rev_E", 1.0),
        "E_in": ("e_rev_I", 1.0)}
STANDARD = {"iaf_psc_exp": "IF_curr_exp", "iaf_psc_alpha": "IF_curr_alpha", "iaf_psc_delta": "IF_curr_delta",
            "iaf_cond_exp": "IF_cond_exp", "iaf_cond_alpha": "IF_cond_alpha"}
"""NEST models and the PyNN standard cell types that are them (the others are written as native NEST types)."""
_STANDARD_STATES = {"V_m": "v", "g_ex": "gsyn_exc", "g_in": "gsyn_inh"}
_WEIGHT_SCALE = {"iaf_psc_exp": 1e-3, "iaf_psc_alpha": 1e-3, "iaf_cond_exp": 1e-3, "iaf_cond_alpha": 1e-3}
_CONDUCTANCE = ("iaf_cond_exp", "iaf_cond_alpha")
_CURRENT_SOURCES = {"dc_generator": ("DCSource", {"amplitude": ("amplitude", 1e-3)}),
                    "ac_generator": ("ACSource", {"amplitude": ("amplitude", 1e-3), "offset": ("offset", 1e-3),
                                                  "frequency": ("frequency", 1.0), "phase": ("phase", 1.0)}),
                    "step_current_generator": ("StepCurrentSource", {"amplitude_times": ("times", 1.0),
                                                                     "amplitude_values": ("amplitudes", 1e-3)}),
                    "noise_generator": ("NoisyCurrentSource", {"mean": ("mean", 1e-3), "std": ("stdev", 1e-3),
                                                               "dt": ("dt", 1.0)})}

_BODY = '''

def _draw(spec):
    kind, *args = spec
    if kind == "uniform":
        return sim.RandomDistribution("uniform", low=args[0], high=args[1])
    if kind == "normal":
        return sim.RandomDistribution("normal", mu=args[0], sigma=args[1])
    return args[0] if kind == "value" else list(args)


def _cells(pop, neurons):
    return pop if neurons is None else pop[list(neurons)]


def build():
    """Create the populations, projections and devices; return the populations and the recorders."""
    pops = {}
    for name, p in POPULATIONS.items():
        cell = getattr(sim, p["cell"]) if p["standard"] else sim.native_cell_type(p["cell"])
        pops[name] = sim.Population(p["size"], cell(**p["params"]), label=name)
        for key, spec in p["initial"].items():
            pops[name].initialize(**{key: _draw(spec)})
    for p in PROJECTIONS:
        connector = getattr(sim, p["connector"])(**p["options"])
        sim.Projection(pops[p["source"]], pops[p["target"]], connector, sim.StaticSynapse(**p["synapse"]),
                       receptor_type=p["receptor"], label=p["name"])
    for d in DEVICES:
        cells = _cells(pops[d["target"]], d["neurons"])
        if d["role"] == "current":
            getattr(sim, d["source"])(**d["params"]).inject_into(cells)
        elif d["role"] == "spikes":
            size = cells.size if d["source"] == "SpikeSourcePoisson" else 1
            source = sim.Population(size, getattr(sim, d["source"])(**d["params"]), label=d["name"])
            connector = sim.OneToOneConnector() if size > 1 else sim.AllToAllConnector()
            sim.Projection(source, cells, connector, sim.StaticSynapse(**d["synapse"]), receptor_type=d["receptor"])
        else:
            cells.record(d["record"], sampling_interval=d["interval"])
    return pops


def collect(pops, duration_ms):
    """What each recorder saw (the layout of the PyNEST export) and each spike recorder's mean rate (Hz)."""
    data, rates = {}, {}
    for d in DEVICES:
        if d["role"] != "record":
            continue
        segment = _cells(pops[d["target"]], d["neurons"]).get_data(clear=False).segments[0]
        name = d["name"]
        if d["record"] == ["spikes"]:
            neurons = d["neurons"] if d["neurons"] is not None else range(POPULATIONS[d["target"]]["size"])
            trains = list(zip(neurons, segment.spiketrains))
            times = np.concatenate([np.asarray(st.magnitude, float) for _, st in trains] or [np.zeros(0)])
            senders = np.concatenate([np.full(len(st), n) for n, st in trains] or [np.zeros(0, int)])
            order = np.lexsort((senders, times))
            data[f"{name}.times"], data[f"{name}.senders"] = times[order], senders[order]
            rates[name] = len(times) / (len(trains) * duration_ms * 1e-3)
            continue
        for signal in segment.analogsignals:
            ours = d["names"][signal.name]
            data[f"{name}.t"] = np.asarray(signal.times.rescale("ms").magnitude)
            data[f"{name}.{ours}"] = np.asarray(signal.magnitude) / d["factors"][signal.name]
    return data, rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DURATION, help="simulated seconds (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="NEST threads")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of NEST's random numbers")
    parser.add_argument("--out", default=Path(__file__).with_suffix(".npz").name, help="recordings (.npz)")
    args = parser.parse_args(argv)
    sim.setup(timestep=RESOLUTION, threads=args.threads, rng_seed=args.seed)
    pops = build()
    sim.run(args.duration * 1e3)
    data, rates = collect(pops, args.duration * 1e3)
    np.savez(args.out, duration_s=args.duration, **data)
    sim.end()
    for name, rate in rates.items():
        print(f"{name}: {rate:.3f} Hz")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
'''


def _population(p: NestPopulation) -> dict:
    standard = p.model in STANDARD
    if not standard:
        return {"cell": p.model, "standard": False, "size": p.size, "params": p.params,
                "initial": {k: [d.kind, *d.args] for k, d in p.varying.items()}}
    params = dict(p.params)
    if "g_L" in params:
        params["tau_m"] = params["C_m"] / params.pop("g_L")
    out = {_LIF[k][0]: v * _LIF[k][1] for k, v in params.items() if k in _LIF}
    initial = {}
    for key, d in p.varying.items():
        if key not in _STANDARD_STATES:
            raise ExportRefused(f"population `{p.name}`: PyNN's {STANDARD[p.model]} does not set `{key}`")
        initial[_STANDARD_STATES[key]] = [d.kind, *d.args]
    return {"cell": STANDARD[p.model], "standard": True, "size": p.size, "params": out, "initial": initial}


def _receptor(model: str, weight: float, receptor_type: int) -> tuple[str, float]:
    """PyNN's receptor name and weight (nA, uS or mV) of a NEST weight (pA, nS or mV)."""
    if receptor_type:
        return f"port_{receptor_type}", weight
    scale = _WEIGHT_SCALE.get(model, 1.0)
    receptor = "excitatory" if weight >= 0 else "inhibitory"
    return receptor, (abs(weight) if model in _CONDUCTANCE else weight) * scale


_CONNECTORS = {"all_to_all": "AllToAllConnector", "one_to_one": "OneToOneConnector",
               "pairwise_bernoulli": "FixedProbabilityConnector", "fixed_indegree": "FixedNumberPreConnector",
               "fixed_outdegree": "FixedNumberPostConnector", "fixed_total_number": "FixedTotalNumberConnector"}


def _projection(p: NestProjection, models: dict[str, str]) -> dict:
    model = p.syn_spec["synapse_model"]
    if model in SYNAPSE_PARAMETERS:
        raise ExportRefused(f"projection `{p.name}`: {model} is not exported to PyNN yet (its standard synapse "
                            "types set fewer of NEST's parameters)")
    spec = dict(p.conn_spec)
    rule = spec.pop("rule")
    options: dict[str, object] = {}
    if "sources" in spec:
        connector = "FromListConnector"
        options["conn_list"] = [[i, j] for i, j in zip(spec.pop("sources"), spec.pop("targets"))]
    else:
        connector = _CONNECTORS[rule]
        for key, value in spec.items():
            if key in ("p", "indegree", "outdegree", "N"):
                options["p_connect" if key == "p" else "n"] = value
            elif key == "allow_autapses":
                options["allow_self_connections"] = value
            elif key == "allow_multapses":
                options["with_replacement"] = value
        if rule in ("fixed_indegree", "fixed_outdegree", "fixed_total_number"):
            options.setdefault("with_replacement", True)
    weight = p.synapse["weight"] if p.synapse is not None else p.syn_spec["weight"]
    receptor, weight = _receptor(models[p.target], weight, p.syn_spec.get("receptor_type", 0))
    return {"name": p.name, "source": p.source, "target": p.target, "connector": connector, "options": options,
            "synapse": {"weight": weight, "delay": p.syn_spec["delay"]}, "receptor": receptor}


def _window(params: dict) -> dict:
    out = {}
    if "start" in params:
        out["start"] = params["start"]
    if "stop" in params:
        out["stop"] = params["stop"]
    return out


def _device(d: NestDevice, pops: dict[str, NestPopulation]) -> dict:
    base = {"name": d.name, "target": d.target, "neurons": list(d.neurons) if d.neurons is not None else None}
    model = pops[d.target].model
    if d.model in _CURRENT_SOURCES:
        source, names = _CURRENT_SOURCES[d.model]
        params = {names[k][0]: ([x * names[k][1] for x in v] if isinstance(v, list) else v * names[k][1])
                  for k, v in d.params.items() if k in names}
        return {**base, "role": "current", "source": source, "params": {**params, **_window(d.params)}}
    if d.model in ("poisson_generator", "spike_generator"):
        receptor, weight = _receptor(model, d.syn_spec["weight"], d.syn_spec.get("receptor_type", 0))
        window = _window(d.params)
        if d.model == "poisson_generator":
            params = {"rate": d.params["rate"], "start": window.get("start", 0.0)}
            if "stop" in window:
                params["duration"] = window["stop"] - params["start"]
            source = "SpikeSourcePoisson"
        else:
            params, source = {"spike_times": d.params.get("spike_times", [])}, "SpikeSourceArray"
        return {**base, "role": "spikes", "source": source, "params": params, "receptor": receptor,
                "synapse": {"weight": weight, "delay": d.syn_spec["delay"]}}
    if d.model == "spike_recorder":
        if _window(d.params):
            raise ExportRefused(f"device `{d.name}`: a spike_recorder with start or stop is not exported to PyNN")
        return {**base, "role": "record", "record": ["spikes"], "interval": None}
    names, factors, record = {}, {}, []
    for ours, (nest, factor) in d.record_from.items():
        theirs = _STANDARD_STATES.get(nest) if model in STANDARD else nest
        if theirs is None:
            raise ExportRefused(f"device `{d.name}`: PyNN's {STANDARD[model]} does not record `{nest}` ({ours})")
        scale = 1e-3 if theirs.startswith("gsyn") else 1.0
        names[theirs], factors[theirs] = ours, factor * scale
        record.append(theirs)
    return {**base, "role": "record", "record": record, "interval": d.params.get("interval", 1.0),
            "names": names, "factors": factors}


def pynn_script(nest: NestNetwork, title: str, description: str = "", duration: float = 1.0) -> str:
    """The text of the PyNN script of a network already in NEST's terms."""
    imports: set[tuple[str, str]] = set()
    pops = {p.name: p for p in nest.populations}
    models = {p.name: p.model for p in nest.populations}
    sections = [
        ("RESOLUTION", f"{nest.resolution!r}  # ms"),
        ("SEED", repr(nest.seed)),
        ("DURATION", f"{float(duration)!r}  # s, the default of --duration"),
        ("POPULATIONS", literal({p.name: _population(p) for p in nest.populations}, imports)),
        ("PROJECTIONS", literal([_projection(p, models) for p in nest.projections], imports)),
        ("DEVICES", literal([plain(_device(d, pops)) for d in nest.devices], imports)),
    ]
    head = [f'"""The NeuroCore Studio project `{title}` as a PyNN script (pyNN.nest).{about(description)}',
            "",
            "Usage: python SCRIPT [--duration S] [--threads N] [--seed S] [--out FILE.npz]",
            '"""',
            "",
            "import argparse",
            "from pathlib import Path",
            "",
            "import numpy as np",
            "import pyNN.nest as sim",
            "",
            *(f"{name} = {text}" for name, text in sections)]
    return "\n".join(head) + _BODY


def export_pynn(project: str | os.PathLike | ProjectDoc, out_path: str | os.PathLike) -> Path:
    """Write the project's network as a PyNN script (pyNN.nest) at ``out_path``.

    Raises
    ------
    studio.interop.export_source.ExportRefused
        A model, synapse, input or device with no NEST or PyNN counterpart, named with the reason.
    studio.project.project_file.ProjectFileError
        The project has problems.
    """
    source = export_source(project)
    return write_script(out_path, pynn_script(nest_network(source.net), source.title, source.description))
