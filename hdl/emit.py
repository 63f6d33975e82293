"""Verilog-2005 for one neuron: one fixed-point step of the IR per clock.

:func:`emit_neuron` renders a :class:`~engine.equations.ir.NeuronIR` in a
:class:`~engine.fixedpoint.QFormat` as a module that does, on each rising clock
edge with ``en`` high, exactly what the fixed-point VM (ext/vm.pyx) does for one
neuron in one step, bit for bit: the same operations in the same order as the
bytecode compiler (engine/program.py, after ``lower_for_fixed``), every result
limited to the accumulator, every store to the storage width, the same
overflow counts.  docs/fixed-point.md is the specification of each rule.

A division by a constant becomes a multiplication by a magic number followed by
a shift, exact for every numerator the accumulator can hold, so it needs no
divider; only a division by a non-constant is emitted as ``/``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from engine.errors import NeuroCoreError
from engine.equations import expr as E
from engine.equations.ir import NeuronIR
from engine.fixedpoint import FunctionTable, QFormat, function_table
from engine.program import lower_for_fixed
from engine.native import vm as _vm

COUNTER_BITS = 32
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
_HASH = (0xD1B54A32D192ED03, 0x8CB92BA72F3D8DD7, 0xA0761D6478BD642F)
# randn's twelve uniforms come from sites above every rand site (the VM's constant).
IRWIN_HALL_SITES = _vm.RANDN_SITE_OFFSET
_SPECIALS = {"t": "nc_t", "dt": "nc_dt", "i": "nc_index", "N": "nc_population"}
_KEYWORDS = frozenset("""
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam
design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable
endtask event for force forever fork function generate genvar highz0 highz1 if ifnone incdir include initial inout
input instance integer join large liblist library localparam macromodule medium module nand negedge nmos nor
noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup
pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1
scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 table task time tran
tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire
wor xnor xor bit byte int logic shortint longint
""".split())
# C++ keywords too: Verilator renames such ports in the model class a testbench drives.
_CXX_KEYWORDS = frozenset("""
alignas alignof asm auto bool break catch char class const constexpr const_cast continue decltype delete do double
dynamic_cast enum explicit export extern false float friend goto inline long mutable namespace new noexcept nullptr
operator private protected public register reinterpret_cast return short sizeof static static_assert static_cast
struct switch template this thread_local throw true try typedef typeid typename union using virtual void volatile
wchar_t
""".split())
_FIXED_NAMES = frozenset({"clk", "rst", "en", "spike", "refractory_count", "ACC", "TOTAL", "FRAC", "WIDE", "ACC_MAX",
                          "ACC_MIN", "TOTAL_MAX", "TOTAL_MIN", "REFRACTORY_STEPS", "SEED", "NEURON", "POPULATION"})


class EmitError(NeuroCoreError):
    """The IR uses something the Verilog emitter cannot express.

    ``where`` names the statement (``update of `V_m` ``, ``threshold``, ...) and
    ``expression`` its text, when the failure is inside one.
    """

    def __init__(self, message: str, where: str | None = None, expression: str | None = None):
        super().__init__(message if where is None else f"{where}: {message}")
        self.where = where
        self.expression = expression


def _rendered(r: "VerilogRenderer", where: str, expr: E.Expr) -> str:
    """Render one statement's expression, naming the statement if the emitter cannot."""
    try:
        return r.render(lower_for_fixed(expr))
    except EmitError as exc:
        raise EmitError(str(exc), where, E.to_text(expr)) from exc


@dataclass(frozen=True)
class ConstantDivider:
    """``trunc(n / d)`` for every ``|n| < 2**width`` as ``(|n| * magic) >> shift`` with signs restored.

    Granlund and Montgomery (1994), theorem 4.2: with ``l = ceil(log2 |d|)`` and
    ``magic = ceil(2**(width + l) / |d|)``, ``floor(u / |d|) == (u * magic) >> (width + l)``
    for all ``0 <= u < 2**width``.  A power of two needs only the shift.
    """

    divisor: int
    width: int
    magic: int
    shift: int

    @classmethod
    def for_divisor(cls, d: int, width: int) -> "ConstantDivider":
        if d == 0:
            raise ValueError("no divider for zero")
        a = abs(d)
        l = (a - 1).bit_length()
        if a & (a - 1) == 0:
            return cls(d, width, 1, l)
        return cls(d, width, -(-(1 << (width + l)) // a), width + l)

    def __call__(self, n: int) -> int:
        q = (abs(n) * self.magic) >> self.shift
        return -q if (n < 0) != (self.divisor < 0) else q


@dataclass(frozen=True)
class NeuronVerilog:
    """An emitted neuron module and what a testbench or a network top needs to drive it."""

    module: str
    text: str
    fmt: QFormat
    inputs: tuple[str, ...]  # input slots, in port order
    registers: tuple[str, ...]  # slots held in registers (state, param, lastspike when read)
    ports: dict[str, str]  # slot -> port name
    reset_values: dict[str, int]  # register slot -> raw value after rst
    counter_width: int
    refractory_steps: int
    overflow_slots: tuple[str, ...]  # slots with an overflow counter port `overflows_<port>`
    divides: bool  # a `/` by a non-constant was emitted
    random: bool  # rand/randn used (parameters SEED and NEURON)


def _port_name(slot: str) -> str:
    if (slot in _KEYWORDS or slot in _CXX_KEYWORDS or slot in _FIXED_NAMES
            or slot.lower().startswith(("nc_", "overflows_"))):
        return f"slot_{slot}"
    return slot


def _hex(value: int, bits: int) -> str:
    return f"{bits}'h{value & ((1 << bits) - 1):x}"


def _signed(value: int, bits: int) -> str:
    return f"$signed({_hex(value, bits)})"


def refractory_steps(ir: NeuronIR, fmt: QFormat) -> int:
    """The refractory counter's reload value, as :class:`~engine.vm.PopulationVM` derives it."""
    if ir.refractory_kind == "param":
        raw = register_reset_value(ir, fmt, ir.refractory_param)
        return int(np.rint(fmt.to_float(raw) / ir.dt))
    return int(ir.refractory_steps)


def register_reset_value(ir: NeuronIR, fmt: QFormat, name: str) -> int:
    """A slot's initial raw value: quantized (a huge value becomes the minimum), within storage."""
    v = ir.slots[ir.slot_index(name)].initial
    raw = fmt.quantize(v) if abs(v) < 1e300 else fmt.store_min
    return min(max(raw, fmt.store_min), fmt.store_max)


def _reads(ir: NeuronIR) -> set[str]:
    trees = [a.expr for a in ir.update] + [a.expr for s in ir.receive.values() for a in s]
    trees += [a.expr for a in ir.reset]
    trees += [t for t in (ir.threshold, ir.refractory_condition) if t is not None]
    out: set[str] = set()
    for t in trees:
        out |= E.names(t)
    return out


class VerilogRenderer:
    """Renders IR expression trees as Verilog wires, one ``render_<Node>`` per node type.

    Each method returns the name of an ``ACC``-bit signed wire holding the
    node's value and appends the declarations it needs to :attr:`body`.
    Operations that can overflow leave a flag in :attr:`pending`; the next
    store charges them to its slot, as the VM does.
    """

    def __init__(self, ir: NeuronIR, fmt: QFormat, ports: dict[str, str]):
        self.ir = ir
        self.fmt = fmt
        self.ports = ports
        self.body: list[str] = []
        self.count = 0
        self.consts: dict[int, str] = {}
        self.current: dict[str, str] = {}  # slot -> wire with its value as the program has it now
        self.temps: dict[str, str] = {}
        self.pending: list[str] = []
        self.increments: dict[str, list[str]] = defaultdict(list)
        self.rand_sites = 0
        self.tables: dict[str, tuple[str, FunctionTable]] = {}
        self.divides = False
        self.stored: set[str] = set()
        self.specials: set[str] = set()
        self.wide = 2 * fmt.acc + 2

    # -- helpers ----------------------------------------------------------------
    def fresh(self, prefix: str = "v") -> str:
        self.count += 1
        return f"nc_{prefix}{self.count}"

    def acc_wire(self, expr: str, prefix: str = "v") -> str:
        name = self.fresh(prefix)
        self.body.append(f"    wire signed [ACC-1:0] {name} = {expr};")
        return name

    def wide_wire(self, expr: str) -> str:
        name = self.fresh("x")
        self.body.append(f"    wire signed [WIDE-1:0] {name} = {expr};")
        return name

    def limited(self, wide: str, counted: bool = True) -> str:
        """An ACC-bit wire of ``wide`` saturated or wrapped; its overflow flag joins :attr:`pending`."""
        if counted:
            flag = self.fresh("o")
            self.body.append(f"    wire {flag} = nc_bad({wide});")
            self.pending.append(flag)
        return self.acc_wire(f"nc_lim({wide})")

    def boolean(self, cond: str) -> str:
        return self.acc_wire(f"{{{{(ACC-1){{1'b0}}}}, {cond}}}", "b")

    def render(self, e: E.Expr) -> str:
        method = getattr(self, f"render_{type(e).__name__}", None)
        if method is None:
            raise EmitError(f"the Verilog emitter has no rule for {type(e).__name__}")
        return method(e)

    # -- one method per node type ---------------------------------------------------
    def render_Const(self, e: E.Const) -> str:
        raw = self.fmt.quantize(e.value)
        if raw not in self.consts:
            name = f"NC_K{len(self.consts)}"
            self.consts[raw] = name
        return self.consts[raw]

    def render_Ref(self, e: E.Ref) -> str:
        name = e.name
        if name in self.temps:
            return self.temps[name]
        if name in self.current:
            return self.current[name]
        if name == "not_refractory":
            return "nc_nr"
        if name in _SPECIALS:
            self.specials.add(name)
            return _SPECIALS[name]
        if name not in self.ports:
            raise EmitError(f"the IR refers to `{name}`, which is neither a slot nor a temporary")
        self.current[name] = self.acc_wire(f"nc_sx_total({self.ports[name]})", "l")
        return self.current[name]

    def render_Unary(self, e: E.Unary) -> str:
        a = self.render(e.a)
        if e.op == "-":
            return self.limited(self.wide_wire(f"-nc_sx({a})"))
        return self.boolean(f"{a} == NC_ZERO")

    def render_Binary(self, e: E.Binary) -> str:
        if e.op in ("*", "+") and isinstance(e.a, E.Const) != isinstance(e.b, E.Const):
            # mulk / addk: the compiler evaluates the non-constant side only.
            other, k = (e.b, e.a) if isinstance(e.a, E.Const) else (e.a, e.b)
            a, b = self.render(other), self.render(k)
        elif e.op == "/" and isinstance(e.b, E.Const):
            return self.constant_division(self.render(e.a), self.fmt.quantize(e.b.value))
        else:
            a, b = self.render(e.a), self.render(e.b)
        op = e.op
        if op in ("+", "-"):
            return self.limited(self.wide_wire(f"nc_sx({a}) {op} nc_sx({b})"))
        if op == "*":
            product = self.wide_wire(f"nc_sx({a}) * nc_sx({b})")
            return self.limited(self.wide_wire(f"nc_shift({product})"))
        if op == "/":
            return self.division(a, b)
        if op in ("<", "<=", ">", ">=", "==", "!="):
            return self.boolean(f"{a} {op} {b}")
        if op in ("and", "or"):
            return self.boolean(f"({a} != NC_ZERO) {'&&' if op == 'and' else '||'} ({b} != NC_ZERO)")
        raise EmitError(f"the Verilog emitter has no rule for the operator `{op}` (after lowering)")

    def render_Select(self, e: E.Select) -> str:
        c, a, b = self.render(e.cond), self.render(e.a), self.render(e.b)
        return self.acc_wire(f"({c} != NC_ZERO) ? {a} : {b}")

    def render_Call(self, e: E.Call) -> str:
        if e.fn in ("rand", "randn"):
            site = self.rand_sites
            self.rand_sites += 1
            return self.random(e.fn, site)
        args = [self.render(a) for a in e.args]
        if e.fn == "clip":
            v, lo, hi = args
            return self.acc_wire(f"({v} < {lo}) ? {lo} : (({v} > {hi}) ? {hi} : {v})")
        a = args[0]
        frac = self.fmt.frac
        if e.fn == "abs":
            return self.limited(self.wide_wire(f"{a}[ACC-1] ? -nc_sx({a}) : nc_sx({a})"))
        if e.fn == "floor":
            return self.limited(self.wide_wire(f"nc_floor(nc_sx({a}))"), counted=False)
        if e.fn == "ceil":
            return self.limited(self.wide_wire(f"-nc_floor(-nc_sx({a}))"), counted=False)
        if e.fn == "int":
            return self.limited(self.wide_wire(
                f"{a}[ACC-1] ? -nc_floor(-nc_sx({a})) : nc_floor(nc_sx({a}))"), counted=False)
        if e.fn == "sign":
            one = _signed(1 << frac, self.wide)
            return self.limited(self.wide_wire(
                f"({a} > NC_ZERO) ? {one} : (({a} < NC_ZERO) ? -{one} : {_signed(0, self.wide)})"), counted=False)
        return self.table(e.fn, a)

    # -- operations that need more than one line ------------------------------------
    def division(self, a: str, b: str) -> str:
        """``(a << FRAC) / b`` truncated toward zero; a zero divisor gives the signed maximum."""
        self.divides = True
        q = self.wide_wire(f"({b} == NC_ZERO) ? {_signed(0, self.wide)} : (nc_sx({a}) <<< FRAC) / nc_sx({b})")
        flag = self.fresh("o")
        self.body.append(f"    wire {flag} = ({b} == NC_ZERO) || nc_bad({q});")
        self.pending.append(flag)
        return self.acc_wire(f"({b} == NC_ZERO) ? ({a}[ACC-1] ? ACC_MIN : ACC_MAX) : nc_lim({q})")

    def constant_division(self, a: str, d: int) -> str:
        if d == 0:
            flag = self.fresh("o")
            self.body.append(f"    wire {flag} = 1'b1;")
            self.pending.append(flag)
            return self.acc_wire(f"{a}[ACC-1] ? ACC_MIN : ACC_MAX")
        width = self.fmt.acc + self.fmt.frac
        div = ConstantDivider.for_divisor(d, width)
        num = self.wide_wire(f"nc_sx({a}) <<< FRAC")
        neg = self.fresh("n")
        mag = self.fresh("u")
        self.body.append(f"    wire [WIDE-1:0] {neg} = -{num};")
        self.body.append(f"    wire [{width - 1}:0] {mag} = "
                         f"{num}[WIDE-1] ? {neg}[{width - 1}:0] : {num}[{width - 1}:0];")
        q = self.fresh("q")
        if div.magic == 1:
            qw = width - div.shift
            self.body.append(f"    wire [{qw - 1}:0] {q} = {mag}[{width - 1}:{div.shift}];")
        else:
            mw = div.magic.bit_length()
            pw = width + mw
            qw = pw - div.shift
            prod = self.fresh("m")
            self.body.append(f"    wire [{pw - 1}:0] {prod} = {{{{{mw}{{1'b0}}}}, {mag}}} * "
                             f"{{{{{width}{{1'b0}}}}, {mw}'d{div.magic}}};")
            self.body.append(f"    wire [{qw - 1}:0] {q} = {prod}[{pw - 1}:{div.shift}];")
        flip = f"{num}[WIDE-1]" if d > 0 else f"!{num}[WIDE-1]"
        ext = f"$signed({{{{{self.wide - qw}{{1'b0}}}}, {q}}})"
        return self.limited(self.wide_wire(f"{flip} ? -{ext} : {ext}"))

    def table(self, fn: str, a: str) -> str:
        if fn not in self.tables:
            self.tables[fn] = (f"nc_table_{fn}", function_table(fn, self.fmt))
        name, t = self.tables[fn]
        kbits = max(1, (t.segments + 1).bit_length())
        d = self.wide_wire(f"nc_sx({a}) - nc_sx({_signed(t.lo, self.fmt.acc)})")
        k = self.fresh("k")
        self.body.append(f"    wire [{kbits - 1}:0] {k} = {d}[{kbits + t.shift - 1}:{t.shift}];")
        base = self.acc_wire(f"{name}({k})")
        nxt = self.acc_wire(f"{name}({k} + {kbits}'d1)")
        rem = self.wide_wire(f"{d} & {_signed((1 << t.shift) - 1, self.wide)}")
        step = self.wide_wire(f"(nc_sx({nxt}) - nc_sx({base})) * {rem}")
        shifted = self.wide_wire(f"nc_round({step}, {t.shift})")
        inner = self.wide_wire(f"nc_sx({base}) + {shifted}")
        span = _signed(t.segments << t.shift, self.wide)
        first, last = _signed(t.knots[0], self.fmt.acc), _signed(t.knots[-1], self.fmt.acc)
        return self.acc_wire(f"{d}[WIDE-1] ? {first} : (({d} >= {span}) ? {last} : $signed({inner}[ACC-1:0]))")

    def random(self, fn: str, site: int) -> str:
        frac = self.fmt.frac
        if fn == "rand":
            if frac == 0:
                return self.acc_wire(_signed(0, self.fmt.acc))
            return self.acc_wire(f"nc_uniform({_hex(2 * site, 64)})")
        if frac == 0:
            return self.acc_wire(_signed(-6 * (1 << frac), self.fmt.acc))
        terms = " + ".join(f"nc_sx(nc_uniform({_hex(IRWIN_HALL_SITES + 16 * site + j, 64)}))" for j in range(12))
        total = self.wide_wire(f"{terms} - {_signed(6 << frac, self.wide)}")
        return self.limited(total, counted=False)

    # -- statements -------------------------------------------------------------------
    def count_flags(self, flags: list[str]) -> str:
        """A COUNTER_BITS-wide sum of one-bit flags, in partial sums of at most 16 terms per line."""
        terms = [f"{{{{{COUNTER_BITS - 1}{{1'b0}}}}, {f}}}" for f in flags]
        while len(terms) > 16:
            partial = []
            for k in range(0, len(terms), 16):
                name = self.fresh("c")
                self.body.append(f"    wire [{COUNTER_BITS - 1}:0] {name} = {' + '.join(terms[k:k + 16])};")
                partial.append(name)
            terms = partial
        return " + ".join(terms)

    def store(self, target: str, value: str, cond: str | None = None) -> None:
        """Narrow ``value`` into the slot's storage width (counting an overflow), as ``store``/``storeif``."""
        if target.startswith("_"):
            self.temps[target] = value
            return
        flag = self.fresh("o")
        stored = self.fresh("s")
        self.body.append(f"    wire signed [TOTAL-1:0] {stored} = nc_store({value});")
        self.body.append(f"    wire {flag} = nc_store_bad({value});")
        total = self.count_flags([*self.pending, flag])
        self.pending = []
        self.stored.add(target)
        if cond is None:
            self.increments[target].append(total)
            self.current[target] = self.acc_wire(f"nc_sx_total({stored})", "l")
        else:
            self.increments[target].append(f"({cond} ? ({total}) : {COUNTER_BITS}'d0)")
            previous = self.render(E.Ref(target))
            self.current[target] = self.acc_wire(f"{cond} ? nc_sx_total({stored}) : {previous}", "l")


def _functions(fmt: QFormat, tables: dict[str, tuple[str, FunctionTable]], random: bool, wide_time: bool) -> list[str]:
    sat = fmt.overflow == "saturate"
    nearest = fmt.rounding == "nearest"
    out = [
        "    // Sign-extend an accumulator value (or a stored value) to WIDE bits.",
        "    function signed [WIDE-1:0] nc_sx;",
        "        input signed [ACC-1:0] nc_a;",
        "        nc_sx = {{(WIDE-ACC){nc_a[ACC-1]}}, nc_a};",
        "    endfunction",
        "    function signed [ACC-1:0] nc_sx_total;",
        "        input signed [TOTAL-1:0] nc_a;",
        "        nc_sx_total = " + ("nc_a;" if fmt.acc == fmt.total else "{{(ACC-TOTAL){nc_a[TOTAL-1]}}, nc_a};"),
        "    endfunction",
        "    // Whether a WIDE value lies outside the accumulator range.",
        "    function nc_bad;",
        "        input signed [WIDE-1:0] nc_x;",
        "        nc_bad = (nc_x > nc_sx(ACC_MAX)) || (nc_x < nc_sx(ACC_MIN));",
        "    endfunction",
        f"    // Bring a WIDE value into the accumulator ({fmt.overflow}).",
        "    function signed [ACC-1:0] nc_lim;",
        "        input signed [WIDE-1:0] nc_x;",
    ]
    if sat:
        out.append("        nc_lim = (nc_x > nc_sx(ACC_MAX)) ? ACC_MAX : "
                   "((nc_x < nc_sx(ACC_MIN)) ? ACC_MIN : nc_x[ACC-1:0]);")
    else:
        out.append("        nc_lim = nc_x[ACC-1:0];")
    out += [
        "    endfunction",
        f"    // Narrow an accumulator value to the storage width ({fmt.overflow}).",
        "    function signed [TOTAL-1:0] nc_store;",
        "        input signed [ACC-1:0] nc_x;",
    ]
    if fmt.acc == fmt.total:
        out.append("        nc_store = nc_x;")
    elif sat:
        out.append("        nc_store = (nc_x > nc_sx_total(TOTAL_MAX)) ? TOTAL_MAX : "
                   "((nc_x < nc_sx_total(TOTAL_MIN)) ? TOTAL_MIN : nc_x[TOTAL-1:0]);")
    else:
        out.append("        nc_store = nc_x[TOTAL-1:0];")
    out += [
        "    endfunction",
        "    function nc_store_bad;",
        "        input signed [ACC-1:0] nc_x;",
        "        nc_store_bad = " + ("1'b0;" if fmt.acc == fmt.total else
                                     "(nc_x > nc_sx_total(TOTAL_MAX)) || (nc_x < nc_sx_total(TOTAL_MIN));"),
        "    endfunction",
        f"    // Shift a product right by nc_s bits: {'round half up' if nearest else 'floor'}.",
        "    function signed [WIDE-1:0] nc_round;",
        "        input signed [WIDE-1:0] nc_p;",
        "        input integer nc_s;",
        ("        nc_round = (nc_s == 0) ? nc_p : ((nc_p + (NC_ONE_WIDE <<< (nc_s - 1))) >>> nc_s);" if nearest else
         "        nc_round = nc_p >>> nc_s;"),
        "    endfunction",
        "    function signed [WIDE-1:0] nc_shift;",
        "        input signed [WIDE-1:0] nc_p;",
        "        nc_shift = nc_round(nc_p, FRAC);",
        "    endfunction",
        "    function signed [WIDE-1:0] nc_floor;",
        "        input signed [WIDE-1:0] nc_x;",
        "        nc_floor = (nc_x >>> FRAC) <<< FRAC;",
        "    endfunction",
    ]
    if random:
        out += [
            "    // The VM's counter-based random bits (splitmix64 finaliser of seed, neuron, step, site).",
            "    function [63:0] nc_mix64;",
            "        input [63:0] nc_z0;",
            "        reg [63:0] nc_z;",
            "        begin",
            f"            nc_z = nc_z0 + 64'h{_MIX[0]:x};",
            f"            nc_z = (nc_z ^ (nc_z >> 30)) * 64'h{_MIX[1]:x};",
            f"            nc_z = (nc_z ^ (nc_z >> 27)) * 64'h{_MIX[2]:x};",
            "            nc_mix64 = nc_z ^ (nc_z >> 31);",
            "        end",
            "    endfunction",
            "    function signed [ACC-1:0] nc_uniform;",
            "        input [63:0] nc_site;",
            "        reg [63:0] nc_bits;",
            "        begin",
            f"            nc_bits = nc_mix64(SEED ^ (NEURON * 64'h{_HASH[0]:x}) ^ (nc_step * 64'h{_HASH[1]:x})"
            f" ^ (nc_site * 64'h{_HASH[2]:x}));",
            "            nc_uniform = {{(ACC-FRAC){1'b0}}, nc_bits[63:64-FRAC]};",
            "        end",
            "    endfunction",
        ]
    if wide_time:
        out += [
            "    // Saturate step * dt (64 + ACC bits) to the accumulator / the storage width.",
            "    function signed [ACC-1:0] nc_sat_time;",
            "        input signed [63+ACC:0] nc_x;",
            "        nc_sat_time = (nc_x > $signed({{64{ACC_MAX[ACC-1]}}, ACC_MAX})) ? ACC_MAX :",
            "            ((nc_x < $signed({{64{ACC_MIN[ACC-1]}}, ACC_MIN})) ? ACC_MIN : nc_x[ACC-1:0]);",
            "    endfunction",
            "    function signed [TOTAL-1:0] nc_sat_time_total;",
            "        input signed [63+ACC:0] nc_x;",
            "        nc_sat_time_total = (nc_x > $signed({{(64+ACC-TOTAL){TOTAL_MAX[TOTAL-1]}}, TOTAL_MAX})) ?",
            "            TOTAL_MAX : ((nc_x < $signed({{(64+ACC-TOTAL){TOTAL_MIN[TOTAL-1]}}, TOTAL_MIN})) ?",
            "            TOTAL_MIN : nc_x[TOTAL-1:0]);",
            "    endfunction",
        ]
    for name, t in tables.values():
        kbits = max(1, (t.segments + 1).bit_length())
        out += [f"    // Knots of the {t.fn} table (lo {t.lo}, shift {t.shift}, {t.segments} segments).",
                f"    function signed [ACC-1:0] {name};",
                f"        input [{kbits - 1}:0] nc_k;",
                "        case (nc_k)"]
        out += [f"            {kbits}'d{k}: {name} = {_signed(v, fmt.acc)};" for k, v in enumerate(t.knots)]
        out += [f"            default: {name} = {_signed(t.knots[-1], fmt.acc)};",
                "        endcase",
                "    endfunction"]
    return out


def emit_neuron(ir: NeuronIR, fmt: QFormat, module: str | None = None) -> NeuronVerilog:
    """The Verilog module of one neuron of ``ir`` in ``fmt`` (deterministic text).

    Ports: ``clk``, ``rst`` (synchronous, to the initial values), ``en`` (do
    one step on this edge), one signed ``TOTAL``-bit input per input slot
    (``I_stim``, ``w_<receptor>``), one registered output per state and
    parameter slot (and ``lastspike`` when the model reads it),
    ``refractory_count``, ``spike`` (registered: set when the step just done
    spiked) and a 32-bit ``overflows_<slot>`` counter per stored slot.  Models
    with ``rand``/``randn`` get parameters ``SEED`` and ``NEURON``; ``i`` and
    ``N`` read parameters ``NEURON`` and ``POPULATION``.

    Raises
    ------
    EmitError
        When the IR uses an operation with no Verilog rule.
    """
    module = module or re.sub(r"\W", "_", f"nc_{ir.name}")
    reads = _reads(ir)
    ports = {s.name: _port_name(s.name) for s in ir.slots}
    inputs = tuple(s.name for s in ir.slots if s.kind == "input")
    registers = tuple(s.name for s in ir.slots if s.kind in ("state", "param")
                      or (s.kind == "internal" and s.name in reads))
    ref_steps = refractory_steps(ir, fmt)
    counter_width = max(1, ref_steps.bit_length())

    r = VerilogRenderer(ir, fmt, ports)
    if ir.refractory_kind == "condition":
        cond = _rendered(r, "refractory condition", ir.refractory_condition)
        r.body.append(f"    assign nc_nr = {{{{(ACC-1){{1'b0}}}}, {cond} == NC_ZERO}};")
    for a in ir.update:
        r.store(a.target, _rendered(r, f"update of `{a.target}`", a.expr))
    for receptor, stmts in ir.receive.items():
        for a in stmts:
            r.store(a.target, _rendered(r, f"receptor `{receptor}`, `{a.target}`", a.expr))
    if ir.threshold is None:
        r.body.append("    wire nc_spike = 1'b0;")
    else:
        thr = _rendered(r, "threshold", ir.threshold)
        r.body.append(f"    wire nc_spike = ({thr} != NC_ZERO) && (nc_nr != NC_ZERO);")
    # The reset runs only in a step that spikes (the VM jumps over it otherwise); overflows of the
    # threshold's operations are charged to its first store, as the VM's running count does.
    for a in ir.reset:
        r.store(a.target, _rendered(r, f"reset of `{a.target}`", a.expr), cond="nc_spike")
    overflow_slots = tuple(s for s in registers if r.increments.get(s))
    random = r.rand_sites > 0
    stepped = random or "t" in r.specials or "lastspike" in registers
    indexed = random or bool(r.specials & {"i", "N"})

    reset_values = {s: register_reset_value(ir, fmt, s) for s in registers}
    text = "\n".join([
        *_header(ir, fmt, module, inputs, registers, ports, counter_width, overflow_slots, indexed),
        *_declarations(ir, fmt, r, ref_steps, counter_width, stepped),
        *_functions(fmt, r.tables, random, stepped or indexed),
        *_specials(ir, fmt, r.specials, stepped),
        *r.body,
        *_sequential(fmt, registers, ports, reset_values, r, counter_width, overflow_slots, stepped),
        "endmodule",
        "`default_nettype wire",
        "",
    ])
    return NeuronVerilog(module, text, fmt, inputs, registers, ports, reset_values, counter_width, ref_steps,
                         overflow_slots, r.divides, random)


def _header(ir, fmt, module, inputs, registers, ports, counter_width, overflow_slots, indexed) -> list[str]:
    lines = [
        f"// Generated by NeuroCore Studio from the IR of `{ir.name}` ({ir.method}, dt = {ir.dt!r} "
        f"{ir.unit_system} time units).",
        "// One fixed-point step per rising clock edge with en = 1, bit-exact with the fixed-point VM.",
        f"// Format {fmt.name}: {fmt.total}-bit storage, {fmt.acc}-bit accumulator, {fmt.frac} fraction bits, "
        f"{fmt.overflow}, {fmt.rounding}.",
        "`default_nettype none",
    ]
    if indexed:
        lines += [f"module {module} #(",
                  "    parameter [63:0] SEED = 64'd0,",
                  "    parameter [63:0] NEURON = 64'd0,",
                  "    parameter [63:0] POPULATION = 64'd1",
                  ") ("]
    else:
        lines.append(f"module {module} (")
    decl = ["    input  wire clk", "    input  wire rst", "    input  wire en"]
    decl += [f"    input  wire signed [{fmt.total - 1}:0] {ports[s]}" for s in inputs]
    decl += [f"    output reg  signed [{fmt.total - 1}:0] {ports[s]}" for s in registers]
    decl += [f"    output reg  [{counter_width - 1}:0] refractory_count", "    output reg  spike"]
    decl += [f"    output reg  [{COUNTER_BITS - 1}:0] overflows_{ports[s]}" for s in overflow_slots]
    lines.append(",\n".join(decl))
    lines.append(");")
    return lines


def _declarations(ir, fmt, r: VerilogRenderer, ref_steps, counter_width, stepped) -> list[str]:
    acc, total = fmt.acc, fmt.total
    out = [
        f"    localparam integer ACC = {acc};",
        f"    localparam integer TOTAL = {total};",
        f"    localparam integer FRAC = {fmt.frac};",
        f"    localparam integer WIDE = {r.wide};",
        f"    localparam signed [ACC-1:0] ACC_MAX = {_signed(fmt.acc_max, acc)};",
        f"    localparam signed [ACC-1:0] ACC_MIN = {_signed(fmt.acc_min, acc)};",
        f"    localparam signed [ACC-1:0] NC_ZERO = {_signed(0, acc)};",
        f"    localparam [{counter_width - 1}:0] REFRACTORY_STEPS = {counter_width}'d{ref_steps};",
    ]
    if fmt.rounding == "nearest":
        out.append(f"    localparam signed [WIDE-1:0] NC_ONE_WIDE = {_signed(1, r.wide)};")
    if fmt.acc != fmt.total or stepped:
        out += [f"    localparam signed [TOTAL-1:0] TOTAL_MAX = {_signed(fmt.store_max, total)};",
                f"    localparam signed [TOTAL-1:0] TOTAL_MIN = {_signed(fmt.store_min, total)};"]
    for raw, name in sorted(r.consts.items(), key=lambda kv: int(kv[1][4:])):
        out.append(f"    localparam signed [ACC-1:0] {name} = {_signed(raw, acc)};  // {raw / fmt.one!r}")
    if ir.refractory_kind == "condition":
        out.append("    wire signed [ACC-1:0] nc_nr;")
    elif ir.refractory_kind == "none":
        out.append("    wire signed [ACC-1:0] nc_nr = {{(ACC-1){1'b0}}, 1'b1};")
    else:
        out.append("    wire signed [ACC-1:0] nc_nr = "
                   f"{{{{(ACC-1){{1'b0}}}}, refractory_count == {counter_width}'d0}};")
    if stepped:
        out.append("    reg [63:0] nc_step;  // steps done since rst")
    return out


def _specials(ir: NeuronIR, fmt: QFormat, used: set[str], stepped: bool) -> list[str]:
    out = []
    if stepped:
        out += [
            f"    wire signed [63+ACC:0] nc_dt_wide = {_signed(fmt.quantize(ir.dt), 64 + fmt.acc)};",
            "    wire signed [63+ACC:0] nc_t_wide = $signed({{ACC{1'b0}}, nc_step}) * nc_dt_wide;",
            "    wire signed [ACC-1:0] nc_t = nc_sat_time(nc_t_wide);",
            "    wire signed [TOTAL-1:0] nc_t_end = nc_sat_time_total(nc_t_wide + nc_dt_wide);",
        ]
    if "dt" in used:
        out.append(f"    wire signed [ACC-1:0] nc_dt = {_signed(fmt.quantize(ir.dt), fmt.acc)};")
    if "i" in used:
        out.append("    wire signed [ACC-1:0] nc_index = nc_sat_time($signed({{ACC{1'b0}}, NEURON}) <<< FRAC);")
    if "N" in used:
        out.append("    wire signed [ACC-1:0] nc_population = "
                   "nc_sat_time($signed({{ACC{1'b0}}, POPULATION}) <<< FRAC);")
    return out


def _sequential(fmt, registers, ports, reset_values, r: VerilogRenderer, counter_width, overflow_slots,
                stepped) -> list[str]:
    out = ["    always @(posedge clk) begin", "        if (rst) begin"]
    for s in registers:
        out.append(f"            {ports[s]} <= {_signed(reset_values[s], fmt.total)};")
    out.append(f"            refractory_count <= {counter_width}'d0;")
    out.append("            spike <= 1'b0;")
    for s in overflow_slots:
        out.append(f"            overflows_{ports[s]} <= {COUNTER_BITS}'d0;")
    if stepped:
        out.append("            nc_step <= 64'd0;")
    out.append("        end else if (en) begin")
    for s in registers:
        if s == "lastspike":
            out.append(f"            if (nc_spike) {ports[s]} <= nc_t_end;")
        elif s in r.stored:
            out.append(f"            {ports[s]} <= {r.current[s]}[TOTAL-1:0];")
    out += [
        "            spike <= nc_spike;",
        "            if (nc_spike) refractory_count <= REFRACTORY_STEPS;",
        f"            else if (refractory_count != {counter_width}'d0) "
        f"refractory_count <= refractory_count - {counter_width}'d1;",
    ]
    for s in overflow_slots:
        out.append(f"            overflows_{ports[s]} <= overflows_{ports[s]} + {' + '.join(r.increments[s])};")
    if stepped:
        out.append("            nc_step <= nc_step + 64'd1;")
    out += ["        end", "    end"]
    return out
