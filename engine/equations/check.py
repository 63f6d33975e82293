"""Dimension checking: a recursive walk over Python's AST, one rule per node type.

The walk turns each checked expression into an IR tree (:mod:`engine.equations.expr`)
with every unit literal converted into the model's unit system.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from engine.errors import Problem
from engine.equations import expr as E
from engine.equations.parser import Text
from engine.equations.units import (DIMENSIONLESS, SECOND, UNITS, Dimension, UnitSystem,
                                    format_dimension)

BOOL = "boolean"
_DIMENSIONLESS_FUNCS = ("exp", "log", "sin", "cos", "tan", "tanh", "exprel", "sinh", "cosh", "arcsin", "arccos",
                        "arctan", "log10")
_SAME_DIM_FUNCS = ("abs", "floor", "ceil", "int")
XI_DIM = SECOND ** Fraction(-1, 2)
MAX_POWER = 12  # largest exponent of a quantity with units
DEFAULT_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}  # Brian2's, below the model's own names
_NOISE = re.compile(r"\bxi(?:_\w+)?\b")


def noise_names(text: str) -> set[str]:
    """The white-noise names (``xi``, ``xi_<name>``) written in ``text``."""
    return set(_NOISE.findall(text))


@dataclass(frozen=True)
class Symbol:
    """What a name means inside expressions."""

    kind: str  # state, parameter, subexpression, special, input, noise, constant, unread
    dim: Dimension | None  # None for boolean
    var_type: str = "float"
    value: float | None = None  # an external constant's value, folded where it is used


UNREAD = Symbol("unread", None)
"""A name declared on a line that could not be read: its uses are not reported again."""


def special_symbols() -> dict[str, Symbol]:
    return {
        "t": Symbol("special", SECOND), "dt": Symbol("special", SECOND),
        "i": Symbol("special", DIMENSIONLESS, "integer"),
        "N": Symbol("special", DIMENSIONLESS, "integer"),
        "lastspike": Symbol("special", SECOND),
        "not_refractory": Symbol("special", None, "boolean"),
    }


class _Fail(Exception):
    pass


class ExpressionChecker:
    """Checks expressions against a symbol table and builds IR trees.

    Problems are appended to ``problems``; :meth:`check` returns ``None`` for an
    expression that has one.
    """

    def __init__(self, symbols: dict[str, Symbol], system: UnitSystem, problems: list[Problem],
                 draws: bool = False):
        self.symbols = symbols
        self.draws = draws  # values drawn once per neuron or connection, where redraw() may be used
        self.system = system
        self.problems = problems
        self.used_constants: set[str] = set()  # the external constants met so far
        self._text: Text | None = None

    def check(self, text: Text, node: ast.expr) -> tuple[E.Expr, Dimension | str] | None:
        self._text = text
        try:
            return self._walk(node)
        except _Fail:
            return None
        except RecursionError:
            self.problems.append(text.source.problem("expression is nested too deeply"))
            return None

    # -- helpers -------------------------------------------------------
    def _fail(self, node: ast.AST, message: str):
        assert self._text is not None
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None)
        # ast offsets are UTF-8 byte offsets; convert to character offsets.
        raw = self._text.text.encode("utf-8")
        start = len(raw[:start].decode("utf-8", "ignore"))
        if end is not None:
            end = len(raw[:end].decode("utf-8", "ignore"))
        self.problems.append(self._text.source.problem(message, start, end))
        raise _Fail

    def _snippet(self, node: ast.AST) -> str:
        assert self._text is not None
        seg = ast.get_source_segment(self._text.text, node)
        # Continuation lines are joined with blanks; show the snippet as one would write it.
        return " ".join(seg.split()) if seg is not None else ast.unparse(node)

    @staticmethod
    def _dname(d: Dimension | str) -> str:
        return "boolean" if d == BOOL else format_dimension(d)

    def _need_number(self, node: ast.AST, d, what: str):
        if d == BOOL:
            self._fail(node, f"{what} needs a number, but `{self._snippet(node)}` is boolean")

    # -- rules ---------------------------------------------------------
    def _walk(self, node: ast.AST) -> tuple[E.Expr, Dimension | str]:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self._fail(node, f"`{self._snippet(node)}` is not supported in model expressions")
        return method(node)

    def _Constant(self, node: ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return E.Const(float(v)), BOOL
        if isinstance(v, (int, float)):
            return E.Const(float(v)), DIMENSIONLESS
        self._fail(node, f"`{self._snippet(node)}` is not a number")

    def _Name(self, node: ast.Name):
        name = node.id
        if name in ("True", "False"):
            return E.Const(float(name == "True")), BOOL
        sym = self.symbols.get(name)
        if sym is UNREAD:
            raise _Fail
        if sym is not None and sym.value is not None:
            self.used_constants.add(name)
            return E.Const(sym.value), sym.dim
        if sym is not None:
            return E.Ref(name), (BOOL if sym.var_type == "boolean" else sym.dim)
        if name in DEFAULT_CONSTANTS:
            return E.Const(DEFAULT_CONSTANTS[name]), DIMENSIONLESS
        unit = UNITS.get(name)
        if unit is not None:
            return E.Const(unit.scale / self.system.scale(unit.dim)), unit.dim
        if name in E.FUNCTIONS:
            self._fail(node, f"`{name}` is a function; call it as `{name}(...)`")
        candidates = list(self.symbols) + [n for n in ("mV", "ms", "pA", "nS", "pF", "Hz", "nA", "uS")]
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = f" — did you mean `{close[0]}`?" if close else ""
        self._fail(node, f"unknown name `{name}`{hint}")

    def _UnaryOp(self, node: ast.UnaryOp):
        e, d = self._walk(node.operand)
        if isinstance(node.op, ast.Not):
            if d != BOOL:
                self._fail(node, f"`not` needs a boolean, but `{self._snippet(node.operand)}` is {self._dname(d)}")
            return E.Unary("not", e), BOOL
        self._need_number(node.operand, d, "a sign")
        if isinstance(node.op, ast.USub):
            return E.Unary("-", e), d
        if isinstance(node.op, ast.UAdd):
            return e, d
        self._fail(node, f"operator in `{self._snippet(node)}` is not supported")

    def _BinOp(self, node: ast.BinOp):
        a, da = self._walk(node.left)
        b, db = self._walk(node.right)
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            sym = "+" if isinstance(op, ast.Add) else "-"
            if da == BOOL or db == BOOL or da is not db:
                verb = "add" if sym == "+" else "subtract"
                self._fail(node, f"cannot {verb} {self._dname(da)} and {self._dname(db)} "
                                 f"in `{self._snippet(node)}`")
            return E.Binary(sym, a, b), da
        self._need_number(node.left, da, "arithmetic")
        self._need_number(node.right, db, "arithmetic")
        if isinstance(op, ast.Mult):
            return E.Binary("*", a, b), da * db
        if isinstance(op, ast.Div):
            return E.Binary("/", a, b), da / db
        if isinstance(op, ast.Pow):
            if db is not DIMENSIONLESS:
                self._fail(node.right, f"an exponent must be dimensionless, but "
                                       f"`{self._snippet(node.right)}` is {self._dname(db)}")
            if da is DIMENSIONLESS:
                return E.Binary("**", a, b), da
            folded = E.fold(b)
            if not isinstance(folded, E.Const) or not math.isfinite(folded.value) \
                    or abs(folded.value) > MAX_POWER:
                self._fail(node.right, f"`{self._snippet(node.left)}` has units {self._dname(da)}, "
                                       f"so its exponent must be a constant number between -{MAX_POWER} "
                                       f"and {MAX_POWER}")
            p = Fraction(folded.value).limit_denominator(1000)
            return E.Binary("**", a, folded), da ** p
        if isinstance(op, ast.Mod):  # Python's (and Brian2's) floored modulo: the sign of the divisor
            if da is not db and not _is_zero(a):
                self._fail(node, f"cannot take {self._dname(da)} modulo {self._dname(db)} "
                                 f"in `{self._snippet(node)}`")
            return E.Binary("-", a, E.Binary("*", b, E.Call("floor", (E.Binary("/", a, b),)))), db
        self._fail(node, f"operator in `{self._snippet(node)}` is not supported")

    def _BoolOp(self, node: ast.BoolOp):
        sym = "and" if isinstance(node.op, ast.And) else "or"
        out = None
        for value in node.values:
            e, d = self._walk(value)
            if d != BOOL:
                self._fail(value, f"`{sym}` needs booleans, but `{self._snippet(value)}` is {self._dname(d)}")
            out = e if out is None else E.Binary(sym, out, e)
        return out, BOOL

    _CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}

    def _Compare(self, node: ast.Compare):
        left, dl = self._walk(node.left)
        out = None
        for op, comp in zip(node.ops, node.comparators):
            sym = self._CMP.get(type(op))
            if sym is None:
                self._fail(node, f"comparison in `{self._snippet(node)}` is not supported")
            right, dr = self._walk(comp)
            if dl is not dr and not _is_zero(left) and not _is_zero(right):
                self._fail(node, f"cannot compare {self._dname(dl)} with {self._dname(dr)} "
                                 f"in `{self._snippet(node)}`")
            if (dl == BOOL) != (dr == BOOL) or (dl == BOOL and sym not in ("==", "!=")):
                self._fail(node, f"cannot compare {self._dname(dl)} with {self._dname(dr)} "
                                 f"in `{self._snippet(node)}`")
            cmp = E.Binary(sym, left, right)
            out = cmp if out is None else E.Binary("and", out, cmp)
            left, dl = right, dr
        return out, BOOL

    def _IfExp(self, node: ast.IfExp):
        c, dc = self._walk(node.test)
        if dc != BOOL:
            self._fail(node.test, f"a condition must be boolean, but `{self._snippet(node.test)}` is {self._dname(dc)}")
        a, da = self._walk(node.body)
        b, db = self._walk(node.orelse)
        if da is not db:
            self._fail(node, f"both branches must have the same units, not {self._dname(da)} and {self._dname(db)}")
        return E.Select(c, a, b), da

    def _Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            self._fail(node, f"`{self._snippet(node)}` is not a supported function call")
        fn = node.func.id
        if fn not in E.FUNCTIONS:
            close = difflib.get_close_matches(fn, E.FUNCTIONS, n=1, cutoff=0.6)
            hint = f" — did you mean `{close[0]}`?" if close else ""
            self._fail(node.func, f"unknown function `{fn}`{hint}")
        if fn in ("rand", "randn"):
            if node.args:
                self._fail(node, f"`{fn}()` takes no arguments")
            return E.Call(fn, ()), DIMENSIONLESS
        if fn == "redraw":
            return self._redraw(node)
        want = 3 if fn == "clip" else 1
        if len(node.args) != want:
            self._fail(node, f"`{fn}` takes {want} argument{'s' if want > 1 else ''}, got {len(node.args)}")
        args = [self._walk(a) for a in node.args]
        if fn == "int" and args[0][1] == BOOL:  # Brian2's int(condition): 1 or 0
            return E.Select(args[0][0], E.ONE, E.ZERO), DIMENSIONLESS
        for a, (_, d) in zip(node.args, args):
            self._need_number(a, d, f"`{fn}`")
        trees = tuple(e for e, _ in args)
        d0 = args[0][1]
        if fn in _DIMENSIONLESS_FUNCS:
            if d0 is not DIMENSIONLESS:
                self._fail(node, f"`{fn}` needs a dimensionless argument, but "
                                 f"`{self._snippet(node.args[0])}` is {self._dname(d0)}")
            return E.Call(fn, trees), DIMENSIONLESS
        if fn == "sqrt":
            return E.Call(fn, trees), d0 ** Fraction(1, 2)
        if fn == "sign":  # -1, 0 or 1, whatever the units of its argument
            return E.Call(fn, trees), DIMENSIONLESS
        if fn == "clip":
            for a, (_, d) in zip(node.args[1:], args[1:]):
                if d is not d0 and not _is_zero(E.fold(_)):
                    self._fail(a, f"`clip` bounds must have the units of its first argument "
                                  f"({self._dname(d0)}), but `{self._snippet(a)}` is {self._dname(d)}")
            return E.Call(fn, trees), d0
        return E.Call(fn, trees), d0

    def _redraw(self, node: ast.Call):
        if not self.draws:
            self._fail(node, "`redraw` draws values once, for per-neuron parameters and initial values and for "
                             "weights and delays per connection; it cannot be used here")
        if len(node.args) not in (2, 3):
            self._fail(node, f"`redraw` takes 2 or 3 arguments (value, low[, high]), got {len(node.args)}")
        args = [self._walk(a) for a in node.args]
        for a, (_, d) in zip(node.args, args):
            self._need_number(a, d, "`redraw`")
        d0 = args[0][1]
        for a, (tree, d) in zip(node.args[1:], args[1:]):
            if d is not d0 and not _is_zero(E.fold(tree)):
                self._fail(a, f"`redraw` bounds must have the units of its first argument "
                              f"({self._dname(d0)}), but `{self._snippet(a)}` is {self._dname(d)}")
        return E.Call("redraw", tuple(e for e, _ in args)), d0


def _is_zero(e: E.Expr) -> bool:
    return isinstance(e, E.Const) and e.value == 0.0
