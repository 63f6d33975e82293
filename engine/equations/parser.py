"""Read Brian2-style model text into immutable equation records.

Grammar (one statement per logical line; ``#`` starts a comment; a line ending
in ``\\`` or inside open brackets continues on the next one)::

    dNAME/dt = EXPR : UNIT (FLAGS)     differential equation
    NAME = EXPR : UNIT (FLAGS)         subexpression
    NAME : UNIT (FLAGS)                parameter

Expressions are parsed by Python's ``ast`` (the syntax Brian2 uses); their
positions are mapped back to the user's line and column.  docs/language.md lists what of
Brian2's language is refused and what differs.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from engine.errors import Problem
from engine.equations.units import DIMENSIONLESS, TYPE_MARKERS, Dimension, UnitError, parse_unit

DIFFERENTIAL, SUBEXPRESSION, PARAMETER = "differential", "subexpression", "parameter"
ALLOWED_FLAGS = {  # Brian2's flags of each kind of equation
    DIFFERENTIAL: {"unless refractory"},
    SUBEXPRESSION: {"shared", "constant over dt"},
    PARAMETER: {"constant", "shared"},
}

_NAME = r"[A-Za-z_][A-Za-z_0-9]*"
MAX_UNIT_EXPONENT = 12  # no physical unit needs more; larger ones overflow the unit scales
_DIFF = re.compile(rf"^\s*d\s*({_NAME})\s*/\s*dt\s*=(.*)$")
_SUB = re.compile(rf"^\s*({_NAME})\s*=(?!=)(.*)$")
_PARAM = re.compile(rf"^\s*({_NAME})\s*$")
_FLAGS = re.compile(r"^(.*?)\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class Source:
    """Where a piece of text came from: field, 1-based line, and the columns of its characters.

    A logical line continued over several physical lines also records the
    line of each character (``rows``) and the text of each physical line
    (``lines``, from ``line`` on), so a problem points at the right one.
    """

    field: str
    line: int
    cols: tuple[int, ...]
    line_text: str
    rows: tuple[int, ...] = ()
    lines: tuple[str, ...] = ()

    def problem(self, message: str, start: int = 0, end: int | None = None) -> Problem:
        """A problem at character offsets ``start``..``end`` of this text."""
        if not self.cols:
            return Problem(self.field, self.line, 1, message, None, self.line_text)
        start = min(max(start, 0), len(self.cols) - 1)
        col = self.cols[start]
        line = self.rows[start] if self.rows else self.line
        end_col = None
        if end is not None and end > start:
            last = min(end, len(self.cols)) - 1
            # An underline ends on the line it starts on.
            if not self.rows or self.rows[last] == line:
                end_col = self.cols[last] + 1
        text = self.lines[line - self.line] if self.lines else self.line_text
        return Problem(self.field, line, col, message, end_col, text)


@dataclass(frozen=True)
class Text:
    """A fragment of user text and where each of its characters sits."""

    text: str
    source: Source

    def sub(self, start: int, end: int | None = None) -> "Text":
        end = len(self.text) if end is None else end
        # Strip surrounding blanks while keeping the column map aligned.
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        src = self.source
        return Text(self.text[start:end], Source(src.field, src.line, src.cols[start:end], src.line_text,
                                                 src.rows[start:end], src.lines))


def one_line(text: str, field: str) -> Text:
    """``text`` as the single line 1 of ``field`` (a value or condition typed into one field)."""
    return Text(text, Source(field, 1, tuple(range(1, len(text) + 1)), text))


@dataclass(frozen=True)
class Equation:
    """One declaration of the model text."""

    kind: str
    name: str
    expr: Text | None
    unit_text: str
    dim: Dimension | None
    var_type: str  # "float", "boolean" or "integer"
    flags: frozenset[str]
    where: Text


def logical_lines(text: str, field: str) -> list[Text]:
    """Split text into logical lines without comments, joining continuations."""
    out: list[Text] = []
    buf: list[str] = []
    cols: list[int] = []
    rows: list[int] = []
    physical: list[str] = []
    first_line = 0
    depth = 0

    def emit() -> None:
        joined = "".join(buf)
        if joined.strip():
            out.append(Text(joined, Source(field, first_line, tuple(cols), physical[0], tuple(rows),
                                           tuple(physical))))

    for lineno, raw in enumerate(text.splitlines(), start=1):
        code = raw.split("#", 1)[0]
        if not buf:
            first_line, physical = lineno, []
        physical.append(raw)
        cont = code.rstrip().endswith("\\")
        if cont:
            code = code.rstrip()[:-1]
        for col, ch in enumerate(code, start=1):
            buf.append(ch)
            cols.append(col)
            rows.append(lineno)
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(depth - 1, 0)
        if cont or depth > 0:
            buf.append(" ")
            cols.append(len(code) + 1)
            rows.append(lineno)
            continue
        emit()
        buf, cols, rows = [], [], []
    emit()
    return out


def unclosed_bracket(line: Text, problems: list[Problem]) -> bool:
    """Report an opening bracket that the logical line never closes (it swallowed the lines after it)."""
    stack: list[int] = []
    for i, ch in enumerate(line.text):
        if ch in "([{":
            stack.append(i)
        elif ch in ")]}" and stack:
            stack.pop()
    if not stack:
        return False
    i = stack[0]
    problems.append(line.source.problem(f"`{line.text[i]}` is never closed", i, i + 1))
    return True


def _split_top_colon(s: str) -> int:
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return i
    return -1


_DECLARED_NAME = re.compile(rf"^\s*(?:d\s*({_NAME})\s*/\s*dt\s*=|({_NAME})\s*[=:])")


def declared_names(line: Text) -> set[str]:
    """The names that the physical lines of ``line`` appear to declare (read from a line that does not parse)."""
    found = (_DECLARED_NAME.match(text) for text in line.source.lines or (line.text,))
    return {m.group(1) or m.group(2) for m in found if m is not None}


def parse_equations(text: str, problems: list[Problem], field: str = "equations",
                    unread: set[str] | None = None) -> list[Equation]:
    """Parse model text into equations, appending any problem found to ``problems``.

    ``unread`` receives the names that lines which could not be read appear to declare, so that
    their uses elsewhere are not reported as unknown a second time.
    """
    equations: list[Equation] = []
    seen: dict[str, int] = {}
    for line in logical_lines(text, field):
        eq = None if unclosed_bracket(line, problems) else _parse_line(line, problems)
        if eq is None:
            if unread is not None:
                unread |= declared_names(line)
            continue
        if eq.name in seen:
            problems.append(line.source.problem(
                f"`{eq.name}` is defined twice (first on line {seen[eq.name]})"))
            continue
        seen[eq.name] = line.source.line
        equations.append(eq)
    return equations


def _parse_line(line: Text, problems: list[Problem]) -> Equation | None:
    s = line.text
    colon = _split_top_colon(s)
    if colon < 0:
        problems.append(line.source.problem(
            f"missing `: unit` in `{s.strip()}` (every equation declares its unit, e.g. `: volt`)"))
        return None
    lhs, rhs = line.sub(0, colon), line.sub(colon + 1)
    unit_part, flags = rhs, frozenset()
    m = _FLAGS.match(rhs.text)
    if m and m.group(1).strip():
        unit_part = rhs.sub(0, len(m.group(1)))
        flag_start = rhs.text.index("(", len(m.group(1)))
        flags = frozenset(" ".join(f.split()) for f in m.group(2).split(",") if f.strip())
        flag_text = rhs.sub(flag_start)
    else:
        flag_text = rhs
    unit_text = unit_part.text
    dim: Dimension | None = None
    var_type = "float"
    if unit_text in TYPE_MARKERS:
        var_type = unit_text
        if var_type == "integer":
            dim = DIMENSIONLESS
    elif not unit_text:
        problems.append(line.source.problem("missing unit after `:`", colon, colon + 1))
        return None
    else:
        try:
            scale, dim = parse_unit(unit_text)
        except UnitError as exc:
            problems.append(unit_part.source.problem(str(exc), 0, len(unit_text)))
            return None
        if max(abs(e) for e in dim.exponents) > MAX_UNIT_EXPONENT:
            problems.append(unit_part.source.problem(
                f"`{unit_text}` raises a base unit beyond the power {MAX_UNIT_EXPONENT}", 0, len(unit_text)))
            return None
        if abs(scale - 1.0) > 1e-12:
            problems.append(unit_part.source.problem(
                f"declare units in SI base form (e.g. `volt`, not `{unit_text}`)", 0, len(unit_text)))
            return None

    if (d := _DIFF.match(s[:colon])) is not None:
        kind, name = DIFFERENTIAL, d.group(1)
        expr = line.sub(d.start(2), colon)
    elif (d := _SUB.match(s[:colon])) is not None:
        kind, name = SUBEXPRESSION, d.group(1)
        expr = line.sub(d.start(2), colon)
    elif (d := _PARAM.match(s[:colon])) is not None:
        kind, name, expr = PARAMETER, d.group(1), None
    else:
        problems.append(lhs.source.problem(
            f"cannot read `{lhs.text}`: expected `dx/dt = ...`, `x = ...` or `x`", 0, len(lhs.text)))
        return None
    if expr is not None and not expr.text:
        problems.append(lhs.source.problem(f"the right side of `{name}` is empty", 0))
        return None
    bad = flags - ALLOWED_FLAGS[kind]
    if bad:
        problems.append(flag_text.source.problem(
            f"flag `{sorted(bad)[0]}` is not allowed on a {kind} "
            f"(allowed: {', '.join(sorted(ALLOWED_FLAGS[kind]))})", 0, len(flag_text.text)))
    if kind == DIFFERENTIAL and var_type != "float":
        problems.append(unit_part.source.problem(f"`d{name}/dt` must have a physical unit, not {var_type}", 0))
        return None
    return Equation(kind, name, expr, unit_text, dim, var_type, flags, line)


_STATEMENT = re.compile(rf"^\s*({_NAME})\s*(\+=|-=|\*=|/=|=(?!=))(.*)$")


@dataclass(frozen=True)
class Statement:
    """One assignment of a reset or an ``on_pre`` action."""

    target: str
    op: str
    expr: Text
    where: Text


def parse_statements(text: str, field: str, problems: list[Problem]) -> list[Statement]:
    """Parse ``v = v_r; w += b`` (statements separated by newlines or ``;``)."""
    out = []
    for line in logical_lines(text, field):
        if unclosed_bracket(line, problems):
            continue
        start = 0
        parts = []
        for i, ch in enumerate(line.text + ";"):
            if ch == ";":
                parts.append(line.sub(start, i))
                start = i + 1
        for part in parts:
            if not part.text:
                continue
            m = _STATEMENT.match(part.text)
            if m is None or not m.group(3).strip():
                problems.append(part.source.problem(
                    f"cannot read `{part.text}`: expected `name = expression` (or +=, -=, *=, /=)",
                    0, len(part.text)))
                continue
            out.append(Statement(m.group(1), m.group(2), part.sub(m.start(3)), part))
    return out


def parse_expression(text: Text, problems: list[Problem]) -> ast.expr | None:
    """Parse one expression with Python's grammar; syntax errors become problems."""
    src = text.text
    try:
        with warnings.catch_warnings():
            # Python only warns about e.g. `1and x`; in a model it is a mistake like any other.
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(src.strip() and src, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        what = exc.msg
        if "invalid syntax" in what:
            what = "invalid syntax"
        problems.append(text.source.problem(f"{what} in `{src}`", offset, offset + 1))
        return None
    except (ValueError, RecursionError, MemoryError) as exc:
        problems.append(text.source.problem(f"cannot parse `{src}`: {exc}"))
        return None
    return tree.body
