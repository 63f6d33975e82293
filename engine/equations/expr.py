"""Expression trees of the IR: small, immutable, hashable nodes.

An expression is one of :class:`Const`, :class:`Ref`, :class:`Unary`,
:class:`Binary`, :class:`Call` or :class:`Select`.  Numbers are stored in the
model's unit system, so the trees carry no units; the checker in
:mod:`engine.equations.check` has proved them consistent before they exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

BINARY_OPS = ("+", "-", "*", "/", "**", "<", "<=", ">", ">=", "==", "!=", "and", "or")
UNARY_OPS = ("-", "not")
# Functions of one argument whose value is computed element-wise.
UNARY_FUNCTIONS = ("exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "exprel",
                   "floor", "ceil", "int", "sign", "sinh", "cosh", "arcsin", "arccos", "arctan", "log10")
FUNCTIONS = UNARY_FUNCTIONS + ("clip", "rand", "randn", "redraw")
# Random draws take ``redraw(x, lo[, hi])``: each value of ``x`` outside [lo, hi] is drawn again (NEST's
# ``nest.math.redraw``), at most this many times before the draw is refused.
REDRAW_ROUNDS = 1000
DRAWS = ("rand", "randn", "redraw")  # the functions whose value is drawn


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str
    a: "Expr"


@dataclass(frozen=True)
class Binary:
    op: str
    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple["Expr", ...]


@dataclass(frozen=True)
class Select:
    """``a`` where ``cond`` is true, else ``b``."""

    cond: "Expr"
    a: "Expr"
    b: "Expr"


Expr = Union[Const, Ref, Unary, Binary, Call, Select]

ZERO = Const(0.0)
ONE = Const(1.0)


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.a,)
    if isinstance(e, Binary):
        return (e.a, e.b)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Select):
        return (e.cond, e.a, e.b)
    return ()


def rebuild(e: Expr, kids: tuple[Expr, ...]) -> Expr:
    if isinstance(e, Unary):
        return Unary(e.op, kids[0])
    if isinstance(e, Binary):
        return Binary(e.op, kids[0], kids[1])
    if isinstance(e, Call):
        return Call(e.fn, tuple(kids))
    if isinstance(e, Select):
        return Select(*kids)
    return e


def names(e: Expr) -> set[str]:
    """Every name referenced in ``e``."""
    if isinstance(e, Ref):
        return {e.name}
    out: set[str] = set()
    for k in children(e):
        out |= names(k)
    return out


def is_random(e: Expr) -> bool:
    if isinstance(e, Call) and e.fn in DRAWS:
        return True
    return any(is_random(k) for k in children(e))


def centre(e: Expr) -> Expr:
    """``e`` with its draws at the centre of their distributions: ``rand()`` is 0.5, ``randn()`` is 0 and
    ``redraw(x, lo, hi)`` is ``x`` clipped to [lo, hi] (a typical value, for checks made before drawing)."""
    if isinstance(e, Call) and e.fn in ("rand", "randn"):
        return Const(0.5 if e.fn == "rand" else 0.0)
    kids = tuple(centre(k) for k in children(e))
    if isinstance(e, Call) and e.fn == "redraw":
        return Call("clip", kids if len(kids) == 3 else (*kids, Const(math.inf)))
    return rebuild(e, kids) if kids else e


def substitute(e: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace references by expressions (one pass, not recursive into replacements)."""
    if isinstance(e, Ref):
        return mapping.get(e.name, e)
    kids = children(e)
    if not kids:
        return e
    return rebuild(e, tuple(substitute(k, mapping) for k in kids))


def exprel(x: float) -> float:
    """(exp(x) - 1) / x, continuous at 0."""
    if x == 0.0:
        return 1.0
    if abs(x) < 1e-5:
        return 1.0 + x / 2.0 + x * x / 6.0
    return math.expm1(x) / x


def _int(x: float) -> float:
    return float(math.trunc(x))


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


SCALAR_FUNCTIONS: dict[str, Callable[..., float]] = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "tanh": math.tanh,
    "exprel": exprel, "floor": lambda x: float(math.floor(x)),
    "ceil": lambda x: float(math.ceil(x)), "int": _int, "sign": _sign,
    "clip": lambda x, lo, hi: min(max(x, lo), hi),
    "sinh": math.sinh, "cosh": math.cosh, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
    "log10": math.log10,
}


def _apply_binary(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if op == "**":
        return a ** b
    if op == "<":
        return float(a < b)
    if op == "<=":
        return float(a <= b)
    if op == ">":
        return float(a > b)
    if op == ">=":
        return float(a >= b)
    if op == "==":
        return float(a == b)
    if op == "!=":
        return float(a != b)
    if op == "and":
        return float(bool(a) and bool(b))
    if op == "or":
        return float(bool(a) or bool(b))
    raise ValueError(op)


def fold(e: Expr) -> Expr:
    """Fold constant sub-trees and the identities x*1, x+0, x*0 (for finite x)."""
    kids = children(e)
    if not kids:
        return e
    kids = tuple(fold(k) for k in kids)
    e = rebuild(e, kids)
    consts = all(isinstance(k, Const) for k in kids)
    try:
        if isinstance(e, Unary) and consts:
            v = kids[0].value
            return Const(-v if e.op == "-" else float(not v))
        if isinstance(e, Binary):
            if consts:
                return Const(_apply_binary(e.op, kids[0].value, kids[1].value))
            a, b = kids
            if e.op == "*":
                if a == ONE:
                    return b
                if b == ONE:
                    return a
                if a == ZERO or b == ZERO:
                    return ZERO
            if e.op == "+":
                if a == ZERO:
                    return b
                if b == ZERO:
                    return a
            if e.op == "-" and b == ZERO:
                return a
            if e.op == "-" and a == ZERO:
                return fold(Unary("-", b))
            if e.op == "/" and b == ONE:
                return a
        if isinstance(e, Call) and consts and e.fn in SCALAR_FUNCTIONS:
            return Const(float(SCALAR_FUNCTIONS[e.fn](*(k.value for k in kids))))
        if isinstance(e, Select) and isinstance(kids[0], Const):
            return kids[1] if kids[0].value else kids[2]
    except (ArithmeticError, ValueError):
        return e
    return e


def evaluate(e: Expr, env: dict[str, float]) -> float:
    """Evaluate a tree on scalars (used for folding parameters and in tests)."""
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Ref):
        return env[e.name]
    if isinstance(e, Unary):
        v = evaluate(e.a, env)
        return -v if e.op == "-" else float(not v)
    if isinstance(e, Binary):
        return _apply_binary(e.op, evaluate(e.a, env), evaluate(e.b, env))
    if isinstance(e, Call):
        return float(SCALAR_FUNCTIONS[e.fn](*(evaluate(k, env) for k in e.args)))
    if isinstance(e, Select):
        return evaluate(e.a, env) if evaluate(e.cond, env) else evaluate(e.b, env)
    raise TypeError(e)


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4,
               "!=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "**": 8}


def to_text(e: Expr) -> str:
    """Render a tree as readable text (for docs, errors and the IR dump)."""
    return _text(e, 0)


def _text(e: Expr, parent: int) -> str:
    if isinstance(e, Const):
        return repr(e.value)
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, Call):
        return f"{e.fn}({', '.join(_text(k, 0) for k in e.args)})"
    if isinstance(e, Select):
        s = f"{_text(e.a, 1)} if {_text(e.cond, 1)} else {_text(e.b, 1)}"
        return f"({s})" if parent else s
    if isinstance(e, Unary):
        p = _PRECEDENCE["neg" if e.op == "-" else "not"]
        s = ("-" if e.op == "-" else "not ") + _text(e.a, p)
    else:
        p = _PRECEDENCE[e.op]
        s = f"{_text(e.a, p)} {e.op} {_text(e.b, p + 1)}"
    return f"({s})" if p < parent or (p == parent and parent) else s


_ARRAY_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil, "int": np.trunc, "sign": np.sign,
    "clip": np.clip, "exprel": np.vectorize(exprel, otypes=[float]),
    "sinh": np.sinh, "cosh": np.cosh, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "log10": np.log10,
}


def evaluate_array(e: Expr, env: dict[str, np.ndarray | float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Evaluate a tree for ``n`` neurons at once (initial values, per-neuron parameters).

    ``rand()`` and ``randn()`` draw one value per neuron from ``rng``.
    """
    if isinstance(e, Const):
        return np.full(n, e.value)
    if isinstance(e, Ref):
        return np.broadcast_to(np.asarray(env[e.name], dtype=np.float64), (n,)).copy()
    if isinstance(e, Call) and e.fn in ("rand", "randn"):
        return rng.random(n) if e.fn == "rand" else rng.standard_normal(n)
    if isinstance(e, Call) and e.fn == "redraw":
        return _redraw(e, env, n, rng)
    args = [evaluate_array(k, env, n, rng) for k in children(e)]
    if isinstance(e, Unary):
        return -args[0] if e.op == "-" else (args[0] == 0).astype(np.float64)
    if isinstance(e, Binary):
        return np.asarray(_apply_binary_array(e.op, args[0], args[1]), dtype=np.float64)
    if isinstance(e, Call):
        return np.asarray(_ARRAY_FUNCTIONS[e.fn](*args), dtype=np.float64)
    return np.where(args[0] != 0, args[1], args[2])


def _redraw(e: Call, env: dict[str, np.ndarray | float], n: int, rng: np.random.Generator) -> np.ndarray:
    """``redraw(x, lo[, hi])`` for ``n`` values: the values of ``x`` outside [lo, hi] drawn again until inside.

    Raises ``ValueError`` when some stay outside after :data:`REDRAW_ROUNDS` draws (a bound the
    distribution barely reaches, or an ``x`` that is not random).
    """
    values = evaluate_array(e.args[0], env, n, rng)
    lo = evaluate_array(e.args[1], env, n, rng)
    hi = evaluate_array(e.args[2], env, n, rng) if len(e.args) == 3 else np.full(n, np.inf)
    for _ in range(REDRAW_ROUNDS):
        outside = np.flatnonzero((values < lo) | (values > hi))
        if not outside.size:
            return values
        picked = {k: v[outside] if isinstance(v, np.ndarray) and v.shape == (n,) else v for k, v in env.items()}
        values[outside] = evaluate_array(e.args[0], picked, outside.size, rng)
    raise ValueError(f"{outside.size} of {n} values stay outside the bounds of redraw() after "
                     f"{REDRAW_ROUNDS} draws")


def _apply_binary_array(op: str, a: np.ndarray, b: np.ndarray):
    if op == "and":
        return (a != 0) & (b != 0)
    if op == "or":
        return (a != 0) | (b != 0)
    return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
            "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "==": np.equal, "!=": np.not_equal}[op](a, b)
