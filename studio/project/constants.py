"""Project constants and the values that use them (``"weight": "-g*J"``), read into typed quantities.

Constants are named numbers or quantities, each may use the ones before it
(``"nu_th": "theta/(J*C_E*tau_m)"``); the engine evaluates them
(:func:`~engine.equations.constant_values.evaluate_constants`).  A value over
constants becomes a :class:`~engine.equations.units.Quantity`.  Fields
evaluated per neuron (parameters, initial values) may also name model
variables and call ``rand()``; they become an
:class:`~engine.equations.constant_values.Expression` that carries the
constants it names, and the engine evaluates the rest.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Mapping

from engine.errors import Problem
from engine.equations.constant_values import (Expression, calls, draws, evaluate_constants, evaluate_quantity,
                                              is_quantity_text, mistyped_unit)
from engine.equations.expr import DRAWS
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import DIMENSIONLESS, UNITS, Dimension, Quantity, format_dimension
from studio.project.modelfile import json_path


class Constants:
    """The constants of a project (``mapping`` of names to values), evaluated, and the values that use them.

    A constant that cannot be evaluated is left out with a problem at ``constants.<name>``.
    """

    def __init__(self, mapping: Mapping[str, Any], problems: list[Problem]) -> None:
        self.values: dict[str, Quantity] = evaluate_constants(mapping, problems, lambda name: json_path("constants",
                                                                                                        name))

    def quantity(self, raw: Any, path: str, problems: list[Problem], expected: Dimension | None = None,
                 what: str = "", centre: bool = False) -> Quantity | None:
        """``raw`` as a quantity of dimension ``expected`` (any when ``None``), or ``None`` with a problem;
        with ``centre``, a value that draws is taken at the centre of its draws."""
        result = evaluate_quantity(raw, self.values, path, problems, centre)
        if result is None:
            return None
        dim = result.dim
        if expected is not None and dim is not expected:
            example = f" (e.g. `{what}`)" if what else ""
            if dim is DIMENSIONLESS:
                problems.append(Problem(path, 0, 0, f"`{raw}` needs a unit: expected {format_dimension(expected)}"
                                                    f"{example}"))
            else:
                problems.append(Problem(path, 0, 0, f"`{raw}` has units {format_dimension(dim)}, expected "
                                                    f"{format_dimension(expected)}{example}"))
            return None
        return result

    def count(self, raw: Any, path: str, problems: list[Problem], minimum: int = 0) -> int | None:
        """``raw`` as a whole number of at least ``minimum`` (``1000`` or ``"C_E"``)."""
        result = evaluate_quantity(raw, self.values, path, problems)
        if result is None:
            return None
        value = result.value
        whole = math.isfinite(value) and abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))
        if result.dim is not DIMENSIONLESS or not whole or round(value) < minimum:
            what = "a positive whole number" if minimum == 1 else f"a whole number >= {minimum}"
            shown = "" if isinstance(raw, (int, float)) or is_quantity_text(raw) else f" (= {value:g})"
            problems.append(Problem(path, 0, 0, f"expected {what}, not `{raw}`{shown}"))
            return None
        return int(round(value))

    def drawn(self, raw: Any, path: str, problems: list[Problem], expected: Dimension | None = None,
              what: str = "") -> Quantity | Expression | None:
        """A value drawn for every connection (a projection's weight or delay): a quantity, or an expression
        over constants that calls ``rand()``, ``randn()`` or ``redraw()``, whose units are checked here and
        which the engine draws (``"redraw(D*(1 + 0.5*randn()), 0.05*ms)"``)."""
        if not draws(raw):
            return self.quantity(raw, path, problems, expected, what)
        if self.quantity(raw, path, problems, expected, what, centre=True) is None:
            return None
        names = _names(raw)
        return Expression(raw, {name: q for name, q in self.values.items() if name in names})

    def value(self, raw: Any, path: str, problems: list[Problem]) -> Quantity | Expression | None:
        """A parameter or initial value: a quantity, or an expression the engine evaluates per neuron.

        An expression over constants and units alone is evaluated here; one that names model
        variables or calls ``rand()`` becomes an :class:`Expression` with the constants it names.
        """
        if not isinstance(raw, str) or is_quantity_text(raw) or mistyped_unit(raw, self.values):
            return self.quantity(raw, path, problems)
        node = parse_expression(one_line(raw, path), problems)
        if node is None:
            return None
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        called = calls(node)
        if names - called <= set(self.values) | set(UNITS) and not called & set(DRAWS):
            return self.quantity(raw, path, problems)
        return Expression(raw, {name: q for name, q in self.values.items() if name in names})


def _names(raw: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(raw.strip(), mode="eval")) if isinstance(n, ast.Name)}
