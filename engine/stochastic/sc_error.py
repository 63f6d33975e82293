"""How far SC arithmetic lands from fixed point and float, and the stream length a bound needs.

An operation is measured on a grid of unipolar operands ``k / (grid - 1)`` rounded to the fixed-point
format's fraction bits, so each operand is exactly representable both as a raw fixed-point value ``r`` and as a
comparator level ``r << (16 - frac)``:

``encode``
    ``x`` decoded from its stream, against ``x``.
``multiply``
    ``x AND y`` (streams from seeds :func:`default_seed` 0 and 1 of the source), against ``x * y`` (float) and
    the fixed-point product ``floor(r_x * r_y / 2**frac)``.
``scaled_add``
    the MUX of ``x`` and ``y`` with a select stream of 1/2 (seed 2), against ``(x + y) / 2`` and
    ``floor((r_x + r_y) / 2)``.

Every stream is the first ``L`` words of its source.  Hoeffding's inequality bounds the decode error of ``L``
independent random bits: ``P(|p_hat - p| >= eps) <= 2 exp(-2 L eps^2)``, so ``L >= ln(2 / delta) / (2 eps^2)``
keeps the error under ``eps`` with confidence ``1 - delta``.  LFSR bits are close to independent; Sobol and
Halton streams are not random at all and do better (their decode error is at most ``1 / L`` for ``L`` a power
of two), so the Hoeffding length is a safe, not a tight, choice for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.fixedpoint import QFormat
from engine.stochastic.sc_sources import (
    FULL_SCALE,
    SOURCES,
    WORD_BITS,
    default_seed,
    source_words,
)
from engine.stochastic.sc_streams import and_streams, decode, encode, mux_streams

OPERATIONS = ("encode", "multiply", "scaled_add")
LENGTHS = (64, 128, 256, 512, 1024, 2048, 4096)
Q8_8 = QFormat.parse("Q8.8")


@dataclass(frozen=True)
class ScError:
    """The absolute error of one SC operation over the operand grid, against float and fixed point."""

    operation: str
    source: str
    length: int
    mean_vs_float: float
    max_vs_float: float
    mean_vs_fixed: float
    max_vs_fixed: float
    over_hoeffding: float  # the share of operands whose error vs float exceeds the Hoeffding bound


def hoeffding_bound(length: int, confidence: float = 0.95) -> float:
    """The error ``eps`` that ``length`` independent bits stay under with probability ``confidence``."""
    _check_confidence(confidence)
    return math.sqrt(math.log(2.0 / (1.0 - confidence)) / (2.0 * length))


def hoeffding_length(bound: float, confidence: float = 0.95) -> int:
    """The shortest stream whose decode error stays under ``bound`` with probability ``confidence``."""
    _check_confidence(confidence)
    if not 0.0 < bound < 1.0:
        raise ValueError(f"the error bound must be between 0 and 1, not {bound}")
    return math.ceil(math.log(2.0 / (1.0 - confidence)) / (2.0 * bound * bound))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"the confidence must be between 0 and 1, not {confidence}")


def _operands(grid: int, fmt: QFormat) -> np.ndarray:
    """Raw fixed-point operands in [0, 1] (int64)."""
    if grid < 2:
        raise ValueError(f"the operand grid needs at least 2 points, not {grid}")
    if fmt.frac > WORD_BITS:
        raise ValueError(f"{fmt.name}: SC levels hold at most {WORD_BITS} fraction bits")
    return np.unique(np.rint(np.linspace(0.0, 1.0, grid) * fmt.one).astype(np.int64))


def sc_error(operation: str, source: str, length: int, fmt: QFormat = Q8_8, grid: int = 33,
             confidence: float = 0.95) -> ScError:
    """The mean and max absolute error of ``operation`` (:data:`OPERATIONS`) with ``source`` over ``length`` bits,
    and the share of operands over :func:`hoeffding_bound` at ``confidence`` (at most ``1 - confidence`` for
    independent random bits).

    Raises ``ValueError`` for an unknown operation or source, or a grid or format that cannot be measured.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown SC operation {operation!r} (expected one of {', '.join(OPERATIONS)})")
    raw = _operands(grid, fmt)
    shift = WORD_BITS - fmt.frac
    words = [source_words(source, length, default_seed(source, k)) for k in range(3)]
    x = encode(words[0], raw << shift)
    if operation == "encode":
        got, exact, fixed = decode(x, length), raw / fmt.one, raw / fmt.one
    else:
        y = encode(words[1], raw << shift)
        rx, ry = raw[:, None], raw[None, :]
        if operation == "multiply":
            got = decode(and_streams(x[:, None], y[None, :]), length)
            exact, fixed = rx * ry / fmt.one**2, ((rx * ry) >> fmt.frac) / fmt.one
        else:
            select = encode(words[2], FULL_SCALE // 2)
            got = decode(mux_streams(x[:, None], y[None, :], select), length)
            exact, fixed = (rx + ry) / (2 * fmt.one), ((rx + ry) >> 1) / fmt.one
    vs_float, vs_fixed = np.abs(got - exact), np.abs(got - fixed)
    over = np.count_nonzero(vs_float > hoeffding_bound(length, confidence)) / vs_float.size
    return ScError(operation, source, length, float(vs_float.mean()), float(vs_float.max()),
                   float(vs_fixed.mean()), float(vs_fixed.max()), over)


def error_table(sources=SOURCES, lengths=LENGTHS, operations=OPERATIONS, fmt: QFormat = Q8_8,
                grid: int = 33, confidence: float = 0.95) -> list[ScError]:
    """:func:`sc_error` for every source, operation and length (in that nesting order)."""
    return [sc_error(op, source, length, fmt, grid, confidence)
            for source in sources for op in operations for length in lengths]


def shortest_length(rows: list[ScError], bound: float, against: str = "float") -> dict[tuple[str, str], int | None]:
    """Per (source, operation), the shortest measured length whose max error (``against`` "float" or "fixed")
    is under ``bound``; None when none is."""
    best: dict[tuple[str, str], int | None] = {}
    for row in sorted(rows, key=lambda r: r.length):
        key = (row.source, row.operation)
        best.setdefault(key, None)
        if best[key] is None and getattr(row, f"max_vs_{against}") < bound:
            best[key] = row.length
    return best


def format_table(rows: list[ScError], confidence: float = 0.95) -> str:
    """A Markdown table of ``rows`` with the Hoeffding bound of each length at ``confidence`` (the one the rows
    were measured with)."""
    lines = [f"| source | operation | L | mean vs float | max vs float | mean vs fixed | max vs fixed | "
             f"Hoeffding eps ({confidence:.0%}) | share over eps |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.source} | {r.operation} | {r.length} | {r.mean_vs_float:.5f} | {r.max_vs_float:.5f} | "
                     f"{r.mean_vs_fixed:.5f} | {r.max_vs_fixed:.5f} | {hoeffding_bound(r.length, confidence):.4f} | "
                     f"{r.over_hoeffding:.1%} |")
    return "\n".join(lines)
