"""From a project description to the engine's network definition, with every problem located.

:func:`network_def` checks what can be checked without building (names and
references, constants, units of times and counts, connection rule options,
device parameters as their device declares them, each model on its own) and
reports every problem by JSON path.
:func:`locate_engine_error` places an error the engine raised while building
(NetworkError, DeviceError, ModelError, ConnectionRuleError) by the
:class:`~engine.errors.Location` it carries: the element and the field.
"""

from __future__ import annotations

import difflib
from dataclasses import fields, replace

from engine.errors import Location, ModelError, NeuroCoreError, Problem
from engine.equations.constant_values import Expression
from engine.equations.model import ModelSpec, check_model
from engine.equations.units import DIMENSIONLESS, SECOND, SI_UNITS, Quantity, UnitError
from engine.models import LIBRARY, LibraryModel, get_model
from engine.network.connect import RULE_OPTIONS, RULES, Rule, explicit_weights_problem, probability_problem
from engine.network.definitions import (STDP, SYNAPSES, Arithmetic, DeviceDef, NetworkDef, PopulationDef,
                                        ProjectionDef, arithmetic_problems, dt_problem)
from engine.network.devices import DEVICES, DeviceParam, delay_problem, device_parameters
from studio.project.modelfile import json_path
from studio.project.project_doc import (DeviceDoc, InlineModel, LibraryRef, PopulationDoc, ProjectDoc, ProjectionDoc,
                                        RuleDoc)
from studio.project.constants import Constants

DEFAULT_DT = "0.1 ms"
_OPTIONS = tuple(dict.fromkeys(option for options in RULE_OPTIONS.values() for option in options))
_STDP_TIMES = ("tau_plus", "tau_minus")
Value = bool | Quantity | Expression


def _unknown(kind: str, name: str, known, path: str, problems: list[Problem]) -> None:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f" — did you mean `{close[0]}`?" if close else (f" (have: {', '.join(known)})" if known else "")
    problems.append(Problem(path, 0, 0, f"unknown {kind} `{name}`{hint}"))


def _unique(names: list[str], section: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problems.append(Problem(f"{section}[{i}].name", 0, 0, f"`{name}` is used twice; names must be unique"))
        seen.add(name)


def _values(values, path: str, consts: Constants, problems: list[Problem]) -> dict[str, Value | tuple]:
    """Parameter or initial values as typed values; a list (a population's parameter) gives one quantity per
    neuron."""
    out: dict[str, Value | tuple] = {}
    for key, raw in values.items():
        if isinstance(raw, bool):  # a boolean parameter of a model
            out[key] = raw
            continue
        if isinstance(raw, tuple):  # one value per neuron
            items = [consts.quantity(v, json_path(json_path(path, key), j), problems) for j, v in enumerate(raw)]
            if all(q is not None for q in items):
                out[key] = tuple(items)
            continue
        value = consts.value(raw, json_path(path, key), problems)
        if value is not None:
            out[key] = value
    return out


def _models(doc: ProjectDoc, consts: Constants, problems: list[Problem]) -> dict[str, LibraryModel | ModelSpec]:
    """Every project model with its constants resolved, each checked on its own."""
    out: dict[str, LibraryModel | ModelSpec] = {}
    for name, entry in doc.models.items():
        path = json_path("models", name)
        before = len(problems)
        if isinstance(entry, LibraryRef):
            try:
                lib = get_model(entry.library)
            except ModelError as exc:
                problems.append(Problem(json_path(path, "library"), 0, 0, exc.problems[0].message))
                continue
            overridden = lib.with_parameters(**_values(entry.parameters, json_path(path, "parameters"), consts,
                                                       problems))
            model: LibraryModel | ModelSpec = overridden
            spec = overridden.spec
        else:
            assert isinstance(entry, InlineModel)
            params = _values(entry.spec.parameters, json_path(path, "parameters"), consts, problems)
            model = spec = replace(entry.spec, parameters=params)
        if len(problems) > before:
            continue
        try:
            check_model(spec)
        except ModelError as exc:
            problems.extend(replace(p, field=json_path(path, p.field) if p.field != "model" else path)
                            for p in exc.problems)
            continue
        out[name] = model
    return out


def _rule(rule: RuleDoc, path: str, consts: Constants, problems: list[Problem]) -> Rule | None:
    if rule.name not in RULES:
        _unknown("connection rule", rule.name, RULES, json_path(path, "name"), problems)
        return None
    before = len(problems)
    needed = RULE_OPTIONS[rule.name]
    for option in _OPTIONS:
        given = getattr(rule, option) is not None
        if option in needed and not given:
            problems.append(Problem(json_path(path, option), 0, 0, f"missing: {rule.name} needs `{option}`"))
        elif given and option not in needed:
            problems.append(Problem(json_path(path, option), 0, 0, f"`{option}` is not an option of {rule.name}"))
    fields: dict = {}
    if rule.p is not None:
        p = consts.quantity(rule.p, json_path(path, "p"), problems, DIMENSIONLESS)
        if p is not None:
            fields["p"] = p.value
            _refuse(probability_problem(p.value), json_path(path, "p"), problems)
    for option in ("k", "n"):
        if getattr(rule, option) is not None:
            fields[option] = consts.count(getattr(rule, option), json_path(path, option), problems)
    for option in ("sources", "targets", "weights", "allow_autapses", "allow_multapses"):
        if getattr(rule, option) is not None:
            fields[option] = getattr(rule, option)
    if rule.weights is not None:
        _refuse(explicit_weights_problem(rule.name, len(rule.weights), len(rule.sources or ())),
                json_path(path, "weights"), problems)
    return None if len(problems) > before else Rule(rule.name, **fields)


def _refuse(problem: str | None, path: str, problems: list[Problem]) -> None:
    if problem is not None:
        problems.append(Problem(path, 0, 0, problem))


def _delay(raw, path: str, consts: Constants, dt: Quantity | None, problems: list[Problem],
           example: str, per_connection: bool = False) -> Quantity | Expression | None:
    """A delay (0.1 ms when left out) as a time the engine takes with time step ``dt``; ``per_connection``:
    it may be drawn for every connection (the engine checks each drawn delay)."""
    text = raw if raw is not None else "0.1 ms"
    if per_connection:
        delay = consts.drawn(text, path, problems, SECOND, example)
    else:
        delay = consts.quantity(text, path, problems, SECOND, example)
    if isinstance(delay, Quantity) and dt is not None and dt.value > 0:
        _refuse(delay_problem(delay.in_units(SI_UNITS), dt.in_units(SI_UNITS)), path, problems)
    return delay


def _stdp(values, path: str, consts: Constants, problems: list[Problem]) -> STDP:
    fields = {}
    for key, raw in values.items():
        where = json_path(path, key)
        if key in _STDP_TIMES:
            fields[key] = consts.quantity(raw, where, problems, SECOND, "20 ms")
        elif key == "w_max":
            fields[key] = consts.quantity(raw, where, problems)
        else:
            fields[key] = raw
    return STDP(**{k: v for k, v in fields.items() if v is not None})


def _arithmetic(value, owner: str, path: str, problems: list[Problem]) -> Arithmetic | None:
    """An ``arithmetic`` setting of ``owner`` (``projection `x` ``) as its record; each problem is reported at
    its field."""
    if value is None:
        return None
    found = arithmetic_problems(value)
    problems.extend(Problem(json_path(json_path(path, "arithmetic"), key), 0, 0, f"{owner}, arithmetic: {message}")
                    for key, message in found)
    return None if found else Arithmetic.from_mapping(value)


def _projection(i: int, p: ProjectionDoc, populations: list[str], consts: Constants, dt: Quantity | None,
                problems: list[Problem]) -> ProjectionDef | None:
    path = f"projections[{i}]"
    before = len(problems)
    for end in ("source", "target"):
        name = getattr(p, end)
        if name not in populations:
            _unknown("population", name, populations, json_path(path, end), problems)
    rule = _rule(p.rule, json_path(path, "rule"), consts, problems)
    weight = consts.drawn(p.weight, json_path(path, "weight"), problems)
    delay = _delay(p.delay, json_path(path, "delay"), consts, dt, problems, "1.5 ms", per_connection=True)
    synapse = p.synapse or "static_synapse"
    if synapse not in SYNAPSES:
        _unknown("synapse model", synapse, SYNAPSES, json_path(path, "synapse"), problems)
    if p.receptor is not None and p.on_pre is not None:
        problems.append(Problem(json_path(path, "on_pre"), 0, 0, "give either `receptor` or `on_pre`, not both"))
    stdp = None
    if p.stdp is not None:
        if synapse != "stdp_synapse":
            problems.append(Problem(json_path(path, "stdp"), 0, 0,
                                    f"STDP settings need `\"synapse\": \"stdp_synapse\"` (not {synapse})"))
        stdp = _stdp(p.stdp, json_path(path, "stdp"), consts, problems)
    arithmetic = _arithmetic(p.arithmetic, f"projection `{p.name}`", path, problems)
    if len(problems) > before or rule is None or weight is None or delay is None:
        return None
    return ProjectionDef(p.name, p.source, p.target, rule, weight, delay, synapse, p.receptor, p.on_pre, stdp,
                         arithmetic)


def _device(i: int, d: DeviceDoc, populations: list[str], projections: list[str], consts: Constants,
            dt: Quantity | None, problems: list[Problem]) -> DeviceDef | None:
    path = f"devices[{i}]"
    before = len(problems)
    if d.kind not in DEVICES:
        _unknown("device kind", d.kind, DEVICES, json_path(path, "kind"), problems)
    elif d.kind == "weight_recorder":
        if d.target not in projections:
            _unknown("projection", d.target, projections, json_path(path, "target"), problems)
    elif d.target not in populations:
        _unknown("population", d.target, populations, json_path(path, "target"), problems)
    declared, at = device_parameters(d.kind), json_path(path, "params")
    params = {key: _device_param(declared.get(key), key, raw, json_path(at, key), consts, problems)
              for key, raw in d.params.items()}
    for key, param in declared.items():
        if param.default is None and key not in d.params:
            problems.append(Problem(json_path(at, key), 0, 0, f"missing: {d.kind} needs `{key}`"))
    weight = None if d.weight is None else consts.quantity(d.weight, json_path(path, "weight"), problems)
    delay = _delay(d.delay, json_path(path, "delay"), consts, dt, problems, "1 ms")
    if len(problems) > before or delay is None:
        return None
    return DeviceDef(d.name, d.kind, d.target, params, d.neurons, weight, delay, d.receptor)


def _device_param(param: DeviceParam | None, key: str, raw, path: str, consts: Constants, problems: list[Problem]):
    """A device parameter checked as its device's table declares it (dimension, sign); one the table does not
    declare is read as it is."""
    if isinstance(raw, bool) or (param is not None and param.dim is None):
        return raw
    if isinstance(raw, tuple) or (param is not None and param.many):  # a list; one value is a list of one
        items = raw if isinstance(raw, tuple) else (raw,)
        return [_device_param(None if param is None else replace(param, many=False), key, v, json_path(path, j),
                              consts, problems) for j, v in enumerate(items)]
    number = isinstance(raw, (int, float))
    if param is None or (number and raw == 0):
        return raw if number else consts.quantity(raw, path, problems)
    value = consts.quantity(raw, path, problems, param.dim)
    if value is not None:
        _refuse(param.value_problem(key, value.in_units(SI_UNITS)), path, problems)
    return raw if number else value


def network_def(doc: ProjectDoc, problems: list[Problem], seed: int | None = None) -> NetworkDef | None:
    """The engine's definition of ``doc`` (``seed`` overrides the file's), or ``None`` with every problem found."""
    before = len(problems)
    consts = Constants(doc.constants, problems)
    dt = consts.quantity(doc.dt if doc.dt is not None else DEFAULT_DT, "dt", problems, SECOND, "0.1 ms")
    if dt is not None:
        _refuse(dt_problem(dt.in_units(SI_UNITS)), "dt", problems)
    models = _models(doc, consts, problems)
    names = [p.name for p in doc.populations]
    _unique(names, "populations", problems)
    _unique([p.name for p in doc.projections], "projections", problems)
    _unique([d.name for d in doc.devices], "devices", problems)
    populations = []
    for i, p in enumerate(doc.populations):
        path = f"populations[{i}]"
        model = models.get(p.model) or LIBRARY.get(p.model)
        if model is None and p.model not in doc.models:
            _unknown("model", p.model, [*doc.models, *LIBRARY], json_path(path, "model"), problems)
        size = consts.count(p.size, json_path(path, "size"), problems, minimum=1)
        parameters = _values(p.parameters, json_path(path, "parameters"), consts, problems)
        for key, value in parameters.items():
            if isinstance(value, tuple) and size is not None and len(value) != size:
                problems.append(Problem(json_path(json_path(path, "parameters"), key), 0, 0,
                                        f"{len(value)} values for {size} neurons (a list gives one per neuron)"))
        initial = _values(p.initial, json_path(path, "initial"), consts, problems)
        arithmetic = _arithmetic(p.arithmetic, f"population `{p.name}`", path, problems)
        if model is not None and size is not None:
            populations.append(PopulationDef(p.name, model, size, parameters, initial, arithmetic))
    projections = [_projection(i, p, names, consts, dt, problems) for i, p in enumerate(doc.projections)]
    devices = [_device(i, d, names, [p.name for p in doc.projections], consts, dt, problems)
               for i, d in enumerate(doc.devices)]
    if len(problems) > before or dt is None:
        return None
    return NetworkDef(tuple(populations), tuple(p for p in projections if p is not None),
                      tuple(d for d in devices if d is not None), dt,
                      seed if seed is not None else doc.seed or 0)


_SECTIONS = {"population": ("populations", PopulationDoc), "projection": ("projections", ProjectionDoc),
             "device": ("devices", DeviceDoc)}


def _json_path(doc: ProjectDoc, location: Location | None) -> tuple[str, str]:
    """(JSON path in ``doc``, the part of the location no field of the file holds) of an engine location:
    ``populations[0].parameters.tau_m``; a field of the model, not of the file, stays as text (``equations``)."""
    if location is None:
        return "", ""
    if not location.kind:
        return location.field, ""
    section, record = _SECTIONS[location.kind]
    index = next((i for i, e in enumerate(getattr(doc, section)) if e.name == location.name), None)
    if index is None:
        return "", ""
    path = f"{section}[{index}]"
    if not location.field:
        return path, ""
    if location.field.split(".", 1)[0] not in {f.name for f in fields(record)}:
        return path, location.field
    return f"{path}.{location.field}", ""


def locate_engine_error(doc: ProjectDoc, exc: NeuroCoreError | UnitError) -> list[Problem]:
    """The problems of an error the engine raised building or running ``doc``'s network, placed in ``doc``."""
    if isinstance(exc, ModelError):
        out = []
        for p in exc.problems:
            path, rest = _json_path(doc, p.location)
            where = f"{path}: {rest}" if path and rest else path or rest or p.field
            out.append(Problem(where, p.line, p.col, p.message, p.end_col, p.source_line))
        return out
    location = getattr(exc, "location", None)
    path, rest = _json_path(doc, location)
    line, col, end_col = (location.line, location.col, location.end_col) if location else (0, 0, None)
    return [Problem(f"{path}: {rest}" if path and rest else path, line, col, str(exc), end_col)]
