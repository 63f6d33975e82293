"""Build a running network from its definition.

Populations become :class:`~engine.population_vm.PopulationVM` state (run by the VM or the
fused kernel), projections become CSR connectivity feeding per-receptor delay
rings, devices become per-chunk inputs and samplers; all of it is handed to
the C step loop in ext/network.pyx.  Given a :class:`~engine.fixedpoint.QFormat`
the whole network runs in fixed point: every population on the fixed-point VM,
weights quantized once, integer rings (docs/fixed-point.md, "Networks").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine.errors import Location, ModelError, NeuroCoreError, Problem
from engine.equations import expr as E
from engine.equations.check import BOOL, ExpressionChecker, Symbol
from engine.equations.constant_values import Expression, draws
from engine.equations.ir import NeuronIR, build_ir, receptor_slot
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import (DIMENSIONLESS, SECOND, SI_UNITS, Quantity, UnitError, as_quantity,
                                    format_dimension, quantity_in)
from engine.fixedpoint import QFormat
from engine.models.base import LibraryModel, ReceptorError, route_input
from engine.native import network as _network
from engine.network.connect import connect_weighted, to_csr
from engine.network.definitions import (STDP, SYNAPSES, Arithmetic, NetworkDef, PopulationDef, ProjectionDef,
                                        dt_problem)
from engine.network.devices import Device, delay_problem, delay_steps, device_type
from engine.network.footprint import check_memory
from engine.network.sc_projection import ScProjection, sc_plan
from engine.population_vm import PopulationVM


class NetworkError(NeuroCoreError):
    """A network definition cannot be built; the message names the element and field, ``location`` holds them."""


@dataclass
class Population:
    """A built population: its definition, checked model, IR and state."""

    index: int
    definition: PopulationDef
    model: CheckedModel
    library: LibraryModel | None
    ir: NeuronIR
    state: PopulationVM
    per_neuron: frozenset[str] = frozenset()
    overrides: dict[str, float] = field(default_factory=dict)  # folded parameters changed during a run

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def size(self) -> int:
        return self.definition.size


@dataclass
class Projection:
    """A built projection: CSR connectivity and where it delivers."""

    index: int
    definition: ProjectionDef
    source: Population
    target: Population
    receptor: str
    indptr: np.ndarray
    targets: np.ndarray  # uint16 or int32, CSR order
    weights: np.ndarray | None  # float32 per connection, or None for one shared weight
    weight: float  # the shared weight (model units), when weights is None
    delays: np.ndarray | None  # uint16 steps per connection, or None
    delay: int  # steps: the one delay, or the longest of ``delays``
    kernel_index: int = -1
    plasticity: "Plasticity | None" = None

    @property
    def raw_weights(self) -> np.ndarray | None:
        """Per-connection weights as raw integers of the target's format (fixed point), or None."""
        fmt = self.target.state.fmt
        return None if self.weights is None else fmt.to_store(self.weights.astype(np.float64))

    @property
    def raw_weight(self) -> int:
        """The shared weight as a raw integer of the target's format (fixed point)."""
        return int(self.target.state.fmt.to_store(self.weight))

    @property
    def n_connections(self) -> int:
        return int(self.targets.size)

    @property
    def nbytes(self) -> int:
        """Memory of the connectivity (CSR index, targets, weights, delays)."""
        return sum(a.nbytes for a in (self.indptr, self.targets, self.weights, self.delays) if a is not None)

    def sources(self) -> np.ndarray:
        """Source index of every connection, in CSR order."""
        return np.repeat(np.arange(self.indptr.size - 1), np.diff(self.indptr))

    def get_weights(self) -> np.ndarray:
        """Weight of every connection (model units), in CSR order."""
        if self.weights is None:
            return np.full(self.n_connections, self.weight)
        return self.weights.astype(np.float64)

    def set_weights(self, values) -> None:
        """Replace per-connection weights; refused for static_synapse_hom_w."""
        if self.weights is None:
            raise NetworkError(f"projection `{self.definition.name}` uses static_synapse_hom_w: one weight is "
                               "shared by all its connections, so per-connection weights cannot be set",
                               Location("projection", self.definition.name, "synapse"))
        self.weights[:] = np.broadcast_to(np.asarray(values, dtype=np.float32), self.weights.shape)


@dataclass
class Network:
    """A built network ready to run in chunks (see :class:`engine.run.simulation.Simulation`)."""

    definition: NetworkDef
    dt: float
    populations: dict[str, Population]
    projections: dict[str, Projection]
    devices: dict[str, Device]
    kernel: object
    rings: dict[tuple[str, str], int] = field(default_factory=dict)
    fmt: QFormat | None = None  # every population in this fixed-point format, or None (float)
    sc: dict[str, ScProjection] = field(default_factory=dict)  # projections computed with bitstreams
    notes: list[str] = field(default_factory=list)  # what a person should know about how this network runs

    @property
    def longest_chunk(self) -> int | None:
        """The most steps one chunk of the C loop may run: an SC projection adds what a spike delivers
        between chunks, so a chunk may not be longer than its delay (``None``: no limit)."""
        return min((sc.plan.delay for sc in self.sc.values()), default=None)

    def population(self, name: str) -> Population:
        try:
            return self.populations[name]
        except KeyError:
            raise NetworkError(f"no population `{name}` (have: {', '.join(self.populations)})",
                               Location("population", name)) from None

    def set_weight_scale(self, projection: str, scale: float) -> None:
        """Multiply the weights of a projection by ``scale`` from the next step on."""
        proj = self.projections.get(projection)
        at = Location("projection", projection)
        if proj is None:
            raise NetworkError(f"no projection `{projection}`", at)
        if self.fmt is not None:
            raise NetworkError(f"projection `{projection}`: weights are fixed once quantized to {self.fmt.name}; "
                               "scaling them while a fixed-point network runs is not available", at.at("weight"))
        self.kernel.set_weight_scale(proj.kernel_index, float(scale))

    def set_parameter(self, population: str, name: str, value: Quantity | str) -> None:
        """Change a parameter of a population between chunks (a quantity, or its text).

        A per-neuron parameter is written into its slot; a parameter folded into
        the compiled model recompiles the population's program with the new
        value, keeping every neuron's state.
        """
        pop = self.population(population)
        param = pop.model.parameters.get(name)
        at = Location("population", population, f"parameters.{name}")
        if param is None:
            raise NetworkError(f"population `{population}` has no parameter `{name}`", at)
        try:
            v, d = quantity_in(value, pop.model.system)
        except UnitError as exc:
            raise NetworkError(f"population `{population}`, parameter `{name}`: {exc}", at) from exc
        if d is not param.dim:
            raise NetworkError(f"population `{population}`, parameter `{name}`: `{value}` has units "
                               f"{format_dimension(d)}, expected {format_dimension(param.dim)}", at)
        if name in pop.ir.slot_names:
            pop.state.set(name, v)
            if name == pop.ir.refractory_param:
                pop.state.set_refractory_from_param()
            return
        try:
            ir = build_ir(pop.model, self.dt, name=pop.name, per_neuron=pop.per_neuron,
                          parameters={**pop.overrides, name: v})
        except ModelError as exc:
            raise NetworkError(f"population `{population}`, parameter `{name}`: {exc}", at) from exc
        pop.state.recompile(ir)
        pop.ir = ir
        pop.overrides[name] = v
        program = pop.state.program
        if self.fmt is not None:
            self.kernel.update_fixed_population(pop.index, pop.state.vm)
        else:
            self.kernel.update_population(pop.index, program, program.nregs, program.ref_mode, pop.state.kernel)


def _seconds(text: str, where: str, at: Location) -> float:
    try:
        value, d = quantity_in(text, SI_UNITS)
    except UnitError as exc:
        raise NetworkError(f"{where}: {exc}", at) from exc
    if d is not SECOND:
        raise NetworkError(f"{where}: `{text}` is not a time", at)
    return value


def build_network(net: NetworkDef, fmt: QFormat | None = None, available_memory: int | None = None) -> Network:
    """Check every element, draw the connectivity and assemble the C step loop (in fixed point with ``fmt``).

    A network that needs more than ``available_memory`` bytes (default: what the machine has available)
    is refused before anything is allocated (:func:`engine.network.footprint.check_memory`).
    """
    dt = _seconds(net.dt, "dt", Location(field="dt"))
    refused = dt_problem(dt)
    if refused is not None:
        raise NetworkError(refused, Location(field="dt"))
    seeds = np.random.SeedSequence(int(net.seed))
    pop_seed, proj_seed, dev_seed = seeds.spawn(3)
    names = [p.name for p in net.populations]
    if len(set(names)) != len(names):
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        raise NetworkError("population names must be unique", Location("population", twice, "name"))
    check_memory(net, available_memory)
    on_pre = _on_pre_receptors(net)
    kernel = _network.NetworkKernel(dt)
    populations: dict[str, Population] = {}
    for index, (pdef, ss) in enumerate(zip(net.populations, pop_seed.spawn(len(net.populations)))):
        populations[pdef.name] = _build_population(index, pdef, dt, on_pre.get(pdef.name, {}), ss, fmt)
        pop = populations[pdef.name]
        ir, state = pop.ir, pop.state
        current_row = ir.slot_index(ir.current_input) if ir.current_input else -1
        if fmt is not None:
            kernel.add_fixed_population(state.slots, state.refc, state.ref_steps, state.vm, state.seed, current_row)
            continue
        state_rows = [ir.slot_index(n) for n in ir.state_names]
        kernel.add_population(state.slots, state.refc, state.ref_steps, state.program, state.program.nregs,
                              state.program.ref_mode, ir.slot_index("lastspike"), state.seed, state.kernel,
                              current_row, state_rows)
    projections: dict[str, Projection] = {}
    for index, (pdef, ss) in enumerate(zip(net.projections, proj_seed.spawn(max(len(net.projections), 1)))):
        if pdef.name in projections:
            raise NetworkError(f"projection names must be unique (`{pdef.name}` twice)",
                               Location("projection", pdef.name, "name"))
        projections[pdef.name] = _build_projection(index, pdef, populations, on_pre, dt,
                                                   np.random.Generator(np.random.PCG64(ss)))
        if fmt is not None and pdef.synapse == "stdp_synapse":
            raise NetworkError(f"projection `{pdef.name}`: stdp_synapse is not available in fixed point "
                               "(its weights change by fractions the format cannot hold); run in floating point",
                               Location("projection", pdef.name, "synapse"))
    devices: dict[str, Device] = {}
    targets = {"population": populations, "projection": projections}
    for ddef, ss in zip(net.devices, dev_seed.spawn(max(len(net.devices), 1))):
        if ddef.name in devices:
            raise NetworkError(f"device names must be unique (`{ddef.name}` twice)",
                               Location("device", ddef.name, "name"))
        cls = device_type(ddef)
        target = targets[cls.target_kind].get(ddef.target)
        if target is None:
            raise NetworkError(f"device `{ddef.name}`: no {cls.target_kind} `{ddef.target}`",
                               Location("device", ddef.name, "target"))
        devices[ddef.name] = cls.create(ddef, target, dt, np.random.Generator(np.random.PCG64(ss)))
    network = Network(net, dt, populations, projections, devices, kernel, fmt=fmt)
    _arithmetic(network)
    _assemble_rings(network)
    return network


def _arithmetic(network: Network) -> None:
    """Each projection's arithmetic (its own, else its target population's) against the run's: SC projections
    of a fixed-point network become :class:`ScProjection`; a float run computes every projection in float
    and notes the settings it does not apply."""
    fmt = network.fmt
    targets = {p.name: p.arithmetic for p in network.definition.populations}
    for index, proj in enumerate(network.projections.values()):
        pdef = proj.definition
        arithmetic: Arithmetic | None = pdef.arithmetic or targets.get(pdef.target)
        if arithmetic is None:
            continue
        at = Location("projection", pdef.name)
        where = f"projection `{pdef.name}`"
        if fmt is None:
            if arithmetic.mode != "float":
                network.notes.append(f"{where}: {arithmetic.mode} arithmetic applies to fixed-point runs; "
                                     "this float run computes it in float")
            continue
        if arithmetic.mode == "float":
            raise NetworkError(f"{where}: float arithmetic cannot run in a {fmt.name} network; choose fixed or "
                               "sc, or run in float", at.at("arithmetic.mode"))
        if arithmetic.mode == "fixed":
            if arithmetic.format != fmt.name:
                raise NetworkError(f"{where}: arithmetic {arithmetic.format} differs from the run's {fmt.name}; "
                                   "a projection delivers in its target's format", at.at("arithmetic.format"))
            continue
        if proj.delays is not None:
            raise NetworkError(f"{where}: SC arithmetic needs one delay for the projection, not delays drawn "
                               "per connection", at.at("delay"))
        raw = proj.raw_weights if proj.weights is not None else np.array([proj.raw_weight])
        if (raw < 0).any() and (raw > 0).any():
            raise NetworkError(f"{where}: SC arithmetic needs weights of one sign (the stream carries the "
                               "magnitude)", at.at("weight"))
        network.sc[pdef.name] = ScProjection(sc_plan(proj, arithmetic, index), proj.target.size)


@dataclass(frozen=True)
class OnPre:
    """A receptor added to a target for a Brian2-style ``on_pre`` statement, and the first projection giving it."""

    receptor: str
    projection: str


def _on_pre_receptors(net: NetworkDef) -> dict[str, dict[str, OnPre]]:
    """The receptors to add to each target model for ``on_pre`` projections, by statement
    (``on_pre_<k>``, one per distinct statement)."""
    extra: dict[str, dict[str, OnPre]] = {}
    for p in net.projections:
        if p.on_pre:
            statements = extra.setdefault(p.target, {})
            statements.setdefault(p.on_pre.strip(), OnPre(f"on_pre_{len(statements)}", p.name))
    return extra


def _model_spec(pdef: PopulationDef) -> tuple[ModelSpec, LibraryModel | None]:
    if isinstance(pdef.model, LibraryModel):
        return pdef.model.spec, pdef.model
    return pdef.model, None


def _per_neuron_value(value):
    """A parameter or initial value as the build reads it: text is a quantity or, when not, an expression."""
    if not isinstance(value, str):
        return value
    try:
        return as_quantity(value)
    except UnitError:
        return Expression(value)


def _build_population(index: int, pdef: PopulationDef, dt: float, on_pre: dict[str, OnPre],
                      seed: np.random.SeedSequence, fmt: QFormat | None = None) -> Population:
    at = Location("population", pdef.name)
    where = at.element
    if not isinstance(pdef.size, int) or pdef.size < 1:
        raise NetworkError(f"{where}: size must be a positive whole number, not {pdef.size!r}", at.at("size"))
    spec, lib = _model_spec(pdef)
    receptors = dict(spec.receptors)
    for statement, added in on_pre.items():
        receptors[added.receptor] = Receptor(statement)
    typed = {k: _per_neuron_value(v) for k, v in pdef.parameters.items()}
    uniform = {k: v for k, v in typed.items() if isinstance(v, (Quantity, int, float))}
    varying = {k: v for k, v in typed.items() if k not in uniform}
    params = dict(spec.parameters)
    params.update(uniform)
    spec = replace(spec, parameters=params, receptors=receptors)
    try:
        checked = check_model(spec)
        ir = build_ir(checked, dt, name=pdef.name, per_neuron=frozenset(varying))
    except ModelError as exc:
        made_by = {f"receptors.{added.receptor}": Location("projection", added.projection, "on_pre")
                   for added in on_pre.values()}
        raise ModelError([replace(p, field=f"{where}: {p.field}",
                                  location=made_by.get(p.field, at.at(p.field)).spanning(p))
                          for p in exc.problems]) from exc
    rng = np.random.Generator(np.random.PCG64(seed))
    state = PopulationVM(ir, pdef.size, fmt=fmt, seed=int(seed.generate_state(1, np.uint64)[0]))
    env = {n: p.value for n, p in checked.parameters.items()}
    env.update({"i": np.arange(pdef.size, dtype=np.float64), "N": float(pdef.size), "t": 0.0, "dt": ir.dt})
    for name, text in varying.items():
        values = _per_neuron(text, checked, env, pdef.size, rng, f"{where}, parameter `{name}`",
                             checked.parameters[name].dim, at.at(f"parameters.{name}"))
        if checked.parameters[name].shared and np.any(values != values[0]):
            raise NetworkError(f"{where}, parameter `{name}`: `{text}` differs between neurons, but `{name}` is "
                               "shared (one value for the population)", at.at(f"parameters.{name}"))
        state.set(name, values)
        env[name] = values
        if name == ir.refractory_param:
            state.set_refractory_from_param()
    for name in ir.state_names:
        env[name] = state.get(name)
    for name, raw in pdef.initial.items():
        if name not in ir.state_names:
            raise NetworkError(f"{where}: initial value for `{name}`, which is not a state variable "
                               f"(states: {', '.join(ir.state_names)})", at.at(f"initial.{name}"))
        values = _per_neuron(_per_neuron_value(raw), checked, env, pdef.size, rng, f"{where}, initial `{name}`",
                             checked.states[name].dim, at.at(f"initial.{name}"))
        state.set(name, values)
        env[name] = values
    return Population(index, pdef, checked, lib, ir, state, frozenset(varying))


def _per_neuron(value, checked: CheckedModel, env, n: int, rng, where: str, dim, at: Location) -> np.ndarray:
    """Per-neuron values in model units: a quantity for every neuron, one quantity per neuron, an array
    (already in model units) as is, or an expression (with rand(), randn(), i, N, parameters, states and the
    constants it names) evaluated for every neuron."""
    if isinstance(value, Quantity):
        if value.dim is not dim:
            raise NetworkError(f"{where}: `{value}` has units {format_dimension(value.dim)}, "
                               f"expected {format_dimension(dim)}", at)
        return np.full(n, value.in_units(checked.system))
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, Quantity) for v in value):
        wrong = next((v for v in value if v.dim is not dim and not (v.dim is DIMENSIONLESS and v.value == 0)), None)
        if wrong is not None:
            raise NetworkError(f"{where}: `{wrong}` has units {format_dimension(wrong.dim)}, "
                               f"expected {format_dimension(dim)}", at)
        value = [v.in_units(checked.system) for v in value]
    if not isinstance(value, Expression):
        values = np.asarray(value, dtype=np.float64)
        if values.shape != (n,):
            raise NetworkError(f"{where}: {values.size} values given for {n} neurons", at)
        return values
    return _evaluate(value, checked.symbols(value.constants), checked.system, env, n, rng, where, dim, at)[0]


def _evaluate(value: Expression, symbols, system, env, n: int, rng, where: str, dim, at: Location,
              each: str = "neuron") -> tuple[np.ndarray, object]:
    """``n`` values of an expression drawn for each neuron or connection (``each``), in ``system``'s units,
    and its dimension; ``dim`` is the dimension it must have (any when ``None``)."""
    text = value.text
    problems: list[Problem] = []
    t = one_line(text, where)
    node = parse_expression(t, problems)
    result = None if node is None else ExpressionChecker(symbols, system, problems, draws=True).check(t, node)
    if result is None:
        raise ModelError([replace(p, location=at.spanning(p)) for p in problems])
    tree, d = result
    if d == BOOL or (dim is not None and d is not dim):
        got = "boolean" if d == BOOL else format_dimension(d)
        expected = "a number" if dim is None else format_dimension(dim)
        raise NetworkError(f"{where}: `{text}` has units {got}, expected {expected}", at)
    constants = {name: q.in_units(system) for name, q in value.constants.items()}
    with np.errstate(all="ignore"):  # a value that is not finite is refused below, by neuron or connection
        try:
            values = E.evaluate_array(tree, {**env, **constants}, n, rng)
        except ValueError as exc:
            raise NetworkError(f"{where}: `{text}`: {exc}", at) from exc
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise NetworkError(f"{where}: `{text}` is {values[bad[0]]} for {each} {int(bad[0])} "
                           f"({bad.size} of {n} {each}s); a value must be a finite number", at)
    return values, d


def _per_connection(value: Expression, system, n: int, rng, where: str, dim, at: Location):
    """A weight or delay drawn for each of ``n`` connections (an expression over constants that calls
    ``rand()``, ``randn()`` or ``redraw()``), in ``system``'s units, and its dimension."""
    symbols = {name: Symbol("constant", q.dim) for name, q in value.constants.items()}
    return _evaluate(value, symbols, system, {}, n, rng, where, dim, at, "connection")


def _build_projection(index, pdef: ProjectionDef, populations, on_pre, dt, rng) -> Projection:
    at = Location("projection", pdef.name)
    where = at.element
    src = populations.get(pdef.source)
    tgt = populations.get(pdef.target)
    if src is None or tgt is None:
        missing = pdef.source if src is None else pdef.target
        raise NetworkError(f"{where}: no population `{missing}`", at.at("source" if src is None else "target"))
    if pdef.synapse not in SYNAPSES:
        raise NetworkError(f"{where}: unknown synapse model `{pdef.synapse}` (choose from {', '.join(SYNAPSES)})",
                           at.at("synapse"))
    system = tgt.model.system
    drawn_weight = _drawn(pdef.weight)
    drawn_delay = _drawn(pdef.delay)
    if isinstance(drawn_weight, Expression) and pdef.synapse != "static_synapse":
        raise NetworkError(f"{where}: a weight drawn per connection (`{drawn_weight}`) needs static_synapse, "
                           f"not {pdef.synapse}", at.at("synapse"))
    if not isinstance(drawn_weight, Expression):
        try:
            weight, d = quantity_in(pdef.weight, system)
        except UnitError as exc:
            raise NetworkError(f"{where}, weight: {exc}", at.at("weight")) from exc
    if not isinstance(drawn_delay, Expression):
        delay_s = _seconds(pdef.delay, f"{where}, delay", at.at("delay"))
        problem = delay_problem(delay_s, dt)
        if problem is not None:
            raise NetworkError(f"{where}: {problem}", at.at("delay"))
        delay = delay_steps(delay_s, dt)
    s, t, factors = connect_weighted(pdef.rule, src.size, tgt.size, src is tgt, rng, pdef.name)
    if factors is None:
        indptr, targets = to_csr(s, t, src.size, tgt.size)
    elif pdef.synapse == "static_synapse_hom_w":
        raise NetworkError(f"{where}: static_synapse_hom_w shares one weight, so the rule cannot give a weight "
                           "per connection", at.at("rule.weights"))
    elif isinstance(drawn_weight, Expression):
        raise NetworkError(f"{where}: a weight drawn per connection (`{drawn_weight}`) and the rule's `weights` "
                           "cannot both set the weights", at.at("rule.weights"))
    else:
        indptr, targets, factors = to_csr(s, t, src.size, tgt.size, factors)
    del s, t
    weights = None
    if isinstance(drawn_weight, Expression):
        weights, d = _per_connection(drawn_weight, system, targets.size, rng, f"{where}, weight", None,
                                     at.at("weight"))
        receptor, weights = _routed(pdef, tgt, on_pre, weights, at)
        delivered = float(weights.mean()) if weights.size else 0.0
    else:
        receptor, delivered = _receptor(pdef, tgt, on_pre, weight, at)
    want = tgt.model.receptor_dims[receptor]
    if d is not want:
        raise NetworkError(f"{where}: weight `{pdef.weight}` has units {format_dimension(d)}, but receptor "
                           f"`{receptor}` of `{tgt.name}` takes {format_dimension(want)}", at.at("weight"))
    if factors is not None:
        weights = (factors * delivered).astype(np.float32)
    elif weights is None and pdef.synapse != "static_synapse_hom_w":
        weights = np.full(targets.size, delivered, np.float32)
    delays = None
    if isinstance(drawn_delay, Expression):
        delays, delay = _drawn_delays(drawn_delay, targets.size, dt, rng, f"{where}, delay", at.at("delay"))
    proj = Projection(index, pdef, src, tgt, receptor, indptr, targets, weights, delivered, delays, delay)
    if pdef.synapse == "stdp_synapse":
        proj.plasticity = _plasticity(pdef.stdp or STDP(), delivered if factors is None else factors * delivered,
                                      want, system, dt, at)
    return proj


def _drawn(value):
    """A weight or delay as the build reads it: an :class:`Expression` when it draws, else as given."""
    return Expression(value) if isinstance(value, str) and draws(value) else value


def _routed(pdef: ProjectionDef, tgt: Population, on_pre, weights: np.ndarray, at: Location):
    """The receptor weights drawn per connection reach and the float32 weights they deliver there; weights
    that NEST's sign routing would send to two receptors are refused."""
    positive, factor = _receptor(pdef, tgt, on_pre, 1.0, at)
    negative, negated = _receptor(pdef, tgt, on_pre, -1.0, at)
    below = int(np.count_nonzero(weights < 0))
    if (positive, factor) != (negative, -negated) and 0 < below < weights.size:
        raise NetworkError(f"{at.element}: weight `{pdef.weight}` is negative for {below} of {weights.size} "
                           "connections and positive for the others, so its sign would send them to two "
                           f"receptors; keep one sign with redraw(), e.g. `redraw(w*(1 + 0.1*randn()), 0*pA)`",
                           at.at("weight"))
    receptor, unit = (negative, -negated) if below else (positive, factor)
    return receptor, (weights * unit).astype(np.float32)


def _drawn_delays(value: Expression, n: int, dt: float, rng, where: str, at: Location) -> tuple[np.ndarray, int]:
    """Delays drawn per connection, in whole steps (uint16), and the longest (which sizes the ring)."""
    seconds, _ = _per_connection(value, SI_UNITS, n, rng, where, SECOND, at)
    if not seconds.size:
        return np.zeros(0, np.uint16), 1
    for worst in (seconds.min(), seconds.max()):
        problem = delay_problem(float(worst), dt)
        if problem is not None:
            raise NetworkError(f"{where}: `{value}` draws a value out of range: {problem}", at)
    steps = np.rint(seconds / dt).astype(np.uint16)
    return steps, int(steps.max())


@dataclass(frozen=True)
class Plasticity:
    """STDP constants of a built projection (per-step decays, weights in model units)."""

    decay_pre: float
    decay_post: float
    a_plus: float
    a_minus: float
    mu: float
    w_max: float


def _plasticity(stdp: STDP, weights, dim, system, dt: float, at: Location) -> Plasticity:
    where = at.element
    if stdp.bounds not in ("additive", "multiplicative"):
        raise NetworkError(f"{where}: STDP bounds must be `additive` or `multiplicative`, not `{stdp.bounds}`",
                           at.at("stdp.bounds"))
    if not stdp.w_max:
        raise NetworkError(f"{where}: stdp_synapse needs `w_max` (the upper weight bound, with its unit)",
                           at.at("stdp.w_max"))
    try:
        w_max, d = quantity_in(stdp.w_max, system)
    except UnitError as exc:
        raise NetworkError(f"{where}, w_max: {exc}", at.at("stdp.w_max")) from exc
    if d is not dim or w_max <= 0:
        raise NetworkError(f"{where}: w_max `{stdp.w_max}` must be a positive {format_dimension(dim)}",
                           at.at("stdp.w_max"))
    if not np.all((0 <= np.asarray(weights)) & (np.asarray(weights) <= w_max)):
        raise NetworkError(f"{where}: an STDP weight must lie between 0 and w_max ({stdp.w_max})", at.at("weight"))
    tau_plus = _seconds(stdp.tau_plus, f"{where}, tau_plus", at.at("stdp.tau_plus"))
    tau_minus = _seconds(stdp.tau_minus, f"{where}, tau_minus", at.at("stdp.tau_minus"))
    return Plasticity(float(np.exp(-dt / tau_plus)), float(np.exp(-dt / tau_minus)), float(stdp.a_plus),
                      float(stdp.a_minus), 0.0 if stdp.bounds == "additive" else 1.0, w_max)


def _receptor(pdef: ProjectionDef, tgt: Population, on_pre: dict[str, dict[str, OnPre]], weight: float,
              at: Location) -> tuple[str, float]:
    """The receptor a projection feeds and the weight it delivers there (:func:`route_input`)."""
    receptor = on_pre[tgt.name][pdef.on_pre.strip()].receptor if pdef.on_pre else pdef.receptor
    try:
        return route_input(tgt.model.receptors, weight, receptor, library=tgt.library, owner=f"`{tgt.name}`")
    except ReceptorError as exc:
        raise NetworkError(f"{at.element}: {exc}", at.at("on_pre" if receptor is None else "receptor")) from exc


def _assemble_rings(network: Network) -> None:
    kernel = network.kernel
    depth: dict[tuple[str, str], int] = {}
    for proj in network.projections.values():
        key = (proj.target.name, proj.receptor)
        depth[key] = max(depth.get(key, 1), proj.delay + 1)
    for dev in network.devices.values():
        for key in dev.rings():
            depth.setdefault(key, 1)
    fmt = network.fmt
    lo, hi = (fmt.store_min, fmt.store_max) if fmt is not None else (0, 0)
    for (pop_name, receptor), d in depth.items():
        pop = network.populations[pop_name]
        network.rings[(pop_name, receptor)] = kernel.add_ring(pop.index, pop.ir.slot_index(receptor_slot(receptor)),
                                                              d, lo, hi)
    empty16 = np.zeros(0, dtype=np.uint16)
    for proj in network.projections.values():
        ring = network.rings[(proj.target.name, proj.receptor)]
        if fmt is None:
            weights = proj.weights if proj.weights is not None else np.zeros(0, dtype=np.float32)
            weight = proj.weight
        else:
            weights = proj.raw_weights if proj.weights is not None else np.zeros(0, dtype=np.int64)
            weight = proj.raw_weight
        if proj.definition.name in network.sc:
            continue  # its values arrive as the ring's external input (Simulation)
        delays = proj.delays if proj.delays is not None else empty16
        proj.kernel_index = kernel.add_projection(proj.source.index, ring, proj.indptr, proj.targets, weights,
                                                  weight, delays, proj.delay)
        if proj.plasticity is not None:
            pl = proj.plasticity
            order = np.argsort(proj.targets, kind="stable")
            post_indptr = np.zeros(proj.target.size + 1, dtype=np.int64)
            np.cumsum(np.bincount(proj.targets, minlength=proj.target.size), out=post_indptr[1:])
            kernel.make_plastic(proj.kernel_index, post_indptr, order.astype(np.int32),
                                proj.sources()[order].astype(np.int32), pl.decay_pre, pl.decay_post,
                                pl.a_plus, pl.a_minus, pl.mu, pl.mu, pl.w_max)
    for dev in network.devices.values():
        dev.attach(network)
