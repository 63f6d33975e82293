"""Signed fixed-point formats and the integer rules every back end shares.

docs/fixed-point.md is the specification; this module is its executable form
for scalars and NumPy arrays (the Cython VM and the hardware datapath, hdl/datapath.py, implement
the same rules).  Summary:

* A state or parameter is stored in ``total`` bits with ``frac`` fraction bits
  (``Q8.8``: 8 integer bits including the sign, 8 fraction bits).
* Every intermediate value is held in the accumulator: ``acc`` bits with the
  same ``frac`` fraction bits.  Booleans are the integers 0 and 1.
* ``a*b`` is the exact product shifted right by ``frac`` (floor, or round half
  up with ``rounding="nearest"``); a product by one constant (``mulk``) reads the
  constant as ``raw / 2**(frac + e)`` with its own ``e`` extra fraction bits
  (:meth:`QFormat.coefficient`) and shifts by ``frac + e``; ``a/b`` is ``(a << frac) / b`` truncated
  toward zero; results leave the accumulator range by saturating or wrapping.
* A store into a state saturates or wraps to ``total`` bits and counts an
  overflow for that variable.
* Functions are piecewise-linear tables (:class:`FunctionTable`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.errors import NeuroCoreError
from engine.equations.expr import SCALAR_FUNCTIONS

_Q = re.compile(r"^\s*Q(\d+)\.(\d+)\s*$", re.IGNORECASE)
TABLE_SEGMENTS = 256
# A constant factor (``mulk``) is quantized with ``frac + e`` fraction bits, ``0 <= e <= COEFF_EXTRA_MAX``,
# as finely as a raw value of at most COEFF_BITS signed bits allows (docs/fixed-point.md section 3).
COEFF_BITS = 16
COEFF_EXTRA_MAX = 16


class FormatError(NeuroCoreError):
    """A fixed-point format string or option is invalid."""


@dataclass(frozen=True)
class QFormat:
    """A signed fixed-point format with a wider accumulator."""

    total: int = 16
    frac: int = 8
    acc: int = 32
    overflow: str = "saturate"  # or "wrap"
    rounding: str = "truncate"  # or "nearest"

    def __post_init__(self):
        if not (2 <= self.total <= 32):
            raise FormatError(f"total width must be 2..32 bits, not {self.total}")
        if not (0 <= self.frac < self.total):
            raise FormatError(f"fraction bits must be 0..{self.total - 1}, not {self.frac}")
        if not (self.total <= self.acc <= 32):
            raise FormatError(f"accumulator width must be {self.total}..32 bits, not {self.acc}")
        if self.overflow not in ("saturate", "wrap"):
            raise FormatError(f"overflow must be `saturate` or `wrap`, not `{self.overflow}`")
        if self.rounding not in ("truncate", "nearest"):
            raise FormatError(f"rounding must be `truncate` or `nearest`, not `{self.rounding}`")

    @classmethod
    def parse(cls, text: str, **options) -> "QFormat":
        """``"Q8.8"`` -> 16 bits with 8 fraction bits; the accumulator defaults to min(2*total, 32)."""
        m = _Q.match(text)
        if m is None:
            raise FormatError(f"`{text}` is not a Q format (write e.g. `Q8.8`: integer.fraction bits)")
        integer, frac = int(m.group(1)), int(m.group(2))
        total = integer + frac
        if integer < 1:
            raise FormatError(f"`{text}` needs at least one integer bit for the sign")
        options.setdefault("acc", max(total, min(2 * total, 32)))
        return cls(total, frac, **options)

    @property
    def name(self) -> str:
        return f"Q{self.total - self.frac}.{self.frac}"

    @property
    def one(self) -> int:
        return 1 << self.frac

    @property
    def acc_min(self) -> int:
        return -(1 << (self.acc - 1))

    @property
    def acc_max(self) -> int:
        return (1 << (self.acc - 1)) - 1

    @property
    def store_min(self) -> int:
        return -(1 << (self.total - 1))

    @property
    def store_max(self) -> int:
        return (1 << (self.total - 1)) - 1

    def quantize(self, value: float) -> int:
        """A constant in accumulator format: round to nearest (half away from zero), then saturate."""
        if math.isnan(value):
            raise FormatError("cannot represent NaN in fixed point")
        if math.isinf(value):
            return self.acc_max if value > 0 else self.acc_min
        return int(min(max(_nearest(value, self.one), self.acc_min), self.acc_max))

    def coefficient(self, value: float) -> tuple[int, int]:
        """The constant factor of a ``mulk`` with its own precision: ``(raw, e)``, ``raw / 2**(frac + e)``.

        docs/fixed-point.md section 3: ``e`` is the largest of ``0..COEFF_EXTRA_MAX`` whose
        ``round(value * 2**(frac + e))`` (half away from zero) stays within ``COEFF_BITS`` signed
        bits and the accumulator range, or 0 when none does (then ``raw = quantize(value)``);
        then, while ``e > 0`` and ``raw`` is even, ``raw`` halves and ``e`` decreases (the same
        number, the same products; a constant the data format holds exactly keeps ``e = 0``).
        """
        if math.isnan(value):
            raise FormatError("cannot represent NaN in fixed point")
        if math.isinf(value) or abs(value) >= 2.0 ** COEFF_BITS:  # no room for any extra bit
            return self.quantize(value), 0
        top = min(self.acc_max, (1 << (COEFF_BITS - 1)) - 1)
        best = 0
        for e in range(1, COEFF_EXTRA_MAX + 1):
            if abs(_nearest(value, 2.0 ** (self.frac + e))) > top:
                break
            best = e
        if best == 0:
            return self.quantize(value), 0
        raw = int(_nearest(value, 2.0 ** (self.frac + best)))
        while best > 0 and raw % 2 == 0:
            raw //= 2
            best -= 1
        return raw, best

    def to_store(self, values) -> np.ndarray:
        """Model-unit values as raw storage integers: the one rule for every number that enters a slot
        (initial values, inputs, weights, set values; docs/fixed-point.md section 3).

        Round to nearest, half away from zero, then clip to the storage range (``+inf``/``-inf`` give
        ``store_max``/``store_min``); NaN is an error.
        """
        values = np.asarray(values, dtype=np.float64)
        if np.isnan(values).any():
            raise FormatError("cannot represent NaN in fixed point")
        return np.clip(_nearest(values, self.one), self.store_min, self.store_max).astype(np.int64)

    def to_float(self, raw):
        return np.asarray(raw, dtype=np.float64) / self.one


def _nearest(values, scale: float):
    """``values * scale`` rounded to an integer, half away from zero: an int for a number (a constant), an
    array of whole floats for an array."""
    if isinstance(values, (int, float)):
        raw = math.floor(abs(values) * scale + 0.5)
        return raw if values >= 0 else -raw
    return np.floor(np.abs(values) * scale + 0.5) * np.sign(values)


# -- array rules (NumPy int64), shared by the reference interpreter and tests ----

def limit(x: np.ndarray, bits: int, overflow: str) -> tuple[np.ndarray, np.ndarray]:
    """Bring int64 values into ``bits`` signed bits; returns (values, overflowed mask)."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    bad = (x < lo) | (x > hi)
    if overflow == "saturate":
        return np.clip(x, lo, hi), bad
    mask = (1 << bits) - 1
    return ((x - lo) & mask) + lo, bad


def shift_product(p: np.ndarray, fmt: QFormat, shift: int | None = None) -> np.ndarray:
    s = fmt.frac if shift is None else shift
    if s == 0:
        return p
    if fmt.rounding == "nearest":
        p = p + (1 << (s - 1))
    return p >> s


def fx_mul(a, b, fmt: QFormat):
    return limit(shift_product(a * b, fmt), fmt.acc, fmt.overflow)


def fx_div(a, b, fmt: QFormat):
    num = a << fmt.frac
    safe = np.where(b == 0, 1, b)
    q = np.abs(num) // np.abs(safe)
    q = np.where((num < 0) != (safe < 0), -q, q)
    q = np.where(b == 0, np.where(a >= 0, fmt.acc_max, fmt.acc_min), q)
    return limit(q, fmt.acc, fmt.overflow)


@dataclass(frozen=True)
class FunctionTable:
    """A piecewise-linear table for one function in one format.

    For a raw input ``x`` (accumulator format): below ``lo`` the result is
    ``knots[0]``, at or above ``lo + segments << shift`` it is ``knots[-1]``;
    otherwise with ``d = x - lo``, ``k = d >> shift`` and ``r = d & (2**shift - 1)``
    the result is ``knots[k] + ((knots[k+1] - knots[k]) * r >> shift)``, the
    shift rounding as the format's multiplication does.
    """

    fn: str
    lo: int
    shift: int
    knots: tuple[int, ...]

    @property
    def segments(self) -> int:
        return len(self.knots) - 1

    @property
    def hi(self) -> int:
        return self.lo + (self.segments << self.shift)


def _domain(fn: str, fmt: QFormat) -> tuple[float, float]:
    top = (fmt.acc_max >> fmt.frac) + 1.0
    ln_top = math.log(top)
    tiny = 1.0 / fmt.one
    return {
        "exp": (-(fmt.frac + 1) * math.log(2.0), ln_top),
        "exprel": (-min(top, 64.0), ln_top + math.log(ln_top)),
        "log": (tiny, min(top, 1024.0)),
        "sqrt": (0.0, min(top, 1024.0)),
        "tanh": (-8.0, 8.0),
        "sin": (-4 * math.pi, 4 * math.pi),
        "cos": (-4 * math.pi, 4 * math.pi),
        "tan": (-1.5, 1.5),
        "sinh": (-ln_top, ln_top),
        "cosh": (-ln_top, ln_top),
        "log10": (tiny, min(top, 1024.0)),
        "arcsin": (-1.0, 1.0),
        "arccos": (-1.0, 1.0),
        "arctan": (-16.0, 16.0),  # beyond, the end values (within 0.07 of +-pi/2)
    }[fn]


TABLE_FUNCTIONS = ("exp", "exprel", "log", "sqrt", "tanh", "sin", "cos", "tan", "sinh", "cosh", "log10", "arcsin",
                   "arccos", "arctan")


@lru_cache(maxsize=256)
def function_table(fn: str, fmt: QFormat) -> FunctionTable:
    """The table of ``fn`` for ``fmt`` (built once; the same integers feed every back end)."""
    if fn not in TABLE_FUNCTIONS:
        raise FormatError(f"`{fn}` has no fixed-point table")
    lo_v, hi_v = _domain(fn, fmt)
    lo = math.floor(lo_v * fmt.one)
    span = max(math.ceil(hi_v * fmt.one) - lo, 1)
    shift = max(0, math.ceil(math.log2(span / TABLE_SEGMENTS)))
    segments = min(TABLE_SEGMENTS, -(-span // (1 << shift)))
    f = SCALAR_FUNCTIONS[fn]
    knots = []
    for k in range(segments + 1):
        x = (lo + (k << shift)) / fmt.one
        try:
            y = f(x)
        except (ValueError, OverflowError):
            y = -math.inf if fn == "log" else math.inf
        knots.append(fmt.quantize(y))
    return FunctionTable(fn, lo, shift, tuple(knots))


def table_lookup(table: FunctionTable, x: np.ndarray, fmt: QFormat) -> np.ndarray:
    knots = np.asarray(table.knots, dtype=np.int64)
    d = x - table.lo
    k = np.clip(d >> table.shift, 0, table.segments - 1)
    r = d - (k << table.shift)
    y = knots[k] + shift_product((knots[k + 1] - knots[k]) * r, fmt, table.shift)
    y = np.where(d < 0, knots[0], y)
    return np.where(x >= table.hi, knots[-1], y)
