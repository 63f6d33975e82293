"""A Brian2 script's ``NeuronGroup`` as a model file, read with Python's ``ast`` (the script is never run).

:func:`import_brian2` finds the first ``NeuronGroup(...)`` call and reads its
equations, ``threshold``, ``reset``, ``refractory`` and ``method``, the
``namespace`` it is given (or else the constants assigned in the script that
its text uses, as Brian2 would find them), values set with ``G.x = ...`` and
``G.run_regularly(...)``.  Everything it meets and cannot read is named with
its line; a model that Brian2 would reject is reported at the line and column
of the script.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from engine.equations.check import DEFAULT_CONSTANTS, noise_names, special_symbols
from engine.equations.constant_values import evaluate_constants, evaluate_quantity
from engine.equations.expr import FUNCTIONS
from engine.equations.ir import build_ir
from engine.equations.model import ModelSpec, check_model
from engine.equations.parser import DIFFERENTIAL, PARAMETER, parse_equations, parse_statements
from engine.equations.units import SECOND, UNITS, Quantity
from engine.errors import ModelError, Problem

_READ_KEYWORDS = ("model", "threshold", "reset", "refractory", "method", "namespace")
_IGNORED_KEYWORDS = ("name", "dtype", "order")  # they do not change the model
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_PYTHON_WORDS = frozenset({"and", "or", "not", "if", "else", "True", "False"})


@dataclass(frozen=True)
class Brian2Import:
    """The model read from a script, and what the script holds that it could not read (each at its line)."""

    spec: ModelSpec
    unread: tuple[Problem, ...]


@dataclass(frozen=True)
class _Placed:
    """A string of the script and how a position inside it maps onto the script's lines and columns."""

    text: str
    line: int
    col: int  # 1-based column of the string's first character
    exact: bool  # the source spells the string character by character (no escapes)

    def at(self, line: int, col: int) -> tuple[int, int]:
        if not self.exact or line < 1:
            return self.line, self.col
        return self.line + line - 1, (self.col + col - 1 if line == 1 else col)


def import_brian2(source: str, where: str = "script") -> Brian2Import:
    """Read the first ``NeuronGroup`` of a Brian2 script into a checked :class:`ModelSpec`.

    Parameters
    ----------
    source
        The script's text (it is parsed, never executed).
    where
        The name problems carry as their field (the file name, or ``script`` for pasted text).

    Returns
    -------
    Brian2Import
        The model and the parts of the script it leaves out, each named with its line.

    Raises
    ------
    ModelError
        The text is not Python, holds no ``NeuronGroup``, or its model has problems; every problem has the
        line and column of the script.
    """
    try:
        return _Reader(source, where).read()
    except (RecursionError, MemoryError) as exc:
        raise ModelError(Problem(where, 1, 1, f"the script is nested too deeply to read ({type(exc).__name__})")) \
            from exc


class _Reader:
    def __init__(self, source: str, where: str):
        self.source = source
        self.where = where
        self.unread: list[Problem] = []
        try:
            self.tree = ast.parse(source)
        except SyntaxError as exc:
            raise ModelError(Problem(where, max(exc.lineno or 1, 1), max(exc.offset or 1, 1),
                                     f"not Python: {exc.msg}")) from exc
        except ValueError as exc:  # e.g. a null byte
            raise ModelError(Problem(where, 1, 1, f"not Python: {exc}")) from exc
        self.value_nodes: dict[str, ast.AST] = {}  # "parameters.x" / "initial.x": the G.x = ... that set it
        self.assigned: dict[str, list[ast.Assign | ast.AnnAssign]] = {}
        for node in ast.walk(self.tree):
            target = _single_target(node)
            if target is not None:
                self.assigned.setdefault(target, []).append(node)

    # -- problems -------------------------------------------------------------
    def note(self, node: ast.AST, message: str) -> None:
        self.unread.append(Problem(self.where, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1,
                                   message))

    def fail(self, node: ast.AST | None, message: str) -> ModelError:
        return ModelError(Problem(self.where, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1,
                                  message))

    # -- values of the script ---------------------------------------------------
    def value_of(self, name: str, before: int) -> ast.expr | None:
        """The value last assigned to ``name`` before line ``before`` (else the first assignment after it)."""
        nodes = self.assigned.get(name, [])
        earlier = [n for n in nodes if n.lineno < before]
        node = earlier[-1] if earlier else (nodes[0] if nodes else None)
        return None if node is None else node.value

    def string(self, node: ast.expr | None, what: str, before: int, depth: int = 0) -> _Placed | None:
        """The text of a string argument: a literal, a name bound to one, ``Equations("...")``, or a sum of them."""
        if node is None or depth > 20:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.placed(node)
        if isinstance(node, ast.Name):
            value = self.value_of(node.id, before)
            if value is None:
                self.note(node, f"{what}: `{node.id}` is not assigned in the script")
            return self.string(value, what, before, depth + 1)
        if isinstance(node, ast.Call) and _callee(node.func) == "Equations" and node.args:
            for kw in node.keywords:
                self.note(kw.value, f"{what}: the substitution `{kw.arg}=` of Equations(...) is not read")
            return self.string(node.args[0], what, before, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.string(node.left, what, before, depth + 1)
            right = self.string(node.right, what, before, depth + 1)
            if left is None or right is None:
                return None
            return _Placed(left.text + right.text, left.line, left.col, left.exact and "\n" not in left.text)
        self.note(node, f"{what}: `{_segment(self.source, node)}` is not a string the importer can read")
        return None

    def placed(self, node: ast.Constant) -> _Placed:
        segment = ast.get_source_segment(self.source, node) or ""
        body = segment.lstrip("rRuU")
        quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
        prefix = len(segment) - len(body) + len(quote)
        exact = segment[prefix:len(segment) - len(quote)] == node.value
        return _Placed(node.value, node.lineno, node.col_offset + 1 + prefix, exact)

    def constants(self, names: set[str], namespace: dict[str, ast.expr] | None, before: int) -> dict[str, str]:
        """The constants ``names`` need, as text, in an order where each follows those it uses."""
        out: dict[str, str] = {}
        visiting: set[str] = set()

        def add(name: str) -> None:
            if name in out or name in visiting:
                return
            node = namespace.get(name) if namespace is not None else self.value_of(name, before)
            if node is None:
                return
            text = _constant_text(node)
            if text is None:
                self.note(node, f"`{name}` is not a constant the importer can read (`{_segment(self.source, node)}`)")
                return
            visiting.add(name)
            for used in sorted(_names(text) - set(out)):
                add(used)
            visiting.discard(name)
            out[name] = text

        for name in sorted(names):
            add(name)
        return out

    # -- the group ----------------------------------------------------------------
    def read(self) -> Brian2Import:
        groups = [n for n in ast.walk(self.tree) if isinstance(n, ast.Call) and _callee(n.func) == "NeuronGroup"]
        if not groups:
            raise self.fail(None, "no `NeuronGroup(...)` found: a Brian2 model is read from its NeuronGroup")
        groups.sort(key=lambda n: (n.lineno, n.col_offset))
        group = groups[0]
        for other in groups[1:]:
            self.note(other, f"only the first NeuronGroup (line {group.lineno}) is read")
        args = {kw.arg: kw.value for kw in group.keywords if kw.arg is not None}
        if len(group.args) > 1:
            args.setdefault("model", group.args[1])
        for extra in group.args[2:]:
            self.note(extra, "a NeuronGroup takes N and the model as positional arguments; this one is not read")
        for key, node in args.items():
            if key not in _READ_KEYWORDS and key not in _IGNORED_KEYWORDS:
                self.note(node, f"NeuronGroup's `{key}=` is not read")
        line = group.lineno
        model = self.string(args.get("model"), "model", line)
        if model is None:
            raise self.fail(group, "the NeuronGroup's model equations cannot be read")
        fields = {"equations": model}
        for key in ("threshold", "reset"):
            if key in args:
                placed = self.string(args[key], key, line)
                if placed is not None:
                    fields[key] = placed
        target = _group_name(self.tree, group)
        regular = self.run_regularly(target)
        if regular is not None:
            fields["run_regularly"] = regular
        namespace = self.namespace(args.get("namespace"), line)
        kinds = _declared(model.text)
        values = self.assignments(target, kinds)
        refractory = self.refractory(args.get("refractory"), line) or ""
        used = _expression_names(fields) | _names(refractory)
        for texts in values.values():
            used |= {n for text in texts.values() for n in _names(text)}
        constants = self.valid_constants(self.constants(used - set(kinds) - _KNOWN, namespace, line), namespace, line)
        if refractory and (kinds.get(refractory) == PARAMETER or _is_time(refractory, constants)):
            refractory = _brian2_refractory(refractory)
        spec = ModelSpec(equations=model.text, threshold=_text(fields.get("threshold")),
                         reset=_text(fields.get("reset")), refractory=refractory,
                         method=self.method(args.get("method")),
                         parameters={n: _fold(t, constants) for n, t in values["parameters"].items()},
                         initial=values["initial"], run_regularly=_text(regular), namespace=constants)
        spec = self.checked(spec, fields)
        return Brian2Import(spec, tuple(sorted(self.unread, key=lambda p: (p.line, p.col))))

    def namespace(self, node: ast.expr | None, line: int) -> dict[str, ast.expr] | None:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            value = self.value_of(node.id, line)
            node = value if value is not None else node
        if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                              for k in node.keys):
            return {k.value: v for k, v in zip(node.keys, node.values)}  # type: ignore[union-attr]
        if isinstance(node, ast.Call) and _callee(node.func) == "dict" and not node.args:
            return {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
        self.note(node, f"namespace `{_segment(self.source, node)}` is not a dict the importer can read")
        return {}

    def refractory(self, node: ast.expr | None, line: int) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Constant) and node.value is False:
            return None
        text = _constant_text(node)
        if text is None:
            self.note(node, f"refractory `{_segment(self.source, node)}` is not read")
        return text

    def method(self, node: ast.expr | None) -> str:
        if node is None:
            return ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        self.note(node, f"method `{_segment(self.source, node)}` is not read (give the method's name)")
        return ""

    def run_regularly(self, target: str | None) -> _Placed | None:
        found = None
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "run_regularly" and _callee(node.func.value) == target and target):
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords}
            if set(keywords) - {"code", "when", "name"} or _literal(keywords.get("when"), "start") != "start":
                self.note(node, "run_regularly with its own dt or `when` is not read (it runs at the start of "
                                "every step here)")
                continue
            code = node.args[0] if node.args else keywords.get("code")
            placed = self.string(code, "run_regularly", node.lineno)
            if placed is not None and found is not None:
                self.note(node, "only one run_regularly is read")
            elif placed is not None:
                found = placed
        return found

    def assignments(self, target: str | None, kinds: dict[str, str]) -> dict[str, dict[str, str]]:
        """``G.x = value`` for the group ``G``: parameter values and initial values (as written)."""
        out: dict[str, dict[str, str]] = {"parameters": {}, "initial": {}}
        if not target:
            return out
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Attribute)
                    and _callee(node.targets[0].value) == target):
                continue
            name = node.targets[0].attr
            if kinds.get(name) not in (DIFFERENTIAL, PARAMETER):
                self.note(node, f"`{target}.{name}` is not a state or parameter of the model; it is not read")
                continue
            value = node.value
            text = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) \
                else _constant_text(value)
            if text is None:
                self.note(node, f"`{target}.{name} = {_segment(self.source, value)}` is not read (a value per "
                                "neuron is set on the population)")
                continue
            field = "initial" if kinds[name] == DIFFERENTIAL else "parameters"
            out[field][name] = text
            self.value_nodes[f"{field}.{name}"] = node
        return out

    def valid_constants(self, constants: dict[str, str], namespace, line: int) -> dict[str, str]:
        """The constants that evaluate; the others are named with their line and left out."""
        problems: list[Problem] = []
        evaluate_constants(constants, problems)
        bad = {p.field: p.message for p in problems}
        for name in bad:
            node = namespace.get(name) if namespace is not None else self.value_of(name, line)
            self.note(node or self.tree, f"`{name}` is not read: {bad[name]}")
        return {n: t for n, t in constants.items() if n not in bad}

    def checked(self, spec: ModelSpec, fields: dict[str, _Placed]) -> ModelSpec:
        """``spec`` checked, without the values set by ``G.x = ...`` that the model refuses (each named)."""
        try:
            checked = check_model(spec)
        except ModelError as exc:
            refused = [p for p in exc.problems if p.field in self.value_nodes]
            if not refused or len(refused) < len(exc.problems):
                raise ModelError([self.locate(p, fields) for p in exc.problems]) from exc
            for p in refused:
                self.note(self.value_nodes.pop(p.field), f"`{p.field.split('.', 1)[1]}` is not read: {p.message}")
            drop = {p.field for p in refused}
            spec = replace(spec, **{key: {n: v for n, v in getattr(spec, key).items() if f"{key}.{n}" not in drop}
                                    for key in ("parameters", "initial")})
            return self.checked(spec, fields)
        if not spec.method:
            chosen = build_ir(checked, 1e-4).method
            brian2 = "exact" if chosen == "exact" else "euler"
            return replace(spec, method=brian2)
        return spec

    def locate(self, problem: Problem, fields: dict[str, _Placed]) -> Problem:
        """``problem`` of the model at its line and column of the script."""
        placed = fields.get(problem.field)
        if placed is None:
            return replace(problem, message=f"{problem.field}: {problem.message}", field=self.where,
                           line=max(problem.line, 1), col=max(problem.col, 1))
        line, col = placed.at(problem.line, problem.col)
        end = None
        if problem.end_col and placed.exact:
            end = placed.at(problem.line, problem.end_col)[1]
        return replace(problem, field=self.where, line=line, col=col, end_col=end)


# Names a script's constants cannot stand for (Brian2 lets its own constants, such as `e`, be shadowed).
_KNOWN = frozenset(special_symbols()) | frozenset(FUNCTIONS) | _PYTHON_WORDS


def _text(placed: _Placed | None) -> str:
    return "" if placed is None else placed.text


def _single_target(node: ast.AST) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id
    return None


def _callee(node: ast.expr) -> str | None:
    """``NeuronGroup`` for ``NeuronGroup``, ``b2.NeuronGroup`` or ``brian2.NeuronGroup``; a name for a name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _group_name(tree: ast.Module, group: ast.Call) -> str | None:
    for node in ast.walk(tree):
        if getattr(node, "value", None) is group:
            return _single_target(node)
    return None


def _literal(node: ast.expr | None, default: str) -> object:
    if node is None:
        return default
    return node.value if isinstance(node, ast.Constant) else None


def _segment(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


class _Plain(ast.NodeTransformer):
    """``b2.ms`` -> ``ms``, ``np.pi`` -> ``pi``, ``numpy.exp`` -> ``exp``: module prefixes dropped."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr in UNITS or node.attr in DEFAULT_CONSTANTS or node.attr in FUNCTIONS:
            return ast.copy_location(ast.Name(node.attr, ast.Load()), node)
        return node


_CONSTANT_NODES = (ast.Expression, ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.Call, ast.Load, ast.operator,
                   ast.unaryop)


def _constant_text(node: ast.expr) -> str | None:
    """``node`` as the text of a constant expression (numbers, units, names, arithmetic, functions), else ``None``."""
    plain = _Plain().visit(ast.Expression(body=_copy(node)))
    for sub in ast.walk(plain):
        if not isinstance(sub, _CONSTANT_NODES):
            return None
        if isinstance(sub, ast.Constant) and (isinstance(sub.value, bool) or not isinstance(sub.value, (int, float))):
            return None
        if isinstance(sub, ast.Call) and (not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS
                                          or sub.keywords or sub.func.id in ("rand", "randn")):
            return None
    return ast.unparse(plain.body)


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _names(text: str) -> set[str]:
    return set(_WORD.findall(text))


def _declared(equations: str) -> dict[str, str]:
    """Each name the equations declare, and its kind (``unread`` for a line that does not parse)."""
    unread: set[str] = set()
    kinds = {eq.name: eq.kind for eq in parse_equations(equations, [], unread=unread)}
    return {**{n: "unread" for n in unread}, **kinds}


def _expression_names(fields: dict[str, _Placed]) -> set[str]:
    """The names the expressions of the model's text use (not its units or flags)."""
    names: set[str] = set()
    for eq in parse_equations(fields["equations"].text, []):
        if eq.expr is not None:
            names |= _names(eq.expr.text)
    if "threshold" in fields:
        names |= _names(fields["threshold"].text)
    for key in ("reset", "run_regularly"):
        if key in fields:
            for st in parse_statements(fields[key].text, key, []):
                names |= _names(st.expr.text) | {st.target}
    return {n for n in names if not noise_names(n)}


def _is_time(text: str, constants: dict[str, str]) -> bool:
    problems: list[Problem] = []
    quantity = evaluate_quantity(text, evaluate_constants(constants, problems), "refractory", problems)
    return quantity is not None and quantity.dim is SECOND


def _brian2_refractory(period: str) -> str:
    """Brian2's refractory period as the condition it evaluates: refractory while fewer whole steps than the
    period's have passed since the spike's step (one step fewer than a period counted as NEST counts it, since
    Brian2 stamps a spike at the start of its step and this engine at the end: docs/ir.md)."""
    return f"t - lastspike < ({period}) - 1.5*dt"


def _fold(text: str, constants: dict[str, str]) -> str:
    """A parameter's value over the script's constants as one quantity (``"2*tau0"`` -> ``"20 ms"``)."""
    problems: list[Problem] = []
    values = evaluate_constants(constants, problems)
    quantity = evaluate_quantity(text, values, "value", problems)
    return str(quantity) if isinstance(quantity, Quantity) else text

