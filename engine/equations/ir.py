"""The typed intermediate representation of one neuron's time step.

A :class:`NeuronIR` is what every back end consumes (float VM, fixed-point VM,
NumPy reference, Verilog).  It is explicit and small; docs/ir.md describes it.

One step of one neuron, in this order::

    not_refractory = (refractory counter == 0)     [or: not <condition>]
    update      sequential assignments (the model's run_regularly statements, then
                the integrator; with substep_reset, a threshold test and a
                conditional reset after every substep); names starting with "_"
                are temporaries
    adaptive    (method rkf45 only) the adaptive integration of the step, with the
                threshold test and the reset after each of its steps; the
                threshold then reads whether it fired (docs/integration.md)
    receive     for each receptor, its statements with w_<receptor> = summed weight
    spike       = threshold and not_refractory
    if spike:   reset assignments; counter = refractory steps; lastspike = t + dt
    elif counter > 0: counter -= 1
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.linalg

from engine.errors import ModelError, Problem
from engine.equations import expr as E
from engine.equations.check import noise_names
from engine.equations.linear_form import NotLinear, linear_form
from engine.equations.model import CheckedModel
from engine.equations.rkf45_control import is_rkf45, parse_rkf45
from engine.equations.units import SECOND


@dataclass(frozen=True)
class Assign:
    target: str
    expr: E.Expr


@dataclass(frozen=True)
class Slot:
    """A per-neuron value the step reads or writes.

    kind: ``state`` (integrated), ``param`` (per-neuron parameter), ``input``
    (written by the runtime each step: injected current, receptor weights),
    ``internal`` (lastspike).
    """

    name: str
    kind: str
    unit: str
    initial: float
    boolean: bool = False


@dataclass(frozen=True)
class Adaptive:
    """NEST's adaptive Runge-Kutta-Fehlberg 4(5) integration of one step (docs/integration.md).

    ``derivatives`` are those of ``states`` in that order, over slots, ``t`` and
    ``not_refractory``.  After each accepted step a neuron that is not refractory
    and meets ``threshold`` takes ``reset`` at once, and is refractory for the
    rest of the step when ``refractory`` holds.  The step size is controlled as
    GSL's standard control does: D = eps_abs + eps_rel (a_y |y| + a_dydt h |y'|).
    """

    states: tuple[str, ...]
    derivatives: tuple[E.Expr, ...]
    threshold: E.Expr | None
    reset: tuple[Assign, ...]
    refractory: E.Expr
    eps_abs: float
    eps_rel: float
    a_y: float
    a_dydt: float


ADAPTIVE_STEP = "rkf45.h"  # a neuron's step size, carried from step to step as NEST's IntegrationStep_
ADAPTIVE_FIRED = "rkf45.fired"  # whether the neuron fired within the step


@dataclass(frozen=True)
class NeuronIR:
    """One neuron's step: update, receive, threshold, reset over named slots."""

    name: str
    unit_system: str
    dt: float  # in the model's time unit
    slots: tuple[Slot, ...]
    update: tuple[Assign, ...]
    receive: dict[str, tuple[Assign, ...]]
    threshold: E.Expr | None
    reset: tuple[Assign, ...]
    refractory_kind: str  # none | steps | param | condition
    refractory_steps: int = 0
    refractory_param: str = ""
    refractory_condition: E.Expr | None = None
    current_input: str | None = None
    method: str = ""
    constants: dict[str, float] = field(default_factory=dict)
    adaptive: Adaptive | None = None
    fixed_step: "NeuronIR | None" = None  # with ``adaptive``: the form fixed point runs (rk4 in substeps)

    def slot_index(self, name: str) -> int:
        for i, s in enumerate(self.slots):
            if s.name == name:
                return i
        raise KeyError(name)

    @property
    def slot_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.slots)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.slots if s.kind == "state")

    def dump(self) -> str:
        """A readable listing (for docs, the playground and debugging)."""
        lines = [f"neuron {self.name}  (units: {self.unit_system}, dt = {self.dt!r}, method {self.method})"]
        for s in self.slots:
            lines.append(f"  slot {s.kind:8s} {s.name} [{s.unit}] = {s.initial!r}")
        lines.append("  update:")
        lines += [f"    {a.target} = {E.to_text(a.expr)}" for a in self.update]
        if self.adaptive is not None:
            ode = self.adaptive
            lines.append(f"  (fixed point runs the fixed-step form: method {self.fixed_step.method}, "
                         "listed by its own dump)")
            lines.append(f"  rkf45 (eps_abs {ode.eps_abs!r}, eps_rel {ode.eps_rel!r}, a_y {ode.a_y!r}, "
                         f"a_dydt {ode.a_dydt!r}):")
            lines += [f"    d{n}/dt = {E.to_text(d)}" for n, d in zip(ode.states, ode.derivatives)]
            if ode.threshold is not None:
                lines.append(f"    after each step, if {E.to_text(ode.threshold)}:")
                lines += [f"      {a.target} = {E.to_text(a.expr)}" for a in ode.reset]
        for rec, stmts in self.receive.items():
            lines.append(f"  receive {rec}:")
            lines += [f"    {a.target} = {E.to_text(a.expr)}" for a in stmts]
        if self.threshold is not None:
            lines.append(f"  threshold: {E.to_text(self.threshold)}")
        lines.append("  reset:")
        lines += [f"    {a.target} = {E.to_text(a.expr)}" for a in self.reset]
        lines.append(f"  refractory: {self.refractory_kind} {self.refractory_steps or self.refractory_param or ''}")
        return "\n".join(lines)


def receptor_slot(receptor: str) -> str:
    return f"w_{receptor}"


def build_ir(model: CheckedModel, dt: float, *, name: str = "neuron", per_neuron: frozenset[str] = frozenset(),
             method: str | None = None, parameters: dict[str, float] | None = None) -> NeuronIR:
    """Lower a checked model to the IR for time step ``dt`` (seconds).

    Parameters named in ``per_neuron`` stay per-neuron slots; every other
    parameter is folded into the expressions as a constant.  ``parameters``
    overrides parameter values (in the model's unit system).
    """
    system = model.system
    dt_sys = system.to_system(dt, SECOND)
    values = {n: p.value for n, p in model.parameters.items()}
    values.update(parameters or {})
    inputs = set()
    if model.spec.current_input:
        inputs.add(model.spec.current_input)
    variables = tuple(dict.fromkeys(t for t, _ in model.run_regularly if t not in model.states))
    keep = (set(per_neuron) | inputs) - set(variables)
    unknown = keep - set(model.parameters)
    if unknown:
        raise ModelError(f"`{sorted(unknown)[0]}` is not a parameter of the model")
    if model.refractory[0] == "param":
        keep.add(model.refractory[1])
    folded = {n: E.Const(v) for n, v in values.items() if n not in keep and n not in variables}
    folded["dt"] = E.Const(dt_sys)

    def prep(tree: E.Expr) -> E.Expr:
        return E.fold(E.substitute(tree, folded))

    rhs = {n: prep(s.rhs) for n, s in model.states.items()}
    chosen = method or model.method or choose_method(rhs, model.stochastic)
    substeps = model.spec.substeps
    h = dt_sys / substeps
    update = [Assign(t, prep(e)) for t, e in model.per_step]
    update += [Assign(t, prep(e)) for t, e in model.run_regularly if prep(e) != E.Ref(t)]
    steps = []
    for k in range(0 if is_rkf45(chosen) else substeps):
        t_now = E.Ref("t") if k == 0 else E.Binary("+", E.Ref("t"), E.Const(k * h))
        step = integrate(chosen, rhs, h, t_now, prefix=f"_s{k}" if substeps > 1 else "")
        steps.append([Assign(a.target, E.Select(E.Ref("not_refractory"), a.expr, E.Ref(a.target)))
                      if a.target in model.states and model.states[a.target].unless_refractory else a
                      for a in step])

    receive = {rec: tuple(Assign(t, prep(E.substitute(e, {"w": E.Ref(receptor_slot(rec))})))
                          for t, e in stmts)
               for rec, stmts in model.receptors.items()}
    reset = tuple(Assign(t, prep(e)) for t, e in model.reset if prep(e) != E.Ref(t))
    threshold = prep(model.threshold) if model.threshold is not None else None
    adaptive = None
    if is_rkf45(chosen) and model.spec.substep_reset and threshold is not None:
        adaptive = _adaptive(model, rhs, threshold, reset, chosen)
        threshold, reset = E.Ref(ADAPTIVE_FIRED), ()
    elif is_rkf45(chosen):
        adaptive = _adaptive(model, rhs, None, (), chosen)
    elif model.spec.substep_reset and threshold is not None and substeps > 1:
        steps, threshold, reset = _substep_reset(steps, threshold, reset, _refractory_positive(model))
    update += [a for step in steps for a in step]

    slots = [Slot(n, "state", system.unit_name(s.dim), model.initial.get(n, 0.0))
             for n, s in model.states.items()]
    for n, e in model.per_step:
        dim = model.sub_dims[n]
        slots.append(Slot(n, "state", "boolean" if dim == "boolean" else system.unit_name(dim),
                          _initial_value(prep(e), model.initial), boolean=dim == "boolean"))
    for n in variables:
        p = model.parameters[n]
        slots.append(Slot(n, "state", p.var_type if p.dim is None else system.unit_name(p.dim),
                          model.initial.get(n, values[n]), boolean=p.var_type == "boolean"))
    for n in sorted(keep):
        p = model.parameters[n]
        slots.append(Slot(n, "input" if n in inputs else "param",
                          p.var_type if p.dim is None else system.unit_name(p.dim), values[n],
                          boolean=p.var_type == "boolean"))
    for rec in model.receptors:
        slots.append(Slot(receptor_slot(rec), "input", system.unit_name(model.receptor_dims[rec]), 0.0))
    slots.append(Slot("lastspike", "internal", system.unit_name(SECOND), -1e9))
    if adaptive is not None:
        slots.append(Slot(ADAPTIVE_STEP, "internal", system.unit_name(SECOND),
                          system.to_system(parse_rkf45(chosen).first(dt), SECOND)))
        if adaptive.threshold is not None:
            slots.append(Slot(ADAPTIVE_FIRED, "internal", "boolean", 0.0, boolean=True))

    kind, arg = model.refractory
    ir = NeuronIR(name=name, unit_system=system.name, dt=dt_sys, slots=tuple(slots), update=tuple(update),
                  receive=receive, threshold=threshold, reset=reset, refractory_kind="none",
                  current_input=model.spec.current_input, method=chosen, constants=dict(values), adaptive=adaptive)
    if kind == "time":
        steps = round(arg / dt)
        if steps > np.iinfo(np.int32).max:
            raise ModelError(Problem("refractory", 1, 1, f"a refractory period of {steps} steps is too long"))
        ir = replace(ir, refractory_kind="steps", refractory_steps=int(steps))
    elif kind == "param":
        ir = replace(ir, refractory_kind="param", refractory_param=arg)
    elif kind == "condition":
        ir = replace(ir, refractory_kind="condition", refractory_condition=prep(arg))
    _check_written(ir, model)
    if adaptive is not None:
        # rkf45 has no fixed-point meaning: fixed point runs the model with rk4 in its substeps (and the reset
        # after each with substep_reset), over the same slots (docs/integration.md).
        fixed = build_ir(model, dt, name=name, per_neuron=per_neuron, method="rk4", parameters=parameters)
        assert ir.slots[:len(fixed.slots)] == fixed.slots
        ir = replace(ir, fixed_step=replace(fixed, slots=ir.slots))
    return ir


def _initial_value(tree: E.Expr, initial: dict[str, float]) -> float:
    """A `constant over dt` value before the first step (0 where it needs more than the initial values)."""
    try:
        return E.evaluate(tree, {"t": 0.0, "i": 0.0, "N": 1.0, "lastspike": -1e9, "not_refractory": 1.0, **initial})
    except (KeyError, ArithmeticError, ValueError):
        return 0.0


def _adaptive(model: CheckedModel, rhs: dict[str, E.Expr], threshold: E.Expr | None,
              reset: tuple[Assign, ...], method: str) -> Adaptive:
    """The rkf45 integration of ``rhs`` (folded) with the control ``method`` asks for, and the threshold
    test and the reset after each step when ``threshold`` is given."""
    if not rhs:
        raise ModelError(Problem("method", 0, 0, "rkf45 integrates differential equations, and the model has "
                                                 "none"))
    if model.stochastic:
        raise ModelError(Problem("method", 0, 0, "rkf45 integrates deterministic equations; stochastic ones "
                                                 "(with `xi`) need method `euler`"))
    if any(E.is_random(e) for e in rhs.values()):
        raise ModelError(Problem("method", 0, 0, "rkf45 evaluates the equations several times per step; "
                                                 "`rand()` or `randn()` in them needs a fixed-step method"))
    derivatives = tuple(E.Select(E.Ref("not_refractory"), e, E.ZERO) if model.states[n].unless_refractory else e
                        for n, e in rhs.items())
    control = parse_rkf45(method)
    return Adaptive(tuple(rhs), derivatives, threshold, reset, _refractory_positive(model),
                    eps_abs=control.eps_abs, eps_rel=control.eps_rel, a_y=control.a_y, a_dydt=control.a_dydt)


def _refractory_positive(model: CheckedModel) -> E.Expr:
    """Whether a spike makes the neuron refractory (a positive period, or a condition)."""
    kind, arg = model.refractory
    if kind == "time":
        return E.Const(float(arg > 0))
    if kind == "param":
        return E.Binary(">", E.Ref(arg), E.ZERO)
    return E.Const(float(kind == "condition"))


def _substep_reset(steps: list[list[Assign]], threshold: E.Expr, reset: tuple[Assign, ...],
                   refractory: E.Expr) -> tuple[list[list[Assign]], E.Expr, tuple[Assign, ...]]:
    """Test the threshold after every substep and reset at once, as NEST's adaptive-step models do.

    The rest of the step integrates from the reset state (refractory from then on when the
    refractory period is positive); the step reports one spike, the first crossing, and the
    reset at the end of the step only applies when no substep fired.
    """
    out = [steps[0]]
    spiked: E.Expr | None = None
    for k, step in enumerate(steps[1:]):
        ready = E.Ref("not_refractory") if spiked is None else E.Binary("and", E.Ref(f"_nr{k - 1}"),
                                                                      E.Unary("not", spiked))
        fired = f"_fired{k}"
        stmts = [Assign(fired, E.Binary("and", threshold, ready))]
        stmts += [Assign(a.target, E.Select(E.Ref(fired), a.expr, E.Ref(a.target))) for a in reset]
        spiked = E.Ref(fired) if spiked is None else E.Binary("or", spiked, E.Ref(fired))
        stmts.append(Assign(f"_spiked{k}", spiked))
        spiked = E.Ref(f"_spiked{k}")
        stmts.append(Assign(f"_nr{k}", E.Binary("and", E.Ref("not_refractory"),
                                                E.Unary("not", E.Binary("and", spiked, refractory)))))
        out[-1] = out[-1] + stmts
        out.append([Assign(a.target, E.substitute(a.expr, {"not_refractory": E.Ref(f"_nr{k}")})) for a in step])
    assert spiked is not None
    threshold = E.Binary("or", spiked, threshold)
    reset = tuple(Assign(a.target, E.Select(spiked, E.Ref(a.target), a.expr)) for a in reset)
    return out, threshold, reset


def _check_written(ir: NeuronIR, model: CheckedModel) -> None:
    writable = {s.name for s in ir.slots if s.kind in ("state", "param")}
    for stmts in (ir.reset, *ir.receive.values()):
        for a in stmts:
            if a.target not in writable and not a.target.startswith("_"):
                raise ModelError(Problem("reset", 0, 0, f"`{a.target}` is folded into a constant and cannot be "
                                                        "assigned; make it a per-neuron parameter"))


def refractory_steps(ir: NeuronIR, values: np.ndarray) -> np.ndarray:
    """Per-neuron refractory step counts for a refractory period given per neuron."""
    return np.rint(values / ir.dt).astype(np.int64)


# -- method choice ------------------------------------------------------------

def choose_method(rhs: dict[str, E.Expr], stochastic: bool) -> str:
    """The method of a model without one: ``exact`` when every equation is linear in the states with constant
    coefficients, else ``exponential_euler`` when each is linear in its own variable, else ``euler``; ``euler``
    with noise.  Not Brian2's rule (``exact``, then ``euler``, then ``heun``): docs/language.md."""
    if stochastic:
        return "euler"
    states = set(rhs)
    try:
        for tree in rhs.values():
            coeffs, _ = linear_form(tree, states)
            for c in coeffs.values():
                if not isinstance(E.fold(c), E.Const):
                    raise NotLinear("coefficient depends on variables")
        return "exact"
    except NotLinear:
        pass
    try:
        for n, tree in rhs.items():
            linear_form(tree, {n})
        return "exponential_euler"
    except NotLinear:
        return "euler"


# -- integrators ----------------------------------------------------------------

def integrate(method: str, rhs: dict[str, E.Expr], h: float, t: E.Expr, prefix: str = "") -> list[Assign]:
    """Assignments that advance every state by one step ``h`` with ``method``.

    The statements are sequential; temporaries are named ``_<prefix>...``; the
    last statements store the new states.
    """
    if method in ("euler", "rk2", "heun", "rk4"):
        if any(noise_in(e) for e in rhs.values()) and method != "euler":
            raise ModelError(Problem("method", 0, 0, f"stochastic equations (with `xi`) need method `euler`, not `{method}`"))
        return _explicit(method, dict(rhs), h, t, prefix)
    rhs = {n: E.substitute(e, {"t": t}) for n, e in rhs.items()}
    if method == "exact":
        return _exact(rhs, h, prefix)
    if method == "exponential_euler":
        return _exponential_euler(rhs, h, prefix)
    raise ModelError(Problem("method", 0, 0, f"unknown method `{method}`"))


def noise_in(e: E.Expr) -> set[str]:
    """The white-noise terms (``xi``, ``xi_<name>``) that ``e`` uses."""
    return {n for n in E.names(e) if noise_names(n)}


def _stores(names, new: dict[str, str]) -> list[Assign]:
    return [Assign(n, E.Ref(new[n])) for n in names]


def _explicit(method: str, rhs: dict[str, E.Expr], h: float, t: E.Expr, prefix: str) -> list[Assign]:
    names = list(rhs)
    out: list[Assign] = []
    noise: dict[str, dict[str, E.Expr]] = {}
    for n in names:
        terms = noise_in(rhs[n])
        if terms:
            coeffs, det = linear_form(rhs[n], terms)
            rhs[n] = E.fold(det)
            noise[n] = {x: E.fold(coeffs[x]) for x in sorted(terms)}

    def k(stage: str, point: dict[str, E.Expr], t_shift: float) -> dict[str, str]:
        mapping: dict[str, E.Expr] = dict(point)
        mapping["t"] = E.Binary("+", t, E.Const(t_shift)) if t_shift else t
        result = {}
        for n in names:
            tmp = f"_{prefix}{stage}_{n}"
            out.append(Assign(tmp, E.fold(E.substitute(rhs[n], mapping))))
            result[n] = tmp
        return result

    def shifted(ks: dict[str, str], c: float) -> dict[str, E.Expr]:
        return {n: E.Binary("+", E.Ref(n), E.Binary("*", E.Const(c), E.Ref(ks[n]))) for n in names}

    k1 = k("k1", {}, 0.0)
    if method == "euler":
        combo = {n: E.Binary("*", E.Const(h), E.Ref(k1[n])) for n in names}
    elif method == "rk2":
        k2 = k("k2", shifted(k1, h / 2), h / 2)
        combo = {n: E.Binary("*", E.Const(h), E.Ref(k2[n])) for n in names}
    elif method == "heun":
        k2 = k("k2", shifted(k1, h), h)
        combo = {n: E.Binary("*", E.Const(h / 2), E.Binary("+", E.Ref(k1[n]), E.Ref(k2[n]))) for n in names}
    else:
        k2 = k("k2", shifted(k1, h / 2), h / 2)
        k3 = k("k3", shifted(k2, h / 2), h / 2)
        k4 = k("k4", shifted(k3, h), h)
        combo = {n: E.Binary("*", E.Const(h / 6), E.Binary("+", E.Binary("+", E.Ref(k1[n]), E.Binary(
            "*", E.Const(2.0), E.Binary("+", E.Ref(k2[n]), E.Ref(k3[n])))), E.Ref(k4[n]))) for n in names}
    # A named noise term (xi_<name>) is one draw per step for every equation that uses it, as in Brian2;
    # plain xi is drawn for each equation on its own (docs/language.md).
    draws: dict[str, E.Expr] = {}
    for x in sorted({x for terms in noise.values() for x in terms} - {"xi"}):
        out.append(Assign(f"_{prefix}{x}", E.Call("randn", ())))
        draws[x] = E.Ref(f"_{prefix}{x}")
    new = {}
    for n in names:
        delta = combo[n]
        for x, coeff in noise.get(n, {}).items():
            draw = draws.get(x, E.Call("randn", ()))
            delta = E.Binary("+", delta, E.Binary("*", E.Binary("*", coeff, E.Const(float(np.sqrt(h)))), draw))
        tmp = f"_{prefix}new_{n}"
        out.append(Assign(tmp, E.fold(E.Binary("+", E.Ref(n), delta))))
        new[n] = tmp
    return out + _stores(names, new)


def _exponential_euler(rhs: dict[str, E.Expr], h: float, prefix: str) -> list[Assign]:
    out, new = [], {}
    for n, tree in rhs.items():
        try:
            coeffs, rest = linear_form(tree, {n})
        except NotLinear as exc:
            raise ModelError(Problem("method", 0, 0, f"exponential_euler needs d{n}/dt linear in {n}; "
                                                     f"`{exc}` is not")) from exc
        a = E.fold(coeffs.get(n, E.ZERO))
        b = E.fold(rest)
        tmp = f"_{prefix}new_{n}"
        if a == E.ZERO:
            value = E.Binary("+", E.Ref(n), E.Binary("*", E.Const(h), b))
        else:
            # x + (a x + b) h exprel(a h): equal to -b/a + (x + b/a) exp(a h), and finite as a -> 0.
            slope = E.Binary("+", E.Binary("*", a, E.Ref(n)), b)
            value = E.Binary("+", E.Ref(n), E.Binary("*", E.Binary("*", slope, E.Const(h)),
                                                      E.Call("exprel", (E.Binary("*", a, E.Const(h)),))))
        out.append(Assign(tmp, E.fold(value)))
        new[n] = tmp
    return out + _stores(list(rhs), new)


def _exact(rhs: dict[str, E.Expr], h: float, prefix: str) -> list[Assign]:
    """Exact integration of a linear system with constant coefficients.

    x(t+h) = P x(t) + Q b with P = expm(A h) and Q = integral of expm(A s) over
    [0, h] (Van Loan's block exponential), b held constant over the step.
    """
    names = list(rhs)
    n = len(names)
    A = np.zeros((n, n))
    rests: list[E.Expr] = []
    for i, name in enumerate(names):
        try:
            coeffs, rest = linear_form(rhs[name], set(names))
        except NotLinear as exc:
            raise ModelError(Problem("method", 0, 0, f"exact integration needs linear equations; `{exc}` in "
                                                     f"d{name}/dt is not linear")) from exc
        for var, c in coeffs.items():
            c = E.fold(c)
            if not isinstance(c, E.Const):
                raise ModelError(Problem("method", 0, 0, f"exact integration needs constant coefficients; "
                                                         f"d{name}/dt has `{E.to_text(c)}` * {var} "
                                                         "(make the parameters shared or choose another method)"))
            A[i, names.index(var)] += c.value
        rests.append(E.fold(rest))
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n] = A
    block[:n, n:] = np.eye(n)
    big = scipy.linalg.expm(block * h)
    P, Q = big[:n, :n], big[:n, n:]
    reach = _reachability(A)
    out, new = [], {}
    for i, name in enumerate(names):
        terms: list[E.Expr] = []
        for j, other in enumerate(names):
            if reach[i, j] and P[i, j] != 0.0:
                terms.append(E.Binary("*", E.Const(float(P[i, j])), E.Ref(other)))
        for j, b in enumerate(rests):
            if reach[i, j] and b != E.ZERO and Q[i, j] != 0.0:
                terms.append(E.Binary("*", E.Const(float(Q[i, j])), b))
        value: E.Expr = E.ZERO
        for term in terms:
            value = term if value == E.ZERO else E.Binary("+", value, term)
        tmp = f"_{prefix}new_{name}"
        out.append(Assign(tmp, E.fold(value)))
        new[name] = tmp
    return out + _stores(names, new)


def _reachability(A: np.ndarray) -> np.ndarray:
    """reach[i, j]: x_j influences x_i (structural zeros of the propagator stay exact zeros)."""
    n = A.shape[0]
    reach = (A != 0) | np.eye(n, dtype=bool)
    for _ in range(n):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return reach
