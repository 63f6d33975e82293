"""A neuron model as a person writes it, and its checked form.

:class:`ModelSpec` holds the text fields (the content of a ``*.ncsmodel`` file);
:func:`check_model` parses and dimension-checks every field and returns a
:class:`CheckedModel`, or raises one :class:`~engine.errors.ModelError` listing
every problem with its field, line and column.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Mapping

from engine.errors import ModelError, Problem
from engine.equations import expr as E
from engine.equations.check import BOOL, UNREAD, XI_DIM, ExpressionChecker, Symbol, noise_names, special_symbols
from engine.equations.constant_values import evaluate_constants
from engine.equations.linear_form import NotLinear, linear_form
from engine.equations.parser import (DIFFERENTIAL, PARAMETER, SUBEXPRESSION, one_line, parse_equations,
                                     parse_expression, parse_statements)
from engine.equations.rkf45_control import is_rkf45, parse_rkf45
from engine.equations.units import (DIMENSIONLESS, SECOND, UNIT_SYSTEMS, Dimension, UnitError,
                                    Quantity, UnitSystem, format_dimension, parse_quantity, quantity_in)

_SHARED_SPECIALS = frozenset({"t", "dt", "N"})  # the special names with one value for the population
METHODS = ("exact", "exponential_euler", "euler", "rk2", "rk4", "heun", "rkf45")


@dataclass(frozen=True)
class Receptor:
    """An input port: statements run with ``w`` bound to the summed weight of a step."""

    on_pre: str
    weight_unit: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """The text of a neuron model (a subset of Brian2's syntax: docs/language.md) and its parameter values.

    ``run_regularly`` holds statements run at the start of every time step,
    before the integration (Brian2's ``run_regularly`` with ``when='start'``);
    a parameter they assign is a variable of the neuron, recorded like a state.
    ``substeps`` splits the integration of a step; with ``substep_reset`` the
    threshold is also tested after every substep and the reset applied at once.
    Method ``rkf45`` integrates with NEST's adaptive Runge-Kutta-Fehlberg 4(5)
    instead (docs/integration.md) in steps of its own sizes, and ``substep_reset``
    tests the threshold after each of them (NEST's aeif models) rather than once
    at the end of the time step; fixed point, which has no adaptive form, runs
    such a model with ``rk4`` in ``substeps`` substeps.

    A name the text uses without declaring it is an external constant when
    ``namespace`` or ``parameters`` gives it a value (Brian2's namespace): the
    value is folded where the name is used and its dimension is the value's.
    A name declared as a parameter is a per-neuron value, as in Brian2.
    """

    equations: str
    threshold: str = ""
    reset: str = ""
    refractory: str = ""
    method: str = ""
    parameters: Mapping[str, str | float] = field(default_factory=dict)
    initial: Mapping[str, str | float] = field(default_factory=dict)
    unit_system: str = "nest"
    receptors: Mapping[str, Receptor] = field(default_factory=dict)
    current_input: str | None = None
    substeps: int = 1
    substep_reset: bool = False
    run_regularly: str = ""
    namespace: Mapping[str, str | float] = field(default_factory=dict)


@dataclass(frozen=True)
class StateVar:
    name: str
    dim: Dimension
    rhs: E.Expr
    unless_refractory: bool


@dataclass(frozen=True)
class Parameter:
    name: str
    dim: Dimension | None
    var_type: str
    value: float  # in the model's unit system
    shared: bool
    constant: bool


@dataclass(frozen=True)
class CheckedModel:
    """Every field of a model checked and turned into IR trees (subexpressions inlined)."""

    spec: ModelSpec
    system: UnitSystem
    states: dict[str, StateVar]
    parameters: dict[str, Parameter]
    subexpressions: dict[str, E.Expr]
    sub_dims: dict[str, Dimension | str]
    threshold: E.Expr | None
    reset: tuple[tuple[str, E.Expr], ...]
    refractory: tuple[str, object]  # ("none", None) | ("time", seconds) | ("param", name) | ("condition", Expr)
    receptors: dict[str, tuple[tuple[str, E.Expr], ...]]
    receptor_dims: dict[str, Dimension]
    initial: dict[str, float]
    method: str
    stochastic: bool
    run_regularly: tuple[tuple[str, E.Expr], ...] = ()
    per_step: tuple[tuple[str, E.Expr], ...] = ()  # `constant over dt` subexpressions, in the order they are set

    def display_unit(self, name: str) -> str:
        """The unit (in this model's system) of a state variable, a parameter or a `constant over dt` value."""
        if name in self.states:
            return self.system.unit_name(self.states[name].dim)
        if name not in self.parameters:
            dim = self.sub_dims[name]
            return dim if isinstance(dim, str) else self.system.unit_name(dim)
        p = self.parameters[name]
        return p.var_type if p.dim is None else self.system.unit_name(p.dim)

    def symbols(self, constants: Mapping[str, Quantity] | None = None) -> dict[str, Symbol]:
        """The names an expression over this model's values may use: the special names, the parameters and
        the states (what a per-neuron value or an initial value typed for a population is checked against),
        shadowed by the project ``constants`` the expression names."""
        out = special_symbols()
        out.update({n: Symbol("parameter", p.dim, p.var_type) for n, p in self.parameters.items()})
        out.update({n: Symbol("state", s.dim) for n, s in self.states.items()})
        out.update({n: Symbol("constant", q.dim) for n, q in (constants or {}).items()})
        return out


def check_model(spec: ModelSpec) -> CheckedModel:
    """Parse and check a model; raise :class:`ModelError` listing every problem."""
    problems: list[Problem] = []
    try:
        return _check(spec, problems)
    except ModelError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise ModelError(problems + [Problem("model", 0, 0, f"model too large or deeply nested: {exc!r}")]) from exc


def _check(spec: ModelSpec, problems: list[Problem]) -> CheckedModel:
    system = UNIT_SYSTEMS.get(spec.unit_system)
    if system is None:
        raise ModelError(f"unknown unit system `{spec.unit_system}` (choose from {', '.join(UNIT_SYSTEMS)})")
    if not isinstance(spec.equations, str) or not (spec.equations.strip() or str(spec.threshold).strip()):
        raise ModelError(Problem("equations", 0, 0, "a model needs at least one equation or a threshold"))
    unread: set[str] = set()
    equations = parse_equations(spec.equations, problems, unread=unread)
    symbols = special_symbols()
    for eq in equations:
        if _reserved(eq.name):
            problems.append(eq.where.source.problem(f"`{eq.name}` is a reserved name"))
            continue
        kind = {DIFFERENTIAL: "state", PARAMETER: "parameter", SUBEXPRESSION: "subexpression"}[eq.kind]
        symbols[eq.name] = Symbol(kind, eq.dim, eq.var_type)
    declared_names = {eq.name for eq in equations} | unread
    symbols.update({n: UNREAD for n in unread if n not in symbols})
    for eq in equations:
        if eq.expr is not None and eq.name in symbols:
            symbols.update({n: Symbol("noise", XI_DIM) for n in noise_names(eq.expr.text)})
    external = _external_constants(spec, declared_names, system, problems)
    symbols.update({n: s for n, s in external.items() if n not in symbols})
    checker = ExpressionChecker(symbols, system, problems)

    # Subexpressions and right-hand sides.
    trees: dict[str, E.Expr] = {}
    stochastic = False
    for eq in equations:
        if eq.expr is None or eq.name not in symbols:
            continue
        node = parse_expression(eq.expr, problems)
        if node is None:
            continue
        result = checker.check(eq.expr, node)
        if result is None:
            continue
        tree, d = result
        if eq.kind == DIFFERENTIAL:
            want = eq.dim / SECOND
            if d == BOOL or d is not want:
                got = "boolean" if d == BOOL else format_dimension(d)
                problems.append(eq.expr.source.problem(
                    f"d{eq.name}/dt must have units {format_dimension(want)}, but the right side is {got}",
                    0, len(eq.expr.text)))
                continue
            noise = {n for n in E.names(tree) if symbols.get(n, UNREAD).kind == "noise"}
            if noise:
                try:
                    linear_form(tree, noise)
                except NotLinear:
                    problems.append(eq.expr.source.problem(
                        f"`{sorted(noise)[0]}` must enter d{eq.name}/dt linearly (as `sigma*{sorted(noise)[0]}`)",
                        0, len(eq.expr.text)))
                    continue
                stochastic = True
        else:
            want_bool = eq.var_type == "boolean"
            if want_bool != (d == BOOL) or (not want_bool and d is not eq.dim):
                got = "boolean" if d == BOOL else format_dimension(d)
                exp = "boolean" if want_bool else format_dimension(eq.dim)
                problems.append(eq.expr.source.problem(
                    f"`{eq.name}` is declared as {exp}, but the right side is {got}", 0, len(eq.expr.text)))
                continue
        trees[eq.name] = tree
    # Brian2 stores a `constant over dt` subexpression once per step, before anything else runs; the others
    # are substituted where they are used.
    per_step_names = [eq.name for eq in equations if eq.kind == SUBEXPRESSION and "constant over dt" in eq.flags
                      and eq.name in trees]
    subexpressions = _inline_subexpressions(
        {eq.name: trees[eq.name] for eq in equations
         if eq.kind == SUBEXPRESSION and eq.name in trees and eq.name not in per_step_names},
        equations, problems)

    def inline(tree: E.Expr) -> E.Expr:
        return E.substitute(tree, subexpressions)

    per_step = _dependency_order({n: inline(trees[n]) for n in per_step_names})

    states = {
        eq.name: StateVar(eq.name, eq.dim, inline(trees[eq.name]), "unless refractory" in eq.flags)
        for eq in equations if eq.kind == DIFFERENTIAL and eq.name in trees
    }
    # Every state the equations declare, with its declared unit, also those whose right side failed to
    # check: the other fields are checked against the declarations, so one error is reported once.
    declared = {eq.name: eq.dim for eq in equations if eq.kind == DIFFERENTIAL and symbols[eq.name].kind == "state"}
    parameters = _parameters(spec, equations, external, system, problems)
    for eq in equations:
        if eq.kind == SUBEXPRESSION and "shared" in eq.flags and eq.name in subexpressions:
            varying = _varying(subexpressions[eq.name], parameters)
            if varying is not None:
                problems.append(eq.expr.source.problem(
                    f"`{eq.name}` is shared (one value for the population), but it depends on `{varying}`, "
                    "which differs between neurons", 0, len(eq.expr.text)))
    threshold = _condition(spec.threshold, "threshold", checker, problems, inline)
    reset = _statements(spec.reset, "reset", checker, declared, parameters, problems, inline)
    regular = _statements(spec.run_regularly, "run_regularly", checker, declared, parameters, problems, inline)
    refractory = _refractory(spec.refractory, checker, symbols, problems, inline)
    receptors, receptor_dims = _receptors(spec, checker, symbols, declared, parameters, problems, inline)
    initial = _initial(spec, declared, parameters, checker, system, problems)
    method = spec.method or ""
    if is_rkf45(method):
        try:
            parse_rkf45(method)
        except ValueError as exc:
            problems.append(Problem("method", 0, 0, str(exc)))
    elif method and method not in METHODS:
        close = difflib.get_close_matches(method, METHODS, n=1)
        hint = f" — did you mean `{close[0]}`?" if close else ""
        problems.append(Problem("method", 0, 0, f"unknown method `{method}`{hint} (choose from {', '.join(METHODS)})"))
    if spec.current_input and spec.current_input not in parameters:
        problems.append(Problem("current_input", 0, 0,
                                f"`{spec.current_input}` is not a parameter of the model"))
    elif spec.current_input and parameters[spec.current_input].shared:
        problems.append(Problem("current_input", 0, 0, f"`{spec.current_input}` is shared (one value for the "
                                                       "population) and cannot take each neuron's input current"))
    if not isinstance(spec.substeps, int) or spec.substeps < 1:
        problems.append(Problem("substeps", 0, 0, "substeps must be a positive integer"))
    if problems:
        raise ModelError(problems)
    return CheckedModel(spec, system, states, parameters, subexpressions,
                        {eq.name: (BOOL if eq.var_type == "boolean" else eq.dim) for eq in equations
                         if eq.kind == SUBEXPRESSION},
                        threshold, reset, refractory, receptors, receptor_dims, initial, method, stochastic,
                        run_regularly=regular, per_step=per_step)


def _dependency_order(exprs: dict[str, E.Expr]) -> tuple[tuple[str, E.Expr], ...]:
    """``exprs`` ordered so that each comes after the ones it uses (they cannot form a cycle: each is checked
    against the declarations before any is stored)."""
    done: list[str] = []
    while len(done) < len(exprs):
        ready = [n for n in exprs if n not in done and not (E.names(exprs[n]) & (set(exprs) - set(done) - {n}))]
        done += ready or [n for n in exprs if n not in done]
    return tuple((n, exprs[n]) for n in done)


def _inline_subexpressions(subs: dict[str, E.Expr], equations, problems) -> dict[str, E.Expr]:
    """Substitute subexpressions into each other until none refers to another."""
    resolved: dict[str, E.Expr] = {}
    visiting: list[str] = []
    where = {eq.name: eq for eq in equations}

    def resolve(name: str) -> E.Expr | None:
        if name in resolved:
            return resolved[name]
        if name in visiting:
            cycle = " -> ".join(visiting[visiting.index(name):] + [name])
            problems.append(where[name].where.source.problem(f"subexpressions refer to each other in a cycle: {cycle}"))
            return None
        visiting.append(name)
        tree = subs[name]
        mapping = {}
        for ref in E.names(tree) & set(subs):
            r = resolve(ref)
            if r is None:
                visiting.pop()
                return None
            mapping[ref] = r
        visiting.pop()
        resolved[name] = E.substitute(tree, mapping)
        return resolved[name]

    for name in subs:
        resolve(name)
    return resolved


def _reserved(name: str) -> bool:
    return name in special_symbols() or name in E.FUNCTIONS or name.startswith("_") or bool(noise_names(name))


def _external_constants(spec: ModelSpec, declared: set[str], system, problems) -> dict[str, Symbol]:
    """Brian2's namespace: the values of ``namespace`` and the ``parameters`` the equations do not declare, as
    constants folded where they are used (a name that is used nowhere is reported after the check)."""
    namespace = dict(spec.namespace or {})
    shadowed = sorted(set(namespace) & declared)
    for name in shadowed:
        problems.append(Problem(f"namespace.{name}", 0, 0, f"`{name}` is declared in the equations; give its "
                                                           "value under parameters"))
    used = _used_names(spec) | _used_names_of([*namespace.values(), *(spec.parameters or {}).values()])
    raw = {n: v for n, v in namespace.items() if n not in declared}
    raw.update({n: v for n, v in (spec.parameters or {}).items() if n not in declared and n not in raw and n in used})
    where = {n: ("namespace" if n in namespace else "parameters") for n in raw}
    values = evaluate_constants(raw, problems, lambda n: f"{where[n]}.{n}")
    # A constant whose value cannot be read is reported there, not again where it is used.
    return {n: (Symbol("constant", values[n].dim, value=values[n].in_units(system)) if n in values else UNREAD)
            for n in raw}


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _used_names_of(texts) -> set[str]:
    return {w for text in texts if isinstance(text, str) for line in text.splitlines()
            for w in _WORD.findall(line.split("#", 1)[0])}


def _used_names(spec: ModelSpec) -> set[str]:
    """Every name that the text fields of ``spec`` write (a parameter value given for none of them is a typo)."""
    receptors = [r if isinstance(r, str) else r.on_pre for r in (spec.receptors or {}).values()]
    return _used_names_of([spec.equations, str(spec.threshold), spec.reset, str(spec.refractory), spec.run_regularly,
                           *receptors, *(spec.initial or {}).values()])


def _parameters(spec, equations, external, system, problems) -> dict[str, Parameter]:
    declared = {eq.name: eq for eq in equations if eq.kind == PARAMETER}
    out = {}
    values = dict(spec.parameters or {})
    for name in values:
        if name not in declared and name not in external:
            close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
            hint = f" — did you mean `{close[0]}`?" if close else ""
            problems.append(Problem(f"parameters.{name}", 0, 0, f"`{name}` is not a parameter of the model{hint}"))
    for name, eq in declared.items():
        raw = values.get(name, 0.0)
        value = 0.0
        if eq.var_type == "boolean":
            if isinstance(raw, str):
                if raw.strip().lower() not in ("true", "false", "1", "0"):
                    problems.append(Problem(f"parameters.{name}", 0, 0, f"`{raw}` is not a boolean"))
                value = float(raw.strip().lower() in ("true", "1"))
            else:
                value = float(bool(raw))
        else:
            value = _parameter_value(name, raw, eq.dim, system, problems)
        out[name] = Parameter(name, eq.dim, eq.var_type, value,
                              "shared" in eq.flags, "constant" in eq.flags)
    return out


def _parameter_value(name, raw, dim, system, problems) -> float:
    """``raw`` in the model's unit system, or 0.0 with a problem (the parameter stays declared)."""
    try:
        value, d = quantity_in(raw, system)
    except UnitError as exc:
        problems.append(Problem(f"parameters.{name}", 0, 0, str(exc)))
        return 0.0
    expected = dim if dim is not None else DIMENSIONLESS
    if d is not expected and not (value == 0.0 and isinstance(raw, (int, float))):
        problems.append(Problem(f"parameters.{name}", 0, 0,
                                f"`{raw}` has units {format_dimension(d)}, but `{name}` is {format_dimension(expected)}"))
        return 0.0
    return value


def _condition(text: str, field_name: str, checker, problems, inline) -> E.Expr | None:
    if not text or not str(text).strip():
        return None
    t = one_line(str(text), field_name)
    node = parse_expression(t, problems)
    if node is None:
        return None
    result = checker.check(t, node)
    if result is None:
        return None
    tree, d = result
    if d != BOOL:
        problems.append(t.source.problem(
            f"the {field_name} must be a condition (e.g. `v > v_th`), but `{text}` is {format_dimension(d)}",
            0, len(t.text)))
        return None
    return inline(tree)


def _statements(text, field_name, checker, states, parameters, problems, inline,
                extra: dict[str, Symbol] | None = None):
    out = []
    if not text:
        return tuple(out)
    saved = checker.symbols
    if extra:
        checker.symbols = {**checker.symbols, **extra}
    try:
        for st in parse_statements(str(text), field_name, problems):
            if extra and st.target in extra:
                problems.append(st.where.source.problem(
                    f"`{st.target}` is the input weight here and cannot be assigned", 0, len(st.target)))
                continue
            sym = checker.symbols.get(st.target)
            if sym is UNREAD:
                continue
            if st.target not in states and not (st.target in parameters and not parameters[st.target].constant):
                if sym is None:
                    close = difflib.get_close_matches(st.target, list(states) + list(parameters), n=1, cutoff=0.6)
                    hint = f" — did you mean `{close[0]}`?" if close else ""
                    msg = f"unknown name `{st.target}`{hint}"
                else:
                    msg = f"cannot assign to `{st.target}` (it is a {sym.kind})"
                problems.append(st.where.source.problem(msg, 0, len(st.target)))
                continue
            node = parse_expression(st.expr, problems)
            if node is None:
                continue
            result = checker.check(st.expr, node)
            if result is None:
                continue
            tree, d = result
            want = BOOL if sym.var_type == "boolean" else sym.dim
            if st.op in ("*=", "/="):
                ok = d is DIMENSIONLESS
                want_text = "dimensionless"
            else:
                ok = d is want if want != BOOL else d == BOOL
                want_text = "boolean" if want == BOOL else format_dimension(want)
            if not ok:
                got = "boolean" if d == BOOL else format_dimension(d)
                problems.append(st.where.source.problem(
                    f"`{st.target} {st.op} ...` needs {want_text}, but `{st.expr.text}` is {got}",
                    0, len(st.where.text)))
                continue
            if st.op != "=":
                tree = E.Binary(st.op[0], E.Ref(st.target), tree)
            tree = inline(tree)
            if st.target in parameters and parameters[st.target].shared:
                shared = f"`{st.target}` is shared (one value for the population)"
                if field_name != "run_regularly":
                    problems.append(st.where.source.problem(
                        f"{shared} and cannot be assigned in {field_name}, which each neuron runs on its own "
                        "(assign it in run_regularly)", 0, len(st.where.text)))
                    continue
                varying = _varying(tree, parameters)
                if varying is not None:
                    problems.append(st.where.source.problem(
                        f"{shared}, but `{st.expr.text}` depends on `{varying}`, which differs between neurons",
                        0, len(st.where.text)))
                    continue
            out.append((st.target, tree))
    finally:
        checker.symbols = saved
    return tuple(out)


def _varying(tree: E.Expr, parameters: dict[str, Parameter]) -> str | None:
    """What makes ``tree`` differ between neurons (a state, a parameter that is not shared, ``i``, ``rand()``),
    or ``None`` when it has one value for the whole population (Brian2's rule for `shared`)."""
    for name in sorted(E.names(tree)):
        if name not in _SHARED_SPECIALS and not (name in parameters and parameters[name].shared):
            return name
    return "rand()" if E.is_random(tree) else None


def _refractory(text, checker, symbols, problems, inline):
    if text is None or (isinstance(text, str) and not text.strip()):
        return ("none", None)
    if isinstance(text, (int, float)):
        text = f"{text} second" if text else ""
        if not text:
            return ("none", None)
    raw = str(text).strip()
    sym = symbols.get(raw)
    if sym is UNREAD:
        return ("none", None)
    if sym is not None:
        if sym.kind != "parameter" or sym.dim is not SECOND:
            problems.append(Problem("refractory", 1, 1, f"`{raw}` must be a parameter in seconds to serve as refractory period"))
            return ("none", None)
        return ("param", raw)
    try:
        value, d = parse_quantity(raw)
    except UnitError:
        value, d = None, None
    if value is not None:
        if d is not SECOND:
            problems.append(Problem("refractory", 1, 1, f"a refractory period must be a time, but `{raw}` is {format_dimension(d)}"))
            return ("none", None)
        if not math.isfinite(value):
            problems.append(Problem("refractory", 1, 1, f"a refractory period must be finite, not `{raw}`"))
            return ("none", None)
        if value < 0:
            problems.append(Problem("refractory", 1, 1, "a refractory period cannot be negative"))
        return ("time", value)
    cond = _condition(raw, "refractory", checker, problems, inline)
    return ("condition", cond) if cond is not None else ("none", None)


def _receptors(spec, checker, symbols, states, parameters, problems, inline):
    out, dims = {}, {}
    for name, rec in (spec.receptors or {}).items():
        field_name = f"receptors.{name}"
        if isinstance(rec, str):
            rec = Receptor(rec)
        first = parse_statements(rec.on_pre, field_name, [])
        if first and symbols.get(first[0].target) is UNREAD:
            continue
        if rec.weight_unit:
            try:
                _, d = parse_quantity("1 " + rec.weight_unit)
            except UnitError as exc:
                problems.append(Problem(field_name, 0, 0, str(exc)))
                continue
        elif first and first[0].target in symbols and symbols[first[0].target].dim is not None:
            d = symbols[first[0].target].dim
        elif first and first[0].target not in symbols:
            target = first[0].target
            close = difflib.get_close_matches(target, [n for n, s in symbols.items() if s.kind == "state"], n=1,
                                              cutoff=0.6)
            hint = f" — did you mean `{close[0]}`?" if close else ""
            problems.append(first[0].where.source.problem(f"unknown variable `{target}`{hint}", 0, len(target)))
            continue
        else:
            problems.append(Problem(field_name, 0, 0, "cannot tell the unit of the weight `w`; give weight_unit"))
            continue
        dims[name] = d
        out[name] = _statements(rec.on_pre, field_name, checker, states, parameters, problems,
                                inline, extra={"w": Symbol("input", d)})
    return out, dims


def _initial(spec, states, parameters, checker, system, problems) -> dict[str, float]:
    env = {n: p.value for n, p in parameters.items()}
    env.update({"t": 0.0, "i": 0.0, "N": 1.0, "lastspike": -1e9, "not_refractory": 1.0})
    values = {name: 0.0 for name in states}
    for name, raw in (spec.initial or {}).items():
        field_name = f"initial.{name}"
        if checker.symbols.get(name) is UNREAD:
            continue
        if name not in states and name not in parameters:
            problems.append(Problem(field_name, 0, 0, f"`{name}` is not a state variable of the model"))
            continue
        dim = states[name] if name in states else parameters[name].dim
        if isinstance(raw, (int, float)):
            values[name] = float(raw)
            continue
        try:
            value, d = quantity_in(raw, system)
            if d is not dim:
                problems.append(Problem(field_name, 0, 0, f"`{raw}` has units {format_dimension(d)}, "
                                                          f"but `{name}` is {format_dimension(dim)}"))
                continue
            values[name] = value
            continue
        except UnitError:
            pass
        t = one_line(str(raw), field_name)
        node = parse_expression(t, problems)
        if node is None:
            continue
        result = checker.check(t, node)
        if result is None:
            continue
        tree, d = result
        if d is not dim:
            problems.append(t.source.problem(f"`{raw}` has units {format_dimension(d) if d != BOOL else 'boolean'}, "
                                             f"but `{name}` is {format_dimension(dim)}", 0, len(t.text)))
            continue
        if E.is_random(tree):
            problems.append(t.source.problem("random initial values are set per population, not in the model"))
            continue
        try:
            values[name] = E.evaluate(tree, env)
        except (KeyError, ArithmeticError, ValueError) as exc:
            problems.append(t.source.problem(f"cannot evaluate `{raw}`: {exc}"))
    return values
