"""A project's network in NEST's terms: models, parameters, rules, synapse models and devices.

:func:`nest_network` maps a :class:`~engine.network.definitions.NetworkDef` onto plain data
(model names, parameter dictionaries in NEST's units, ``conn_spec`` and ``syn_spec``
dictionaries) that the PyNEST and PyNN exports write into their scripts.

A library model maps by its NEST name.  A model written as equations maps only when it is
recognised as one of NEST's models (:func:`recognise`): a leaky integrator whose synaptic
variables decay exponentially, with a fixed threshold, reset and refractory time, is

* ``iaf_psc_exp`` when the synaptic variables enter dv/dt linearly (CUBA's voltage kicks:
  ``ge`` in volts enters as ``ge/taum``, a current of ``ge*C_m/taum``), and
* ``iaf_cond_exp`` when each enters as a conductance ``g*(E - v)`` (COBA's conductances in
  units of the leak: ``g_ex = ge*C_m/taum``).

The leak, threshold, reset, refractory period, time constants, reversal potentials and the
factor that turns a synaptic variable into NEST's current or conductance are read off the
equations themselves (their linear forms over the state variables), so CUBA and COBA map
exactly as benchmarks/peers/nest_bench.py converts them by hand.  Anything else is refused
by :class:`~studio.interop.export_source.ExportRefused`, naming the model and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.equations import expr as E
from engine.equations.linear_form import NotLinear, linear_form
from engine.equations.model import CheckedModel, ModelSpec
from engine.equations.units import Quantity, as_quantity
from engine.models.base import LibraryModel, ReceptorError, route_input
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.devices import CURRENT_GENERATORS, SPIKE_GENERATORS, device_parameters
from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.interop.export_source import (Distribution, ExportRefused, checked_population, distribution, nest_value,
                                          on_pre_statements, quantity_nest)

C_M = 250.0
"""The membrane capacitance (pF) given to a recognised model: any value gives the same dynamics, as
NEST's currents and conductances are scaled by it."""

_GLIF_LISTS = ("asc_init", "asc_decay", "asc_amps", "asc_r", "tau_syn", "E_rev")
_NO_COUNTERPART = {
    "population_rate": "NEST has no population-rate device (record spikes with a spike_recorder and bin them)",
    "weight_recorder": "weight recording is not exported",
}


@dataclass(frozen=True)
class NestPopulation:
    """A population as NEST creates it: model, uniform parameters, per-neuron values (NEST units) and how
    the project's state variables read in NEST (``states``: project name -> (NEST name, NEST per project unit))."""

    name: str
    model: str
    size: int
    params: dict[str, object]
    varying: dict[str, Distribution] = field(default_factory=dict)
    states: dict[str, tuple[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class NestProjection:
    """One ``nest.Connect`` between populations; ``synapse`` is a copied synapse model's defaults when the
    weight is held by the model (static_synapse_hom_w)."""

    name: str
    source: str
    target: str
    conn_spec: dict[str, object]
    syn_spec: dict[str, object]
    synapse: dict[str, object] | None = None


@dataclass(frozen=True)
class NestDevice:
    """A NEST device on (some neurons of) a population: ``role`` is ``generator`` (connected to the neurons
    with ``syn_spec``) or ``recorder`` (``record_from`` maps the project's names to NEST's, with the factor)."""

    name: str
    model: str
    target: str
    neurons: tuple[int, ...] | None
    params: dict[str, object]
    role: str
    syn_spec: dict[str, object] = field(default_factory=dict)
    record_from: dict[str, tuple[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class NestNetwork:
    """A whole network in NEST's terms (resolution in ms)."""

    resolution: float
    seed: int
    populations: tuple[NestPopulation, ...]
    projections: tuple[NestProjection, ...]
    devices: tuple[NestDevice, ...]


@dataclass(frozen=True)
class Recognised:
    """An equation model recognised as a NEST model: its parameters (NEST units), its membrane variable,
    and each synaptic variable's role (``ex`` or ``in`` when known), NEST variable factor and kind."""

    model: str
    params: dict[str, float]
    v: str
    synaptic: dict[str, tuple[float, float]]  # name -> (time constant ms, NEST units per project unit)
    reversal: dict[str, float] = field(default_factory=dict)  # name -> mV (iaf_cond_exp)


def _evaluate(tree: E.Expr, env: dict[str, float]) -> float:
    return float(E.evaluate(tree, env))


def _free_of(tree: E.Expr, names: set[str]) -> bool:
    return not (E.names(tree) & names)


def recognise(checked: CheckedModel, name: str) -> Recognised:
    """The NEST model an equation model is (see the module's description); ``name`` says which model in messages.

    Raises
    ------
    ExportRefused
        Naming the model and what does not match.
    """
    def refuse(why: str) -> ExportRefused:
        return ExportRefused(f"{name} has no NEST counterpart: {why} (NEST takes library models by name, "
                             "and equation models only when they are iaf_psc_exp or iaf_cond_exp)")

    env = {n: p.value for n, p in checked.parameters.items()}
    states = set(checked.states)
    known = states | set(env)
    for s in checked.states.values():
        extra = E.names(s.rhs) - known
        if extra:
            raise refuse(f"d{s.name}/dt uses {', '.join(sorted(extra))} (noise or time)")
    th = checked.threshold
    if not (isinstance(th, E.Binary) and th.op in (">", ">=") and isinstance(th.a, E.Ref) and th.a.name in states
            and _free_of(th.b, states)):
        raise refuse("the threshold is not `v > constant`")
    v = th.a.name
    if checked.states[v].dim.exponents != (2, 1, -3, -1, 0, 0, 0):
        raise refuse(f"the threshold variable `{v}` is not a membrane potential")
    if len(checked.reset) != 1 or checked.reset[0][0] != v or not _free_of(checked.reset[0][1], states):
        raise refuse(f"the reset is not `{v} = constant`")
    kind, value = checked.refractory
    if kind == "condition":
        raise refuse("the refractory period is a condition, not a time")
    t_ref = value * 1e3 if kind == "time" else env[value] if kind == "param" else 0.0
    if t_ref > 0 and not checked.states[v].unless_refractory:
        raise refuse(f"`{v}` is not clamped while refractory (`(unless refractory)`)")
    synaptic: dict[str, float] = {}
    for s in sorted(states - {v}):
        try:
            coeffs, rest = linear_form(checked.states[s].rhs, states)
        except NotLinear:
            raise refuse(f"d{s}/dt is not linear") from None
        rate = _evaluate(coeffs.get(s, E.ZERO), env)
        if set(coeffs) - {s} and any(_evaluate(c, env) for k, c in coeffs.items() if k != s) \
                or _evaluate(rest, env) or rate >= 0 or checked.states[s].unless_refractory:
            raise refuse(f"`{s}` is not a synaptic variable that decays exponentially (d{s}/dt = -{s}/tau)")
        synaptic[s] = -1.0 / rate
    if len(synaptic) > 2:
        raise refuse(f"it has {len(synaptic)} synaptic variables; NEST's models have one excitatory and one "
                     "inhibitory")
    try:
        coeffs, drive = linear_form(checked.states[v].rhs, {v})
        slope = coeffs.get(v, E.ZERO)
        slope_terms, slope_0 = linear_form(slope, set(synaptic))
        drive_terms, drive_0 = linear_form(drive, set(synaptic))
    except NotLinear:
        raise refuse(f"d{v}/dt is not linear in `{v}` and the synaptic variables") from None
    if not all(_free_of(t, states) for t in (slope_0, drive_0, *slope_terms.values(), *drive_terms.values())):
        raise refuse(f"d{v}/dt is not a leaky integration of the synaptic variables")
    leak = _evaluate(slope_0, env)
    if leak >= 0:
        raise refuse(f"`{v}` does not leak")
    tau_m = -1.0 / leak
    params = {"C_m": C_M, "tau_m": tau_m, "E_L": -_evaluate(drive_0, env) / leak,
              "V_th": _evaluate(th.b, env), "V_reset": _evaluate(checked.reset[0][1], env), "t_ref": t_ref,
              "I_e": 0.0}
    a = {s: _evaluate(slope_terms.get(s, E.ZERO), env) for s in synaptic}
    b = {s: _evaluate(drive_terms.get(s, E.ZERO), env) for s in synaptic}
    if all(a[s] == 0 for s in synaptic):
        return Recognised("iaf_psc_exp", params, v, {s: (synaptic[s], b[s] * C_M) for s in synaptic})
    if all(a[s] < 0 for s in synaptic):
        params["g_L"] = C_M / tau_m
        del params["tau_m"]
        return Recognised("iaf_cond_exp", params, v, {s: (synaptic[s], -a[s] * C_M) for s in synaptic},
                          {s: -b[s] / a[s] for s in synaptic})
    raise refuse("its synaptic variables are neither all currents nor all conductances")


@dataclass
class _Target:
    """What the mapping knows of one population while it routes inputs into it."""

    pop: PopulationDef
    checked: CheckedModel
    library: LibraryModel | None
    recognised: Recognised | None
    on_pre: tuple[str, ...]
    roles: dict[str, str] = field(default_factory=dict)  # synaptic variable -> ex | in (recognised models)


def _refuse_where(kind: str, name: str, why: str) -> ExportRefused:
    return ExportRefused(f"{kind} `{name}`: {why}")


def _library_params(lib: LibraryModel, checked: CheckedModel) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in (p.name for p in lib.params):
        param = checked.parameters[name]
        out[name] = bool(param.value) if param.var_type == "boolean" else nest_value(param.value, param.dim,
                                                                                     checked.system)
    if lib.nest_name == "glif_cond":
        for base in _GLIF_LISTS:
            out[base] = [out.pop(f"{base}_1"), out.pop(f"{base}_2")]
        current = out.pop("I_e")  # ours; NEST's glif_cond has none
        if current:
            raise ExportRefused(f"NEST's glif_cond has no I_e (here {current} pA): drive it with a dc_generator")
    return out


def _target(pop: PopulationDef, on_pre: tuple[str, ...]) -> _Target:
    checked = checked_population(pop, on_pre)
    if isinstance(pop.model, LibraryModel):
        if pop.model.nest_name is None:
            raise _refuse_where("population", pop.name, f"the library model `{pop.model.name}` has no NEST "
                                "counterpart")
        return _Target(pop, checked, pop.model, None, on_pre)
    assert isinstance(pop.model, ModelSpec)
    return _Target(pop, checked, None, recognise(checked, f"the equation model of population `{pop.name}`"), on_pre)


def _statement_input(t: _Target, receptor: str, value: float, where: str) -> tuple[str, float]:
    """(synaptic variable, project value added to it) of an input through receptor ``receptor``."""
    statements = t.checked.receptors[receptor]
    if len(statements) == 1:
        target, tree = statements[0]
        try:
            coeffs, rest = linear_form(tree, {target, "w"})
        except NotLinear:
            coeffs, rest = {}, tree
        env = {n: p.value for n, p in t.checked.parameters.items()}
        if (target in t.recognised.synaptic and set(coeffs) == {target, "w"}
                and _free_of(rest, {target, "w"}) and not _evaluate(rest, env)
                and _evaluate(coeffs[target], env) == 1.0 and _free_of(coeffs["w"], set(t.checked.states))):
            return target, value * _evaluate(coeffs["w"], env)
    raise _refuse_where(*where.split(" ", 1), "NEST delivers a spike only by adding the weight to a synaptic "
                        f"variable (`g += w`); `{t.pop.name}` receives it otherwise")


def _route(t: _Target, weight, receptor: str | int | None, on_pre: str | None, kind: str, name: str
           ) -> tuple[float, int]:
    """The NEST weight and receptor_type of a spike input of ``weight`` into ``t``."""
    q = as_quantity(weight)
    value = q.in_units(t.checked.system)
    if t.library is not None:
        if on_pre:
            raise _refuse_where(kind, name, "`on_pre` into a NEST model has no counterpart; give `receptor`")
        lib = t.library
        try:
            chosen, delivered = route_input(lib.receptors, value, receptor, library=lib, owner=f"`{t.pop.name}`")
        except ReceptorError as exc:
            raise _refuse_where(kind, name, str(exc)) from None
        nest_w = nest_value(delivered, q.dim, t.checked.system)
        if lib.sign_split is None:
            return nest_w, (lib.receptors.index(chosen) + 1 if len(lib.receptors) > 1 else 0)
        excitatory, _ = lib.sign_split
        if chosen != excitatory:
            nest_w = -nest_w if lib.negate_negative else nest_w
            if nest_w > 0:
                raise _refuse_where(kind, name, f"NEST's {lib.nest_name} routes a positive weight to `{excitatory}`, "
                                    f"not to `{chosen}`")
        elif nest_w < 0:
            raise _refuse_where(kind, name, f"NEST's {lib.nest_name} routes a negative weight to the inhibitory "
                                f"receptor, not to `{chosen}`")
        return nest_w, 0
    if on_pre:
        statement = f"on_pre_{t.on_pre.index(on_pre.strip())}"
    elif isinstance(receptor, int) or (isinstance(receptor, str) and receptor.isdigit()):
        names = list(t.checked.spec.receptors)
        statement = names[int(receptor) - 1] if 0 < int(receptor) <= len(names) else ""
    else:
        statement = receptor or next(iter(t.checked.spec.receptors), "")
    if statement not in t.checked.receptors:
        raise _refuse_where(kind, name, f"`{t.pop.name}` has no receptor for it")
    variable, added = _statement_input(t, statement, value, f"{kind} {name}")
    rec = t.recognised
    factor = rec.synaptic[variable][1]
    if rec.model == "iaf_cond_exp":
        if added < 0:
            raise _refuse_where(kind, name, f"a negative step of the conductance `{variable}` has no NEST "
                                "counterpart")
        return (factor * added if t.roles[variable] == "ex" else -factor * added), 0
    role = "ex" if added > 0 else "in" if added < 0 else t.roles.get(variable, "ex")
    if t.roles.setdefault(variable, role) != role:
        raise _refuse_where(kind, name, f"`{variable}` of `{t.pop.name}` receives weights of both signs, but NEST's "
                            "iaf_psc_exp routes them by sign to two different currents")
    return factor * added, 0


def _cond_roles(t: _Target) -> None:
    """The excitatory conductance has the higher reversal potential."""
    order = sorted(t.recognised.reversal, key=t.recognised.reversal.get, reverse=True)
    t.roles.update({s: ("ex" if i == 0 else "in") for i, s in enumerate(order)})


def _finish_recognised(t: _Target) -> NestPopulation:
    rec = t.recognised
    params = dict(rec.params)
    for s in rec.synaptic:
        t.roles.setdefault(s, "in" if "ex" in t.roles.values() else "ex")
    if len(set(t.roles.values())) < len(t.roles):
        raise _refuse_where("population", t.pop.name, "both synaptic variables receive excitatory (or both "
                            "inhibitory) inputs; NEST has one of each")
    states = {rec.v: ("V_m", 1.0)}
    current = "I_syn" if rec.model == "iaf_psc_exp" else "g"
    for s, role in t.roles.items():
        tau, factor = rec.synaptic[s]
        params[f"tau_syn_{role}"] = tau
        if rec.model == "iaf_cond_exp":
            params["E_ex" if role == "ex" else "E_in"] = rec.reversal[s]
        states[s] = (f"{current}_{role}", factor)
    return NestPopulation(t.pop.name, rec.model, t.pop.size, params, states=states)


def _population(t: _Target) -> NestPopulation:
    pop = t.pop
    if t.recognised is not None:
        base = _finish_recognised(t)
    else:
        base = NestPopulation(pop.name, t.library.nest_name, pop.size, _library_params(t.library, t.checked),
                              states={s: (s, 1.0) for s in [*t.checked.states, *t.checked.parameters]})
    params, varying = dict(base.params), {}
    values = {**{k: v for k, v in pop.parameters.items()}, **{f"initial:{k}": v for k, v in pop.initial.items()}}
    for key, raw in values.items():
        name = key.removeprefix("initial:")
        where = f"population `{pop.name}`, {'initial' if key != name else 'parameter'} `{name}`"
        if key != name:
            dim = t.checked.states[name].dim
            nest_name, factor = base.states.get(name, (name, 1.0))
        else:
            if t.recognised is not None:
                raise ExportRefused(f"{where}: a population's parameter of an equation model is not exported "
                                    "to NEST (set it in the model)")
            dim = t.checked.parameters[name].dim
            nest_name, factor = name, 1.0
            if base.model == "glif_cond" and name == "I_e":
                raise ExportRefused(f"{where}: NEST's glif_cond has no I_e; drive it with a dc_generator")
            if isinstance(raw, (Quantity, int, float, str)):
                params[name] = quantity_nest(raw)
                continue
        d = distribution(raw, t.checked, pop.size, where)
        if key != name and t.recognised is not None and name != t.recognised.v:
            if d != Distribution("value", (0.0,)):
                raise ExportRefused(f"{where}: NEST starts `{nest_name}` at 0 and does not set it")
            continue
        scale = factor * nest_value(1.0, dim, t.checked.system)
        if d.kind == "normal":
            varying[nest_name] = Distribution("normal", (d.args[0] * scale, d.args[1] * abs(scale)))
        else:
            varying[nest_name] = Distribution(d.kind, tuple(sorted(a * scale for a in d.args))
                                              if d.kind == "uniform" else tuple(a * scale for a in d.args))
    return NestPopulation(base.name, base.model, base.size, params, varying, base.states)


def _conn_spec(p: ProjectionDef) -> dict[str, object]:
    rule = p.rule
    spec: dict[str, object] = {"rule": rule.name}
    if rule.name == "pairwise_bernoulli":
        spec["p"] = rule.p
    elif rule.name == "fixed_indegree":
        spec["indegree"] = rule.k
    elif rule.name == "fixed_outdegree":
        spec["outdegree"] = rule.k
    elif rule.name == "fixed_total_number":
        spec["N"] = rule.n
    elif rule.name == "explicit":
        spec.update(rule="one_to_one", sources=list(rule.sources), targets=list(rule.targets))
    if not rule.allow_autapses:
        spec["allow_autapses"] = False
    if not rule.allow_multapses and rule.name in ("fixed_indegree", "fixed_outdegree", "fixed_total_number"):
        spec["allow_multapses"] = False
    return spec


def _projection(p: ProjectionDef, targets: dict[str, _Target]) -> NestProjection:
    weight, receptor_type = _route(targets[p.target], p.weight, p.receptor, p.on_pre, "projection", p.name)
    delay = quantity_nest(p.delay)
    if p.synapse == "stdp_synapse":
        raise _refuse_where("projection", p.name, "stdp_synapse is not exported to NEST yet (its traces and "
                            "bounds differ in form)")
    syn: dict[str, object] = {"synapse_model": p.synapse, "delay": delay}
    if receptor_type:
        syn["receptor_type"] = receptor_type
    syn.update(_synapse_params(p, targets))
    if p.synapse == "static_synapse_hom_w":
        return NestProjection(p.name, p.source, p.target, _conn_spec(p), syn, {"weight": weight})
    syn["weight"] = weight
    return NestProjection(p.name, p.source, p.target, _conn_spec(p), syn)


# The parameters of stdp_triplet_synapse that NEST keeps in the target neuron (its archive of post spikes).
_POST_TRACES = ("tau_minus", "tau_minus_triplet")


def _synapse_params(p: ProjectionDef, targets: dict[str, _Target]) -> dict[str, object]:
    """Every parameter of a synapse model that has them, in NEST's units (the weight bound routed as the
    weight is), except those NEST keeps in the neuron (:func:`_post_traces`)."""
    out: dict[str, object] = {}
    for key, spec in SYNAPSE_PARAMETERS.get(p.synapse, {}).items():
        raw = p.synapse_params.get(key, spec.default)
        if key in _POST_TRACES:
            continue
        if spec.dim is None:
            out[key] = _route(targets[p.target], raw, p.receptor, p.on_pre, "projection", p.name)[0]
        else:
            out[key] = out["U"] if raw == "U" else quantity_nest(raw)
    return out


def _post_traces(net: NetworkDef) -> dict[str, dict[str, float]]:
    """The post-spike trace time constants triplet STDP sets on its target populations; two projections into
    one population must agree, as NEST keeps them in the neuron."""
    traces: dict[str, dict[str, float]] = {}
    for p in net.projections:
        if p.synapse != "stdp_triplet_synapse":
            continue
        specs = SYNAPSE_PARAMETERS[p.synapse]
        mine = {k: quantity_nest(p.synapse_params.get(k, specs[k].default)) for k in _POST_TRACES}
        if traces.setdefault(p.target, mine) != mine:
            raise _refuse_where("projection", p.name, f"NEST keeps tau_minus and tau_minus_triplet in the neuron, "
                                f"and another stdp_triplet_synapse projection into `{p.target}` sets others")
    return traces


def _device_params(d: DeviceDef) -> dict[str, object]:
    declared = device_parameters(d.kind)
    out: dict[str, object] = {}
    for key, raw in d.params.items():
        param = declared.get(key)
        if param is not None and param.dim is None:
            continue
        if isinstance(raw, (list, tuple)):
            out[key] = [quantity_nest(v, hertz=True) for v in raw]
            continue
        value = quantity_nest(raw, hertz=True)
        if (key == "start" and value == 0) or (key == "stop" and value == float("inf")):
            continue
        out[key] = value
    return out


def _device(d: DeviceDef, targets: dict[str, _Target], pops: dict[str, NestPopulation]) -> NestDevice:
    if d.kind in _NO_COUNTERPART:
        raise _refuse_where("device", d.name, f"{d.kind}: {_NO_COUNTERPART[d.kind]}")
    t = targets[d.target]
    params = _device_params(d)
    delay = quantity_nest(d.delay)
    if d.kind in SPIKE_GENERATORS:
        weight, receptor_type = _route(t, d.weight, d.receptor, None, "device", d.name)
        syn = {"weight": weight, "delay": delay, **({"receptor_type": receptor_type} if receptor_type else {})}
        return NestDevice(d.name, d.kind, d.target, d.neurons, params, "generator", syn)
    if d.kind in CURRENT_GENERATORS:
        if t.library is None:
            raise _refuse_where("device", d.name, f"{d.kind}: a current into the equation model of `{d.target}` "
                                "has no NEST counterpart")
        return NestDevice(d.name, d.kind, d.target, d.neurons, params, "generator", {"delay": delay})
    if d.kind == "spike_recorder":
        return NestDevice(d.name, d.kind, d.target, d.neurons, params, "recorder")
    default = device_parameters(d.kind)["record_from"].default
    names = tuple(d.params.get("record_from", tuple(default.split(", ")) if default else ()))
    states = pops[d.target].states
    missing = [n for n in names if n not in states]
    if missing:
        raise _refuse_where("device", d.name, f"`{d.target}` has no NEST recordable for {', '.join(missing)}")
    record_from = {n: states[n] for n in names}
    params["record_from"] = [nest for nest, _ in record_from.values()]
    return NestDevice(d.name, "multimeter", d.target, d.neurons, params, "recorder", record_from=record_from)


def nest_network(net: NetworkDef) -> NestNetwork:
    """The network in NEST's terms.

    Raises
    ------
    ExportRefused
        A model, synapse, input or device with no NEST counterpart, named with the reason.
    """
    on_pre = on_pre_statements(net)
    targets = {p.name: _target(p, on_pre.get(p.name, ())) for p in net.populations}
    for t in targets.values():
        if t.recognised is not None and t.recognised.model == "iaf_cond_exp":
            _cond_roles(t)
    projections = tuple(_projection(p, targets) for p in net.projections)
    generators = [d for d in net.devices if d.kind in SPIKE_GENERATORS + CURRENT_GENERATORS]
    routed = {d.name: _device(d, targets, {}) for d in generators}
    pops = {name: _population(t) for name, t in targets.items()}
    for name, traces in _post_traces(net).items():
        pops[name] = replace(pops[name], params={**pops[name].params, **traces})
    devices = tuple(routed.get(d.name) or _device(d, targets, pops) for d in net.devices)
    dt = as_quantity(net.dt)
    return NestNetwork(nest_value(dt.value, dt.dim), max(1, int(net.seed)), tuple(pops.values()), projections,
                       devices)
