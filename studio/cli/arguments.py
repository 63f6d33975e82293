"""Reading the values people type on the command line: quantities, Q formats, ``NAME=VALUE``.

Each reader is an argparse ``type=`` callable: it returns the value or raises
:class:`argparse.ArgumentTypeError` with a message that says what was expected.
"""

from __future__ import annotations

import argparse
from typing import Callable

from engine.equations.units import AMP, SECOND, SI_UNITS, Dimension, Quantity, UnitError, format_dimension
from engine.fixedpoint import FormatError, QFormat

_EXAMPLES = {SECOND: "200 ms", AMP: "500 pA"}


def typed_quantity(dim: Dimension) -> Callable[[str], Quantity]:
    """A reader of quantities of dimension ``dim`` (``"500pA"``, ``"0.1 ms"``, ``"1s"``) -> :class:`Quantity`."""
    example = _EXAMPLES.get(dim, "1 " + format_dimension(dim))

    def read(text: str) -> Quantity:
        try:
            value = Quantity.parse(text)
        except UnitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if value.dim is not dim:
            if value.dim.is_dimensionless:
                raise argparse.ArgumentTypeError(f"`{text}` needs a unit, e.g. `{example}`")
            raise argparse.ArgumentTypeError(
                f"`{text}` is {format_dimension(value.dim)}, expected {format_dimension(dim)} (e.g. `{example}`)")
        return value

    read.__name__ = format_dimension(dim)
    return read


def quantity(dim: Dimension) -> Callable[[str], float]:
    """A reader of quantities of dimension ``dim`` (``"0.1ms"``, ``"0.1 ms"``, ``"1s"``) -> SI value."""
    read = typed_quantity(dim)

    def read_si(text: str) -> float:
        return read(text).in_units(SI_UNITS)

    read_si.__name__ = read.__name__
    return read_si


def positive(read: Callable[[str], float]) -> Callable[[str], float]:
    """``read`` that also refuses zero and negative values."""

    def read_positive(text: str) -> float:
        value = read(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"`{text}` must be greater than zero")
        return value

    read_positive.__name__ = read.__name__
    return read_positive


def quantity_text(dim: Dimension) -> Callable[[str], str]:
    """A reader that checks the dimension of a quantity but keeps the text as the person wrote it
    (``--run 2s``, echoed back as written in messages)."""
    read = typed_quantity(dim)

    def check(text: str) -> str:
        read(text)
        return text

    check.__name__ = read.__name__
    return check


def q_format(text: str) -> QFormat:
    """``"Q8.8"`` -> :class:`QFormat` (integer bits including the sign . fraction bits)."""
    try:
        return QFormat.parse(text)
    except FormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def assignment(text: str) -> tuple[str, str]:
    """``"I_e=376pA"`` -> ``("I_e", "376pA")``."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name.isidentifier() or not value:
        raise argparse.ArgumentTypeError(f"`{text}` is not NAME=VALUE (e.g. `I_e=376pA`)")
    return name, value
