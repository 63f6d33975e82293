"""Recognise IRs that the hand-fused linear kernel (ext/linear.pyx) can run.

A model qualifies when, after lowering: every update assigns a state an affine
function of the states and the injected-current inputs with constant
coefficients (optionally held while refractory); receive statements add
constant multiples of receptor weights; the threshold compares one state with
a constant; the reset sets states to constants; and there are at most four
states, two current inputs and four receptors.  Everything else runs on the VM.
"""

from __future__ import annotations

import numpy as np

from engine.equations import expr as E
from engine.equations.ir import NeuronIR
from engine.equations.linear_form import NotLinear, linear_form
from engine.native import linear as _linear

MAX_STATES = MAX_INPUTS = 4
MAX_CURRENTS = 2


def linear_kernel(ir: NeuronIR) -> "_linear.LinearKernel | None":
    """The fused kernel for ``ir``, or ``None`` when the model does not qualify."""
    try:
        return _build(ir)
    except NotLinear:
        return None


def _const(e: E.Expr) -> float:
    e = E.fold(e)
    if not isinstance(e, E.Const):
        raise NotLinear(E.to_text(e))
    return e.value


def _build(ir: NeuronIR):
    if ir.adaptive is not None:
        raise NotLinear("adaptive integration")
    if ir.refractory_kind == "condition" or ir.threshold is None:
        raise NotLinear("refractory condition")
    states = list(ir.state_names)
    receptors = [s.name for s in ir.slots if s.kind == "input" and s.name.startswith("w_")]
    currents = [s.name for s in ir.slots if s.kind == "input" and s.name not in receptors]
    if len(states) > MAX_STATES or len(receptors) > MAX_INPUTS or len(currents) > MAX_CURRENTS:
        raise NotLinear("too many states or inputs")
    if any(s.kind == "param" and s.name != ir.refractory_param for s in ir.slots):
        raise NotLinear("per-neuron parameters")
    P = np.zeros((MAX_STATES, MAX_STATES))
    Q = np.zeros((MAX_STATES, MAX_INPUTS))
    R = np.zeros((MAX_STATES, MAX_INPUTS))
    c = np.zeros(MAX_STATES)
    hold = np.zeros(MAX_STATES, dtype=np.int32)
    temps: dict[str, E.Expr] = {}
    assigned: set[str] = set()
    over = set(states) | set(currents)
    for a in ir.update:
        if a.target.startswith("_"):
            if E.names(a.expr) & set(temps):
                raise NotLinear("temporaries depend on temporaries")
            temps[a.target] = a.expr
            continue
        value = a.expr
        i = states.index(a.target)
        if (isinstance(value, E.Select) and value.cond == E.Ref("not_refractory")
                and value.b == E.Ref(a.target)):
            hold[i] = 1
            value = value.a
        value = E.substitute(value, temps)
        if a.target in assigned or E.names(value) - over:
            raise NotLinear("not a single affine update")
        assigned.add(a.target)
        coeffs, rest = linear_form(value, over)
        c[i] = _const(rest)
        for name, coef in coeffs.items():
            if name in states:
                P[i, states.index(name)] = _const(coef)
            else:
                Q[i, currents.index(name)] = _const(coef)
    for name in states:
        if name not in assigned:
            P[states.index(name), states.index(name)] = 1.0
    for stmts in ir.receive.values():
        for a in stmts:
            i = states.index(a.target) if a.target in states else -1
            if i < 0:
                raise NotLinear("receive into a non-state")
            coeffs, rest = linear_form(a.expr, {a.target} | set(receptors))
            if _const(coeffs.pop(a.target, E.ZERO)) != 1.0 or _const(rest) != 0.0:
                raise NotLinear("receive is not an increment")
            for name, coef in coeffs.items():
                R[i, receptors.index(name)] += _const(coef)
    thr = ir.threshold
    if not (isinstance(thr, E.Binary) and thr.op in (">=", ">") and isinstance(thr.a, E.Ref)
            and thr.a.name in states and isinstance(thr.b, E.Const)):
        raise NotLinear("threshold")
    reset_mask = np.zeros(MAX_STATES, dtype=np.int32)
    reset_val = np.zeros(MAX_STATES)
    for a in ir.reset:
        if a.target not in states or not isinstance(a.expr, E.Const) or reset_mask[states.index(a.target)]:
            raise NotLinear("reset")
        reset_mask[states.index(a.target)] = 1
        reset_val[states.index(a.target)] = a.expr.value

    def rows(names: list[str], width: int) -> list[int]:
        return [ir.slot_index(n) for n in names] + [-1] * (width - len(names))

    threshold = states.index(thr.a.name)
    synaptic = _exponential_synapses(P, c, Q, R, hold, threshold, reset_mask, len(states), len(currents),
                                     len(receptors))
    return _linear.LinearKernel(P, c, Q, R, hold, threshold, thr.b.value, thr.op == ">",
                                reset_mask, reset_val, rows(states, MAX_STATES), rows(currents, MAX_CURRENTS),
                                rows(receptors, MAX_INPUTS), ir.slot_index("lastspike"), synaptic)


def _exponential_synapses(P, c, Q, R, hold, threshold: int, reset_mask, ns: int, ni: int, nw: int) -> bool:
    """Whether the kernel's exponential-synapse variant gives this model the generic kernel's bits
    (ext/linear_kernel.h): the first state is thresholded and the only one reset; every other state ``i``
    only decays (no constant, input, other state or hold) and takes nothing but receptor ``i - 1``; no
    receptor reaches the first state; 2 to 4 states, at most 3 receptors, and some receptor or at most
    one input (where the generic sums end with an absent term's + 0.0)."""
    if not (2 <= ns and nw < MAX_INPUTS and (nw > 0 or ni < MAX_CURRENTS)):
        return False
    if threshold != 0 or list(reset_mask) != [1, 0, 0, 0] or R[0].any():
        return False
    for i in range(1, ns):
        others = np.delete(P[i], i)
        receptors = np.delete(R[i], i - 1)
        if others.any() or c[i] != 0.0 or Q[i].any() or hold[i] or receptors.any():
            return False
    return True
