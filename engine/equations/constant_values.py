"""Named constants, the quantities written over them, and per-neuron expressions that name them.

A value is a number, a quantity (``"0.1 ms"``) or an expression over constants
and units (``"theta/(J*C_E*tau_m)"``), checked by the unit checker (constants
shadow unit names, so ``g`` and ``J`` may be constants) and evaluated to a
:class:`~engine.equations.units.Quantity`.  An expression evaluated per
neuron (``"V0 + 2*mV*rand()"``) stays an :class:`Expression`: its text and
the constants it names, which the network build evaluates as symbols.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from engine.errors import Problem
from engine.equations import expr as E
from engine.equations.check import BOOL, ExpressionChecker, Symbol, special_symbols
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import NEST_UNITS, Quantity, UnitError, quantity_in, suggest_unit

RESERVED = frozenset(special_symbols()) | frozenset(E.FUNCTIONS) | {"xi", "w", "True", "False"}


@dataclass(frozen=True)
class Expression:
    """An expression evaluated for every neuron (``"V_r + rand()*(V_th - V_r)"``).

    ``constants`` are the named constants it uses, as quantities; model
    parameters, state variables, ``i``, ``N``, ``rand()`` and ``randn()`` are
    resolved where it is evaluated.
    """

    text: str
    constants: Mapping[str, Quantity] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def is_quantity_text(raw: str) -> bool:
    """Whether ``raw`` is a plain quantity (``"20 pA"``, ``"3"``) rather than an expression."""
    try:
        quantity_in(raw, NEST_UNITS)
    except UnitError:
        return False
    return True


_NUMBER_AND_NAME = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*([A-Za-z_]\w*)\s*$")


def mistyped_unit(raw: str, constants: Mapping[str, Any]) -> bool:
    """Whether ``raw`` is a number and then a name close to a unit that is no constant (``376pa``, ``-65 mv``):
    a quantity whose unit is mistyped, to be reported as such rather than as an expression that does not parse."""
    match = _NUMBER_AND_NAME.match(raw)
    return match is not None and match.group(1) not in constants and bool(suggest_unit(match.group(1)))


def calls(node: ast.AST) -> set[str]:
    """The names of the functions an expression's syntax tree calls."""
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def draws(raw: Any) -> bool:
    """Whether a value as written calls ``rand()``, ``randn()`` or ``redraw()`` (so differs per neuron or per
    connection)."""
    if isinstance(raw, Expression):
        raw = raw.text
    if not isinstance(raw, str):
        return False
    try:
        node = ast.parse(raw.strip(), mode="eval")
    except SyntaxError:
        return False
    return bool(calls(node) & set(E.DRAWS))


def evaluate_quantity(raw: Any, constants: Mapping[str, Quantity], path: str,
                      problems: list[Problem], centre: bool = False) -> Quantity | None:
    """``raw`` (a number, a quantity or an expression over ``constants``) as a quantity, or ``None``
    with a problem at ``path``.  With ``centre``, an expression that draws (``rand()``, ``randn()``,
    ``redraw()``) is taken at the centre of its draws (:func:`engine.equations.expr.centre`) to check its
    units and sign; without, it is refused."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        problems.append(Problem(path, 0, 0, f"expected a quantity (e.g. `0.1 ms`) or a number, not {raw!r}"))
        return None
    if not isinstance(raw, str) or is_quantity_text(raw) or mistyped_unit(raw, constants):
        try:
            return Quantity.parse(raw)
        except UnitError as exc:
            problems.append(Problem(path, 0, 0, str(exc)))
            return None
    text = one_line(raw, path)
    node = parse_expression(text, problems)
    if node is None:
        return None
    symbols = {name: Symbol("constant", q.dim) for name, q in constants.items()}
    result = ExpressionChecker(symbols, NEST_UNITS, problems, draws=centre).check(text, node)
    if result is None:
        return None
    tree, dim = result
    if centre:
        tree = E.centre(tree)
    if dim == BOOL:
        problems.append(Problem(path, 0, 0, f"`{raw}` is true/false, expected a quantity"))
        return None
    if E.is_random(tree):
        problems.append(Problem(path, 0, 0, f"`{raw}` is random; rand() and randn() may only be used in "
                                            "parameters, initial values, and weights and delays of projections"))
        return None
    try:
        value = E.evaluate(tree, {name: q.value for name, q in constants.items()})
    except (ArithmeticError, ValueError) as exc:
        problems.append(Problem(path, 0, 0, f"cannot evaluate `{raw}`: {exc}"))
        return None
    if not math.isfinite(value):
        problems.append(Problem(path, 0, 0, f"`{raw}` is not finite ({value})"))
        return None
    return Quantity(value, dim)


def evaluate_constants(mapping: Mapping[str, Any], problems: list[Problem],
                       path: Callable[[str], str] = str) -> dict[str, Quantity]:
    """Constants from a mapping of names to values, each of which may use the ones before it.

    A constant that cannot be evaluated (or uses a reserved name) is left out
    with a problem at ``path(name)``.
    """
    constants: dict[str, Quantity] = {}
    for name, raw in mapping.items():
        if name in RESERVED:
            problems.append(Problem(path(name), 0, 0, f"`{name}` is reserved in expressions; choose another name"))
            continue
        value = evaluate_quantity(raw, constants, path(name), problems)
        if value is not None:
            constants[name] = value
    return constants
