"""NESTML neuron models converted into our model format (``ncstudio import MODEL.nestml -o MODEL.ncsmodel``).

The file is read by the ``nestml`` package's own parser (:mod:`studio.interop.nestml_reader`) and its
AST walked block by block (docs/nestml.md has the whole mapping):

* ``parameters`` become parameters with their values, ``internals`` subexpressions, ``state`` variables
  with an ODE differential equations (an ``x''`` equation two states, ``x`` and ``x__d``), states without
  one variables assigned by the reset or ``run_regularly``; inline expressions become subexpressions and
  the model's functions are inlined where they are called.
* ``kernel`` and ``convolve(kernel, port)`` become ODEs as NESTML's toolchain does: ``c*exp(-t/tau)``
  one decaying state, ``c*t*exp(-t/tau)`` two, a kernel given by ODEs its own states, ``delta(t)`` a jump;
  a spike on the port adds the weight to the kernel's state (its value at ``t = 0``).
* ``onReceive(port)`` and spike ports are receptors (``excitatory``/``inhibitory`` ports give NEST's sign
  split, the inhibitory one receiving ``|w|``); the first continuous input in amperes is the injected current.
* ``update``: ``integrate_odes()``, possibly guarded by a refractory timer (``if refr_t > 0 ms``), becomes
  the refractory period with ``(unless refractory)`` on the states the refractory branch leaves alone;
  statements before the integration run at the start of the step (``run_regularly``).
* ``onCondition(...)`` with ``emit_spike()`` is the threshold, its assignments the reset.

Anything else is refused with :class:`~studio.interop.nestml_reader.NestmlRefused`, naming the file, the
line and the construct.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import ModelError
from engine.equations import expr as E
from engine.equations.check import ExpressionChecker, Symbol, special_symbols
from engine.equations.constant_values import evaluate_quantity
from engine.equations.ir import choose_method
from engine.equations.model import ModelSpec, Receptor, check_model
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import NEST_UNITS, SECOND, Dimension, Quantity
from engine.models.base import LibraryModel, ParamInfo
from studio.interop.nestml_reader import NestmlRefused, Renderer, declared_unit, dimension_of_type, parse_nestml
from studio.project.modelfile import write_model_file

SUFFIX = ".nestml"
# Nonlinear models (NEST integrates them with adaptive RKF45, testing the threshold inside the step) run RK4 on
# 4 µs substeps at dt = 0.1 ms with the threshold tested after each, as the library's aeif models do.
_NONLINEAR_METHOD, _NONLINEAR_SUBSTEPS = "rk4", 25
_RESERVED = frozenset(special_symbols()) | frozenset(E.FUNCTIONS) | {"xi", "True", "False"}


@dataclass(frozen=True)
class NestmlModel:
    """A converted NESTML neuron: its model text, receptor ports and NEST's sign split."""

    name: str
    source: str
    spec: ModelSpec
    receptors: tuple[str, ...]
    sign_split: tuple[str, str] | None

    def library_model(self) -> LibraryModel:
        """The model as a library entry (sign split routing, the inhibitory port receiving ``|w|``)."""
        params = tuple(ParamInfo(n, str(v), "from the NESTML parameters block")
                       for n, v in self.spec.parameters.items())
        return LibraryModel(name=self.name, title=f"{self.name} (NESTML)", spec=self.spec, params=params,
                            description=f"Converted from {Path(self.source).name} of the NESTML model library.",
                            receptors=self.receptors, sign_split=self.sign_split,
                            negate_negative=self.sign_split is not None, family="NESTML")


def convert_nestml(path: str | os.PathLike) -> NestmlModel:
    """Convert one NESTML neuron model into a checked :class:`ModelSpec`.

    Raises
    ------
    NestmlRefused
        The file does not parse, or uses a construct without an equivalent (file, line and construct named),
        or the result fails our own check.
    """
    path = Path(path)
    model = parse_nestml(path)
    return _Converter(model, path).convert()


def import_nestml(path: str | os.PathLike, out: str | os.PathLike) -> NestmlModel:
    """Convert ``path`` and write the model file ``out`` (``*.ncsmodel``)."""
    converted = convert_nestml(path)
    write_model_file(out, converted.spec)
    return converted


def library_files() -> list[Path]:
    """The neuron models the ``nestml`` package ships (``<prefix>/models/neurons/*.nestml``)."""
    folder = Path(sys.prefix) / "models" / "neurons"
    return sorted(folder.glob("*" + SUFFIX))


@dataclass
class _Kernel:
    """The states of one ``convolve(kernel, port)``: the one read as its value and what a spike adds to each."""

    value: str
    jumps: dict[str, str]


class _Converter:
    def __init__(self, model, path: Path):
        self.model = model
        self.filename = path.name
        self.source = str(path)
        self.r = Renderer(self.filename, functions={f.get_name(): f for f in model.get_functions()})
        self.lines: list[str] = []
        self.parameters: dict[str, str] = {}
        self.initial: dict[str, str] = {}
        self.states: dict[str, tuple] = {}  # name -> (dim, var_type, declaration node)
        self.odes: dict[str, tuple] = {}  # name -> (order, rhs node)
        self.kernels: dict[tuple[str, str], _Kernel] = {}
        self.delta_ports: list[str] = []  # spike ports convolved with delta(t)
        self.timer: str | None = None
        self.unless: set[str] = set()
        self.regular: list[str] = []
        self.receive: dict[str, list[str]] = {}
        self.kernel_shapes: dict[str, tuple[str, object]] = {}  # kernel -> ("exp"|"alpha"|"delta"|"odes", data)
        self.kernel_lines: list[str] = []
        self.ode_lines: list[tuple[str, str]] = []
        self.current_input: str | None = None
        self.dims: dict[str, Dimension | None] = {}  # parameters, internals and continuous inputs declared so far

    def refuse(self, node, what: str) -> NestmlRefused:
        return self.r.refuse(node, what)

    def convert(self) -> NestmlModel:
        """Walk the model's blocks into a checked :class:`NestmlModel` (or refuse)."""
        body = self.model.get_body()
        for block in body.get_body_elements():
            kind = type(block).__name__
            if kind not in ("ASTBlockWithVariables", "ASTEquationsBlock", "ASTInputBlock", "ASTOutputBlock",
                            "ASTUpdateBlock", "ASTOnReceiveBlock", "ASTOnConditionBlock", "ASTFunction"):
                raise self.refuse(block, f"the block `{kind[3:]}`")
        self._declare_names()
        self._parameters()
        self._states()
        ports = self._ports()
        self._equations()
        threshold, reset, refractory = self._condition()
        self._update()
        receptors = self._receptors(ports)
        spec = ModelSpec(
            equations="\n".join(self.lines) + "\n",
            threshold=threshold, reset="\n".join(reset), refractory=refractory,
            parameters=self.parameters, initial=self.initial, receptors=receptors,
            current_input=self.current_input, run_regularly="\n".join(self.regular))
        spec = self._checked(spec)
        excitatory = [p for p, q in ports.items() if q == "excitatory" and p in receptors]
        inhibitory = [p for p, q in ports.items() if q == "inhibitory" and p in receptors]
        split = (excitatory[0], inhibitory[0]) if len(excitatory) == 1 and len(inhibitory) == 1 else None
        order = tuple(excitatory + inhibitory + [p for p in receptors if p not in excitatory + inhibitory])
        return NestmlModel(self.model.get_name(), self.source, spec, order, split)

    # -- names and declarations ------------------------------------------------------------------

    def _declare_names(self) -> None:
        declared = [v.get_name() for block in (self.model.get_parameters_blocks() + self.model.get_state_blocks()
                                               + self.model.get_internals_blocks())
                    for decl in block.get_declarations() for v in decl.get_variables()]
        self.r.names = {n: n + "_" for n in declared if n in _RESERVED or n.startswith("_")}
        self.r.declared = set(declared)

    def _parameters(self) -> None:
        known: dict[str, Quantity] = {}
        for block in self.model.get_parameters_blocks():
            for decl in block.get_declarations():
                dim, var_type = dimension_of_type(decl.get_data_type())
                for var in decl.get_variables():
                    name = self.r.variable(var)
                    self.lines.append(f"{name} : {declared_unit(dim, var_type)}")
                    self.dims[name] = dim
                    if not decl.has_expression():
                        continue
                    value = self._constant(decl.get_expression(), var_type, known, name)
                    self.parameters[name] = value
        for block in self.model.get_internals_blocks():
            for decl in block.get_declarations():
                dim, var_type = dimension_of_type(decl.get_data_type())
                for var in decl.get_variables():
                    name = self.r.variable(var)
                    text = self.r.expression(decl.get_expression())
                    self.lines.append(f"{name} = {text} : {declared_unit(dim, var_type)}")
                    self.dims[name] = dim

    def _constant(self, node, var_type: str, known: dict[str, Quantity], name: str) -> str:
        """A parameter's value: evaluated from the parameters before it (NESTML allows expressions there)."""
        if var_type == "boolean":
            return "true" if self.r.expression(node) == "True" else "false"
        text = self._inf_quantity(node)
        if text is not None:
            return text
        text = self.r.expression(node)
        problems: list = []
        value = evaluate_quantity(text, known, name, problems)
        if value is None:
            raise self.refuse(node, f"the value of parameter `{name}` (`{text}`: {problems[0].message})")
        known[name] = value
        return str(value)

    def _inf_quantity(self, node) -> str | None:
        """``-inf mV`` for NESTML's ``-inf * 1 mV`` (our quantities may be infinite; expressions may not)."""
        from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

        if isinstance(node, ASTSimpleExpression) or not node.is_compound_expression():
            return None
        lhs, rhs = node.get_lhs(), node.get_rhs()
        sign = ""
        if _negated(lhs) is not None:
            sign, lhs = "-", _negated(lhs)
        if isinstance(lhs, ASTSimpleExpression) and lhs.is_inf_literal and isinstance(rhs, ASTSimpleExpression) \
                and rhs.is_numeric_literal() and rhs.get_numeric_literal() == 1 and rhs.unitType is not None:
            return f"{sign}inf {rhs.unitType}"
        return None

    def _states(self) -> None:
        for block in self.model.get_state_blocks():
            for decl in block.get_declarations():
                dim, var_type = dimension_of_type(decl.get_data_type())
                for var in decl.get_variables():
                    self.states[self.r.variable(var)] = (dim, var_type, decl)

    def _ports(self) -> dict[str, str]:
        ports: dict[str, str] = {}
        for block in self.model.get_input_blocks():
            for port in block.get_input_ports():
                if port.has_size_parameter():
                    raise self.refuse(port, f"the vector input port `{port.get_name()}`")
                if port.is_spike():
                    ports[port.get_name()] = ("excitatory" if port.is_excitatory() and not port.is_inhibitory()
                                              else "inhibitory" if port.is_inhibitory() and not port.is_excitatory()
                                              else "")
                    continue
                dim, var_type = dimension_of_type(port.get_datatype())
                self.lines.append(f"{port.get_name()} : {declared_unit(dim, var_type)}")
                self.dims[port.get_name()] = dim
                if self.current_input is None and declared_unit(dim, var_type) == "amp":
                    self.current_input = port.get_name()
        return ports

    # -- equations ----------------------------------------------------------------------------------

    def _equations(self) -> None:
        blocks = self.model.get_equations_blocks()
        self.r.convolve = self._convolve
        for block in blocks:
            for kernel in block.get_kernels():
                self._kernel(kernel)
        for block in blocks:
            for eq in block.get_ode_equations():
                var = eq.get_lhs()
                name = self.r.name(var.get_name())
                if self._is_timer(eq):
                    self.timer = name
                    continue
                self.odes[name] = (var.get_differential_order(), eq.get_rhs())
        for block in blocks:
            for inline in block.get_inline_expressions():
                dim, var_type = dimension_of_type(inline.get_data_type())
                text = self.r.expression(inline.get_expression())
                self.lines.append(f"{inline.get_variable_name()} = {text} : {declared_unit(dim, var_type)}")
        for name, (order, rhs) in self.odes.items():
            names = [name + "__d" * k for k in range(order)]
            for low, high in zip(names, names[1:]):
                self.ode_lines.append((low, high))
            self.ode_lines.append((names[-1], self.r.expression(rhs)))

    def _is_timer(self, eq) -> bool:
        """Whether ``eq`` is NESTML's refractory timer, ``refr_t' = -1``."""
        return eq.get_lhs().get_differential_order() == 1 and self.r.expression(eq.get_rhs()).replace(" ", "") in (
            "-1", "-1.0")

    def _kernel(self, kernel) -> None:
        variables = kernel.get_variables()
        if len(variables) == 1 and variables[0].get_differential_order() == 0:
            self._kernel_shape(kernel, variables[0].get_name(), kernel.get_expressions()[0])
            return
        # A kernel given by its ODEs: the states start from their declared values, which a spike adds.
        names = [self.r.name(v.get_name()) for v in variables]
        for var in variables:
            if var.get_differential_order() != 1:
                raise self.refuse(kernel, f"kernel `{var.get_name()}` of order {var.get_differential_order()}")
        self.kernel_shapes[names[0]] = ("odes", (kernel, names))

    def _kernel_shape(self, kernel, name: str, node) -> None:
        factors = _factors(node)
        call = [f for f in factors if _is_call(f, "exp") and "t" in _names(f)]
        delta = [f for f in factors if _is_call(f, "delta")]
        with_t = [f for f in factors if "t" in _names(f)]
        if delta and len(with_t) == 1 and len(factors) == 1:
            self.kernel_shapes[name] = ("delta", None)
            return
        bare_t = [f for f in with_t if _is_variable(f, "t")]
        if len(call) != 1 or len(with_t) != 1 + len(bare_t) or len(bare_t) > 1:
            raise self.refuse(kernel, f"kernel `{name}` (only c*exp(-t/tau), c*t*exp(-t/tau), delta(t) and kernels "
                                      "given by ODEs are)")
        tau = _decay_time(call[0].get_function_call().get_args()[0])
        if tau is None:
            raise self.refuse(kernel, f"kernel `{name}` with an exponent that is not -t/tau")
        scale = [f for f in factors if "t" not in _names(f)]
        factor = " * ".join(self.r.expression(f) for f in scale) or "1"
        self.kernel_shapes[name] = ("alpha" if bare_t else "exp", (self.r.expression(tau), factor))

    def _convolve(self, call) -> str:
        args = call.get_args()
        kernel, port = (self.r.expression(a) for a in args)
        key = (kernel, port)
        if key in self.kernels:
            return self.kernels[key].value
        if kernel not in self.kernel_shapes:
            raise self.refuse(call, f"convolve with `{kernel}`, which is no kernel")
        shape, data = self.kernel_shapes[kernel]
        if shape == "delta":
            if port not in self.delta_ports:
                self.delta_ports.append(port)
            return "__delta__"
        uses = {k for k, _ in self.kernels}
        state = kernel if kernel not in uses else f"{kernel}__X__{port}"
        if shape in ("exp", "alpha"):
            self.states.pop(kernel, None)
            tau, factor = data
            dim = self._dimension(factor)
            if shape == "exp":
                self.kernel_lines.append(f"d{state}/dt = -{state}/({tau}) : {declared_unit(dim, 'float')}")
                jumps = {state: factor}
            else:
                self.kernel_lines.append(f"d{state}/dt = {state}__d - {state}/({tau}) : "
                                         f"{declared_unit(dim * SECOND, 'float')}")
                self.kernel_lines.append(f"d{state}__d/dt = -{state}__d/({tau}) : {declared_unit(dim, 'float')}")
                jumps = {state + "__d": factor}
        else:
            node, names = data
            rename = {n: (n if state == kernel else n.replace(kernel, state, 1)) for n in names}
            saved = dict(self.r.names)
            self.r.names.update(rename)
            jumps = {}
            for var, expr, name in zip(node.get_variables(), node.get_expressions(), names):
                dim, var_type, decl = self.states.pop(name, (None, "float", None))
                if decl is None:
                    raise self.refuse(node, f"kernel state `{name}` without a declaration in `state`")
                self.kernel_lines.append(f"d{rename[name]}/dt = {self.r.expression(expr)} : "
                                          f"{declared_unit(dim, var_type)}")
                start = self.r.expression(decl.get_expression()) if decl.has_expression() else "0"
                if start.strip("() ") not in ("0", "0.0"):
                    jumps[rename[name]] = start
            self.r.names = saved
        self.kernels[key] = _Kernel(state, jumps)
        return state

    def _dimension(self, factor: str) -> Dimension:
        """The dimension of a kernel's factor ``c`` (over the parameters, internals and inputs)."""
        symbols = special_symbols()
        symbols.update({name: Symbol("parameter", dim) for name, dim in self.dims.items()})
        problems: list = []
        text = one_line(factor, "kernel")
        node = parse_expression(text, problems)
        result = ExpressionChecker(symbols, NEST_UNITS, problems).check(text, node) if node is not None else None
        if result is None:
            raise NestmlRefused(f"{self.filename}: cannot tell the unit of the kernel factor `{factor}`")
        return result[1]

    # -- the threshold, the update, the inputs ---------------------------------------------------

    def _condition(self) -> tuple[str, list[str], str]:
        blocks = self.model.get_on_condition_blocks()
        spiking = [b for b in blocks if any(_is_emit(s) for s in b.get_stmts_body().get_stmts())]
        if len(blocks) != 1 or len(spiking) != 1:
            raise self.refuse(blocks[1] if len(blocks) > 1 else self.model,
                              "a model without exactly one onCondition block that emits a spike" if len(blocks) != 1
                              else "an onCondition block without emit_spike()")
        block = blocks[0]
        terms = _conjuncts(block.get_cond_expr())
        kept = [t for t in terms if self.timer is None or self.timer not in _names(t)]
        threshold = " and ".join(self.r.expression(t) for t in kept)
        reset, refractory = [], ""
        for stmt in block.get_stmts_body().get_stmts():
            if _is_emit(stmt):
                continue
            assignment = stmt.small_stmt.get_assignment() if stmt.is_small_stmt() and stmt.small_stmt.is_assignment() \
                else None
            if assignment is None:
                raise self.refuse(stmt, "a statement other than an assignment in onCondition")
            target = self.r.variable(assignment.get_variable())
            if target == self.timer:
                refractory = self.r.expression(assignment.get_expression())
                continue
            reset.append(f"{target} {_assign_op(assignment)} {self.r.expression(assignment.get_expression())}")
        if self.timer and not refractory:
            raise self.refuse(block, f"a refractory timer `{self.timer}` that the spike does not start")
        return threshold, reset, refractory

    def _update(self) -> None:
        blocks = self.model.get_update_blocks()
        all_states = set(self.odes)
        if not blocks:
            raise self.refuse(self.model, "a model without an update block (nothing would be integrated)")
        integrated = False
        for stmt in blocks[0].get_stmts_body().get_stmts():
            if stmt.is_compound_stmt():
                compound = stmt.compound_stmt
                if compound.is_for_stmt():
                    raise self.refuse(stmt, "a `for` loop in update")
                if compound.is_while_stmt():
                    raise self.refuse(stmt, "a `while` loop in update")
                self._guarded_update(compound.get_if_stmt(), all_states)
                integrated = True
            elif _is_call_stmt(stmt, "integrate_odes"):
                held = all_states - self._integrated(stmt, all_states)
                if held:
                    raise self.refuse(stmt, f"integrate_odes() that holds {', '.join(sorted(held))} unconditionally")
                integrated = True
            elif integrated:
                self._after_integration(stmt)
            else:
                self.regular.append(self._statement(stmt, None))
        if not integrated:
            raise self.refuse(blocks[0], "an update block without integrate_odes()")

    def _integrated(self, stmt, all_states: set[str]) -> set[str]:
        args = stmt.small_stmt.get_function_call().get_args()
        if not args:
            return set(all_states)
        return {self.r.expression(a) for a in args} - ({self.timer} if self.timer else set())

    def _guarded_update(self, if_stmt, all_states: set[str]) -> None:
        clause = if_stmt.get_if_clause()
        cond = clause.get_condition()
        if self.timer is None or self.timer not in _names(cond) or if_stmt.has_elif_clauses() \
                or not if_stmt.has_else_clause():
            raise self.refuse(if_stmt, "an `if` in update that is not a refractory timer test "
                                       "(`if refr_t > 0 ms: ... else: ...`)")
        refractory = self._branch(clause.get_stmts_body().get_stmts(), all_states, guarded=False)
        normal = self._branch(if_stmt.get_else_clause().stmts_body.get_stmts(), all_states, guarded=True)
        if refractory - normal:
            only = ", ".join(sorted(refractory - normal))
            raise self.refuse(if_stmt, f"states integrated only while refractory ({only})")
        self.unless = (normal - refractory) & all_states

    def _branch(self, stmts, all_states: set[str], guarded: bool) -> set[str]:
        integrated: set[str] | None = None
        for stmt in stmts:
            if _is_call_stmt(stmt, "integrate_odes"):
                integrated = self._integrated(stmt, all_states)
            elif integrated is None and guarded and stmt.is_small_stmt():
                self.regular.append(self._statement(stmt, "not_refractory"))
            else:
                raise self.refuse(stmt, "a statement in the refractory branch of update" if not guarded
                                  else "a statement after integrate_odes() in update")
        return integrated or set()

    def _statement(self, stmt, guard: str | None) -> str:
        small = stmt.small_stmt if stmt.is_small_stmt() else None
        if small is not None and small.is_declaration() and small.get_declaration().has_expression():
            decl = small.get_declaration()
            names = [self.r.variable(v) for v in decl.get_variables()]
            if len(names) == 1 and names[0] in self.states:
                target, op, rhs = names[0], "=", self.r.expression(decl.get_expression())
            else:
                raise self.refuse(stmt, f"the local variable `{names[0]}` in update")
        elif small is not None and small.is_assignment():
            assignment = small.get_assignment()
            target, op, rhs = (self.r.variable(assignment.get_variable()), _assign_op(assignment),
                               self.r.expression(assignment.get_expression()))
        else:
            raise self.refuse(stmt, "a statement that is not an assignment in update")
        if guard is None:
            return f"{target} {op} {rhs}"
        new = rhs if op == "=" else f"{target} {op[0]} ({rhs})"
        return f"{target} = ({new}) if {guard} else {target}"

    def _after_integration(self, stmt) -> None:
        """A spike port added to a state after the integration (``V_m += unit_psp * spikes * 1 s``) is a receptor."""
        small = stmt.small_stmt if stmt.is_small_stmt() else None
        if small is None or not small.is_assignment():
            raise self.refuse(stmt, "a statement after integrate_odes() in update")
        assignment = small.get_assignment()
        ports = {p.get_name() for b in self.model.get_input_blocks() for p in b.get_input_ports() if p.is_spike()}
        used = _names(assignment.get_expression()) & ports
        if len(used) != 1 or not (assignment.is_compound_sum or assignment.is_compound_minus):
            text = str(assignment).strip().splitlines()[-1]
            raise self.refuse(stmt, f"the statement `{text}` after integrate_odes() in update")
        port = used.pop()
        self.receive.setdefault(port, []).append(self._port_statement(assignment, port))

    def _port_statement(self, assignment, port: str) -> str:
        saved = dict(self.r.names)
        self.r.names[port] = "(w/second)"
        try:
            return (f"{self.r.variable(assignment.get_variable())} {_assign_op(assignment)} "
                    f"{self.r.expression(assignment.get_expression())}")
        finally:
            self.r.names = saved

    def _receptors(self, ports: dict[str, str]) -> dict[str, Receptor]:
        for block in self.model.get_on_receive_blocks():
            port = block.get_port_name()
            for stmt in block.get_stmts_body().get_stmts():
                small = stmt.small_stmt if stmt.is_small_stmt() else None
                if small is None or not small.is_assignment():
                    raise self.refuse(stmt, "a statement other than an assignment in onReceive")
                self.receive.setdefault(port, []).append(self._port_statement(small.get_assignment(), port))
        for (_, port), kernel in self.kernels.items():
            for state, jump in kernel.jumps.items():
                amount = "w" if jump.strip("() ") in ("1", "1.0") else f"w * {jump}"
                self.receive.setdefault(port, []).append(f"{state} += {amount}")
        self._finish_equations()
        return {port: Receptor("\n".join(lines), weight_unit="1")
                for port, lines in sorted(self.receive.items(), key=lambda kv: list(ports).index(kv[0]))}

    def _finish_equations(self) -> None:
        for low, rhs in self.ode_lines:
            dim, var_type, _ = self.states.pop(low, (None, "float", None))
            base = low.split("__d")[0]
            if "__delta__" in rhs:
                rhs = self._delta(low, rhs, base)
            flag = " (unless refractory)" if base in self.unless else ""
            self.kernel_lines.append(f"d{low}/dt = {rhs} : {declared_unit(dim, var_type)}{flag}")
        for name, (dim, var_type, decl) in self.states.items():
            if name == self.timer:
                continue
            self.lines.append(f"{name} : {declared_unit(dim, var_type)}")
        self._initial_values([low for low, _ in self.ode_lines] + [n for n in self.states if n != self.timer])
        self.lines.extend(self.kernel_lines)

    def _initial_values(self, names: list[str]) -> None:
        """Initial values over parameters only: the internals and earlier states they name are written out."""
        internals = [(v.get_name(), d) for b in self.model.get_internals_blocks() for d in b.get_declarations()
                     for v in d.get_variables()]
        states = [(v, d) for b in self.model.get_state_blocks() for d in b.get_declarations()
                  for v in d.get_variables() if d.has_expression()]
        env: dict[str, str] = {}
        starts: dict[str, str] = {}
        # Internals may name states (their initial values) and states internals: three rounds resolve the chains.
        for _ in range(3):
            for name, decl in internals:
                env[name] = f"({self.r.expression(decl.get_expression(), env)})"
            for var, decl in states:
                ours = self.r.variable(var)
                starts[ours] = self.r.expression(decl.get_expression(), {k: v for k, v in env.items()
                                                                         if k != var.get_name()})
                if var.get_differential_order() == 0:
                    env[var.get_name()] = f"({starts[ours]})"
        for name in names:
            if name in starts and starts[name].strip("() ") not in ("0", "0.0"):
                self.initial[name] = starts[name]

    def _delta(self, state: str, rhs: str, base: str) -> str:
        """A delta kernel in ``dstate/dt``: the rhs without it, and a jump by its coefficient times ``w``."""
        for port in self.delta_ports:
            jump = f"(({rhs.replace('__delta__', '1')}) - ({rhs.replace('__delta__', '0')})) * (1*ms)"
            guard = f" if not_refractory else 0*({jump})" if base in self.unless else ""
            self.receive.setdefault(port, []).append(f"{state} += w * {jump}{guard}")
        return rhs.replace("__delta__", "0")

    def _checked(self, spec: ModelSpec) -> ModelSpec:
        try:
            checked = check_model(spec)
        except ModelError as exc:
            raise NestmlRefused(f"{self.filename}: the converted model fails our check: {exc.problems[0]}") from exc
        values = {n: E.Const(p.value) for n, p in checked.parameters.items()}
        folded = {n: E.fold(E.substitute(s.rhs, values)) for n, s in checked.states.items()}
        if choose_method(folded, checked.stochastic) == "exact":
            return replace(spec, method="exact")
        return replace(spec, method=_NONLINEAR_METHOD, substeps=_NONLINEAR_SUBSTEPS, substep_reset=True)


def _assign_op(assignment) -> str:
    for flag, op in (("is_compound_sum", "+="), ("is_compound_minus", "-="), ("is_compound_product", "*="),
                     ("is_compound_quotient", "/=")):
        if getattr(assignment, flag):
            return op
    return "="


def _is_emit(stmt) -> bool:
    return _is_call_stmt(stmt, "emit_spike")


def _is_call_stmt(stmt, name: str) -> bool:
    return (stmt.is_small_stmt() and stmt.small_stmt.is_function_call()
            and stmt.small_stmt.get_function_call().get_name() == name)


def _names(node) -> set[str]:
    """The names of the variables ``node`` refers to (also inside calls)."""
    from pynestml.meta_model.ast_variable import ASTVariable

    if isinstance(node, ASTVariable):
        return {node.get_name()}
    return set().union(*(_names(child) for child in node.get_children()))


def _is_call(node, name: str) -> bool:
    simple = _simple(node)
    return simple is not None and simple.is_function_call() and simple.get_function_call().get_name() == name


def _is_variable(node, name: str) -> bool:
    simple = _simple(node)
    return (simple is not None and simple.is_variable() and simple.get_variable().get_name() == name
            and simple.get_variable().get_differential_order() == 0)


def _simple(node):
    from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

    while not isinstance(node, ASTSimpleExpression):
        if node.is_compound_expression() or node.is_unary_operator() or node.is_ternary_operator() \
                or node.is_logical_not or node.get_expression() is None:
            return None
        node = node.get_expression()
    return node


def _factors(node) -> list:
    """The factors of a product ``a * b * ...`` (a divisor counts as one factor ``1/(d)`` when it has no ``t``)."""
    from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

    if isinstance(node, ASTSimpleExpression):
        return [node]
    if node.is_encapsulated and node.get_expression() is not None:
        return _factors(node.get_expression())
    if node.is_compound_expression() and node.get_binary_operator().__class__.__name__ == "ASTArithmeticOperator":
        op = node.get_binary_operator()
        if op.is_times_op:
            return _factors(node.get_lhs()) + _factors(node.get_rhs())
    return [node]


def _decay_time(arg):
    """``tau`` of an exponent ``-t/tau`` (``None`` for any other exponent)."""
    from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

    node, negated = arg, False
    if _negated(node) is not None:
        negated, node = True, _negated(node)
    if isinstance(node, ASTSimpleExpression) or not node.is_compound_expression():
        return None
    if not node.get_binary_operator().__class__.__name__ == "ASTArithmeticOperator" \
            or not node.get_binary_operator().is_div_op:
        return None
    lhs = node.get_lhs()
    if not negated and _negated(lhs) is not None:
        negated, lhs = True, _negated(lhs)
    if negated and _is_variable(lhs, "t") and "t" not in _names(node.get_rhs()):
        return node.get_rhs()
    return None


def _negated(node):
    """The operand of ``-operand``, or ``None`` when ``node`` is no unary minus."""
    from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

    if not isinstance(node, ASTSimpleExpression) and node.is_unary_operator() \
            and node.get_unary_operator().is_unary_minus:
        return node.get_expression()
    return None


def _conjuncts(node) -> list:
    """The terms of ``a and b and ...``."""
    from pynestml.meta_model.ast_simple_expression import ASTSimpleExpression

    if not isinstance(node, ASTSimpleExpression) and node.is_compound_expression() \
            and type(node.get_binary_operator()).__name__ == "ASTLogicalOperator" \
            and node.get_binary_operator().is_logical_and:
        return _conjuncts(node.get_lhs()) + _conjuncts(node.get_rhs())
    return [node]
