"""Compile a :class:`~engine.equations.ir.NeuronIR` into VM bytecode.

The program runs, per block of neurons: (refractory condition), update,
receive, ``spike = threshold and not_refractory``, then the reset behind a
jump that skips it when no neuron of the block spikes.  Register 0 holds
``not_refractory`` and register 1 the spike flag.  The same compiler serves the
float VM and, with a :class:`~engine.fixedpoint.QFormat`, the fixed-point VM:
there constants are quantized (the factor of a ``mulk`` with ``e`` extra fraction
bits, in the instruction's field ``c``), powers with constant integer exponents
become products and transcendental functions become table look-ups.

A model integrated with rkf45 (in float64) has one ``ode`` instruction where
the integration goes: the two programs it runs follow it in the code (the
derivatives, then the threshold test and reset after each step), and its
layout is described in the constant table (:func:`_Compiler.adaptive`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.errors import ModelError
from engine.equations import expr as E
from engine.equations.elementary import lower_elementary
from engine.equations.ir import ADAPTIVE_FIRED, ADAPTIVE_STEP, Adaptive, Assign, NeuronIR
from engine.fixedpoint import QFormat, function_table
from engine.native import vm as _vm

OP = _vm.OPCODES
FN = _vm.FUNCTION_CODES
SPECIAL = _vm.SPECIAL_CODES
NR, SPK = 0, 1


@dataclass(frozen=True)
class Program:
    """Bytecode and its tables, ready for the VM."""

    code: np.ndarray  # int32 (n, 5)
    consts: np.ndarray  # float64 or int64
    nregs: int
    ref_mode: int  # 0 none, 1 counter, 2 computed by the program
    slot_names: tuple[str, ...]
    fmt: QFormat | None = None
    knots: np.ndarray | None = None
    tables: np.ndarray | None = None

    def listing(self) -> str:
        names = {v: k for k, v in OP.items()}
        return "\n".join(f"{i:4d} {names[int(r[0])]:8s} {r[1]:4d} {r[2]:4d} {r[3]:4d} {r[4]:4d}"
                         for i, r in enumerate(self.code))


def lower_for_fixed(e: E.Expr) -> E.Expr:
    """Rewrite what fixed point has no direct rule for: powers, exprel of a product."""
    kids = tuple(lower_for_fixed(k) for k in E.children(e))
    e = E.rebuild(e, kids) if kids else e
    if isinstance(e, E.Binary) and e.op == "**":
        base, p = e.a, e.b
        if isinstance(p, E.Const):
            if p.value == int(p.value) and 0 <= p.value <= 16:
                n = int(p.value)
                if n == 0:
                    return E.ONE
                out = base
                for _ in range(n - 1):
                    out = E.Binary("*", out, base)
                return out
            if p.value == 0.5:
                return E.Call("sqrt", (base,))
            if p.value == -1:
                return E.Binary("/", E.ONE, base)
        return E.Call("exp", (E.Binary("*", p, E.Call("log", (base,))),))
    return e


class _Compiler:
    def __init__(self, ir: NeuronIR, fmt: QFormat | None, rows: dict[str, int] | None = None):
        self.ir = ir
        self.fmt = fmt
        self.slot_index = rows if rows is not None else {s.name: i for i, s in enumerate(ir.slots)}
        self.code: list[list[int]] = []
        self.consts: list[float | int] = []
        self.const_index: dict[float | int, int] = {}
        self.next_vreg = 2
        self.cache: dict[str, int] = {}  # slot or temp name -> vreg holding its current value
        self.temps: dict[str, int] = {}
        self.const_regs: dict[int, int] = {}
        self.rand_sites = 0
        self.tables: list = []
        self.table_index: dict[str, int] = {}

    def vreg(self) -> int:
        self.next_vreg += 1
        return self.next_vreg - 1

    def emit(self, op: str, dst: int = 0, a: int = 0, b: int = 0, c: int = 0) -> None:
        self.code.append([OP[op], dst, a, b, c])

    def const(self, value: float) -> int:
        v = self.fmt.quantize(value) if self.fmt is not None else float(value)
        return self.intern(v)

    def intern(self, v: float | int) -> int:
        """The index of ``v`` in the constant table (equal raw values share one entry)."""
        key = v if self.fmt is not None else (float(v), math.copysign(1.0, v) if v == 0 else 0.0)
        if key not in self.const_index:
            self.const_index[key] = len(self.consts)
            self.consts.append(v)
        return self.const_index[key]

    def mulk(self, r: int, a: int, value: float) -> None:
        """``r = a * value``: in fixed point the factor has its own precision, ``raw / 2**(frac + e)``
        (docs/fixed-point.md section 3), and ``e`` goes into the instruction's field ``c``."""
        if self.fmt is None:
            self.emit("mulk", r, a, self.const(value))
            return
        raw, e = self.fmt.coefficient(value)
        self.emit("mulk", r, a, self.intern(raw), e)

    # -- expressions -----------------------------------------------------
    def expr(self, e: E.Expr) -> int:
        if isinstance(e, E.Const):
            k = self.const(e.value)
            if k not in self.const_regs:
                r = self.vreg()
                self.emit("loadk", r, k)
                self.const_regs[k] = r
            return self.const_regs[k]
        if isinstance(e, E.Ref):
            return self.ref(e.name)
        if isinstance(e, E.Unary):
            a = self.expr(e.a)
            r = self.vreg()
            self.emit("neg" if e.op == "-" else "not", r, a)
            return r
        if isinstance(e, E.Binary):
            if e.op in ("*", "+") and isinstance(e.a, E.Const) != isinstance(e.b, E.Const):
                k, x = (e.b, e.a) if isinstance(e.b, E.Const) else (e.a, e.b)
                a = self.expr(x)
                r = self.vreg()
                if e.op == "*":
                    self.mulk(r, a, k.value)
                else:
                    self.emit("addk", r, a, self.const(k.value))
                return r
            a = self.expr(e.a)
            b = self.expr(e.b)
            r = self.vreg()
            self.emit(e.op, r, a, b)
            return r
        if isinstance(e, E.Select):
            c = self.expr(e.cond)
            a = self.expr(e.a)
            b = self.expr(e.b)
            r = self.vreg()
            self.emit("select", r, c, a, b)
            return r
        if isinstance(e, E.Call):
            return self.call(e)
        raise TypeError(e)

    def call(self, e: E.Call) -> int:
        if e.fn in ("rand", "randn"):
            r = self.vreg()
            self.emit(e.fn, r, self.rand_sites)
            self.rand_sites += 1
            return r
        args = [self.expr(a) for a in e.args]
        r = self.vreg()
        if e.fn == "clip":
            self.emit("clip", r, *args)
        elif self.fmt is not None and e.fn not in ("abs", "floor", "ceil", "int", "sign"):
            self.emit("table", r, args[0], self.table(e.fn))
        else:
            self.emit("call", r, args[0], FN[e.fn])
        return r

    def table(self, fn: str) -> int:
        if fn not in self.table_index:
            self.table_index[fn] = len(self.tables)
            self.tables.append(function_table(fn, self.fmt))
        return self.table_index[fn]

    def ref(self, name: str) -> int:
        if name in self.temps:
            return self.temps[name]
        if name in self.cache:
            return self.cache[name]
        if name == "not_refractory":
            return NR
        if name in SPECIAL:
            r = self.vreg()
            self.emit("special", r, SPECIAL[name])
            self.cache[name] = r
            return r
        if name not in self.slot_index:
            raise ModelError(f"the IR refers to `{name}`, which is neither a slot nor a temporary")
        r = self.vreg()
        self.emit("load", r, self.slot_index[name])
        self.cache[name] = r
        return r

    def assign(self, a: Assign, cond: int | None = None) -> None:
        value = self.expr(a.expr)
        if a.target.startswith("_"):
            self.temps[a.target] = value
            return
        slot = self.slot_index[a.target]
        if cond is None:
            self.emit("store", slot, value)
        else:
            self.emit("storeif", slot, value, cond)
        # A fixed-point store narrows the value; re-read it next time.
        self.cache.pop(a.target, None)
        if self.fmt is None and cond is None:
            self.cache[a.target] = value

    def compile(self) -> Program:
        ir = self.ir
        prep = lower_for_fixed if self.fmt is not None else lower_elementary
        ref_mode = {"none": 0, "steps": 1, "param": 1, "condition": 2}[ir.refractory_kind]
        if ir.refractory_kind == "condition":
            cond = self.expr(prep(ir.refractory_condition))
            self.emit("not", NR, cond)
        for a in ir.update:
            self.assign(Assign(a.target, prep(a.expr)))
        ode_at = None
        if ir.adaptive is not None:
            ode_at = len(self.code)
            self.emit("ode")
            self.cache.clear()
        for stmts in ir.receive.values():
            for a in stmts:
                self.assign(Assign(a.target, prep(a.expr)))
        if ir.threshold is None:
            self.emit("loadk", SPK, self.const(0.0))
        else:
            thr = self.expr(prep(ir.threshold))
            self.emit("and", SPK, thr, NR)
        if ir.reset:
            jump_at = len(self.code)
            self.emit("skipnone", 0, SPK, 0)
            self.cache.clear()
            self.const_regs.clear()
            for a in ir.reset:
                self.assign(Assign(a.target, prep(a.expr)), cond=SPK)
            self.code[jump_at][3] = len(self.code) - jump_at - 1
        code = np.array(self.code, dtype=np.int32).reshape(-1, 5)
        code, nregs = allocate_registers(code)
        if ode_at is not None:
            code, nregs = self.adaptive(ir.adaptive, code, ode_at, nregs)
        if self.fmt is not None:
            knots, tables = [], []
            for t in self.tables:
                tables.append([t.lo, t.shift, len(knots), t.segments])
                knots.extend(t.knots)
            consts = np.array(self.consts or [0], dtype=np.int64)
            return Program(code, consts, nregs, ref_mode, ir.slot_names, self.fmt,
                           np.array(knots, dtype=np.int64), np.array(tables, dtype=np.int64).reshape(-1, 4))
        return Program(code, np.array(self.consts or [0.0], dtype=np.float64), nregs, ref_mode, ir.slot_names)

    def adaptive(self, ode: Adaptive, code: np.ndarray, at: int, nregs: int) -> tuple[np.ndarray, int]:
        """Fill in the ``ode`` instruction at ``at``: its two programs follow it, its layout goes to the constants.

        The programs run on rows of their own for the neurons being integrated
        (ext/vm.pyx ``_rkf45_block``): every slot's row, then rows for ``t``,
        ``not_refractory`` and ``i``, one derivative row per state and the
        ``fired`` row.  Their registers follow the main program's; after them
        come the integrator's working rows.
        """
        names = self.ir.slot_names
        nslots, nstates = len(names), len(ode.states)
        if nstates > _vm.MAX_ADAPTIVE_STATES or nslots + 4 + nstates > _vm.MAX_ADAPTIVE_ROWS:
            raise ModelError(f"`{self.ir.name}` is too large for rkf45 ({nstates} states and {nslots} slots; "
                             f"at most {_vm.MAX_ADAPTIVE_STATES} states and {_vm.MAX_ADAPTIVE_ROWS - 4} rows)")
        rows = {name: k for k, name in enumerate(names)}
        special = {"t": "rkf45.t", "not_refractory": "rkf45.nr", "i": "rkf45.i"}
        for k, name in enumerate((*special.values(), *(f"rkf45.d.{s}" for s in ode.states), "rkf45.fired.now")):
            rows[name] = nslots + k
        local = {n: E.Ref(v) for n, v in special.items()}
        prep = lower_elementary

        def sub(stmts: list[tuple[str, E.Expr]], cond: str | None = None) -> tuple[np.ndarray, int]:
            c = _Compiler(self.ir, None, rows)
            c.consts, c.const_index = self.consts, self.const_index
            for target, e in stmts:
                e = prep(E.substitute(e, local))
                if target == cond:
                    c.temps[cond] = c.expr(e)
                    continue
                c.assign(Assign(target, e), cond=c.temps[cond] if cond and target in reset_targets else None)
            return allocate_registers(np.array(c.code, dtype=np.int32).reshape(-1, 5))

        reset_targets = {a.target for a in ode.reset}
        rhs, rhs_regs = sub([(f"rkf45.d.{s}", d) for s, d in zip(ode.states, ode.derivatives)])
        event, event_regs = np.zeros((0, 5), dtype=np.int32), 0
        if ode.threshold is not None:
            fired = "_fired"
            nr = E.Ref("not_refractory")
            event, event_regs = sub(
                [(fired, E.Binary("and", ode.threshold, nr)), *((a.target, a.expr) for a in ode.reset),
                 ("rkf45.nr", E.Binary("and", nr, E.Unary("not", E.Binary("and", E.Ref(fired), ode.refractory)))),
                 ("rkf45.fired.now", E.Ref(fired))], cond=fired)
        written = [rows[s] for s in dict.fromkeys((*ode.states, *reset_targets))]
        layout = [nslots, nstates, nregs, nregs + max(rhs_regs, event_regs), ode.eps_abs, ode.eps_rel, ode.a_y,
                  ode.a_dydt, rows[ADAPTIVE_STEP], rows.get(ADAPTIVE_FIRED, -1), self.ir.dt, len(written),
                  *(rows[s] for s in ode.states), *written]
        first = len(self.consts)
        self.consts.extend(float(v) for v in layout)
        code[at] = [OP["ode"], len(rhs), len(event), first, 0]
        scratch = nslots + 4 + nstates + 10 * nstates + 9
        return (np.concatenate([code[:at + 1], rhs, event, code[at + 1:]]),
                nregs + max(rhs_regs, event_regs) + scratch)


def compile_program(ir: NeuronIR, fmt: QFormat | None = None) -> Program:
    """Bytecode for ``ir`` (float64, or fixed point in ``fmt``).

    rkf45 has no fixed-point meaning: in fixed point a model integrated with it runs its fixed-step form
    (``ir.fixed_step``: rk4 in the model's substeps, docs/integration.md).
    """
    if fmt is not None and ir.fixed_step is not None:
        ir = ir.fixed_step
    return _Compiler(ir, fmt).compile()


def read_fields(op: int) -> tuple[int, ...]:
    """The instruction fields that name registers read by ``op``."""
    if op in (OP["load"], OP["loadk"], OP["rand"], OP["randn"], OP["special"], OP["ode"]):
        return ()
    if op == OP["storeif"]:
        return (2, 3)
    if op in (OP["select"], OP["clip"]):
        return (2, 3, 4)
    if op in (OP["store"], OP["neg"], OP["not"], OP["call"], OP["table"], OP["mulk"], OP["addk"],
              OP["skipnone"]):
        return (2,)
    return (2, 3)


def writes_register(op: int) -> bool:
    """Whether ``op`` writes the register its ``dst`` field names."""
    return op not in (OP["store"], OP["storeif"], OP["skipnone"], OP["ode"])


def allocate_registers(code: np.ndarray) -> tuple[np.ndarray, int]:
    """Map virtual registers to few physical ones by liveness (registers 0 and 1 are fixed).

    The program is straight-line apart from the forward jump over the reset,
    and nothing after the reset reads a value defined in it, so linear
    liveness is exact.
    """
    last_use: dict[int, int] = {}
    for i, row in enumerate(code):
        for f in read_fields(int(row[0])):
            last_use[int(row[f])] = i
    out = code.copy()
    phys: dict[int, int] = {0: 0, 1: 1}
    free: list[int] = []
    nregs = 2
    for i, row in enumerate(code):
        op = int(row[0])
        for f in read_fields(op):
            out[i, f] = phys[int(row[f])]
        for f in read_fields(op):
            v = int(row[f])
            if v > 1 and last_use.get(v) == i and v in phys:
                free.append(phys.pop(v))
        if writes_register(op):
            v = int(row[1])
            if v in (0, 1):
                continue
            p = free.pop() if free else nregs
            nregs = max(nregs, p + 1)
            phys[v] = p
            out[i, 1] = p
            if v not in last_use:
                free.append(phys.pop(v))
    return out, nregs
