"""Reading a NIR graph (the ``nir`` package) into a project.

Neuron nodes and ``Input`` nodes become populations of the models of
:mod:`studio.interop.nir_models`; the weight nodes between two of them (``Affine``, ``Linear``,
``Scale``, convolutions, pooling, ``Flatten``, ``Delay``, in any chain or sum) are composed into one
explicit projection per source, target and delay, with a weight per connection; ``Affine`` and
convolution biases become the target's ``bias``; ``Output`` nodes become recorders.  Each ``Input``
population is driven by a spike generator (its spike times left for the user to fill in).
A node of a type not listed in :data:`SUPPORTED` is refused with its name and type.
docs/nir.md describes the mapping.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from engine.equations.units import SI_UNITS, Quantity
from studio.interop.nir_lowering import MAPS, Lowered, NirError, PassThrough, lower
from studio.interop.nir_models import MODELS, NirModel
from studio.project.project_doc import DeviceDoc, InlineModel, PopulationDoc, ProjectDoc, ProjectionDoc, RuleDoc

DEFAULT_DT = 1e-4  # seconds: snnTorch's export step, and the studio's default
SUPPORTED = ("Input", *(t for t in MODELS if t != "Input"), *MAPS, "Output", "NIRGraph")
"""The NIR node types the import reads (``Input``, the neuron types, the weight nodes, ``Output``, graphs)."""
_SCALES = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "Hz": 1.0, "kHz": 1e3}
_WRITTEN_IN = {"second": ("s", "ms", "us"), "hertz": ("Hz", "kHz")}  # a model's unit -> units its values take
_SHAPE_FIELD = {"LIF": "tau", "LI": "tau", "CubaLIF": "tau_mem", "CubaLI": "tau_mem", "IF": "r", "I": "r",
                "Threshold": "threshold"}


def read_nir(path: str | os.PathLike):
    """The graph in the NIR file ``path``; a node of an unsupported type is refused by name and type."""
    import h5py
    import nir

    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            if f["node"]["type"][()] == b"NIRGraph":
                _refuse_unsupported(f["node"], "")
        return nir.read(path, type_check=False)  # the graph as written: the import works out the shapes
    except NirError:
        raise
    except (OSError, KeyError, ValueError, TypeError, AssertionError) as exc:
        raise NirError(f"{path}: not a NIR graph the nir package reads ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from exc


def _refuse_unsupported(group, prefix: str) -> None:
    """Refuse, before the nir package reads them, nodes of a type it or this import does not know."""
    for name, node in group["nodes"].items():
        kind = node["type"][()].decode("utf8")
        if kind == "NIRGraph":
            _refuse_unsupported(node, f"{prefix}{name}.")
        elif kind not in SUPPORTED:
            raise NirError(_unsupported(prefix + name, kind))


def _unsupported(name: str, kind: str) -> str:
    return f"node `{name}` ({kind}) is not supported: NeuroCore Studio reads {', '.join(SUPPORTED)}"


def flattened(graph, prefix: str = "") -> tuple[dict, list[tuple[str, str]]]:
    """The nodes and edges of ``graph`` with every graph inside it spliced in (snnTorch writes its recurrent
    layers so): its nodes named ``<graph>.<node>``, its ``Input`` and ``Output`` nodes passing values through,
    an edge into (out of) it going to its inputs (from its outputs); a node of a type not in :data:`SUPPORTED`
    is refused by name and type."""
    nodes: dict = {}
    edges: list[tuple[str, str]] = []
    entries: dict[str, list[str]] = {}
    exits: dict[str, list[str]] = {}
    for name, node in graph.nodes.items():
        full, kind = prefix + name, type(node).__name__
        if kind == "NIRGraph":
            inner, inner_edges = flattened(node, f"{full}.")
            nodes.update(inner)
            edges += inner_edges
            entries[name] = [f"{full}.{n}" for n, x in node.nodes.items() if type(x).__name__ == "Input"]
            exits[name] = [f"{full}.{n}" for n, x in node.nodes.items() if type(x).__name__ == "Output"]
        elif kind not in SUPPORTED:
            raise NirError(_unsupported(full, kind))
        else:
            nodes[full] = PassThrough() if prefix and kind in ("Input", "Output") else node
    for a, b in graph.edges:
        edges += [(s, t) for s in exits.get(a, [prefix + a]) for t in entries.get(b, [prefix + b])]
    return nodes, edges


def identifier(name: str, taken: set[str]) -> str:
    """``name`` as a project name (letters, digits, ``_``, not starting with a digit), unique among ``taken``
    (which it joins)."""
    base = re.sub(r"\W", "_", name, flags=re.ASCII) or "node"
    if base[0].isdigit():
        base = f"n{base}"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def exact_text(value: float, units: tuple[str, ...] = ("s", "ms", "us")) -> str:
    """``value`` (SI) written in the first of ``units`` whose text reads back as exactly ``value`` (by default a
    time: ``"0.002 s"``)."""
    for unit in units:
        text = f"{value / _SCALES[unit]!r} {unit}"
        if Quantity.parse(text).in_units(SI_UNITS) == value:
            return text
    return f"{value!r} {units[0]}"


@dataclass
class _Term:
    """The input of a node as sums over populations: per (source population, delay) a matrix, plus a bias, and the
    first weight nodes after each source (which name the projection)."""

    parts: dict[tuple[str, float], sp.csr_matrix] = field(default_factory=dict)
    bias: np.ndarray | None = None
    firsts: dict[tuple[str, float], set[str]] = field(default_factory=dict)

    def add(self, other: "_Term") -> None:
        for key, matrix in other.parts.items():
            self.parts[key] = self.parts[key] + matrix if key in self.parts else matrix
            self.firsts.setdefault(key, set()).update(other.firsts[key])
        if other.bias is not None:
            self.bias = other.bias if self.bias is None else self.bias + other.bias

    def through(self, lowered: Lowered) -> "_Term":
        bias = None if self.bias is None else lowered.matrix @ self.bias
        if lowered.bias is not None:
            bias = lowered.bias if bias is None else bias + lowered.bias
        parts = {(s, d + lowered.delay): (lowered.matrix @ m).tocsr() for (s, d), m in self.parts.items()}
        firsts = {(s, d + lowered.delay): f for (s, d), f in self.firsts.items()}
        return _Term(parts, bias, firsts)


class _Importer:
    def __init__(self, graph, dt: float):
        self.dt = dt
        self.nodes, edges = flattened(graph)
        self.preds: dict[str, list[str]] = {name: [] for name in self.nodes}
        for a, b in edges:
            for end in (a, b):
                if end not in self.nodes:
                    raise NirError(f"edge `{a}` -> `{b}`: no node `{end}`")
            self.preds[b].append(a)
        # The order does not depend on the file's (HDF5 lists nodes by name): by distance from the inputs, then name.
        graph_nx = nx.DiGraph(edges)
        graph_nx.add_nodes_from(self.nodes)
        inputs = [n for n, node in self.nodes.items() if type(node).__name__ == "Input"]
        depth = nx.multi_source_dijkstra_path_length(graph_nx, inputs) if inputs else {}
        self.populations = sorted((n for n, node in self.nodes.items() if type(node).__name__ in MODELS),
                                  key=lambda n: (depth.get(n, len(self.nodes)), n))
        taken: set[str] = set()
        self.names = {n: identifier(n, taken) for n in self.populations}
        self.taken = taken
        self.lowered: dict[tuple[str, tuple[int, ...]], Lowered] = {}
        self.outputs: dict[str, tuple[_Term, tuple[int, ...]]] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        for name in self.populations:
            self._shape(name)

    def _kind(self, name: str) -> str:
        return type(self.nodes[name]).__name__

    def _lower(self, name: str, in_shape: tuple[int, ...]) -> Lowered:
        key = (name, in_shape)
        if key not in self.lowered:
            self.lowered[key] = lower(name, self.nodes[name], in_shape)
        return self.lowered[key]

    def _shape(self, name: str, visiting: frozenset[str] = frozenset()) -> tuple[int, ...] | None:
        """The shape of a population: an Input's type; a neuron node's parameters' shape, or, where they are
        scalars (snnTorch writes one beta for a layer) or flat, the shape of what arrives (``None`` while
        that is being worked out, in a loop)."""
        if name in self.shapes:
            return self.shapes[name]
        node, kind = self.nodes[name], self._kind(name)
        if kind == "Input":
            declared = node.input_type["input"]
            declared = () if declared is None else tuple(int(s) for s in np.atleast_1d(declared))
            arriving = None
        else:
            declared = np.shape(getattr(node, _SHAPE_FIELD[kind]))
            if name in visiting:
                return declared or None
            arriving = self._arriving_shape(name, visiting | {name})
        shape = declared
        if arriving is not None and (not declared or (int(np.prod(arriving)) == int(np.prod(declared))
                                                      and len(arriving) > len(declared))):
            shape = arriving
        if not shape or min(shape) < 1:
            raise NirError(f"node `{name}` ({kind}): no neurons (shape {list(shape)}), and no input that gives "
                           "the layer's size")
        self.shapes[name] = shape
        return shape

    def _arriving_shape(self, name: str, visiting: frozenset[str]) -> tuple[int, ...] | None:
        """The shape of what reaches node ``name`` (``None`` when not known yet)."""
        for pred in self.preds[name]:
            if pred in visiting or self._kind(pred) == "Output":
                continue
            if self._kind(pred) in MODELS:
                sent = self._shape(pred, visiting)
            else:
                arriving = self._arriving_shape(pred, visiting | {pred})
                sent = None if arriving is None else self._lower(pred, arriving).out_shape
            if sent is not None:
                return sent
        return None

    def _output_of(self, name: str, visiting: frozenset[str] = frozenset()) -> tuple[_Term, tuple[int, ...]]:
        """What node ``name`` sends on, in terms of populations, and its shape."""
        if name in self.shapes:
            n = int(np.prod(self.shapes[name]))
            return _Term({(name, 0.0): sp.identity(n, format="csr")}, None, {(name, 0.0): set()}), self.shapes[name]
        if name in self.outputs:
            return self.outputs[name]
        if name in visiting:
            raise NirError(f"node `{name}` ({self._kind(name)}): a loop of weight nodes without a neuron in it")
        total, shape = self._input_of(name, visiting | {name})
        lowered = self._lower(name, shape)
        out = total.through(lowered)
        for key in out.firsts:
            if key[0] in self.preds[name] and not out.firsts[key]:
                out.firsts[key] = {name}
        self.outputs[name] = out, lowered.out_shape
        return self.outputs[name]

    def _input_of(self, name: str, visiting: frozenset[str] = frozenset()) -> tuple[_Term, tuple[int, ...]]:
        """The sum of what reaches node ``name``, and its shape."""
        total, shape = _Term(), None
        for pred in self.preds[name]:
            if self._kind(pred) == "Output":
                raise NirError(f"edge `{pred}` -> `{name}`: an Output node sends nothing on")
            term, pred_shape = self._output_of(pred, visiting)
            if shape is not None and int(np.prod(pred_shape)) != int(np.prod(shape)):
                raise NirError(f"node `{name}` ({self._kind(name)}): its inputs differ in size "
                               f"({list(shape)} and {list(pred_shape)} from `{pred}`)")
            total.add(term)
            shape = pred_shape if shape is None else shape
        if shape is None:
            raise NirError(f"node `{name}` ({self._kind(name)}): no input")
        return total, shape

    def _parameters(self, name: str, model: NirModel, bias: np.ndarray | None) -> dict:
        node, size = self.nodes[name], int(np.prod(self.shapes[name]))
        values = {f: np.asarray(getattr(node, f), dtype=np.float64) for f in model.fields}
        if bias is not None and np.any(bias != 0):
            values["bias"] = bias
        out = {}
        for key, value in values.items():
            try:
                flat = (value.reshape(-1) if value.size == size and value.size > 1
                        else np.broadcast_to(value, self.shapes[name]).reshape(-1))
            except ValueError:
                raise NirError(f"node `{name}` ({model.nir_type}), {key}: {value.size} values for "
                               f"{size} neurons") from None
            if not np.all(np.isfinite(flat)):
                raise NirError(f"node `{name}` ({model.nir_type}), {key}: not a finite number")
            unit = model.fields.get(key, "")

            def text(x: float) -> str | float:
                return exact_text(float(x), _WRITTEN_IN[unit]) if unit else float(x)

            out[key] = text(flat[0]) if np.all(flat == flat[0]) else tuple(text(x) for x in flat)
        return out

    def project(self, description: str) -> ProjectDoc:
        populations, projections, devices, used = [], [], [], {}
        for name in self.populations:
            model = MODELS[self._kind(name)]
            used[model.name] = InlineModel(model.spec)
            bias = None
            if self.preds[name]:
                if model.nir_type == "Input":
                    raise NirError(f"node `{name}` (Input) has inputs")
                term, shape = self._input_of(name)
                if int(np.prod(shape)) != int(np.prod(self.shapes[name])):
                    raise NirError(f"node `{name}` ({model.nir_type}): {int(np.prod(self.shapes[name]))} neurons, "
                                   f"but its input gives {int(np.prod(shape))} values")
                bias = term.bias
                projections += self._projections(name, term)
            populations.append(PopulationDoc(self.names[name], model.name, int(np.prod(self.shapes[name])),
                                             self._parameters(name, model, bias)))
            if model.nir_type == "Input":
                devices.append(DeviceDoc(identifier(f"{self.names[name]}_spikes", self.taken), "spike_generator",
                                         self.names[name], {"spike_times": ()}, weight=1,
                                         delay=exact_text(self.dt)))
        for name in sorted(self.nodes):
            if self._kind(name) == "Output":
                devices += self._recorders(name)
        return ProjectDoc(description=description, dt=exact_text(self.dt), models=used,
                          populations=tuple(populations), projections=tuple(projections), devices=tuple(devices))

    def _projections(self, target: str, term: _Term) -> list[ProjectionDoc]:
        out = []
        for (source, delay), matrix in sorted(term.parts.items()):
            coo = matrix.tocoo()
            keep = coo.data != 0
            order = np.lexsort((coo.row[keep], coo.col[keep]))
            sources, targets, weights = coo.col[keep][order], coo.row[keep][order], coo.data[keep][order]
            firsts = term.firsts[(source, delay)]
            base = next(iter(firsts)) if len(firsts) == 1 else f"{self.names[source]}_to_{self.names[target]}"
            rule = RuleDoc("explicit", sources=tuple(int(s) for s in sources), targets=tuple(int(t) for t in targets),
                           weights=tuple(float(str(w)) for w in weights.astype(np.float32)))  # as the engine holds them
            steps = delay / self.dt
            if abs(steps - round(steps)) > 1e-6:
                raise NirError(f"node `{base}`: a delay of {delay!r} s is not a whole number of steps of "
                               f"dt = {self.dt!r} s")
            out.append(ProjectionDoc(identifier(base, self.taken), self.names[source], self.names[target], rule,
                                     weight=1, delay=exact_text(self.dt * (round(steps) + 1))))
        return out

    def _recorders(self, name: str) -> list[DeviceDoc]:
        out = []
        for pred in self.preds[name]:
            while self._kind(pred) == "PassThrough" and len(self.preds[pred]) == 1:  # out of a graph inside
                pred = self.preds[pred][0]
            kind = self._kind(pred)
            if pred not in self.shapes:
                raise NirError(f"node `{name}` (Output) is fed by `{pred}` ({kind}), a weight node: the studio "
                               "records neurons; end the graph with a neuron layer (LI for a readout)")
            device = identifier(name, self.taken)
            # Every device states its delay: the default, 0.1 ms, is refused when dt is longer.
            if MODELS[kind].spiking:
                out.append(DeviceDoc(device, "spike_recorder", self.names[pred], delay=exact_text(self.dt)))
            else:
                out.append(DeviceDoc(device, "multimeter", self.names[pred],
                                     {"record_from": ("v",), "interval": exact_text(self.dt)},
                                     delay=exact_text(self.dt)))
        return out


def stated_dt(graph) -> float | None:
    """The time step a graph states in ``metadata["dt"]`` (seconds), or ``None`` when it states none."""
    stated = (getattr(graph, "metadata", None) or {}).get("dt")
    if stated is None:
        return None
    try:
        return float(np.asarray(stated).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise NirError(f"graph metadata dt: `{stated}` is not a time in seconds") from None


def graph_dt(graph, dt: float | None = None) -> float:
    """The time step of an imported graph (seconds): ``dt`` when given, else the graph's (:func:`stated_dt`),
    else :data:`DEFAULT_DT`."""
    chosen = dt if dt is not None else stated_dt(graph)
    chosen = DEFAULT_DT if chosen is None else float(chosen)
    if not np.isfinite(chosen) or chosen <= 0:
        raise NirError(f"dt must be a positive time in seconds, not {chosen!r}")
    return chosen


def project_from_graph(graph, dt: float | None = None, source: str = "a NIR graph") -> ProjectDoc:
    """The project of a NIR graph (:mod:`nir` objects) with time step ``dt`` seconds (:func:`graph_dt`)."""
    if type(graph).__name__ != "NIRGraph":
        raise NirError(f"{source}: a NIR file holds a graph, not a single {type(graph).__name__} node")
    step = graph_dt(graph, dt)
    return _Importer(graph, step).project(f"Imported from {source} (NIR), dt = {step!r} s")


def import_nir(path: str | os.PathLike, dt: float | None = None, graph=None) -> ProjectDoc:
    """The project of the NIR file ``path`` (see :func:`project_from_graph`); ``graph`` is the file's graph when
    already read (:func:`read_nir`)."""
    return project_from_graph(read_nir(path) if graph is None else graph, dt, Path(path).name)
