"""The neuron datapath: one compiled fixed-point program lowered to a pipelined Amaranth component.

:class:`NeuronDatapath` computes, for one neuron per clock, exactly what the
fixed-point VM (``ext/vm.pyx`` ``_fixed_block``) computes for that neuron in one
step, bit for bit (docs/fixed-point.md is the specification of every rule).

One lowering
    The component is built by walking the instructions of ``program.code`` in
    order and tracking which dataflow node each (physical) register holds; the
    expression trees are never walked again, so the VM and the datapath share
    one evaluation order by construction.  Every VM operation becomes a few
    primitive nodes (an exact product, a rounding shift, an accumulator limit,
    an overflow flag, ...), each with an exact integer value range.

Widths
    Every node's width comes from its value range, propagated by interval
    arithmetic from the slot inputs (``total`` bits), the constants and the
    other ports: a product of a slot by a constant has ``total + bitlen(k)``
    bits, a sum one bit more than its widest operand, and a limit whose operand
    provably fits gives no logic and no overflow flag.  Ranges are exact
    bounds of the VM's values, so narrowing never changes a result.

Pipeline (stage policy)
    Nodes are scheduled as soon as possible; each pipeline stage holds at
    most :data:`STAGE_BUDGET` units of combinational delay. An add,
    subtract, compare, mux or limit costs 1 unit, wiring (constant shifts,
    slices) costs 0 but a right shift of a sum 1 (its top bits, the last out
    of its carry chain, start the next one's), a multiplier costs the whole
    budget (so it always reads registered operands and nothing but wiring
    follows it in its stage), a divider step costs 1 (a variable division is
    a pipelined restoring divider of ``STAGE_BUDGET`` quotient bits per
    stage) and a function-table read is a synchronous ROM read port (its own
    register). A node that would exceed the budget moves to the next stage,
    and the values it reads from earlier stages are delayed by registers
    alongside. A sum of sums is regrouped so that what is ready first is
    added first (exact: every width holds its whole range). Outputs are
    registered once more: ``latency = last stage + 1``. There is no
    feedback, so the component accepts one neuron per clock.

Constant multiplies
    A ``mulk`` reads its factor as ``k / 2**f`` with ``f = frac + e`` (``e`` extra fraction
    bits in the instruction's field ``c``, docs/fixed-point.md section 3).  A product by a
    constant ``k = c * 2**f + r`` with ``c`` a signed power of two multiplies only ``r``
    (``shift(a*k, f) == a*c + shift(a*r, f)``: a propagator close to one costs a narrow
    product).  A constant of at most :data:`CSD_MAX_DIGITS`
    signed digits is a tree of shifts and adders when its product would need more
    than one 16x16 DSP block (or always when it is a single adder); products of
    one operand are shared (``x*-3196 = 4x - 128*(x*25)``).  Every partial sum
    keeps its exact range.

Division
    ``/`` by a ``loadk`` constant is an exact magic-number multiply (no divider):
    the factors of two the divisor shares with ``2**frac`` cancel first, then the
    smallest magic that is exact for the dividend's range (``_magic``) with
    ``trunc = (n*magic >> s) + (n < 0)``; ``/`` by any other
    value is supported as a pipelined restoring divider on magnitudes with the
    sign restored afterwards (truncation toward zero) and the ``b == 0`` rule:
    one quotient bit per bit of ``|a << frac|`` (at most ``acc - 1 + frac``),
    ``STAGE_BUDGET`` bits per stage.

Refused (``LoweringError``)
    ``**`` (``lower_for_fixed`` removes it before code generation), a ``call``
    of a function that has a table in fixed point, a float program, ``t``/``dt``
    without ``dt``, nested ``skipnone``, a register read before it is written.

What the datapath does not do
    The step's bookkeeping stays with the caller, as with the VM's runtime:
    writing inputs into input slots, the refractory counter (its "is zero"
    goes to ``i_not_refractory``), ``lastspike`` on a spike and the step
    counter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from amaranth.hdl import Cat, Const, Module, Mux, Shape, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from engine.program import FN, OP, SPECIAL, Program
from engine.reference import KEY, MIX, RANDN_SITE_OFFSET

__all__ = ["STAGE_BUDGET", "DatapathResources", "LoweringError", "NeuronDatapath", "NeuronVerilog", "above_range",
           "at_least", "below_range", "neuron_verilog"]

# Units of combinational delay per pipeline stage.  Four 32-44-bit adders in a row and their routing took 42-45 ns
# on an iCE40UP (hil_demo in Q16.16, every placement tried): more than a 24 MHz clock's 41.7 ns.
STAGE_BUDGET = 3
# A multiply by a constant with at most this many signed digits (canonical signed digit form) is
# built from shifts and adders when it would need several DSP blocks (operands wider than
# DSP_WIDTH, the iCE40UP5K's 16x16 SB_MAC16), or always when it is one adder; a denser constant
# gets a multiplier.
CSD_MAX_DIGITS = 4
DSP_WIDTH = 16
_MASK64 = (1 << 64) - 1
_OPNAME = {v: k for k, v in OP.items()}
_FNNAME = {v: k for k, v in FN.items()}


class LoweringError(NeuroCoreError):
    """The program uses something the datapath cannot lower; ``instruction`` is its index (or None)."""

    def __init__(self, message: str, instruction: int | None = None, text: str | None = None):
        where = "" if instruction is None else f"instruction {instruction} (`{text}`): "
        super().__init__(where + message)
        self.instruction = instruction
        self.text = text


def _shape(lo: int, hi: int) -> Shape:
    """The narrowest shape holding every integer of ``[lo, hi]``."""
    if lo >= 0:
        return unsigned(max(1, hi.bit_length()))
    return signed(1 + max((-lo - 1).bit_length(), max(hi, 0).bit_length()))


# Comparisons with a constant as logic on the value's bits: Yosys maps every comparison to a carry chain, one
# iCE40 logic cell per bit, where a few LUTs do.
def at_least(value, c: int) -> Value:
    """``value >= c`` for an unsigned ``value`` and a constant ``c``, from its bits (most significant last)."""
    value = Value.cast(value)
    if c <= 0:
        return Const(1)
    if c >= 1 << len(value):
        return Const(0)
    low = (c & -c).bit_length() - 1  # below c's lowest set bit anything will do
    reached = value[low]
    for i in range(low + 1, len(value)):
        reached = value[i] & reached if c >> i & 1 else value[i] | reached
    return reached


def above_range(value, bits: int) -> Value:
    """``value > 2**(bits-1) - 1``: above the range of a ``bits``-bit signed integer."""
    value = Value.cast(value)
    signed_ = value.shape().signed
    if len(value) - signed_ < bits:
        return Const(0)
    if signed_:
        return ~value[-1] & value[bits - 1:-1].any()
    return value[bits - 1:].any()


def below_range(value, bits: int) -> Value:
    """``value < -2**(bits-1)``: below the range of a ``bits``-bit signed integer."""
    value = Value.cast(value)
    if not value.shape().signed or len(value) <= bits:
        return Const(0)
    return value[-1] & ~value[bits - 1:-1].all()


_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}  # c < x is x > c, ...


def _ordered(value, op: str, c: int) -> Value:
    """``value <op> c`` for a constant ``c`` (``op`` one of ``<``, ``<=``, ``>``, ``>=``), by :func:`at_least`:
    a signed value with its sign bit flipped is an unsigned one offset by ``2**(width-1)``."""
    value = Value.cast(value)
    if value.shape().signed:
        c += 1 << (len(value) - 1)
        value = Cat(value[:-1], ~value[-1])
    if op in (">", "<="):
        c += 1
    reached = at_least(value, c)
    return reached if op in (">", ">=") else ~reached


def _csd(k: int) -> list[tuple[int, int]]:
    """``k`` in canonical signed digit form: (digit +-1, bit position), fewest nonzero digits."""
    digits, i = [], 0
    while k:
        if k & 1:
            d = 2 - (k & 3)
            digits.append((d, i))
            k -= d
        k >>= 1
        i += 1
    return digits


def _magic(d: int, umax: int) -> tuple[int, int]:
    """The smallest ``(magic, shift)`` with ``(u * magic) >> shift == u // d`` for every ``0 <= u <= umax``.

    With ``magic * d = 2**shift + e`` (``e >= 0``) and ``u = q*d + r``, ``u*magic / 2**shift =
    q + (r*2**shift + u*e) / (d*2**shift)``, whose floor is ``q`` when ``umax * e < 2**shift``
    (Granlund and Montgomery's shift ``width + ceil(log2 d)`` always satisfies it).
    """
    shift = 0
    while True:
        magic = -(-(1 << shift) // d)
        if umax * (magic * d - (1 << shift)) < (1 << shift):
            return magic, shift
        shift += 1


class _Node:
    """One value of the dataflow graph: its exact range, stage and how to build it."""

    __slots__ = ("args", "depth", "emit", "hi", "in_stage", "index", "kind", "lo", "stage", "sync")

    def __init__(self, index, kind, args, lo, hi, stage, in_stage, depth, emit, sync):
        self.index, self.kind, self.args = index, kind, args
        self.lo, self.hi = lo, hi
        self.stage, self.in_stage, self.depth = stage, in_stage, depth
        self.emit, self.sync = emit, sync

    @property
    def shape(self) -> Shape:
        return _shape(self.lo, self.hi)

    @property
    def const(self) -> bool:
        return self.kind == "const"

    @property
    def boolean(self) -> bool:
        return self.lo >= 0 and self.hi <= 1


@dataclass(frozen=True)
class DatapathResources:
    """What a lowered datapath costs (counted on the live graph, before synthesis)."""

    stages: int
    latency: int
    pipeline_registers: int  # delay registers between stages (signals), incl. outputs and valid/tag
    pipeline_register_bits: int
    multipliers: tuple[tuple[int, int], ...]  # operand widths of every non-trivial multiplier
    divider_stages: int  # stages of variable-divider steps
    table_reads: int  # ROM read ports


def _ready(n: _Node) -> tuple[int, int]:
    """When a node's value is ready: its stage and the adders before it there (a constant: always)."""
    return (-1, 0) if n.const else (n.stage, n.depth)


class _Lowering:
    """Builds the dataflow graph of one program (one pass over its instructions)."""

    def __init__(self, program: Program, seed: int, population_size: int, neuron_bits: int, dt: float | None):
        self.p = program
        self.fmt: QFormat = program.fmt
        self.seed = seed
        self.population = population_size
        self.neuron_bits = neuron_bits
        self.dt = dt
        self.nodes: list[_Node] = []
        self.consts: dict[int, _Node] = {}
        self.ports: dict[str, _Node] = {}  # port name -> node
        self.pending: list[_Node] = []  # overflow flags since the last store
        self.charged: list[_Node] = []  # overflow flags charged to a store (gated)
        self.hash_base: _Node | None = None
        self.tables: dict[int, tuple[int, int, list[int], list[int]]] = {}  # index -> lo, shift, knots, slopes
        self.table_reads = 0
        self.products: dict[int, dict[int, _Node]] = {}  # operand index -> {P: node holding operand * P}

    # -- graph primitives -------------------------------------------------------------------
    def node(self, kind: str, args: tuple[_Node, ...], lo: int, hi: int, emit: Callable, cost: int = 1,
             py: Callable | None = None, sync: bool = False) -> _Node:
        if py is not None and args and all(a.const for a in args):
            return self.const(py(*(a.lo for a in args)))
        live = [a for a in args if not a.const]
        s = max((a.stage for a in live), default=0)
        d = max((a.depth for a in live if a.stage == s), default=0)
        if sync:  # a synchronous read port: the address at stage s, the data registered at s + 1
            if d + 1 > STAGE_BUDGET:
                s, d = s + 1, 0
            in_stage, stage, depth = s, s + 1, 0
        else:
            depth = d + cost
            if depth > STAGE_BUDGET:
                s, depth = s + 1, cost
            in_stage = stage = s
        n = _Node(len(self.nodes), kind, args, lo, hi, stage, in_stage, depth, emit, sync)
        self.nodes.append(n)
        return n

    def const(self, v: int) -> _Node:
        v = int(v)
        if v not in self.consts:
            n = _Node(len(self.nodes), "const", (), v, v, 0, 0, 0, None, False)
            self.nodes.append(n)
            self.consts[v] = n
        return self.consts[v]

    def port(self, name: str, lo: int, hi: int) -> _Node:
        if name not in self.ports:
            n = _Node(len(self.nodes), "port", (), lo, hi, 0, 0, 0, name, False)
            self.nodes.append(n)
            self.ports[name] = n
        return self.ports[name]

    def add(self, a, b):
        # (p + q) + b with p and b ready before q is (p + b) + q: one adder less in q's path (sums are exact)
        for x, y in ((a, b), (b, a)):
            if x.kind == "add" and not y.const:
                p, q = sorted(x.args, key=_ready)
                if _ready(q) > max(_ready(p), _ready(y)):
                    return self.add(self.add(p, y), q)
        return self.node("add", (a, b), a.lo + b.lo, a.hi + b.hi, lambda m, x, y: x + y,
                         py=lambda x, y: x + y)

    def sub(self, a, b):
        return self.node("sub", (a, b), a.lo - b.hi, a.hi - b.lo, lambda m, x, y: x - y,
                         py=lambda x, y: x - y)

    def neg(self, a):
        return self.node("neg", (a,), -a.hi, -a.lo, lambda m, x: -x, py=lambda x: -x)

    def absolute(self, a):
        if a.lo >= 0:
            return a
        lo, hi = (-a.hi, -a.lo) if a.hi <= 0 else (0, max(-a.lo, a.hi))
        return self.node("abs", (a,), lo, hi, lambda m, x: Mux(x < 0, -x, x), py=abs)

    def mul(self, a, b):
        if a.const and not b.const:
            a, b = b, a
        if b.const:
            k = b.lo
            if k == 0:
                return self.const(0)
            if k == 1:
                return a
            if k > 0 and k & (k - 1) == 0:
                return self.shl(a, k.bit_length() - 1)
            shared = self.shared_product(a, k)
            if shared is not None:
                return shared
            digits = len(_csd(k))
            one_block = a.shape.width <= DSP_WIDTH and _shape(k, k).width <= DSP_WIDTH
            if digits <= 2 or (digits <= CSD_MAX_DIGITS and not one_block):
                return self.shift_add(a, k)
        if (a.lo == a.hi == 0) or (b.lo == b.hi == 0):
            return self.const(0)
        corners = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
        return self.node("mul", (a, b), min(corners), max(corners), lambda m, x, y: x * y,
                         cost=STAGE_BUDGET, py=lambda x, y: x * y)

    def shift_add(self, x, k: int):
        """``x * k`` as a balanced tree of adders over the shifted ``x`` of ``k``'s signed digits.

        Every partial sum is ``x * P`` for a known constant ``P``, so each node gets its exact range.
        """
        def exact(p: int) -> tuple[int, int]:
            return min(x.lo * p, x.hi * p), max(x.lo * p, x.hi * p)

        items = [(d, 1 << i, self.shl(x, i)) for d, i in _csd(k)]  # (sign, P, node = x * P)
        while len(items) > 1:
            nxt = []
            for j in range(0, len(items) - 1, 2):
                (s1, p1, n1), (s2, p2, n2) = items[j], items[j + 1]
                if s1 == s2:
                    nxt.append((s1, p1 + p2, self.node("add", (n1, n2), *exact(p1 + p2), lambda m, a, b: a + b)))
                elif s1 > 0:
                    nxt.append((1, p1 - p2, self.node("sub", (n1, n2), *exact(p1 - p2), lambda m, a, b: a - b)))
                else:
                    nxt.append((1, p2 - p1, self.node("sub", (n2, n1), *exact(p2 - p1), lambda m, a, b: a - b)))
            if len(items) % 2:
                nxt.append(items[-1])
            items = nxt
            known = self.products.setdefault(x.index, {1: x})
            for _, p, node in items:
                known.setdefault(p, node)  # every partial sum is x * p, whatever its sign in the tree
        sign, _, node = items[0]
        out = node if sign > 0 else self.neg(node)
        self.products.setdefault(x.index, {1: x})[k] = out
        return out

    def shared_product(self, x, k: int):
        """``x * k`` from an ``x * P`` built before with at most one adder, if one exists.

        ``k = s * P * 2**i + t * 2**j`` (``s, t`` signs): e.g. with ``x * 25`` at hand,
        ``x * -3196 = (x << 2) - ((x * 25) << 7)``.
        """
        known = self.products.get(x.index)
        if not known:
            return None
        if k in known:
            return known[k]
        if len(_csd(k)) <= 2:
            return None

        def exact(p: int) -> tuple[int, int]:
            return min(x.lo * p, x.hi * p), max(x.lo * p, x.hi * p)
        for p, node in sorted(known.items()):
            for i in range(max(1, abs(k).bit_length() + 2)):
                for s in (1, -1):
                    rest = k - s * (p << i)
                    if rest != 0 and abs(rest) & (abs(rest) - 1):
                        continue
                    big = self.shl(node, i)
                    if rest == 0:
                        return big if s > 0 else self.neg(big)
                    small = self.shl(x, abs(rest).bit_length() - 1)
                    if s > 0 and rest > 0:
                        out = self.node("add", (big, small), *exact(k), lambda m, u, v: u + v)
                    elif s > 0:
                        out = self.node("sub", (big, small), *exact(k), lambda m, u, v: u - v)
                    elif rest > 0:
                        out = self.node("sub", (small, big), *exact(k), lambda m, u, v: u - v)
                    else:
                        continue  # -(big + small) would need a negation as well
                    known[k] = out
                    return out
        return None

    def mul_shift(self, a, b, f: int):
        """``shift(a * b, f)`` (docs/fixed-point.md section 5) of a product by a constant.

        A constant ``k = c * 2**f + r`` with ``c`` a signed power of two (or zero) and
        ``-2**(f-1) <= r < 2**(f-1)`` gives ``a * c + shift(a * r, f)`` exactly (``a * c * 2**f``
        has no fraction bits), so only the narrow ``r`` is multiplied: a propagator such as
        ``exp(-dt/tau)`` close to one becomes ``a - shift(a * small, f)``.
        """
        if a.const and not b.const:
            a, b = b, a
        if b.const and not a.const and f > 0:
            k = b.lo
            c, r = divmod(k, 1 << f)
            if 2 * r >= 1 << f:
                c, r = c + 1, r - (1 << f)
            if c != 0 and len(_csd(c)) == 1:
                rs = self.round_shift(self.mul(a, self.const(r)), f)
                if rs.const and rs.lo == 0:
                    return self.mul(a, self.const(c))
                ends = [self._round_shift_value(a.lo * k, f), self._round_shift_value(a.hi * k, f)]
                return self.node("add", (self.mul(a, self.const(c)), rs), min(ends), max(ends),
                                 lambda m, x, y: x + y, py=lambda x, y: x + y)
        return self.round_shift(self.mul(a, b), f)

    def _round_shift_value(self, v: int, s: int) -> int:
        if s and self.fmt.rounding == "nearest":
            v += 1 << (s - 1)
        return v >> s

    def shl(self, a, s: int):
        if s == 0:
            return a
        return self.node("shl", (a,), a.lo << s, a.hi << s, lambda m, x: x << s, cost=0,
                         py=lambda x: x << s)

    def shr(self, a, s: int):
        if s == 0:
            return a
        # a sum's high bits come last out of its carry chain; shifted down they start the next one's: the two
        # chains ripple one after the other
        cost = 1 if a.kind in ("add", "sub") else 0
        return self.node("shr", (a,), a.lo >> s, a.hi >> s, lambda m, x: x >> s, cost=cost,
                         py=lambda x: x >> s)

    def round_shift(self, p, s: int):
        """``shift(p, s)`` of docs/fixed-point.md section 5: floor, or round half up."""
        if s == 0:
            return p
        if self.fmt.rounding == "nearest":
            p = self.add(p, self.const(1 << (s - 1)))
        return self.shr(p, s)

    def cmp(self, op: str, a, b):
        fn = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
              ">=": lambda x, y: x >= y, "==": lambda x, y: x == y, "!=": lambda x, y: x != y}[op]

        def emit(m, x, y):
            if op in _MIRROR and b.const:  # against a constant: logic, not a carry chain
                return _ordered(x, op, b.lo)
            if op in _MIRROR and a.const:
                return _ordered(y, _MIRROR[op], a.lo)
            return fn(x, y)
        return self.node("cmp" + op, (a, b), 0, 1, emit, py=lambda x, y: int(fn(x, y)))

    def nz(self, a):
        """``a != 0`` as a 0/1 value (a 0/1 value is its own truth)."""
        if a.boolean:
            return a
        return self.cmp("!=", a, self.const(0))

    def and_(self, a, b):
        a, b = self.nz(a), self.nz(b)
        for x, y in ((a, b), (b, a)):
            if x.const:
                return y if x.lo else self.const(0)
        return self.node("and", (a, b), 0, 1, lambda m, x, y: x & y)

    def or_(self, a, b):
        a, b = self.nz(a), self.nz(b)
        for x, y in ((a, b), (b, a)):
            if x.const:
                return self.const(1) if x.lo else y
        return self.node("or", (a, b), 0, 1, lambda m, x, y: x | y)

    def any_(self, flags: list[_Node]):
        """OR of many 0/1 values, as a tree of 8-input ORs (constant zeros dropped)."""
        flags = [f for f in flags if not (f.const and f.lo == 0)]
        if any(f.const for f in flags):
            return self.const(1)
        if not flags:
            return self.const(0)
        while len(flags) > 1:
            flags = [g[0] if len(g) == 1 else
                     self.node("any", tuple(g), 0, 1, lambda m, *xs: reduce(lambda p, q: p | q, xs))
                     for g in (flags[i:i + 8] for i in range(0, len(flags), 8))]
        return flags[0]

    def mux(self, c, a, b):
        c = self.nz(c)
        if c.const:
            return a if c.lo else b
        if a is b:
            return a
        return self.node("mux", (c, a, b), min(a.lo, b.lo), max(a.hi, b.hi), lambda m, s, x, y: Mux(s, x, y))

    def limit(self, x, bits: int, mode: str):
        """``limit(x, bits)`` in ``mode`` (no logic when ``x`` provably fits)."""
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if lo <= x.lo and x.hi <= hi:
            return x
        if mode == "wrap":
            def py(v):
                return ((v - lo) & ((1 << bits) - 1)) + lo
            return self.node("wrap", (x,), lo, hi, lambda m, v: v[:bits].as_signed(), cost=0, py=py)

        def emit(m, v):
            out = v
            if x.hi > hi:
                out = Mux(above_range(v, bits), hi, out)
            if x.lo < lo:
                out = Mux(below_range(v, bits), lo, out)
            return out
        return self.node("saturate", (x,), min(max(x.lo, lo), hi), max(min(x.hi, hi), lo), emit,
                         py=lambda v: min(max(v, lo), hi))

    def outside(self, x, bits: int):
        """The overflow flag of ``limit(x, bits)``: 1 when ``x`` is outside the signed range."""
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if lo <= x.lo and x.hi <= hi:
            return self.const(0)

        def emit(m, v):
            conds = ([above_range(v, bits)] if x.hi > hi else []) + ([below_range(v, bits)] if x.lo < lo else [])
            return reduce(lambda p, q: p | q, conds)
        return self.node("outside", (x,), 0, 1, emit, py=lambda v: int(v < lo or v > hi))

    def acc_limited(self, x, counted: bool = True, mode: str | None = None):
        """``limit(x, acc)``; a counted flag joins the running count (``pending``)."""
        if counted:
            flag = self.outside(x, self.fmt.acc)
            if not (flag.const and flag.lo == 0):
                self.pending.append(flag)
        return self.limit(x, self.fmt.acc, mode or self.fmt.overflow)

    # -- composite operations -----------------------------------------------------------------
    def const_div(self, a, d: int):
        """``trunc((a << frac) / d)`` by a signed multiply with the smallest exact magic number.

        Factors of two shared by ``2**frac`` and ``d`` cancel first (``C_m = 250 pF`` in Q16.16 is
        ``250 * 2**16``: the quotient is ``a / 250``).  For the rest ``|d'|`` (not a power of two)
        :func:`_magic` gives ``magic * |d'| = 2**shift + e`` with ``e > 0`` and ``max|n| * e < 2**shift``;
        then ``floor(n * magic / 2**shift)`` is ``floor(n / |d'|)`` for ``n >= 0`` and one less than
        ``trunc(n / |d'|)`` for ``n < 0`` (the error ``n * e`` is never zero there), so
        ``trunc = (n * magic >> shift) + (n < 0)``: no magnitudes, no sign restoring.
        """
        fmt = self.fmt
        if d == 0:
            self.pending.append(self.const(1))
            return self.node("div0", (a,), fmt.acc_min, fmt.acc_max,
                             lambda m, x: Mux(x < 0, fmt.acc_min, fmt.acc_max),
                             py=lambda x: fmt.acc_min if x < 0 else fmt.acc_max)
        twos = (abs(d) & -abs(d)).bit_length() - 1
        common = min(fmt.frac, twos)
        n = self.shl(a, fmt.frac - common)
        dd = abs(d) >> common

        def trunc(v: int) -> int:
            return -((-v) // dd) if v < 0 else v // dd
        if dd == 1:
            q = n
        elif dd & (dd - 1) == 0:
            j = dd.bit_length() - 1
            q = self.node("tdiv", (n,), trunc(n.lo), trunc(n.hi),
                          lambda m, x: (x + Mux(x < 0, dd - 1, 0)) >> j, py=trunc)
        else:
            magic, shift = _magic(dd, max(-n.lo, n.hi))
            p = self.mul(n, self.const(magic))
            q = self.node("tdiv", (p, n), trunc(n.lo), trunc(n.hi),
                          lambda m, x, y: (x >> shift) + (y < 0), py=lambda x, y: (x >> shift) + (y < 0))
        if d < 0:
            q = self.neg(q)
        return self.acc_limited(q)

    def var_div(self, a, b):
        """``trunc((a << frac) / b)`` by a pipelined restoring divider, then the ``b == 0`` rule."""
        fmt = self.fmt
        nmag = self.absolute(self.shl(a, fmt.frac))
        dmag = self.absolute(b)
        wn, wd = max(1, nmag.hi.bit_length()), max(1, dmag.hi.bit_length())
        state = self.const(0)  # Cat(remainder[wd], quotient[wn]); starts at zero
        order = list(range(wn - 1, -1, -1))
        for start in range(0, wn, STAGE_BUDGET):
            chunk = order[start:start + STAGE_BUDGET]

            def emit(m, st, nm, dm, chunk=chunk, first=start == 0):
                rem, q = (Const(0, wd), Const(0, wn)) if first else (st[:wd], st[wd:wd + wn])
                for i in chunk:
                    r2 = Cat(nm[i], rem)
                    ge = r2 >= dm
                    rem = Mux(ge, r2 - dm, r2)[:wd]
                    q = q | (ge << i)
                return Cat(rem, q[:wn])
            state = self.node("divstep", (state, nmag, dmag), 0, (1 << (wd + wn)) - 1, emit, cost=len(chunk))
        q = self.node("quotient", (state,), 0, (1 << wn) - 1, lambda m, st: st[wd:wd + wn], cost=0)
        qs = self.node("sign", (a, b, q), -q.hi, q.hi, lambda m, x, y, z: Mux((x < 0) ^ (y < 0), -z, z))
        bz = self.cmp("==", b, self.const(0))
        self.pending.append(self.or_(bz, self.outside(qs, fmt.acc)))
        zero_rule = self.node("div0", (a,), fmt.acc_min, fmt.acc_max,
                              lambda m, x: Mux(x < 0, fmt.acc_min, fmt.acc_max))
        return self.mux(bz, zero_rule, self.limit(qs, fmt.acc, fmt.overflow))

    def table(self, x, t: int):
        """Piecewise-linear look-up (section 6): the knot and slope come from a synchronous ROM."""
        lo_t, shift, off, seg = (int(v) for v in self.p.tables[t])
        if t not in self.tables:
            knots = [int(k) for k in self.p.knots[off:off + seg + 1]]
            slopes = [knots[k + 1] - knots[k] for k in range(seg)] + [0]
            self.tables[t] = (lo_t, shift, knots, slopes)
        knots, slopes = self.tables[t][2], self.tables[t][3]
        hi_t = lo_t + (seg << shift)
        d = self.sub(x, self.const(lo_t))
        below = self.cmp("<", x, self.const(lo_t))
        above = self.cmp(">=", x, self.const(hi_t))
        k = self.node("tindex", (below, above, d), 0, seg,
                      lambda m, b, a, dd: Mux(b, 0, Mux(a, seg, dd >> shift)))
        if shift:
            r = self.node("tfrac", (below, above, d), 0, (1 << shift) - 1,
                          lambda m, b, a, dd: Mux(b | a, 0, dd[:shift]))
        else:
            r = self.const(0)
        kw = _shape(min(knots), max(knots)).width
        sw = _shape(min(slopes), max(slopes)).width
        self.table_reads += 1
        # A synchronous read port of the table's ROM (built by the component): emit holds the table index.
        rom = self.node("rom", (k,), 0, (1 << (kw + sw)) - 1, t, sync=True)
        knot = self.node("knot", (rom,), min(knots), max(knots), lambda m, v: v[:kw].as_signed(), cost=0)
        slope = self.node("slope", (rom,), min(slopes), max(slopes), lambda m, v: v[kw:kw + sw].as_signed(),
                          cost=0)
        return self.add(knot, self.round_shift(self.mul(slope, r), shift))

    def uniform(self, site: int):
        """``random_bits(seed, neuron, step, site) >> (64 - frac)`` (section 8), split at each multiplier."""
        frac = self.fmt.frac
        if frac == 0:
            return self.const(0)
        if self.hash_base is None:
            neuron = self.port("i_neuron", 0, (1 << self.neuron_bits) - 1)
            step = self.port("i_step", 0, _MASK64)
            seed = self.seed
            self.hash_base = self.node(
                "hash0", (neuron, step), 0, _MASK64,
                lambda m, n, s: Const(seed, 64) ^ (n * KEY[0])[:64] ^ (s * KEY[1])[:64], cost=STAGE_BUDGET)
        salt = (site * KEY[2]) & _MASK64
        z = self.node("hash1", (self.hash_base,), 0, _MASK64,
                      lambda m, v: ((v ^ Const(salt, 64)) + MIX[0])[:64])
        z = self.node("hash2", (z,), 0, _MASK64, lambda m, v: v ^ (v >> 30))
        z = self.node("hash3", (z,), 0, _MASK64, lambda m, v: (v * MIX[1])[:64], cost=STAGE_BUDGET)
        z = self.node("hash4", (z,), 0, _MASK64, lambda m, v: v ^ (v >> 27))
        z = self.node("hash5", (z,), 0, _MASK64, lambda m, v: (v * MIX[2])[:64], cost=STAGE_BUDGET)
        return self.node("uniform", (z,), 0, (1 << frac) - 1, lambda m, v: (v ^ (v >> 31))[64 - frac:])

    def call(self, fn: int, v):
        fmt = self.fmt
        f, one = fmt.frac, fmt.one

        def floor_(x):
            return (x >> f) << f

        def ceil_(x):
            return -(((-x) >> f) << f)

        def trunc_(x):
            return floor_(x) if x >= 0 else ceil_(x)

        def sign_(x):
            return one if x > 0 else (-one if x < 0 else 0)
        name = _FNNAME.get(fn)
        if name == "abs":
            return self.acc_limited(self.absolute(v))
        if name == "floor":
            return self.shl(self.shr(v, f), f)
        if name == "ceil":
            x = self.node("ceil", (v,), ceil_(v.lo), ceil_(v.hi), lambda m, x: ((x + (one - 1)) >> f) << f,
                          py=ceil_)
            return self.acc_limited(x)
        if name == "int":
            x = self.node("int", (v,), trunc_(v.lo), trunc_(v.hi),
                          lambda m, x: Mux(x < 0, ((x + (one - 1)) >> f) << f, (x >> f) << f), cost=2, py=trunc_)
            return self.acc_limited(x)
        if name == "sign":
            x = self.node("signum", (v,), sign_(v.lo), sign_(v.hi),
                          lambda m, x: Mux(x > 0, one, Mux(x < 0, -one, 0)), py=sign_)
            return self.acc_limited(x)
        raise LoweringError(f"`call` of `{name}` has no fixed-point rule (the compiler makes it a `table`)")

    def special(self, code: int):
        fmt = self.fmt
        names = {v: k for k, v in SPECIAL.items()}
        name = names.get(code)
        if name in ("t", "dt"):
            if self.dt is None:
                raise LoweringError(f"the program reads `{name}`: give the datapath `dt`")
            dt_q = fmt.quantize(self.dt)
            if name == "dt":
                return self.const(dt_q)
            step = self.port("i_step", 0, _MASK64)
            return self.acc_limited(self.mul(step, self.const(dt_q)), counted=False, mode="saturate")
        if name == "i":
            neuron = self.port("i_neuron", 0, (1 << self.neuron_bits) - 1)
            return self.acc_limited(self.shl(neuron, fmt.frac), counted=False, mode="saturate")
        if name == "N":
            return self.const(fmt.quantize(self.population))
        raise LoweringError(f"unknown special value {code}")

    # -- the instruction walk ---------------------------------------------------------------
    def lower(self):
        p, fmt = self.p, self.fmt
        regs: dict[int, _Node] = {}
        slot_now: dict[int, _Node] = {}
        stored: set[int] = set()
        if p.ref_mode == 0:
            regs[0] = self.const(1)
        elif p.ref_mode == 1:
            regs[0] = self.port("i_not_refractory", 0, 1)
        gate: _Node | None = None
        region_end = -1
        region_saved: dict[int, _Node | None] = {}

        def slot_value(i: int) -> _Node:
            if i not in slot_now:
                slot_now[i] = self.port(f"slot:{p.slot_names[i]}", fmt.store_min, fmt.store_max)
            return slot_now[i]

        for pc, row in enumerate(p.code):
            if pc == region_end + 1 and gate is not None:
                # Leaving the skipped reset: a register it wrote keeps its old value when it was skipped.
                for r, old in region_saved.items():
                    if old is None:
                        regs.pop(r, None)
                    else:
                        regs[r] = self.mux(gate, regs[r], old)
                gate, region_saved = None, {}
            op, dst, a, b, c = (int(v) for v in row)
            name = _OPNAME.get(op, f"op{op}")
            text = f"{name} {dst} {a} {b} {c}"

            def reg(r: int) -> _Node:
                if r not in regs:
                    raise LoweringError(f"reads register {r} before it is written")
                return regs[r]
            try:
                out: _Node | None = None
                if op == OP["load"]:
                    out = slot_value(a)
                elif op == OP["loadk"]:
                    out = self.const(int(p.consts[a]))
                elif op in (OP["store"], OP["storeif"]):
                    value = reg(a)
                    cond = gate
                    if op == OP["storeif"]:
                        cond = self.nz(reg(b)) if cond is None else self.and_(cond, reg(b))
                    narrowed = self.limit(value, fmt.total, fmt.overflow)
                    own = self.outside(value, fmt.total)
                    running = self.any_(self.pending)
                    self.pending = []
                    self.charged.append(running if gate is None else self.and_(gate, running))
                    self.charged.append(own if cond is None else self.and_(cond, own))
                    slot_now[dst] = narrowed if cond is None else self.mux(cond, narrowed, slot_value(dst))
                    stored.add(dst)
                elif op in (OP["+"], OP["-"]):
                    raw = (self.add if op == OP["+"] else self.sub)(reg(a), reg(b))
                    out = self.acc_limited(raw)
                elif op == OP["addk"]:
                    out = self.acc_limited(self.add(reg(a), self.const(int(p.consts[b]))))
                elif op == OP["*"]:
                    out = self.acc_limited(self.mul_shift(reg(a), reg(b), fmt.frac))
                elif op == OP["mulk"]:
                    # The factor consts[b] / 2**(frac + c): c extra fraction bits (docs/fixed-point.md section 3).
                    out = self.acc_limited(self.mul_shift(reg(a), self.const(int(p.consts[b])), fmt.frac + c))
                elif op == OP["/"]:
                    divisor = reg(b)
                    out = self.const_div(reg(a), divisor.lo) if divisor.const else self.var_div(reg(a), divisor)
                elif op == OP["neg"]:
                    out = self.acc_limited(self.neg(reg(a)))
                elif name in ("<", "<=", ">", ">=", "==", "!="):
                    out = self.cmp(name, reg(a), reg(b))
                elif op == OP["and"]:
                    out = self.and_(reg(a), reg(b))
                elif op == OP["or"]:
                    out = self.or_(reg(a), reg(b))
                elif op == OP["not"]:
                    out = self.cmp("==", reg(a), self.const(0))
                elif op == OP["select"]:
                    out = self.mux(reg(a), reg(b), reg(c))
                elif op == OP["clip"]:
                    v, lo, hi = reg(a), reg(b), reg(c)
                    out = self.mux(self.cmp("<", v, lo), lo, self.mux(self.cmp(">", v, hi), hi, v))
                elif op == OP["call"]:
                    out = self.call(b, reg(a))
                elif op == OP["table"]:
                    out = self.table(reg(a), b)
                elif op == OP["rand"]:
                    out = self.uniform(2 * a)
                elif op == OP["randn"]:
                    draws = [self.uniform(RANDN_SITE_OFFSET + 16 * a + j) for j in range(12)]
                    while len(draws) > 1:
                        draws = [self.add(draws[i], draws[i + 1]) if i + 1 < len(draws) else draws[i]
                                 for i in range(0, len(draws), 2)]
                    out = self.acc_limited(self.add(draws[0], self.const(-6 * fmt.one)))
                elif op == OP["special"]:
                    out = self.special(a)
                elif op == OP["skipnone"]:
                    if gate is not None:
                        raise LoweringError("a `skipnone` inside a skipped region", pc, text)
                    if b > 0:
                        gate = self.nz(reg(a))
                        region_end = pc + b
                        region_saved = {}
                else:
                    raise LoweringError(f"the datapath has no rule for `{name}`"
                                        + (" (fixed-point programs have no powers)" if op == OP["**"] else ""),
                                        pc, text)
            except LoweringError as exc:
                if exc.instruction is None:
                    raise LoweringError(str(exc), pc, text) from exc
                raise
            if out is not None:
                if gate is not None and dst not in region_saved:
                    region_saved[dst] = regs.get(dst)
                regs[dst] = out
        if gate is not None:
            for r, old in region_saved.items():
                if old is None:
                    regs.pop(r, None)
                else:
                    regs[r] = self.mux(gate, regs[r], old)
        # Flags still pending after the last store are dropped, as the VM drops them.
        self.spike = self.nz(regs[1]) if 1 in regs else self.const(0)
        self.overflow = self.any_(self.charged)
        self.stored = stored
        self.slot_now = slot_now


class NeuronDatapath(wiring.Component):
    """One step of one neuron of a compiled fixed-point ``program``, pipelined, one neuron per clock.

    Parameters
    ----------
    program:
        A fixed-point :class:`~engine.program.Program` (``compile_program(ir, fmt)``).
    seed:
        The population's random seed (64 bits, as :class:`~engine.population_vm.PopulationVM` masks it).
    population_size:
        ``N``, the population's size (the ``N`` special).
    neuron_bits:
        Width of ``i_neuron``; ``population_size`` must fit.
    tag_width:
        Width of ``i_tag``/``o_tag`` (passed through unchanged, for the caller's bookkeeping).
    dt:
        The IR's ``dt`` (model time units, ``ir.dt``), quantized as the VM's ``dt_q``; needed
        only when the program reads ``t`` or ``dt``.

    Attributes
    ----------
    read_slots, write_slots:
        Slot names (in slot order) with an input port (every slot loaded or stored) and with an
        output port (every slot stored by ``store``/``storeif``).
    i_slots, o_slots:
        ``dict`` slot name -> the port signal ``i_slot_<name>`` / ``o_slot_<name>``, ``signed(total)``.
    latency:
        Clocks from an input (``i_valid``) to its outputs (``o_valid``).
    resources:
        A :class:`DatapathResources` summary.

    Ports
    -----
    In: ``i_valid`` (1), ``i_tag`` (``tag_width``), ``i_neuron`` (``neuron_bits``, the index in the
    population for ``i`` and ``rand``), ``i_step`` (64, the step number for ``t`` and ``rand``),
    ``i_not_refractory`` (1: the refractory counter is zero; used only when ``program.ref_mode == 1``
    — without refractoriness the VM uses 1, with a refractory condition the program computes it),
    ``i_slot_<name>`` per read slot (pre-step raw values, inputs already written).
    Out, ``latency`` clocks later: ``o_valid``, ``o_tag``, ``o_spike`` (register 1 != 0),
    ``o_slot_<name>`` per write slot (post-step raw value; the input unchanged when no store fired),
    ``o_overflow`` (any flag the VM would count for this neuron in this step; the reset's and the
    threshold's only when the neuron spikes).

    Raises
    ------
    LoweringError
        For anything the datapath cannot lower, naming the instruction.
    """

    def __init__(self, program: Program, *, seed: int, population_size: int, neuron_bits: int = 16,
                 tag_width: int = 16, dt: float | None = None):
        try:
            self._lower(program, seed, population_size, neuron_bits, tag_width, dt)
        except LoweringError:
            self._MustUse__silence = True  # a refused program leaves no half-built component to warn about
            raise

    def _lower(self, program, seed, population_size, neuron_bits, tag_width, dt) -> None:
        if program.fmt is None:
            raise LoweringError("the datapath needs a fixed-point program (compile it with a QFormat)")
        if not 1 <= neuron_bits <= 64:
            raise LoweringError(f"neuron_bits must be 1..64, not {neuron_bits}")
        if not 1 <= population_size <= (1 << neuron_bits):
            raise LoweringError(f"population_size {population_size} does not fit {neuron_bits} neuron bits")
        if tag_width < 1:
            raise LoweringError(f"tag_width must be at least 1, not {tag_width}")
        self.program = program
        self.fmt = program.fmt
        self.seed = int(seed) & _MASK64
        self.population_size = population_size
        self.neuron_bits = neuron_bits
        self.tag_width = tag_width
        low = _Lowering(program, self.seed, population_size, neuron_bits, dt)
        low.lower()
        self._low = low
        names = program.slot_names
        read = {i for i in range(len(names)) if f"slot:{names[i]}" in low.ports}
        self.read_slots = tuple(names[i] for i in sorted(read | low.stored))
        self.write_slots = tuple(names[i] for i in sorted(low.stored))
        for i in sorted(read | low.stored):
            low.port(f"slot:{names[i]}", self.fmt.store_min, self.fmt.store_max)
        self._outputs: list[tuple[str, _Node]] = [("o_spike", low.spike), ("o_overflow", low.overflow)]
        self._outputs += [(f"o_slot_{names[i]}", low.slot_now[i]) for i in sorted(low.stored)]
        self._live = self._live_nodes()
        self.stages = max((n.stage for n in self._live if not n.const), default=0) + 1
        self.latency = self.stages
        self.resources = self._resources()

        total = self.fmt.total
        members = {"i_valid": In(1), "i_tag": In(tag_width), "i_neuron": In(neuron_bits), "i_step": In(64),
                   "i_not_refractory": In(1)}
        members.update({f"i_slot_{s}": In(signed(total)) for s in self.read_slots})
        members.update({"o_valid": Out(1), "o_tag": Out(tag_width), "o_spike": Out(1), "o_overflow": Out(1)})
        members.update({f"o_slot_{s}": Out(signed(total)) for s in self.write_slots})
        super().__init__(wiring.Signature(members))
        self.i_slots = {s: getattr(self, f"i_slot_{s}") for s in self.read_slots}
        self.o_slots = {s: getattr(self, f"o_slot_{s}") for s in self.write_slots}

    # -- analysis ---------------------------------------------------------------------------
    def _live_nodes(self) -> list[_Node]:
        seen: set[int] = set()
        stack = [n for _, n in self._outputs]
        while stack:
            n = stack.pop()
            if n.index in seen:
                continue
            seen.add(n.index)
            stack.extend(n.args)
        return [n for n in self._low.nodes if n.index in seen]

    def _delays(self) -> dict[int, int]:
        """For each live node, the last stage that reads it (its delay chain ends there)."""
        last = self.stages - 1
        until: dict[int, int] = {}
        for n in self._live:
            for a in n.args:
                until[a.index] = max(until.get(a.index, a.stage), n.in_stage)
        for _, n in self._outputs:
            until[n.index] = last
        return until

    def _resources(self) -> DatapathResources:
        until = self._delays()
        regs = bits = 0
        for n in self._live:
            if n.const:
                continue
            k = until.get(n.index, n.stage) - n.stage
            regs += k
            bits += k * n.shape.width
        # Output registers (spike, overflow, one per write slot) and the valid/tag delay line.
        regs += len(self._outputs) + 2 * self.latency
        bits += 2 + self.fmt.total * len(self.write_slots) + self.latency * (1 + self.tag_width)
        mults = tuple((n.args[0].shape.width, n.args[1].shape.width) for n in self._live
                      if n.kind in ("mul",))
        mults += tuple((n.args[0].shape.width, 64) for n in self._live if n.kind in ("hash3", "hash5"))
        mults += tuple((w, 64) for n in self._live if n.kind == "hash0"
                       for w in (self.neuron_bits, 64))
        divs = sum(1 for n in self._live if n.kind == "divstep")
        return DatapathResources(self.stages, self.latency, regs, bits, mults, divs,
                                 sum(1 for n in self._live if n.kind == "rom"))

    def multipliers_given(self, fixed: set[str] | frozenset[str]) -> tuple[tuple[int, int], ...]:
        """The operand widths of the multipliers left when the slots ``fixed`` are fed with constants.

        Synthesis (Yosys's ``opt_expr``) folds what is computed from constants within one pipeline stage;
        a value registered into a later stage is a flip-flop to it, no longer a constant."""
        constant: dict[int, bool] = {}
        for n in self._live:  # nodes come in creation order: arguments before their users
            if n.kind == "port":
                constant[n.index] = n.emit.startswith("slot:") and n.emit[5:] in fixed
            else:
                constant[n.index] = all(a.const or (constant.get(a.index, False) and a.stage == n.in_stage)
                                        for a in n.args)
        kept = {n.index for n in self._live if not constant[n.index]}
        return tuple(w for n, w in zip(self._multiplier_nodes(), self.resources.multipliers) if n.index in kept)

    def _multiplier_nodes(self) -> list[_Node]:
        """The live nodes behind :attr:`DatapathResources.multipliers`, in its order."""
        nodes = [n for n in self._live if n.kind == "mul"]
        nodes += [n for n in self._live if n.kind in ("hash3", "hash5")]
        return nodes + [n for n in self._live if n.kind == "hash0" for _ in range(2)]

    # -- hardware ---------------------------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        low = self._low
        last = self.stages - 1
        port_signals = {"i_neuron": self.i_neuron, "i_step": self.i_step,
                        "i_not_refractory": self.i_not_refractory}
        port_signals.update({f"slot:{s}": self.i_slots[s] for s in self.read_slots})
        memories = {}
        for t, (_, _, knots, slopes) in low.tables.items():
            kw = _shape(min(knots), max(knots)).width
            sw = _shape(min(slopes), max(slopes)).width
            init = [(k & ((1 << kw) - 1)) | ((s & ((1 << sw) - 1)) << kw) for k, s in zip(knots, slopes)]
            memories[t] = m.submodules[f"table{t}"] = Memory(shape=unsigned(kw + sw), depth=len(init), init=init)
        values: dict[int, object] = {}
        chains: dict[int, list] = {}

        def at(n: _Node, stage: int):
            if n.const:
                return Const(n.lo, n.shape)
            if stage == n.stage:
                return values[n.index]
            chain = chains.setdefault(n.index, [values[n.index]])
            while len(chain) <= stage - n.stage:
                r = Signal(n.shape, name=f"n{n.index}_{n.kind}_s{n.stage + len(chain)}")
                m.d.sync += r.eq(chain[-1])
                chain.append(r)
            return chain[stage - n.stage]

        for n in self._live:
            if n.const:
                continue
            if n.kind == "port":
                values[n.index] = port_signals[n.emit]
                continue
            args = [at(a, n.in_stage) for a in n.args]
            if n.kind == "rom":
                port = memories[n.emit].read_port(domain="sync")
                m.d.comb += port.addr.eq(args[0])
                values[n.index] = port.data
                continue
            sig = Signal(n.shape, name=f"n{n.index}_{n.kind}")
            m.d.comb += sig.eq(n.emit(m, *args))
            values[n.index] = sig

        for name, n in self._outputs:
            m.d.sync += getattr(self, name).eq(at(n, last))
        valid, tag = self.i_valid, self.i_tag
        for k in range(self.latency):
            v, g = Signal(name=f"valid_s{k}"), Signal(self.tag_width, name=f"tag_s{k}")
            m.d.sync += [v.eq(valid), g.eq(tag)]
            valid, tag = v, g
        m.d.comb += [self.o_valid.eq(valid), self.o_tag.eq(tag)]
        return m


@dataclass(frozen=True)
class NeuronVerilog:
    """The Verilog of one neuron's datapath (``module``), as the playground shows it."""

    module: str
    text: str
    fmt: QFormat
    latency: int
    resources: DatapathResources


def neuron_verilog(program: Program, *, module: str, dt: float | None = None, seed: int = 0,
                   population_size: int = 1) -> NeuronVerilog:
    """The datapath of ``program`` for a population of ``population_size`` as a Verilog module."""
    from amaranth.back import verilog

    dp = NeuronDatapath(program, seed=seed, population_size=population_size,
                        neuron_bits=max(1, (population_size - 1).bit_length()), dt=dt)
    text = verilog.convert(dp, name=module, emit_src=False)
    return NeuronVerilog(module, text, program.fmt, dp.latency, dp.resources)
