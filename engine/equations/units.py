"""Physical dimensions, units, unit systems and quantities.

Dimensions are interned tuples of rational SI exponents
``(metre, kilogram, second, ampere, kelvin, mole, candela)`` so that comparing
two of them is an identity check.  A :class:`UnitSystem` fixes the scale in
which numbers are stored for a model (``nest``: mV, ms, pA, nS, pF, um).
A :class:`Quantity` is a value with its dimension, read once from a person's
text (:func:`as_quantity`) and passed typed from there on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

BASE_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
BASE_SYMBOLS = ("m", "kg", "s", "A", "K", "mol", "cd")


class Dimension:
    """An interned physical dimension (exponents of the seven SI base units)."""

    __slots__ = ("exponents", "__weakref__")
    _interned: dict[tuple[Fraction, ...], "Dimension"] = {}

    def __new__(cls, exponents=(0, 0, 0, 0, 0, 0, 0)):
        key = tuple(Fraction(e) for e in exponents)
        if len(key) != 7:
            raise ValueError("a dimension has seven exponents")
        existing = cls._interned.get(key)
        if existing is not None:
            return existing
        self = super().__new__(cls)
        self.exponents = key
        cls._interned[key] = self
        return self

    def __mul__(self, other: "Dimension") -> "Dimension":
        return Dimension(a + b for a, b in zip(self.exponents, other.exponents))

    def __truediv__(self, other: "Dimension") -> "Dimension":
        return Dimension(a - b for a, b in zip(self.exponents, other.exponents))

    def __pow__(self, power) -> "Dimension":
        p = Fraction(power)
        return Dimension(e * p for e in self.exponents)

    def __reduce__(self):
        return (Dimension, (self.exponents,))

    @property
    def is_dimensionless(self) -> bool:
        return self is DIMENSIONLESS

    def __repr__(self) -> str:
        return f"Dimension({format_dimension(self)})"

    def __str__(self) -> str:
        return format_dimension(self)


DIMENSIONLESS = Dimension()


def _dim(m=0, kg=0, s=0, A=0, K=0, mol=0, cd=0) -> Dimension:
    return Dimension((m, kg, s, A, K, mol, cd))


VOLT = _dim(m=2, kg=1, s=-3, A=-1)
AMP = _dim(A=1)
SECOND = _dim(s=1)
SIEMENS = _dim(m=-2, kg=-1, s=3, A=2)
FARAD = _dim(m=-2, kg=-1, s=4, A=2)
OHM = _dim(m=2, kg=1, s=-3, A=-2)
HERTZ = _dim(s=-1)
METRE = _dim(m=1)
COULOMB = _dim(s=1, A=1)
JOULE = _dim(m=2, kg=1, s=-2)
WATT = _dim(m=2, kg=1, s=-3)
MOLAR = _dim(m=-3, mol=1)

# Named derived units, in the order used to spell a dimension for a person.
_NAMED = {
    "volt": VOLT,
    "amp": AMP,
    "second": SECOND,
    "siemens": SIEMENS,
    "farad": FARAD,
    "ohm": OHM,
    "hertz": HERTZ,
    "metre": METRE,
    "meter": METRE,
    "kilogram": _dim(kg=1),
    "kelvin": _dim(K=1),
    "mole": _dim(mol=1),
    "candela": _dim(cd=1),
    "coulomb": COULOMB,
    "joule": JOULE,
    "watt": WATT,
    "molar": MOLAR,
    "gram": _dim(kg=1),
    "liter": _dim(m=3),
    "litre": _dim(m=3),
}
# Scale of the unnamed-prefix form of each named unit in SI (gram and litre are not 1).
_NAMED_SCALE = {"gram": 1e-3, "liter": 1e-3, "litre": 1e-3, "molar": 1e3}

_PREFIXES = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6,
    "k": 1e3, "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6,
    "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}
_SHORT = {"V": "volt", "A": "amp", "s": "second", "S": "siemens", "F": "farad",
          "ohm": "ohm", "Ohm": "ohm", "Hz": "hertz", "m": "metre", "g": "gram",
          "C": "coulomb", "J": "joule", "W": "watt", "M": "molar", "l": "liter",
          "L": "liter", "mol": "mole", "K": "kelvin"}


@dataclass(frozen=True)
class Unit:
    """A named unit: its SI scale and its dimension."""

    name: str
    scale: float
    dim: Dimension


def _build_unit_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for name, dim in _NAMED.items():
        base = _NAMED_SCALE.get(name, 1.0)
        table[name] = Unit(name, base, dim)
        for prefix, factor in _PREFIXES.items():
            if name in ("kilogram",):
                continue
            table[prefix + name] = Unit(prefix + name, factor * base, dim)
    for short, long in _SHORT.items():
        base = _NAMED_SCALE.get(long, 1.0)
        dim = _NAMED[long]
        table.setdefault(short, Unit(short, base, dim))
        for prefix, factor in _PREFIXES.items():
            # 'm' as metre with prefix 'm' is 'mm'; skip ambiguous 'da' forms for short names
            if prefix == "da":
                continue
            table.setdefault(prefix + short, Unit(prefix + short, factor * base, dim))
    table["kg"] = Unit("kg", 1.0, _dim(kg=1))
    table["kilogram"] = Unit("kilogram", 1.0, _dim(kg=1))
    table["1"] = Unit("1", 1.0, DIMENSIONLESS)
    table["radian"] = Unit("radian", 1.0, DIMENSIONLESS)
    table["percent"] = Unit("percent", 0.01, DIMENSIONLESS)
    return table


UNITS: dict[str, Unit] = _build_unit_table()

# Type markers allowed where a unit is declared.
TYPE_MARKERS = ("boolean", "integer")


class UnitError(ValueError):
    """A unit string cannot be understood."""


_UNIT_TOKEN = re.compile(r"\s*(?:(\*\*|\^)|([*/])|(\()|(\))|([A-Za-z_][A-Za-z_0-9]*)|(-?\d+(?:\.\d*)?(?:/\d+)?)|(\S))")


def parse_unit(text: str) -> tuple[float, Dimension]:
    """Parse a unit expression such as ``siemens/meter**2`` or ``mV/ms``.

    Returns the SI scale and the dimension.  Raises :class:`UnitError` with the
    offending token otherwise.
    """
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _UNIT_TOKEN.match(text, pos)
        if m is None or m.group(7):
            raise UnitError(f"unexpected `{text[pos:].strip()[:1]}` in unit `{text}`")
        pos = m.end()
        kind = next(i for i in range(1, 7) if m.group(i) is not None)
        tokens.append((kind, m.group(kind)))
    if not tokens:
        raise UnitError("empty unit")
    parser = _UnitParser(tokens, text)
    scale, dim = parser.product()
    if parser.pos != len(tokens):
        raise UnitError(f"unexpected `{tokens[parser.pos][1]}` in unit `{text}`")
    return scale, dim


class _UnitParser:
    def __init__(self, tokens, text):
        self.tokens = tokens
        self.pos = 0
        self.text = text

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        self.pos += 1
        return tok

    def product(self):
        scale, dim = self.power()
        while self.peek()[0] == 2:
            op = self.take()[1]
            s2, d2 = self.power()
            if op == "*":
                scale, dim = scale * s2, dim * d2
            else:
                scale, dim = scale / s2, dim / d2
        return scale, dim

    def power(self):
        scale, dim = self.atom()
        if self.peek()[0] == 1:
            self.take()
            negative = False
            if self.peek() == (2, "*"):
                raise UnitError(f"bad exponent in unit `{self.text}`")
            kind, value = self.take()
            if kind == 3:
                kind, value = self.take()
                if kind != 6 or self.take()[0] != 4:
                    raise UnitError(f"bad exponent in unit `{self.text}`")
            elif kind != 6:
                raise UnitError(f"bad exponent in unit `{self.text}`")
            exponent = Fraction(value)
            if negative:
                exponent = -exponent
            scale, dim = scale ** float(exponent), dim ** exponent
        return scale, dim

    def atom(self):
        kind, value = self.take()
        if kind == 3:
            result = self.product()
            if self.take()[0] != 4:
                raise UnitError(f"missing `)` in unit `{self.text}`")
            return result
        if kind == 6:
            if float(value) != 1:
                raise UnitError(f"a unit cannot be the number `{value}`; use `1` for dimensionless")
            return 1.0, DIMENSIONLESS
        if kind == 5:
            unit = UNITS.get(value)
            if unit is None:
                raise UnitError(f"unknown unit `{value}`" + suggest_unit(value))
            return unit.scale, unit.dim
        raise UnitError(f"unexpected `{value}` in unit `{self.text}`")


COMMON_UNITS = ("mV", "ms", "pA", "nA", "nS", "uS", "pF", "Hz", "s", "um")
"""The units most values are written in: a unit typed in the wrong case is taken to be one of these first."""


def suggest_unit(name: str) -> str:
    """`` — did you mean `pA`?`` for a unit typed in the wrong case (``pa``) or slightly misspelt ("" when
    no unit is close)."""
    import difflib

    same_letters = [n for n in (*COMMON_UNITS, *UNITS) if n.lower() == name.lower()]
    close = same_letters or difflib.get_close_matches(name, list(UNITS), n=1, cutoff=0.75)
    return f" — did you mean `{close[0]}`?" if close else ""


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf)\s*\*?\s*(.*?)\s*$")


def quantity_in(text: "Quantity | str | float | int", system: "UnitSystem",
                expected: Dimension | None = None) -> tuple[float, Dimension]:
    """Like :func:`parse_quantity`, but the value in ``system`` (``"-70 mV"`` -> -70.0 exactly in ``nest``)."""
    number, scale, dim = _split_quantity(text, expected)
    return number * (scale / system.scale(dim)), dim


def parse_quantity(text: "Quantity | str | float | int", expected: Dimension | None = None) -> tuple[float, Dimension]:
    """Parse ``"20 pA"``, ``"0.02*nA"``, ``"5 ms"`` or a bare number into (SI value, dimension); a
    :class:`Quantity` is converted as it is.

    With ``expected`` the dimension is checked and a :class:`UnitError` names
    both sides when they differ.
    """
    number, scale, dim = _split_quantity(text, expected)
    return number * scale, dim


def _split_quantity(text, expected) -> tuple[float, float, Dimension]:
    if isinstance(text, Quantity):
        number, scale, dim = text.value, NEST_UNITS.scale(text.dim), text.dim
    elif isinstance(text, (bool, int, float)):
        number, scale, dim = float(text), 1.0, DIMENSIONLESS
    elif not isinstance(text, str):
        raise UnitError(f"`{text}` is not a number with a unit (e.g. `20 pA`)")
    else:
        m = _QUANTITY.match(text)
        if m is None:
            raise UnitError(f"`{text}` is not a number with a unit (e.g. `20 pA`)")
        number_text, unit_text = m.groups()
        scale, dim = parse_unit(unit_text) if unit_text else (1.0, DIMENSIONLESS)
        number = float(number_text)
    if expected is not None and dim is not expected:
        raise UnitError(
            f"`{text}` has units {format_dimension(dim)}, expected {format_dimension(expected)}"
        )
    return number, scale, dim


def format_dimension(dim: Dimension) -> str:
    """Spell a dimension the way a person reads it (``volt/second``, ``siemens``)."""
    if dim is DIMENSIONLESS:
        return "1 (dimensionless)"
    for name in ("volt", "amp", "second", "siemens", "farad", "ohm", "hertz", "metre",
                 "coulomb", "joule", "watt"):
        if _NAMED[name] is dim:
            return name
    # Try a named unit times/over a simple one.
    names = ("volt", "amp", "siemens", "farad", "ohm", "metre", "second")
    for num in names:
        for den in names:
            if num != den and _NAMED[num] / _NAMED[den] is dim:
                return f"{num}/{den}"
            for p in (2, 3):
                if num != den and _NAMED[num] / _NAMED[den] ** p is dim:
                    return f"{num}/{den}**{p}"
        for p in (2, 3, Fraction(1, 2), -2, Fraction(-1, 2)):
            if _NAMED[num] ** p is dim:
                return f"{num}**{_fmt_exp(p)}"
    parts = []
    for symbol, e in zip(BASE_SYMBOLS, dim.exponents):
        if e == 1:
            parts.append(symbol)
        elif e != 0:
            parts.append(f"{symbol}**{_fmt_exp(e)}")
    return " ".join(parts)


def _fmt_exp(e) -> str:
    e = Fraction(e)
    return str(e.numerator) if e.denominator == 1 else f"({e})"


@dataclass(frozen=True)
class UnitSystem:
    """Scales, per SI base dimension, in which a model's numbers are stored.

    The system is coherent: the scale of a derived dimension is the product of
    the base scales, so equations hold unchanged when every quantity is
    expressed in the system.
    """

    name: str
    base_scales: tuple[float, ...]

    def scale(self, dim: Dimension) -> float:
        """SI value of one unit of ``dim`` in this system.

        Base scales that are powers of ten are combined as exponents, so the
        scale of volt in ``nest`` is exactly the float ``1e-3`` (the value of
        the literal ``mV``) and conversions such as ``-70 mV`` stay exact.
        """
        decades = Fraction(0)
        s = 1.0
        for base, e in zip(self.base_scales, dim.exponents):
            if not e:
                continue
            exponent = math.log10(base)
            if exponent == round(exponent):
                decades += e * int(round(exponent))
            else:
                s *= base ** float(e)
        if decades.denominator == 1:
            return s * float(f"1e{decades.numerator}")
        return s * 10.0 ** float(decades)

    def to_system(self, si_value: float, dim: Dimension) -> float:
        return si_value / self.scale(dim)

    def to_si(self, value: float, dim: Dimension) -> float:
        return value * self.scale(dim)

    def unit_name(self, dim: Dimension) -> str:
        """The name of the unit that measures ``dim`` in this system (``mV``, ``pA``, ...)."""
        scale = self.scale(dim)
        best = None
        for name, unit in UNITS.items():
            if unit.dim is dim and math.isclose(unit.scale, scale, rel_tol=1e-9):
                if best is None or (len(name), name) < (len(best), best):
                    best = name
        if best is not None:
            return best
        if dim is DIMENSIONLESS:
            return "1"
        return f"{scale:g} {format_dimension(dim)}"


# mV, ms, pA, nS, pF, um (NEST's units): metre 1e-6, kilogram 1e-12, second 1e-3, amp 1e-12.
NEST_UNITS = UnitSystem("nest", (1e-6, 1e-12, 1e-3, 1e-12, 1.0, 1.0, 1.0))
# mV, ms, nA, uS, nF: larger currents fit narrower fixed-point formats.
NANOAMP_UNITS = UnitSystem("nanoamp", (1e-6, 1e-9, 1e-3, 1e-9, 1.0, 1.0, 1.0))
SI_UNITS = UnitSystem("si", (1.0,) * 7)
UNIT_SYSTEMS = {s.name: s for s in (NEST_UNITS, NANOAMP_UNITS, SI_UNITS)}


@dataclass(frozen=True)
class Quantity:
    """A value with its dimension, as Brian2's ``Quantity`` is at its API.

    ``value`` is in NEST's coherent units (mV, ms, pA, nS, pF, um; hertz is 1/ms), the scale most values
    are written in, so ``-70 mV`` is exactly ``-70.0`` here and in every model of the ``nest`` system;
    :meth:`in_units` converts to another :class:`UnitSystem`.  ``str()`` spells it for a person
    (``-0.5 mV``, ``20 Hz``), for messages and project files; no layer parses that text back.
    """

    value: float
    dim: Dimension = DIMENSIONLESS

    @classmethod
    def parse(cls, text: str | float | int, expected: Dimension | None = None) -> "Quantity":
        """``"-70 mV"``, ``"0.02*nA"`` or a bare number; a :class:`UnitError` says why not (and names
        both dimensions when ``expected`` differs)."""
        value, dim = quantity_in(text, NEST_UNITS, expected)
        return cls(value, dim)

    def in_units(self, system: "UnitSystem") -> float:
        """The value in ``system`` (exact for the ``nest`` system)."""
        if system is NEST_UNITS:
            return self.value
        return self.value * (NEST_UNITS.scale(self.dim) / system.scale(self.dim))

    def __float__(self) -> float:
        if self.dim is not DIMENSIONLESS:
            raise UnitError(f"`{self}` has units {format_dimension(self.dim)}, expected a plain number")
        return self.value

    def __str__(self) -> str:
        return format(self, ".15g")

    def __format__(self, spec: str) -> str:
        """``f"{q:.4g}"``: the number in the unit a person reads it in, formatted by ``spec``, and the unit."""
        spec = spec or ".15g"
        if self.dim is DIMENSIONLESS:
            return format(self.value, spec)
        unit, scale = _display_unit(self.dim)
        return f"{format(self.value * (NEST_UNITS.scale(self.dim) / scale), spec)} {unit}"


def _display_unit(dim: Dimension) -> tuple[str, float]:
    """The unit a quantity of ``dim`` is written in for a person, and its SI scale."""
    if dim is HERTZ:
        return "Hz", 1.0
    name = NEST_UNITS.unit_name(dim)
    unit = UNITS.get(name)
    if unit is not None:
        return name, unit.scale
    return format_dimension(dim), 1.0


def as_quantity(value: "Quantity | str | float | int") -> Quantity:
    """``value`` as a :class:`Quantity`: a quantity as it is, text (as a network definition written
    by hand in Python may hold) or a bare number parsed; a :class:`UnitError` says why not."""
    return value if isinstance(value, Quantity) else Quantity.parse(value)
