"""A NumPy reference interpreter of the IR, independent of the bytecode compiler and the VM.

:class:`ReferencePopulation` walks the IR's expression trees over arrays of
neurons, in float64 or in fixed point with the array rules of
:mod:`engine.fixedpoint`, and follows the VM's step, input, random-number and
overflow-counting semantics exactly, so tests can demand bit-for-bit equality
in fixed point, and to the last bit in float64 (functions come from the C
library, as in the VM).  It is slow and meant for tests and for checking new
kernels.

Fixed-point accounting follows the VM (ext/vm.pyx): every arithmetic result is
limited to the accumulator and each out-of-range value counts as one overflow;
the counts gathered since the previous store are charged to the slot of the
next store (together with that store's own narrowing).  The VM evaluates the
reset of a block of :data:`BLOCK` neurons when any of them spikes, for every
neuron of the block, and counts its accumulator overflows for all of them;
counts left after the last store of a block (e.g. from the threshold) are
dropped.  The reference does the same, block by block.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from engine.errors import ModelError
from engine.equations import expr as E
from engine.equations.elementary import lower_elementary
from engine.equations.ir import NeuronIR, refractory_steps
from engine.fixedpoint import QFormat, function_table, fx_div, limit, shift_product, table_lookup
from engine.native import vm as _vm
from engine.program import lower_for_fixed
from engine.population_vm import RunResult

RANDN_SITE_OFFSET = _vm.RANDN_SITE_OFFSET

BLOCK = 128  # neurons the VM steps together (ext.vm.BLOCK_SIZE)
SPECIALS = ("t", "dt", "i", "N")

_M64 = (1 << 64) - 1
_U = np.uint64
# docs/fixed-point.md section 8: the SplitMix64 finaliser (its increment and two multipliers) and the
# multipliers that key it by neuron, step and site; the datapath (hdl/datapath.py) uses these too.
MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
KEY = (0xD1B54A32D192ED03, 0x8CB92BA72F3D8DD7, 0xA0761D6478BD642F)


def _mix64(z: np.ndarray) -> np.ndarray:
    z = z + _U(MIX[0])
    z = (z ^ (z >> _U(30))) * _U(MIX[1])
    z = (z ^ (z >> _U(27))) * _U(MIX[2])
    return z ^ (z >> _U(31))


def random_bits(seed: int, neurons: np.ndarray, step: int, site: int) -> np.ndarray:
    """The VM's counter-based random bits: a SplitMix64 finaliser of (seed, neuron, step, site).

    ``neurons`` is an array of neuron indices; returns uint64 of the same shape.
    """
    neurons = np.atleast_1d(np.asarray(neurons, dtype=np.uint64))
    key = (seed ^ (step * KEY[1]) ^ (site * KEY[2])) & _M64
    return _mix64((neurons * _U(KEY[0])) ^ _U(key))


def _uniform(bits: np.ndarray) -> np.ndarray:
    return (bits >> _U(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


class _Block:
    """What one block of neurons sees while its program runs."""

    __slots__ = ("slots", "temps", "nr", "idx", "step", "consts", "memo", "added")

    def __init__(self, slots: list[np.ndarray], idx: np.ndarray, step: int, consts: list[np.ndarray]):
        self.slots = slots
        self.temps: dict[str, np.ndarray] = {}
        self.nr = None
        self.idx = idx
        self.step = step
        self.consts = consts
        self.memo: dict[int, tuple[np.ndarray, int]] = {}  # shared sub-tree -> (value, overflows it counted)
        self.added: list[int] = []  # memo entries of an optimistic attempt, dropped if it fails


Fn = Callable[[_Block], np.ndarray]


class _Strict(Exception):
    """An optimistic fixed-point evaluation met a case that needs the strict rules."""


class _FloatRules:
    """float64 arithmetic as the float VM does it (C semantics: 0/1 booleans, NaN-propagating)."""

    dtype = np.float64
    strict = True
    nbad = 0

    def __init__(self, ir: NeuronIR, seed: int, n: int):
        self.dt = ir.dt
        self.seed = seed
        self.n = n

    def optimistic(self, f: Fn, b: _Block) -> tuple[bool, np.ndarray]:
        return True, f(b)

    def attempt(self, f: Fn, b: _Block) -> np.ndarray:
        return f(b)

    def const(self, value: float) -> float:
        return float(value)

    def store(self, value: np.ndarray, old: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, int]:
        return (value if mask is None else np.where(mask, value, old)), 0

    def truth(self, b: np.ndarray) -> np.ndarray:
        return b.astype(np.float64)

    def neg(self, a):
        return -a

    def binary(self, op: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        if op == "**":
            return _libm(np.power, math.pow)
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op]

    def function(self, fn: str) -> Callable[..., np.ndarray]:
        if fn in ("exp", "log", "sin", "cos", "tan", "tanh"):
            return _libm(getattr(np, fn), getattr(math, fn))
        return {
            "sqrt": np.sqrt, "abs": np.abs, "exprel": _exprel, "floor": np.floor, "ceil": np.ceil,
            "int": np.trunc, "sign": lambda x: (x > 0).astype(np.float64) - (x < 0),
            "clip": lambda x, lo, hi: np.where(x < lo, lo, np.where(x > hi, hi, x)),
        }[fn]

    def special(self, name: str, b: _Block) -> np.ndarray:
        if name == "t":
            return np.full(len(b.idx), b.step * self.dt)
        if name == "dt":
            return np.full(len(b.idx), self.dt)
        if name == "i":
            return b.idx.astype(np.float64)
        return np.full(len(b.idx), float(self.n))

    def rand(self, b: _Block, site: int) -> np.ndarray:
        return _uniform(random_bits(self.seed, b.idx, b.step, 2 * site))

    def randn(self, b: _Block, site: int) -> np.ndarray:
        """Box-Muller from the sites ``2 site`` and ``2 site + 1``."""
        v = 1.0 - _uniform(random_bits(self.seed, b.idx, b.step, 2 * site))
        u = _uniform(random_bits(self.seed, b.idx, b.step, 2 * site + 1))
        return np.sqrt(-2.0 * _log(v)) * _cos(2.0 * math.pi * u)

    def lastspike(self, step: int) -> float:
        return (step + 1) * self.dt

    def quantize_input(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)


def _libm(ufunc: Callable[..., np.ndarray], scalar: Callable[..., float]) -> Callable[..., np.ndarray]:
    """A function evaluated by the C library (through :mod:`math`), as the VM evaluates it.

    NumPy's vectorised versions differ from the C library by one unit in the
    last place for a few percent of arguments, which chaotic models amplify.
    Where :mod:`math` refuses (domain or range errors) the NumPy value, which
    follows C's special values, is kept.
    """
    def f(*args: np.ndarray) -> np.ndarray:
        out = ufunc(*args)
        for k, xs in enumerate(zip(*np.broadcast_arrays(*args))):
            try:
                out[k] = scalar(*xs)
            except (ValueError, OverflowError):
                pass
        return out
    return f


_expm1 = _libm(np.expm1, math.expm1)
_log = _libm(np.log, math.log)
_cos = _libm(np.cos, math.cos)


def _exprel(x: np.ndarray) -> np.ndarray:
    small = 1.0 + x / 2.0 + x * x / 6.0
    return np.where(x == 0.0, 1.0, np.where(np.abs(x) < 1e-5, small, _expm1(x) / x))


class _FixedRules:
    """Fixed-point arithmetic of ``fmt`` with the VM's per-operation overflow counting.

    Each statement is first evaluated optimistically: no limiting, every
    intermediate value kept.  When all of them fit the accumulator (and no
    division by zero occurs) the strict rules would have changed nothing and
    the result stands; otherwise the statement is evaluated again with
    :func:`~engine.fixedpoint.limit` after every operation and its overflows
    counted.  The strict path is the specification; the optimistic one only
    saves time on small arrays.
    """

    dtype = np.int64

    def __init__(self, ir: NeuronIR, fmt: QFormat, seed: int, n: int):
        self.fmt = fmt
        self.seed = seed
        self.n = n
        self.dt_q = fmt.quantize(ir.dt)
        self.top = 1 << (fmt.acc - 1)
        self.nbad = 0  # accumulator overflows since the last store of the block
        self.strict = True
        self.pending: list[np.ndarray] = []

    def optimistic(self, f: Fn, b: _Block) -> tuple[bool, np.ndarray]:
        """Evaluate without limiting; ``ok`` is whether that is what the strict rules give."""
        self.strict = False
        self.pending = []
        value, nbad = None, self.nbad
        try:
            value = f(b)
            ok = self._pending_fits()
        except _Strict:
            ok = False
        finally:
            self.strict = True
        if not ok:  # forget what the attempt remembered and counted (replayed overflows)
            for k in b.added:
                b.memo.pop(k, None)
            self.nbad = nbad
        b.added.clear()
        return ok, value

    def attempt(self, f: Fn, b: _Block) -> np.ndarray:
        ok, value = self.optimistic(f, b)
        return value if ok else f(b)

    def _pending_fits(self) -> bool:
        if not self.pending:
            return True
        values = np.concatenate(self.pending)
        return bool(values.min() >= -self.top and values.max() < self.top)

    def const(self, value: float) -> int:
        return self.fmt.quantize(value)

    def _acc(self, x: np.ndarray) -> np.ndarray:
        if not self.strict:
            self.pending.append(x)
            return x
        if x.min() >= -self.top and x.max() < self.top:  # limit() would change nothing (and is slow)
            return x
        v, bad = limit(x, self.fmt.acc, self.fmt.overflow)
        self.nbad += int(np.count_nonzero(bad))
        return v

    def store(self, value: np.ndarray, old: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, int]:
        top = 1 << (self.fmt.total - 1)
        charged, self.nbad = self.nbad, 0
        if value.min() < -top or value.max() >= top:
            value, bad = limit(value, self.fmt.total, self.fmt.overflow)
            charged += int(np.count_nonzero(bad if mask is None else bad & mask))
        return (value if mask is None else np.where(mask, value, old)), charged

    def truth(self, b: np.ndarray) -> np.ndarray:
        return b.astype(np.int64)

    def binary(self, op: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        fmt = self.fmt
        if op == "+":
            return lambda a, b: self._acc(a + b)
        if op == "-":
            return lambda a, b: self._acc(a - b)
        if op == "*":
            return lambda a, b: self._acc(shift_product(a * b, fmt))
        if op == "/":
            return self._div
        raise ValueError(f"fixed point has no rule for `{op}` (lower_for_fixed removes it)")

    def mulk(self, fa: Fn, raw: int, e: int) -> Fn:
        """``x * c`` with ``c = raw / 2**(frac + e)`` (``QFormat.coefficient``): ``limit(shift(x * raw, frac + e))``."""
        fmt, s = self.fmt, self.fmt.frac + e
        return lambda b: self._acc(shift_product(fa(b) * raw, fmt, s))

    def _div(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.strict:
            v, bad = fx_div(a, b, self.fmt)
            # The VM also counts a division by zero (saturated to the accumulator's ends) as an overflow.
            self.nbad += int(np.count_nonzero(bad | (b == 0)))
            return v
        if not b.all():
            raise _Strict
        num = a << self.fmt.frac
        q = num // b
        q = q + ((q < 0) & (q * b != num))  # floor to truncation toward zero, as fx_div
        self.pending.append(q)
        return q

    def neg(self, a):
        return self._acc(-a)

    def function(self, fn: str) -> Callable[..., np.ndarray]:
        frac = self.fmt.frac
        one = self.fmt.one
        if fn == "abs":
            return lambda x: self._acc(np.abs(x))
        if fn == "floor":
            return lambda x: (x >> frac) << frac
        if fn == "ceil":
            return lambda x: self._acc(-(((-x) >> frac) << frac))
        if fn == "int":
            return lambda x: self._acc(np.where(x >= 0, (x >> frac) << frac, -(((-x) >> frac) << frac)))
        if fn == "sign":
            return lambda x: self._acc(np.sign(x) * one)
        if fn == "clip":
            return lambda x, lo, hi: np.where(x < lo, lo, np.where(x > hi, hi, x))
        table = function_table(fn, self.fmt)
        return lambda x: table_lookup(table, x, self.fmt)

    def _int_acc(self, x) -> np.ndarray:
        return limit(np.asarray(x, dtype=np.int64), self.fmt.acc, "saturate")[0]

    def special(self, name: str, b: _Block) -> np.ndarray:
        m = len(b.idx)
        if name == "t":
            return self._int_acc(np.full(m, b.step * self.dt_q))
        if name == "dt":
            return np.full(m, self.dt_q, dtype=np.int64)
        if name == "i":
            return self._int_acc(b.idx * self.fmt.one)
        return self._int_acc(np.full(m, self.n * self.fmt.one))

    def _bits(self, b: _Block, site: int) -> np.ndarray:
        return (random_bits(self.seed, b.idx, b.step, site) >> _U(64 - self.fmt.frac)).astype(np.int64)

    def rand(self, b: _Block, site: int) -> np.ndarray:
        if self.fmt.frac == 0:
            return np.zeros(len(b.idx), dtype=np.int64)
        return self._bits(b, 2 * site)

    def randn(self, b: _Block, site: int) -> np.ndarray:
        """Irwin-Hall: twelve uniforms (sites ``RANDN_SITE_OFFSET + 16 site + j``, apart from every rand
        site) minus six."""
        total = np.zeros(len(b.idx), dtype=np.int64)
        if self.fmt.frac > 0:
            for j in range(12):
                total += self._bits(b, RANDN_SITE_OFFSET + 16 * site + j)
        return self._acc(total - 6 * self.fmt.one)

    def lastspike(self, step: int) -> int:
        return int(limit(np.array([(step + 1) * self.dt_q]), self.fmt.total, "saturate")[0][0])

    def quantize_input(self, values: np.ndarray) -> np.ndarray:
        """Model-unit values to raw integers, as PopulationVM stores inputs (nearest, saturated to storage)."""
        return self.fmt.to_store(values)


class _Interpreter:
    """The IR's statements as closures over a :class:`_Block`, built once.

    Random-number sites are numbered in the order the VM's compiler meets
    them: refractory condition, update, receive, threshold, reset, each tree
    left to right.  Sub-trees without random numbers that occur more than once
    share one closure whose value is remembered until the next store to a slot;
    a remembered value replays the overflows it counted, since the VM
    evaluates every occurrence.
    """

    def __init__(self, ir: NeuronIR, rules):
        self.ir = ir
        self.rules = rules
        self.slot_index = {s.name: k for k, s in enumerate(ir.slots)}
        self.const_values: list = []
        self.sites = 0
        prep = lower_for_fixed if isinstance(rules, _FixedRules) else lower_elementary
        cond = prep(ir.refractory_condition) if ir.refractory_kind == "condition" else None
        body = [(a.target, prep(a.expr)) for a in ir.update]
        body += [(a.target, prep(a.expr)) for stmts in ir.receive.values() for a in stmts]
        threshold = prep(ir.threshold) if ir.threshold is not None else None
        reset = [(a.target, prep(a.expr)) for a in ir.reset]
        self.repeated = _repeated([cond, threshold] + [e for _, e in body + reset])
        self.shared: dict[E.Expr, Fn] = {}
        self.condition = self.compile(cond) if cond is not None else None
        # Stores (target, closure), and runs of temporaries (None, closure of the run, its statements).
        self.body: list[tuple[str | None, Fn, list[tuple[str, Fn]]]] = []
        run: list[tuple[str, Fn]] = []
        for t, e in body:
            if t.startswith("_"):
                run.append((t, self.compile(e)))
                continue
            if run:
                self.body.append((None, _temporaries(run), run))
                run = []
            self.body.append((t, self.compile(e), []))
        if run:
            self.body.append((None, _temporaries(run), run))
        self.threshold = self.compile(threshold) if threshold is not None else None
        self.reset = [(t, self.compile(e)) for t, e in reset]

    def constants(self, m: int) -> list[np.ndarray]:
        return [np.full(m, v, dtype=self.rules.dtype) for v in self.const_values]

    def compile(self, e: E.Expr) -> Fn:
        if isinstance(e, (E.Const, E.Ref)):
            return self._leaf(e)
        if e not in self.repeated:
            return self._node(e)
        f = self.shared.get(e)
        if f is None:
            f = self.shared[e] = self._remembered(e, self._node(e))
        return f

    def _remembered(self, e: E.Expr, raw: Fn) -> Fn:
        k = len(self.shared)
        rules = self.rules

        def f(b: _Block) -> np.ndarray:
            hit = b.memo.get(k)
            if hit is not None:
                rules.nbad += hit[1]
                return hit[0]
            before = rules.nbad
            value = raw(b)
            b.memo[k] = (value, rules.nbad - before)
            if not rules.strict:
                b.added.append(k)
            return value
        return f

    def _leaf(self, e: E.Const | E.Ref) -> Fn:
        if isinstance(e, E.Const):
            k = len(self.const_values)
            self.const_values.append(self.rules.const(e.value))
            return lambda b: b.consts[k]
        name = e.name
        if name.startswith("_"):
            return lambda b: b.temps[name]
        if name == "not_refractory":
            return lambda b: b.nr
        if name in SPECIALS:
            return lambda b: self.rules.special(name, b)
        k = self.slot_index[name]
        return lambda b: b.slots[k]

    def _node(self, e: E.Expr) -> Fn:
        r = self.rules
        if isinstance(e, E.Unary):
            fa = self.compile(e.a)
            if e.op == "-":
                return lambda b: r.neg(fa(b))
            return lambda b: r.truth(fa(b) == 0)
        if isinstance(e, E.Binary):
            if e.op == "*" and isinstance(r, _FixedRules) and isinstance(e.a, E.Const) != isinstance(e.b, E.Const):
                # A product by one constant (the VM's mulk): the factor has its own precision.
                k, x = (e.b, e.a) if isinstance(e.b, E.Const) else (e.a, e.b)
                return r.mulk(self.compile(x), *r.fmt.coefficient(k.value))
            fa, fb = self.compile(e.a), self.compile(e.b)
            return self._binary(e.op, fa, fb)
        if isinstance(e, E.Select):
            fc, fa, fb = self.compile(e.cond), self.compile(e.a), self.compile(e.b)
            # Both branches are evaluated (and counted), as in the VM.
            return lambda b: _select(fc(b), fa(b), fb(b))
        if isinstance(e, E.Call):
            if e.fn in ("rand", "randn"):
                site = self.sites
                self.sites += 1
                draw = r.rand if e.fn == "rand" else r.randn
                return lambda b: draw(b, site)
            args = [self.compile(a) for a in e.args]
            fn = r.function(e.fn)
            if len(args) == 1:
                f0 = args[0]
                return lambda b: fn(f0(b))
            return lambda b: fn(*(f(b) for f in args))
        raise TypeError(e)

    def _binary(self, op: str, fa: Fn, fb: Fn) -> Fn:
        truth = self.rules.truth
        if op in ("+", "-", "*", "/", "**"):
            f = self.rules.binary(op)
            return lambda b: f(fa(b), fb(b))
        if op == "and":
            return lambda b: truth((fa(b) != 0) & (fb(b) != 0))
        if op == "or":
            return lambda b: truth((fa(b) != 0) | (fb(b) != 0))
        cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
               "==": np.equal, "!=": np.not_equal}[op]
        return lambda b: truth(cmp(fa(b), fb(b)))


def _temporaries(run: list[tuple[str, Fn]]) -> Fn:
    """One closure assigning a run of temporaries (checked as one optimistic attempt)."""
    def assign(b: _Block) -> None:
        for name, f in run:
            if name in b.temps:  # assigned again: remembered values may read the old one
                b.memo.clear()
            b.temps[name] = f(b)
    return assign


def _repeated(trees: list[E.Expr | None]) -> set[E.Expr]:
    """Compound sub-trees free of random numbers that occur more than once."""
    seen: set[E.Expr] = set()
    twice: set[E.Expr] = set()

    def walk(e: E.Expr) -> None:
        if isinstance(e, (E.Const, E.Ref)) or E.is_random(e):
            for k in E.children(e):
                walk(k)
            return
        if e in seen:
            twice.add(e)
            return
        seen.add(e)
        for k in E.children(e):
            walk(k)

    for tree in trees:
        if tree is not None:
            walk(tree)
    return twice


def _select(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(c != 0, a, b)


class ReferencePopulation:
    """``n`` neurons of one IR stepped by the NumPy reference (same interface as PopulationVM).

    Values are in the model's unit system (float64) or raw integers of ``fmt``.
    """

    def __init__(self, ir: NeuronIR, n: int, fmt: QFormat | None = None, seed: int = 0):
        if ir.adaptive is not None:
            if fmt is None:
                raise ModelError("the reference has no adaptive integrator (method rkf45)")
            ir = ir.fixed_step  # what the fixed-point VM runs too (engine/program.py)
        self.ir = ir
        self.n = n
        self.fmt = fmt
        self.seed = int(seed) & _M64
        self.rules = _FloatRules(ir, self.seed, n) if fmt is None else _FixedRules(ir, fmt, self.seed, n)
        self.interp = _Interpreter(ir, self.rules)
        self.step_index = 0
        self.counts = np.zeros(len(ir.slots), dtype=np.int64)
        self.slots = [self._initial(s.initial) for s in ir.slots]
        self.refc = np.zeros(n, dtype=np.int64)
        self.ref_steps = np.full(n, ir.refractory_steps, dtype=np.int64)
        if ir.refractory_kind == "param":
            self.ref_steps = refractory_steps(ir, self.get(ir.refractory_param))
        self._consts = {m: self.interp.constants(m) for m in {min(BLOCK, n), n % BLOCK} if m}

    def _initial(self, value: float) -> np.ndarray:
        if self.fmt is None:
            return np.full(self.n, value, dtype=np.float64)
        return np.full(self.n, self.fmt.to_store(value), dtype=np.int64)

    def get(self, name: str) -> np.ndarray:
        """Values of a slot in model units (floats, also in fixed point)."""
        raw = self.slots[self.ir.slot_index(name)]
        return raw.copy() if self.fmt is None else self.fmt.to_float(raw)

    def set(self, name: str, values) -> None:
        """Set a slot from model-unit values (quantized as PopulationVM does)."""
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), (self.n,))
        self.slots[self.ir.slot_index(name)] = np.array(self.rules.quantize_input(values))

    @property
    def overflows(self) -> dict[str, int]:
        """Overflow counts per slot (fixed point only)."""
        if self.fmt is None:
            return {}
        return {s.name: int(c) for s, c in zip(self.ir.slots, self.counts) if c}

    def run(self, nsteps: int, inputs: dict[str, np.ndarray] | None = None,
            record: tuple[str, ...] = ()) -> RunResult:
        """Advance ``nsteps``; ``inputs`` gives per-step values (model units) of slots, set before each step."""
        nsteps = int(nsteps)
        feeds = [(self.ir.slot_index(k), self.rules.quantize_input(np.broadcast_to(
            np.asarray(v, dtype=np.float64), (nsteps,)))) for k, v in (inputs or {}).items()]
        rec_idx = [self.ir.slot_index(k) for k in record]
        rec = np.zeros((nsteps, len(record), self.n), dtype=self.rules.dtype)
        steps, neurons = [], []
        with np.errstate(all="ignore"):
            for s in range(nsteps):
                for k, values in feeds:
                    self.slots[k] = np.full(self.n, values[s], dtype=self.rules.dtype)
                spiking = self._step()
                steps.append(np.full(len(spiking), self.step_index - 1, dtype=np.int32))
                neurons.append(spiking.astype(np.int32))
                for q, k in enumerate(rec_idx):
                    rec[s, q] = self.slots[k]
        empty = np.zeros(0, np.int32)
        return RunResult(rec, tuple(record), np.concatenate(steps) if steps else empty,
                         np.concatenate(neurons) if neurons else empty)

    def _step(self) -> np.ndarray:
        step = self.step_index
        spikes = np.zeros(self.n, dtype=bool)
        for j0 in range(0, self.n, BLOCK):
            j1 = min(j0 + BLOCK, self.n)
            spikes[j0:j1] = self._block(j0, j1, step)
        last = self.ir.slot_index("lastspike")
        self.slots[last] = np.where(spikes, self.rules.lastspike(step), self.slots[last])
        self.refc = np.where(spikes, self.ref_steps, np.where(self.refc > 0, self.refc - 1, 0))
        self.step_index += 1
        return np.flatnonzero(spikes)

    def _block(self, j0: int, j1: int, step: int) -> np.ndarray:
        whole = j1 - j0 == self.n
        # Statements rebind slots to new arrays; a block works on copies so writing back cannot alias.
        view = self.slots if whole else [a[j0:j1].copy() for a in self.slots]
        b = _Block(view, np.arange(j0, j1), step, self._consts[j1 - j0])
        ip, rules = self.interp, self.rules
        rules.nbad = 0
        if ip.condition is not None:
            b.nr = rules.truth(rules.attempt(ip.condition, b) == 0)
        else:
            b.nr = rules.truth(self.refc[j0:j1] == 0 if self.ir.refractory_kind != "none"
                               else np.ones(j1 - j0, dtype=bool))
        for target, f, run in ip.body:
            if target is not None:
                self._assign(b, target, rules.attempt(f, b), None)
            elif not rules.optimistic(f, b)[0]:
                # Redo the run statement by statement: only those that overflow need the strict rules.
                done: set[str] = set()
                for name, g in run:
                    if name in done:
                        b.memo.clear()
                    b.temps[name] = rules.attempt(g, b)
                    done.add(name)
        if ip.threshold is None:
            spk = np.zeros(j1 - j0, dtype=bool)
        else:
            spk = (rules.attempt(ip.threshold, b) != 0) & (b.nr != 0)
        if ip.reset and spk.any():
            for target, f in ip.reset:
                self._assign(b, target, rules.attempt(f, b), spk)
        if not whole:
            for k, a in enumerate(b.slots):
                self.slots[k][j0:j1] = a
        return spk

    def _assign(self, b: _Block, target: str, value: np.ndarray, mask: np.ndarray | None) -> None:
        b.memo.clear()
        k = self.interp.slot_index[target]
        b.slots[k], charged = self.rules.store(value, b.slots[k], mask)
        self.counts[k] += charged
