"""The playground's input current through stochastic computing: encoded, decoded, and compared.

Each step's current is stored in the fixed-point format (:meth:`~engine.fixedpoint.QFormat.to_store`), its
magnitude encoded as a stream of ``L`` bits against the source's next ``L`` words and decoded from the
popcount, as an SC projection delivers one input (engine/network/sc_projection.py): the level is
``(|raw| << 16) >> m`` with ``m`` the bit length of the largest ``|raw|`` of the trace, the decoded value
``sign * ((popcount << m) >> log2 L)``.  The error is against the float current and against its fixed-point
value, with the Hoeffding bound of ``L`` bits (engine/stochastic/sc_error.py) in the current's unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.fixedpoint import QFormat
from engine.network.sc_projection import period
from engine.stochastic.sc_error import hoeffding_bound
from engine.stochastic.sc_sources import WORD_BITS, source_words

BLOCK_BITS = 1 << 22  # bits compared at once (memory stays a few MB)


@dataclass(frozen=True)
class ScInputError:
    """The current decoded from its streams (model units, per step) and its absolute error against the float
    current and its fixed-point value; ``hoeffding`` is the 95 % bound of ``length`` bits in model units."""

    source: str
    length: int
    decoded: np.ndarray
    mean_vs_float: float
    max_vs_float: float
    mean_vs_fixed: float
    max_vs_fixed: float
    hoeffding: float


def sc_input_error(current, fmt: QFormat, source: str, length: int, seed: int | None = None) -> ScInputError | None:
    """The SC error of the input ``current`` (model units per step) in ``fmt`` with streams of ``length`` bits
    from ``source`` (``seed``: the source's default); ``None`` when the current is zero throughout.

    Raises ``ValueError`` for a length that is not a power of two, an unknown source or a bad seed.
    """
    if length < 1 or length & (length - 1):
        raise ValueError(f"SC length must be a power of two, not {length}")
    current = np.asarray(current, dtype=np.float64)
    raw = fmt.to_store(current)
    magnitude = np.abs(raw)
    shift = int(magnitude.max(initial=0)).bit_length()
    if shift == 0:
        return None
    levels = (magnitude << WORD_BITS) >> shift
    words = source_words(source, period(source), seed).astype(np.int32)
    levels = levels.astype(np.int32)
    popcounts = np.empty(raw.size, dtype=np.int64)
    block = max(1, BLOCK_BITS // length)
    for first in range(0, raw.size, block):
        last = min(first + block, raw.size)
        drawn = _drawn(words, first * length, (last - first) * length).reshape(-1, length)
        popcounts[first:last] = np.count_nonzero(drawn < levels[first:last, None], axis=1)
    decoded_raw = np.sign(raw) * ((popcounts << shift) >> (length.bit_length() - 1))
    decoded = decoded_raw / fmt.one
    vs_float, vs_fixed = np.abs(decoded - current), np.abs(decoded_raw - raw) / fmt.one
    return ScInputError(source, length, decoded, float(vs_float.mean()), float(vs_float.max()),
                        float(vs_fixed.mean()), float(vs_fixed.max()),
                        hoeffding_bound(length) * (1 << shift) / fmt.one)


def _drawn(words: np.ndarray, start: int, count: int) -> np.ndarray:
    """Words ``start .. start + count - 1`` of the periodic sequence ``words``."""
    start %= words.size
    head = words[start:start + count]
    if head.size == count:
        return head
    return np.concatenate([head, np.tile(words, (count - head.size) // words.size + 1)])[:count]
