"""Project constants and the quantity expressions that use them (``"weight": "-g*J"``).

Constants are named numbers or quantities, each may use the ones before it
(``"nu_th": "theta/(J*C_E*tau_m)"``).  An expression over constants is
checked by the engine's unit checker (constants shadow unit names, so ``g``
and ``J`` may be constants) and evaluated in NEST's coherent units (mV, ms,
pA, ...), then written back as a quantity string the engine reads
(``"-0.5 mV"``).  Fields evaluated per neuron (parameters, initial values)
may also name model variables and call ``rand()``; constants are then
substituted into the text and the engine evaluates the rest.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from engine.errors import Problem
from engine.equations import expr as E
from engine.equations.check import BOOL, ExpressionChecker, Symbol, special_symbols
from engine.equations.parser import Source, Text, parse_expression
from engine.equations.units import (BASE_SYMBOLS, DIMENSIONLESS, NEST_UNITS, UNITS, Dimension, UnitError,
                                    format_dimension, parse_quantity, parse_unit, quantity_in)

_RESERVED = frozenset(special_symbols()) | frozenset(E.FUNCTIONS) | {"xi", "w", "True", "False"}


def format_quantity(value: float, dim: Dimension) -> str:
    """A quantity string the engine reads back exactly: ``-0.5 mV``, ``20.0 kHz``, ``2.0``.

    ``value`` is in NEST units; a dimension without a named unit there is written in SI base units.
    """
    if dim is DIMENSIONLESS:
        return _number(value)
    unit = NEST_UNITS.unit_name(dim)
    try:
        ok = parse_unit(unit)[1] is dim
    except UnitError:
        ok = False
    if ok:
        return f"{_number(value)} {unit}"
    base = "*".join(f"{s}**{float(e):g}" if e != 1 else s for s, e in zip(BASE_SYMBOLS, dim.exponents) if e)
    return f"{_number(value * NEST_UNITS.scale(dim))} {base}"


def _number(value: float) -> str:
    """``value`` to 15 significant digits: 1.62, not the 1.6200000000000001 of ``60*0.27/10``."""
    return repr(float(f"{value:.15g}"))


def expression_text(value: float, dim: Dimension) -> str:
    """A quantity in NEST units as an expression: ``(0.1 * mV)``."""
    number, _, unit = format_quantity(value, dim).partition(" ")
    return f"({number} * {unit})" if unit else f"({number})"


def _text(raw: str, path: str) -> Text:
    return Text(raw, Source(path, 1, tuple(range(1, len(raw) + 1)), raw))


class Constants:
    """The constants of a project, in NEST units, and the expressions over them."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, Dimension]] = {}

    def define(self, name: str, raw: Any, path: str, problems: list[Problem]) -> None:
        """Evaluate constant ``name`` (a number, a quantity or an expression over earlier constants)."""
        if name in _RESERVED:
            problems.append(Problem(path, 0, 0, f"`{name}` is reserved in expressions; choose another name"))
            return
        result = self._evaluate(raw, path, problems)
        if result is not None:
            self.values[name] = result

    def quantity(self, raw: Any, path: str, problems: list[Problem], expected: Dimension | None = None,
                 what: str = "") -> str | None:
        """``raw`` as a quantity string of dimension ``expected`` (any when ``None``), or ``None`` with a problem."""
        result = self._evaluate(raw, path, problems)
        if result is None:
            return None
        value, dim = result
        if expected is not None and dim is not expected:
            example = f" (e.g. `{what}`)" if what else ""
            if dim is DIMENSIONLESS:
                problems.append(Problem(path, 0, 0, f"`{raw}` needs a unit: expected {format_dimension(expected)}"
                                                    f"{example}"))
            else:
                problems.append(Problem(path, 0, 0, f"`{raw}` has units {format_dimension(dim)}, expected "
                                                    f"{format_dimension(expected)}{example}"))
            return None
        if isinstance(raw, str) and self._is_plain(raw):
            return raw
        return format_quantity(value, dim)

    def count(self, raw: Any, path: str, problems: list[Problem], minimum: int = 0) -> int | None:
        """``raw`` as a whole number of at least ``minimum`` (``1000`` or ``"C_E"``)."""
        result = self._evaluate(raw, path, problems)
        if result is None:
            return None
        value, dim = result
        whole = math.isfinite(value) and abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))
        if dim is not DIMENSIONLESS or not whole or round(value) < minimum:
            what = "a positive whole number" if minimum == 1 else f"a whole number >= {minimum}"
            shown = "" if isinstance(raw, (int, float)) or self._is_plain(raw) else f" (= {value:g})"
            problems.append(Problem(path, 0, 0, f"expected {what}, not `{raw}`{shown}"))
            return None
        return int(round(value))

    def expression(self, raw: Any, path: str, problems: list[Problem], initial: bool = False) -> str | None:
        """A parameter or initial value: a quantity, or an expression the engine evaluates per neuron.

        An expression over constants alone is evaluated here; otherwise its constants are
        substituted and the rest (model names, ``rand()``) is left to the engine.  The engine
        reads initial values as expressions only, so with ``initial`` a quantity is written as one.
        """
        if not isinstance(raw, str) or self._is_plain(raw):
            if not initial:
                return self.quantity(raw, path, problems)
            result = self._evaluate(raw, path, problems)
            return None if result is None else expression_text(*result)
        node = parse_expression(_text(raw, path), problems)
        if node is None:
            return None
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        if names - calls <= set(self.values) | set(UNITS) and not calls & {"rand", "randn"}:
            result = self._evaluate(raw, path, problems)
            if result is None:
                return None
            return expression_text(*result) if initial else format_quantity(*result)
        if not names & set(self.values):
            return raw
        return ast.unparse(_Substitute(self).visit(node))

    @staticmethod
    def _is_plain(raw: str) -> bool:
        try:
            parse_quantity(raw)
        except UnitError:
            return False
        return True

    def _evaluate(self, raw: Any, path: str, problems: list[Problem]) -> tuple[float, Dimension] | None:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            problems.append(Problem(path, 0, 0, f"expected a quantity (e.g. `0.1 ms`) or a number, not {raw!r}"))
            return None
        if not isinstance(raw, str) or self._is_plain(raw):
            try:
                return quantity_in(raw, NEST_UNITS)
            except UnitError as exc:
                problems.append(Problem(path, 0, 0, str(exc)))
                return None
        text = _text(raw, path)
        node = parse_expression(text, problems)
        if node is None:
            return None
        symbols = {name: Symbol("constant", dim) for name, (_, dim) in self.values.items()}
        result = ExpressionChecker(symbols, NEST_UNITS, problems).check(text, node)
        if result is None:
            return None
        tree, dim = result
        if dim == BOOL:
            problems.append(Problem(path, 0, 0, f"`{raw}` is true/false, expected a quantity"))
            return None
        if E.is_random(tree):
            problems.append(Problem(path, 0, 0, f"`{raw}` is random; rand() and randn() may only be used in "
                                                "parameters and initial values"))
            return None
        try:
            value = E.evaluate(tree, {name: v for name, (v, _) in self.values.items()})
        except (ArithmeticError, ValueError) as exc:
            problems.append(Problem(path, 0, 0, f"cannot evaluate `{raw}`: {exc}"))
            return None
        if not math.isfinite(value):
            problems.append(Problem(path, 0, 0, f"`{raw}` is not finite ({value})"))
            return None
        return value, dim


class _Substitute(ast.NodeTransformer):
    """Replace constants by their values with units (``J`` -> ``(0.1 * mV)``)."""

    def __init__(self, constants: Constants):
        self.constants = constants

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id not in self.constants.values:
            return node
        return ast.parse(expression_text(*self.constants.values[node.id]), mode="eval").body
