"""Brian2's functions that the float VM has no instruction for, written with the ones it has.

``sinh``, ``cosh``, ``log10``, ``arctan``, ``arcsin`` and ``arccos`` stay calls in the
IR (fixed point reads them from a table like ``exp``); :func:`lower_elementary`
rewrites them for the float VM and its reference interpreter, which therefore
compute the same bits.  The rewrites are accurate to a few units in the last
place: ``sinh`` through ``exprel`` (no cancellation near 0), ``arctan`` by
argument reduction (``|x| > 1`` through ``1/x``, then two half-angle steps to
``|z| < 0.2``) and its series to ``z**23``.
"""

from __future__ import annotations

import math

from engine.equations import expr as E

LOWERED = ("sinh", "cosh", "log10", "arctan", "arcsin", "arccos")
_ATAN_TERMS = 12  # |z| < tan(pi/16): the first omitted term is below 1e-19


def _add(a: E.Expr, b: E.Expr) -> E.Expr:
    return E.Binary("+", a, b)


def _sub(a: E.Expr, b: E.Expr) -> E.Expr:
    return E.Binary("-", a, b)


def _mul(a: E.Expr, b: E.Expr) -> E.Expr:
    return E.Binary("*", a, b)


def _div(a: E.Expr, b: E.Expr) -> E.Expr:
    return E.Binary("/", a, b)


def _half_angle(u: E.Expr) -> E.Expr:
    """tan(arctan(u)/2) = u / (1 + sqrt(1 + u*u))."""
    return _div(u, _add(E.ONE, E.Call("sqrt", (_add(E.ONE, _mul(u, u)),))))


def _atan_unit(y: E.Expr) -> E.Expr:
    """arctan(y) for |y| <= 1."""
    z = _half_angle(_half_angle(y))
    s = _mul(z, z)
    poly: E.Expr = E.Const((-1.0) ** (_ATAN_TERMS - 1) / (2 * _ATAN_TERMS - 1))
    for k in range(_ATAN_TERMS - 2, -1, -1):
        poly = _add(E.Const((-1.0) ** k / (2 * k + 1)), _mul(s, poly))
    return _mul(E.Const(4.0), _mul(z, poly))


def _arctan(x: E.Expr) -> E.Expr:
    big = E.Binary(">", _mul(x, x), E.ONE)
    # x / (x*x) is 1/x where |x| > 1 and x/1 elsewhere: no branch divides by zero.
    y = _div(x, E.Select(big, _mul(x, x), E.ONE))
    core = _atan_unit(y)
    return E.Select(big, _sub(_mul(E.Call("sign", (x,)), E.Const(math.pi / 2)), core), core)


def _cosine(x: E.Expr) -> E.Expr:
    """sqrt(1 - x*x), as sqrt((1 - x)(1 + x)): no cancellation near |x| = 1."""
    return E.Call("sqrt", (_mul(_sub(E.ONE, x), _add(E.ONE, x)),))


def _arcsin(x: E.Expr) -> E.Expr:
    # tan(arcsin(x)/2) lies in [-1, 1] for |x| <= 1.
    return _mul(E.Const(2.0), _atan_unit(_div(x, _add(E.ONE, _cosine(x)))))


def _arccos(x: E.Expr) -> E.Expr:
    # arccos(x) = 2 arctan(sqrt(1 - x^2) / (1 + x)), and pi - arccos(-x) for x < 0 (no cancellation near 1).
    root = _cosine(x)
    positive = _mul(E.Const(2.0), _atan_unit(_div(root, _add(E.ONE, x))))
    negative = _sub(E.Const(math.pi), _mul(E.Const(2.0), _atan_unit(_div(root, _sub(E.ONE, x)))))
    return E.Select(E.Binary(">=", x, E.ZERO), positive, negative)


def _rewrite(fn: str, x: E.Expr) -> E.Expr:
    if fn == "sinh":  # (expm1(x) - expm1(-x)) / 2
        neg = E.Unary("-", x)
        return _mul(_mul(x, E.Const(0.5)), _add(E.Call("exprel", (x,)), E.Call("exprel", (neg,))))
    if fn == "cosh":
        return _mul(E.Const(0.5), _add(E.Call("exp", (x,)), E.Call("exp", (E.Unary("-", x),))))
    if fn == "log10":
        return _mul(E.Call("log", (x,)), E.Const(1.0 / math.log(10.0)))
    if fn == "arctan":
        return _arctan(x)
    if fn == "arcsin":
        return _arcsin(x)
    return _arccos(x)


def lower_elementary(e: E.Expr) -> E.Expr:
    """``e`` with every call of :data:`LOWERED` written with the float VM's own functions."""
    kids = tuple(lower_elementary(k) for k in E.children(e))
    e = E.rebuild(e, kids) if kids else e
    if isinstance(e, E.Call) and e.fn in LOWERED:
        return E.fold(_rewrite(e.fn, e.args[0]))
    return e
