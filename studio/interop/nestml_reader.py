"""NESTML read by the ``nestml`` package's own parser, and its expressions spelled in our model language.

:func:`parse_nestml` returns the package's AST (``ASTModel``); :class:`Renderer` turns its
expressions into Brian2-style text (`docs/language.md`) and refuses, naming the construct and the
line, what has no spelling there.
"""

from __future__ import annotations

import contextlib
import io
import threading
from fractions import Fraction
from pathlib import Path
from typing import Callable, Mapping

from engine.errors import NeuroCoreError
from engine.equations import expr as E
from engine.equations.units import Dimension, format_dimension

_SETUP_LOCK = threading.Lock()
_READY = False
_SI_BASES = ("m", "kg", "s", "A", "K", "mol", "cd")
_BASE_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
# NESTML's functions that have the same name and meaning here.
_SAME_FUNCTIONS = frozenset(E.UNARY_FUNCTIONS) - {"int"}
_RENAMED_FUNCTIONS = {"ln": "log"}


class NestmlRefused(NeuroCoreError):
    """A NESTML model (or a part of it) that has no equivalent here; the message names the file, line and construct."""


def parse_nestml(path: str | Path):
    """The ``ASTModel`` of the one model in ``path``, read by pynestml (symbol table and units resolved).

    Raises
    ------
    NestmlRefused
        The file cannot be read or does not parse; the message carries pynestml's error.
    """
    from pynestml.utils.logger import Logger, LoggingLevel
    from pynestml.utils.model_parser import ModelParser

    _register_predefined()
    path = Path(path)
    if not path.is_file():
        raise NestmlRefused(f"{path}: no such file")
    with _SETUP_LOCK, contextlib.redirect_stdout(io.StringIO()):
        Logger.init_logger(LoggingLevel.ERROR)
        unit = ModelParser.parse_file(str(path))
        errors = [m[-1] for m in Logger.get_messages(None, LoggingLevel.ERROR) or []] if unit is None else []
    if unit is None:
        detail = "; ".join(str(m) for m in errors) or "pynestml could not parse it"
        raise NestmlRefused(f"{path.name}: not a valid NESTML model ({detail})")
    models = unit.get_model_list()
    if len(models) != 1:
        raise NestmlRefused(f"{path.name}: expected one model, found {len(models)}")
    return models[0]


def _register_predefined() -> None:
    global _READY
    with _SETUP_LOCK:
        if _READY:
            return
        from pynestml.symbols.predefined_functions import PredefinedFunctions
        from pynestml.symbols.predefined_types import PredefinedTypes
        from pynestml.symbols.predefined_units import PredefinedUnits
        from pynestml.symbols.predefined_variables import PredefinedVariables
        from pynestml.utils.logger import Logger, LoggingLevel

        Logger.init_logger(LoggingLevel.ERROR)
        PredefinedUnits.register_units()
        PredefinedTypes.register_types()
        PredefinedFunctions.register_functions()
        PredefinedVariables.register_variables()
        _READY = True


def line_of(node) -> int:
    """The 1-based source line of an AST node (0 when unknown)."""
    pos = node.get_source_position() if node is not None else None
    return getattr(pos, "start_line", 0) or 0


def dimension_of_type(data_type) -> tuple[Dimension | None, str]:
    """``(dimension, var_type)`` of a NESTML data type: a unit, ``real``, ``integer`` or ``boolean``."""
    from pynestml.symbols.boolean_type_symbol import BooleanTypeSymbol
    from pynestml.symbols.integer_type_symbol import IntegerTypeSymbol
    from pynestml.symbols.unit_type_symbol import UnitTypeSymbol

    symbol = data_type.get_type_symbol()
    if isinstance(symbol, BooleanTypeSymbol):
        return None, "boolean"
    if isinstance(symbol, IntegerTypeSymbol):
        return Dimension(), "integer"
    if isinstance(symbol, UnitTypeSymbol):
        return dimension_of_unit(symbol.astropy_unit)[1], "float"
    return Dimension(), "float"


def dimension_of_unit(unit) -> tuple[float, Dimension]:
    """SI scale and dimension of an astropy unit."""
    si = unit.decompose()
    exponents = [Fraction(0)] * 7
    for base, power in zip(si.bases, si.powers):
        exponents[_SI_BASES.index(base.to_string())] = Fraction(power).limit_denominator(100)
    return float(si.scale), Dimension(exponents)


def declared_unit(dim: Dimension | None, var_type: str) -> str:
    """How an equation line declares ``dim``: ``volt``, ``siemens/second``, ``1``, ``boolean``..."""
    if var_type in ("boolean", "integer"):
        return var_type
    if dim is None or dim.is_dimensionless:
        return "1"
    spelled = format_dimension(dim)
    if " " not in spelled:
        return spelled
    return "*".join(name if e == 1 else f"{name}**{e}" for name, e in zip(_BASE_NAMES, dim.exponents) if e)


class Renderer:
    """Spells NESTML expressions in our language.

    ``names`` renames variables (a NESTML name that is reserved here, a derivative ``x'``,
    a convolution); ``functions`` holds the model's own functions, inlined where called;
    ``port`` maps a spike input port, inside its ``onReceive``, to its text.
    """

    def __init__(self, filename: str, names: Mapping[str, str] | None = None,
                 functions: Mapping[str, object] | None = None):
        self.filename = filename
        self.names = dict(names or {})
        self.functions = dict(functions or {})
        self.convolve: Callable[[object], str] | None = None
        self.declared: set[str] = set()

    def refuse(self, node, what: str) -> NestmlRefused:
        """A refusal naming ``what`` at the line of ``node``."""
        return NestmlRefused(f"{self.filename} line {line_of(node)}: {what} is not supported")

    def variable(self, var) -> str:
        """The name of a NESTML variable here (``x'`` becomes ``x__d``, ``g$`` becomes ``g__dollar``)."""
        return self.name(var.get_name(), var.get_differential_order())

    def name(self, nestml_name: str, order: int = 0) -> str:
        """The name here of ``nestml_name`` differentiated ``order`` times."""
        name = nestml_name.replace("$", "__dollar") + "__d" * order
        return self.names.get(name, name)

    def expression(self, node, local: Mapping[str, str] | None = None) -> str:
        """The text of an ``ASTExpression`` or ``ASTSimpleExpression``."""
        from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

        if isinstance(node, ASTSimpleExpression):
            return self._simple(node, local or {})
        local = local or {}
        if node.is_encapsulated:
            return f"({self.expression(node.get_expression(), local)})"
        if node.is_logical_not:
            return f"not {self.expression(node.get_expression(), local)}"
        if node.is_unary_operator():
            op = node.get_unary_operator()
            if op.is_unary_tilde:
                raise self.refuse(node, "the bitwise operator `~`")
            return ("-" if op.is_unary_minus else "+") + self.expression(node.get_expression(), local)
        if node.is_ternary_operator():
            return (f"({self.expression(node.get_if_true(), local)} if {self.expression(node.get_condition(), local)}"
                    f" else {self.expression(node.get_if_not(), local)})")
        if node.is_compound_expression():
            lhs = self.expression(node.get_lhs(), local)
            rhs = self.expression(node.get_rhs(), local)
            return f"{lhs} {self._operator(node)} {rhs}"
        if node.get_expression() is not None:
            return self.expression(node.get_expression(), local)
        raise self.refuse(node, f"the expression `{node}`")

    def _operator(self, node) -> str:
        from pynestml.meta_model.ast_arithmetic_operator import ASTArithmeticOperator
        from pynestml.meta_model.ast_comparison_operator import ASTComparisonOperator
        from pynestml.meta_model.ast_logical_operator import ASTLogicalOperator

        op = node.get_binary_operator()
        if isinstance(op, ASTArithmeticOperator):
            if op.is_modulo_op:
                raise self.refuse(node, "the operator `%`")
            if op.is_integer_div_op:
                raise self.refuse(node, "the operator `//`")
            for flag, text in (("is_times_op", "*"), ("is_div_op", "/"), ("is_plus_op", "+"), ("is_minus_op", "-"),
                               ("is_pow_op", "**")):
                if getattr(op, flag):
                    return text
        if isinstance(op, ASTComparisonOperator):
            for flag, text in (("is_gt", ">"), ("is_ge", ">="), ("is_eq", "=="), ("is_le", "<="), ("is_lt", "<"),
                               ("is_ne", "!="), ("is_ne2", "!=")):
                if getattr(op, flag):
                    return text
        if isinstance(op, ASTLogicalOperator):
            return "and" if op.is_logical_and else "or"
        raise self.refuse(node, f"the operator `{op}`")

    def _simple(self, node, local: Mapping[str, str]) -> str:
        if node.is_function_call():
            return self.call(node.get_function_call(), local)
        if node.get_boolean_literal() is not None:
            return "True" if node.get_boolean_literal() else "False"
        if node.is_inf_literal:
            raise self.refuse(node, "the value `inf` in an expression")
        if node.is_string():
            raise self.refuse(node, "a string")
        if node.is_numeric_literal():
            number = repr(node.get_numeric_literal())
            if node.unitType is not None:
                return f"({number}*{self._unit_text(node.unitType)})"
            return number
        if node.is_variable():
            var = node.get_variable()
            if var.has_vector_parameter():
                raise self.refuse(node, f"the vector `{var.get_complete_name()}`")
            if var.is_unit_variable() and var.get_name() not in self.declared:
                return self._unit(var, node)
            name = var.get_name()
            if name == "e" and var.get_differential_order() == 0 and name not in local:
                return "exp(1)"
            if name in local and var.get_differential_order() == 0:
                return local[name]
            return self.variable(var)
        raise self.refuse(node, f"the expression `{node}`")

    def _unit(self, var, node) -> str:
        if getattr(var.get_type_symbol(), "astropy_unit", None) is None:
            raise self.refuse(node, f"the unit `{var.get_name()}`")
        return self._unit_text(var.get_name())

    @staticmethod
    def _unit_text(unit) -> str:
        """A NESTML unit (``pA``, ``nS/ms``, ``ms**-1``, ``GOhm``) as our expressions write it."""
        text = str(unit).strip().replace("Ohm", "ohm").replace("Bq", "Hz")
        return text if text.isidentifier() else f"({text})"

    def call(self, call, local: Mapping[str, str] | None = None) -> str:
        """The text of a function call: our function, a conditional for min/max, ``dt`` for the step, an inlined
        model function, or the state of a convolution."""
        local = local or {}
        name = call.get_name()
        args = [self.expression(a, local) for a in call.get_args()]
        if name == "convolve" and self.convolve is not None:
            return self.convolve(call)
        if name in ("resolution", "timestep"):
            return "dt"
        if name in _SAME_FUNCTIONS or name in _RENAMED_FUNCTIONS:
            return f"{_RENAMED_FUNCTIONS.get(name, name)}({', '.join(args)})"
        if name in ("min", "max") and len(args) == 2:
            sign = "<" if name == "min" else ">"
            return f"({args[0]} if {args[0]} {sign} {args[1]} else {args[1]})"
        if name == "log10" and len(args) == 1:
            return f"(log({args[0]})/log(10))"
        if name == "steps" and len(args) == 1:
            return f"floor(({args[0]})/dt + 0.5)"
        if name == "pow" and len(args) == 2:
            return f"({args[0]})**({args[1]})"
        if name == "clip" and len(args) == 3:
            return f"clip({', '.join(args)})"
        if name == "random_normal" and len(args) == 2:
            return f"({args[0]} + ({args[1]})*randn())"
        if name == "random_uniform" and len(args) == 2:
            return f"({args[0]} + ({args[1]} - {args[0]})*rand())"
        if name in self.functions:
            return self._inline_function(self.functions[name], args, call)
        raise self.refuse(call, f"the function `{name}()`")

    def _inline_function(self, function, args: list[str], call) -> str:
        params = function.get_parameters()
        if len(params) != len(args):
            raise self.refuse(call, f"`{function.get_name()}()` with {len(args)} arguments")
        local = {p.get_name(): f"({a})" for p, a in zip(params, args)}
        for stmt in function.get_stmts_body().get_stmts():
            small = stmt.small_stmt if stmt.is_small_stmt() else None
            if small is not None and small.is_declaration() and small.get_declaration().has_expression():
                decl = small.get_declaration()
                text = f"({self.expression(decl.get_expression(), local)})"
                for var in decl.get_variables():
                    local[var.get_name()] = text
            elif small is not None and small.is_return_stmt():
                return f"({self.expression(small.get_return_stmt().get_expression(), local)})"
            else:
                raise self.refuse(stmt, f"a statement other than a declaration or `return` in function "
                                        f"`{function.get_name()}`")
        raise self.refuse(function, f"function `{function.get_name()}` without `return`")
