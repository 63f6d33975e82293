"""Bitstream sources for stochastic computing: reproducible sequences of 16-bit words.

A source emits one unsigned 16-bit word per stream bit; an encoder (engine/stochastic/sc_streams.py) turns
word ``i`` into stream bit ``i`` (1 when the word is below the value).  Every source is defined here bit by
bit, and hdl/sc_rtl.py builds the same sequences in hardware from the same tables.  docs/stochastic-computing.md
has worked examples.

``lfsr16``
    A 16-bit Fibonacci LFSR with the polynomial x^16+x^14+x^13+x^11+1.  Word 0 is the seed (any non-zero
    state; the default is 0xACE1).  Word ``i+1`` is word ``i`` shifted right by one, with the feedback bit
    ``w[0] ^ w[2] ^ w[3] ^ w[5]`` (the taps 16, 14, 13, 11 counted from the most significant end) entering
    at bit 15.  The sequence repeats after 65,535 words and never contains 0.
``sobol16``
    A one-dimensional Sobol sequence in Gray-code order, 16 bits wide.  ``seed`` is the Sobol dimension
    (0 .. :data:`SOBOL16_DIMENSIONS` - 1, direction numbers of Joe and Kuo, new-joe-kuo-6.21201; dimension 0
    is the van der Corput sequence in Gray-code order).  Word ``i`` is the XOR of the direction words
    ``v[k]`` for every bit ``k`` set in ``gray(i) = i ^ (i >> 1)``; word 0 is 0, and from word ``i`` to
    word ``i+1`` exactly one direction word is XOR-ed in: ``v[k]`` with ``k`` the lowest zero bit of ``i``
    (``k = 15`` when ``i = 65535``, which closes the period of 65,536 words).
``halton``
    The Halton sequence in base 2, i.e. van der Corput: word ``i`` is the 16-bit reversal of
    ``(seed + i) mod 65536`` (bit ``b`` of the index becomes bit ``15 - b`` of the word).  ``seed`` is the
    start index.  Period 65,536.

Over its full period each source covers its words uniformly, so the fraction of words below ``v`` is
``v / 65536`` (Sobol, Halton) or ``(v - 1) / 65535`` for ``v >= 1`` (the LFSR, which skips 0).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SOURCES = ("lfsr16", "sobol16", "halton")
WORD_BITS = 16
FULL_SCALE = 1 << WORD_BITS  # a comparator level of FULL_SCALE gives an all-ones stream
LFSR16_TAPS = (16, 14, 13, 11)
LFSR16_DEFAULT_SEED = 0xACE1
LFSR16_PERIOD = FULL_SCALE - 1
# The state bits XOR-ed into the feedback: tap t of the polynomial is bit 16 - t of the state (0, 2, 3, 5).
LFSR16_FEEDBACK_BITS = tuple(WORD_BITS - tap for tap in LFSR16_TAPS)

# Joe & Kuo, new-joe-kuo-6.21201, dimensions 2..16 as (s, a, m_1 .. m_s); dimension 1 (all m = 1) is implicit.
_JOE_KUO = (
    (1, 0, (1,)),
    (2, 1, (1, 3)),
    (3, 1, (1, 3, 1)),
    (3, 2, (1, 1, 1)),
    (4, 1, (1, 1, 3, 3)),
    (4, 4, (1, 3, 5, 13)),
    (5, 2, (1, 1, 5, 5, 17)),
    (5, 4, (1, 1, 5, 5, 5)),
    (5, 7, (1, 1, 7, 11, 19)),
    (5, 11, (1, 1, 5, 1, 1)),
    (5, 13, (1, 1, 1, 3, 11)),
    (5, 14, (1, 3, 5, 5, 31)),
    (6, 1, (1, 3, 3, 9, 7, 49)),
    (6, 13, (1, 1, 1, 15, 21, 21)),
    (6, 16, (1, 3, 1, 13, 27, 49)),
)


def _direction_words(s: int, a: int, m_init: tuple[int, ...]) -> tuple[int, ...]:
    """The 16 direction words ``v[k] = m_(k+1) << (15 - k)`` of one Sobol dimension (Bratley & Fox recurrence)."""
    m = list(m_init)
    for k in range(s, WORD_BITS):
        value = m[k - s] ^ (m[k - s] << s)
        for j in range(1, s):
            if (a >> (s - 1 - j)) & 1:
                value ^= m[k - j] << j
        m.append(value)
    return tuple(m[k] << (WORD_BITS - 1 - k) for k in range(WORD_BITS))


SOBOL16_DIRECTIONS: tuple[tuple[int, ...], ...] = (
    tuple(1 << (WORD_BITS - 1 - k) for k in range(WORD_BITS)),
    *(_direction_words(*row) for row in _JOE_KUO),
)
SOBOL16_DIMENSIONS = len(SOBOL16_DIRECTIONS)


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown bitstream source {source!r} (expected one of {', '.join(SOURCES)})")


def check_seed(source: str, seed: int) -> None:
    """Raise ``ValueError`` (a one-line message naming the source) unless ``seed`` is valid for ``source``."""
    _check_source(source)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{source} seed must be an integer, not {seed!r}")
    low, high = {"lfsr16": (1, 0xFFFF), "sobol16": (0, SOBOL16_DIMENSIONS - 1), "halton": (0, 0xFFFF)}[source]
    if not low <= seed <= high:
        raise ValueError(f"{source} seed must be {low}..{high}, not {seed}")


def default_seed(source: str, index: int) -> int:
    """The seed of stream ``index`` (0, 1, ...) when none is given: distinct for nearby indices.

    ``lfsr16``: the LFSR state 4,099 * ``index`` steps after 0xACE1 (16 streams per period stay distinct);
    ``sobol16``: dimension ``index mod SOBOL16_DIMENSIONS``; ``halton``: start index 4,099 * ``index`` mod 65536.
    """
    _check_source(source)
    if source == "lfsr16":
        return int(_lfsr16_cycle()[(4099 * index) % LFSR16_PERIOD])
    if source == "sobol16":
        return index % SOBOL16_DIMENSIONS
    return (4099 * index) % FULL_SCALE


@lru_cache(maxsize=1)
def _lfsr16_cycle() -> np.ndarray:
    """The 65,535 states of the LFSR from 0xACE1 (read-only)."""
    states = np.empty(LFSR16_PERIOD, dtype=np.uint16)
    word = LFSR16_DEFAULT_SEED
    for i in range(LFSR16_PERIOD):
        states[i] = word
        feedback = 0
        for bit in LFSR16_FEEDBACK_BITS:
            feedback ^= (word >> bit) & 1
        word = (word >> 1) | (feedback << 15)
    states.flags.writeable = False
    return states


@lru_cache(maxsize=1)
def _lfsr16_phase() -> np.ndarray:
    """Position of each non-zero state in :func:`_lfsr16_cycle` (read-only)."""
    phase = np.zeros(FULL_SCALE, dtype=np.int64)
    phase[_lfsr16_cycle()] = np.arange(LFSR16_PERIOD)
    phase.flags.writeable = False
    return phase


def lfsr16_words(count: int, seed: int = LFSR16_DEFAULT_SEED) -> np.ndarray:
    """The first ``count`` words (uint16) of the LFSR-16 started at ``seed`` (word 0 is the seed)."""
    check_seed("lfsr16", seed)
    start = _lfsr16_phase()[seed]
    return _lfsr16_cycle()[(start + np.arange(count)) % LFSR16_PERIOD]


def sobol16_words(count: int, dimension: int = 0) -> np.ndarray:
    """The first ``count`` words (uint16) of Sobol dimension ``dimension`` in Gray-code order (word 0 is 0)."""
    check_seed("sobol16", dimension)
    index = np.arange(count, dtype=np.int64) % FULL_SCALE
    gray = index ^ (index >> 1)
    words = np.zeros(count, dtype=np.uint16)
    for k, direction in enumerate(SOBOL16_DIRECTIONS[dimension]):
        words ^= np.where((gray >> k) & 1 == 1, np.uint16(direction), np.uint16(0))
    return words


def halton_words(count: int, start: int = 0) -> np.ndarray:
    """The first ``count`` words (uint16) of van der Corput base 2 from index ``start``: reversed 16-bit indices."""
    check_seed("halton", start)
    index = (start + np.arange(count, dtype=np.int64)) % FULL_SCALE
    words = np.zeros(count, dtype=np.int64)
    for b in range(WORD_BITS):
        words |= ((index >> b) & 1) << (WORD_BITS - 1 - b)
    return words.astype(np.uint16)


def source_words(source: str, count: int, seed: int | None = None) -> np.ndarray:
    """The first ``count`` words (uint16) of ``source`` (one of :data:`SOURCES`) with ``seed``.

    ``seed=None`` takes the source's default: 0xACE1 for ``lfsr16``, 0 for ``sobol16`` and ``halton``.
    Raises ``ValueError`` for an unknown source or a seed out of range (:func:`check_seed`).
    """
    seed = default_seed(source, 0) if seed is None else seed
    check_seed(source, seed)
    if count < 0:
        raise ValueError(f"{source}: word count must be >= 0, not {count}")
    maker = {"lfsr16": lfsr16_words, "sobol16": sobol16_words, "halton": halton_words}[source]
    return maker(count, seed)
