"""Split an expression into a linear form ``sum(c_x * x) + rest`` over chosen names."""

from __future__ import annotations

from engine.equations import expr as E


class NotLinear(Exception):
    """The expression is not linear in the chosen names."""


def linear_form(e: E.Expr, over: set[str]) -> tuple[dict[str, E.Expr], E.Expr]:
    """Coefficients of each name in ``over`` and the remaining term.

    Raises :class:`NotLinear` when ``e`` is not linear in those names (with
    coefficients free of them).
    """
    if not (E.names(e) & over):
        return {}, e
    if isinstance(e, E.Ref):
        return {e.name: E.ONE}, E.ZERO
    if isinstance(e, E.Unary) and e.op == "-":
        coeffs, rest = linear_form(e.a, over)
        return {k: E.Unary("-", v) for k, v in coeffs.items()}, E.Unary("-", rest)
    if isinstance(e, E.Binary):
        if e.op in ("+", "-"):
            ca, ra = linear_form(e.a, over)
            cb, rb = linear_form(e.b, over)
            out = dict(ca)
            for k, v in cb.items():
                if e.op == "-":
                    v = E.Unary("-", v)
                out[k] = E.Binary("+", out[k], v) if k in out else v
            return out, E.Binary(e.op, ra, rb)
        if e.op == "*":
            if not (E.names(e.a) & over):
                coeffs, rest = linear_form(e.b, over)
                return {k: E.Binary("*", e.a, v) for k, v in coeffs.items()}, E.Binary("*", e.a, rest)
            if not (E.names(e.b) & over):
                coeffs, rest = linear_form(e.a, over)
                return {k: E.Binary("*", v, e.b) for k, v in coeffs.items()}, E.Binary("*", rest, e.b)
        if e.op == "/" and not (E.names(e.b) & over):
            coeffs, rest = linear_form(e.a, over)
            return {k: E.Binary("/", v, e.b) for k, v in coeffs.items()}, E.Binary("/", rest, e.b)
    raise NotLinear(E.to_text(e))
