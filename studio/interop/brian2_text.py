"""Our model text in Brian2's syntax, and quantities as Brian2 source.

Our equations are Brian2's, plus the conditional expression ``a if c else b``, which Brian2
does not parse: it is written ``int(c)*(a) + int(not (c))*(b)``.  Quantities become
``value*unit`` in Brian2's unit names.
"""

from __future__ import annotations

import ast
import re

from engine.equations.units import (AMP, DIMENSIONLESS, FARAD, HERTZ, METRE, OHM, SECOND, SI_UNITS, SIEMENS, VOLT,
                                    BASE_NAMES, Quantity, as_quantity)

_SHOWN = {VOLT: ("mV", 1e-3), SECOND: ("ms", 1e-3), AMP: ("pA", 1e-12), FARAD: ("pF", 1e-12),
          SIEMENS: ("nS", 1e-9), HERTZ: ("Hz", 1.0), OHM: ("Mohm", 1e6), METRE: ("um", 1e-6)}
_CONDITIONAL = re.compile(r"\bif\b")


def quantity_source(q: Quantity | str | float, units: set[str]) -> str:
    """Brian2 source of a quantity (``-70.0*mV``); the unit names it uses are added to ``units``."""
    q = as_quantity(q)
    si = q.in_units(SI_UNITS)
    if q.dim is DIMENSIONLESS:
        return repr(si)
    if q.dim in _SHOWN:
        name, scale = _SHOWN[q.dim]
        units.add(name)
        return f"{si / scale!r}*{name}"
    factors = []
    for name, exponent in zip(BASE_NAMES, q.dim.exponents):
        if exponent:
            units.add(name)
            factors.append(name if exponent == 1 else f"{name}**{exponent}")
    return f"{si!r}*{'*'.join(factors)}"


class _Rewrite(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        node = self.generic_visit(node)
        taken = ast.Call(ast.Name("int", ast.Load()), [node.test], [])
        other = ast.Call(ast.Name("int", ast.Load()), [ast.UnaryOp(ast.Not(), node.test)], [])
        return ast.BinOp(ast.BinOp(taken, ast.Mult(), node.body), ast.Add(), ast.BinOp(other, ast.Mult(), node.orelse))

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            return ast.parse(self.names[node.id], mode="eval").body
        return node


def expression(text: str, names: dict[str, str] | None = None) -> str:
    """An expression of ours in Brian2's syntax, with ``names`` replaced by source text (e.g. the weight)."""
    if not names and not _CONDITIONAL.search(text):
        return text.strip()
    tree = ast.parse(" ".join(text.split()), mode="eval")
    return ast.unparse(_Rewrite(names or {}).visit(tree))


def statements(text: str, names: dict[str, str] | None = None) -> str:
    """Statements (``v = v_r``, ``g += w``; one a line) with each right-hand side as :func:`expression`."""
    out = []
    for line in re.split(r"[;\n]", text):
        match = re.match(r"\s*([A-Za-z_]\w*)\s*(\+=|-=|\*=|/=|=)(.*)$", line)
        if match:
            out.append(f"{match.group(1)} {match.group(2)} {expression(match.group(3), names)}")
    return "\n".join(out)


def equations(text: str) -> str:
    """Model equations in Brian2's syntax: each defining expression as :func:`expression`."""
    lines, pending = [], ""
    for raw in text.strip().splitlines():
        pending = f"{pending} {raw.strip()}" if pending else raw.strip()
        if pending.count("(") > pending.count(")"):
            continue
        lhs, eq, rest = pending.partition("=")
        if eq and ":" in rest:
            rhs, colon, unit = rest.rpartition(":")
            pending = f"{lhs.strip()} = {expression(rhs)} {colon} {unit.strip()}"
        if pending:
            lines.append(pending)
        pending = ""
    return "\n".join(lines)
