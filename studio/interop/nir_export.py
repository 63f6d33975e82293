"""Writing a project as a NIR graph (the ``nir`` package) that ``nir.read`` loads.

The project's network is built (so every rule's connections are drawn with the project's seed),
then each population of a NIR model (:mod:`studio.interop.nir_models`) becomes its node with every
parameter per neuron, each projection an ``Affine`` node holding its weight matrix (the target's
``bias`` on the first projection into it) followed by a ``Delay`` node when its delay is longer than
one step, and each spike recorder or multimeter an ``Output`` node.  The graph's ``metadata["dt"]``
holds the time step in seconds.  Anything without a NIR counterpart is refused by name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.errors import NeuroCoreError, Problem
from engine.equations.units import UnitError
from studio.interop.nir_lowering import NirError
from studio.interop.nir_models import MODELS, NirModel, model_by_name, same_equations
from studio.project.network_def import locate_engine_error, network_def
from studio.project.project_doc import InlineModel, ProjectDoc

RECORDERS = ("spike_recorder", "multimeter", "voltmeter")
_STIMULI = ("spike_generator", "poisson_generator")  # drive Input populations; a NIR graph has no stimulus


def _model(doc: ProjectDoc, population) -> NirModel:
    entry = doc.models.get(population.model)
    model = model_by_name(population.model)
    if model is None or not isinstance(entry, InlineModel) or not same_equations(entry.spec, model):
        names = ", ".join(m.name for m in MODELS.values())
        edited = " (its equations were edited)" if model is not None else ""
        raise NirError(f"population `{population.name}`: model `{population.model}`{edited} has no NIR counterpart; "
                       f"NIR export takes the NIR models ({names}), which `ncstudio import FILE.nir` writes")
    return model


def _per_neuron(pop, name: str) -> np.ndarray:
    """A parameter of a built population for every neuron (model units, SI for the NIR models)."""
    if name in pop.ir.slot_names:
        return np.asarray(pop.state.get(name), dtype=np.float64).copy()
    return np.full(pop.size, pop.model.parameters[name].value)


def _add(nodes: dict, name: str, node, what: str) -> None:
    if name in nodes:
        raise NirError(f"{what} `{name}`: another element has that name, and the nodes of a NIR graph need "
                       "distinct names; rename one")
    nodes[name] = node


def graph_from_project(doc: ProjectDoc):
    """The NIR graph (:class:`nir.NIRGraph`) of ``doc``'s network."""
    import nir

    from engine.network.build import build_network

    problems: list[Problem] = []
    definition = network_def(doc, problems)
    if definition is None:
        raise NirError(f"{problems[0].field}: {problems[0].message}" if problems[0].field else problems[0].message)
    models = {p.name: _model(doc, p) for p in doc.populations}
    for p in doc.projections:
        if p.target in models and models[p.target].nir_type == "Input":
            raise NirError(f"projection `{p.name}`: `{p.target}` is a graph input (nir_Input), which takes no "
                           "projection")
        if p.on_pre is not None or (p.synapse or "static_synapse") != "static_synapse":
            raise NirError(f"projection `{p.name}`: NIR holds static weights into a neuron's one input, "
                           f"not `{'on_pre' if p.on_pre is not None else p.synapse}`")
    try:
        network = build_network(definition)
    except (NeuroCoreError, UnitError) as exc:
        raise NirError(str(locate_engine_error(doc, exc)[0])) from exc
    dt = network.dt
    nodes, edges = {}, []
    for name, pop in network.populations.items():
        model = models[name]
        values = {f: _per_neuron(pop, f) for f in model.fields}
        if model.nir_type == "Input":
            nodes[name] = nir.Input(input_type={"input": np.array([pop.size])})
        else:
            nodes[name] = getattr(nir, model.nir_type)(**values)  # population names are distinct
    unfed = {name: _per_neuron(pop, "bias") for name, pop in network.populations.items()}  # bias until fed
    for name, proj in network.projections.items():
        matrix = np.zeros((proj.target.size, proj.source.size))
        np.add.at(matrix, (proj.targets.astype(np.int64), proj.sources()), proj.get_weights())
        bias = unfed.pop(proj.target.name, np.zeros(proj.target.size))
        _add(nodes, name, nir.Affine(weight=matrix, bias=bias), "projection")
        edges.append((proj.source.name, name))
        if proj.delay > 1:
            delay = f"{name}_delay"
            _add(nodes, delay, nir.Delay(delay=np.full(proj.target.size, (proj.delay - 1) * dt)), "delay node")
            edges += [(name, delay), (delay, proj.target.name)]
        else:
            edges.append((name, proj.target.name))
    for name, bias in unfed.items():
        if models[name].nir_type == "Input" and np.any(bias != 0):
            raise NirError(f"population `{name}`: a NIR Input has no `bias`")
        if models[name].nir_type != "Input":
            raise NirError(f"population `{name}` receives no projection: a NIR graph starts at its inputs (make it "
                           "a nir_Input population, or connect one to it; an Affine node carries its `bias`)")
    for d in doc.devices:
        if d.kind in RECORDERS:
            size = network.populations[d.target].size
            _add(nodes, d.name, nir.Output(output_type={"output": np.array([size])}), "device")
            edges.append((d.target, d.name))
        elif d.kind not in _STIMULI or models[d.target].nir_type != "Input":
            raise NirError(f"device `{d.name}`: a {d.kind} into `{d.target}` has no NIR counterpart (a graph's "
                           "stimulus is what drives its Input populations)")
    try:
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, "source": "NeuroCore Studio"})
    except (ValueError, AssertionError) as exc:
        raise NirError(f"the nir package refuses the graph: {exc}") from exc


def export_nir(doc: ProjectDoc, path: str | os.PathLike) -> Path:
    """Write ``doc`` as the NIR file ``path`` (HDF5, :func:`nir.write`); returns the path."""
    import nir

    graph = graph_from_project(doc)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    nir.write(partial, graph)
    os.replace(partial, path)
    return path
