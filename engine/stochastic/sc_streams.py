"""Packed bitstreams: encoders, the SC operators, popcount decode and the stochastic cross-correlation.

Layout.  A stream of ``L`` bits is held in ``ceil(L / 64)`` uint64 words (the last axis of an array; the
leading axes index streams).  Stream bit ``i`` is bit ``i % 64`` of word ``i // 64``, least significant bit
first; the bits past ``L`` in the last word are always 0.  Stream bit ``i`` is made from source word ``i``
(engine/stochastic/sc_sources.py), so bit ``i`` is what the hardware emits on clock cycle ``i`` of a stream.

Values.  An encoder compares source words with an integer level ``0 .. 65536``: bit ``i`` is 1 when
``word[i] < level``; a unipolar value ``p`` in [0, 1] is the level ``round(p * 65536)``, a bipolar value ``x`` in
[-1, 1] is the unipolar value ``(x + 1) / 2``.  Decoding counts ones: ``p = popcount / L``, ``x = 2p - 1``.

Operators (bit by bit): multiply ``a AND b`` (unipolar) or ``a XNOR b`` (bipolar); scaled addition
``(a + b) / 2`` is a MUX, bit from ``b`` where the select stream is 1 and from ``a`` where it is 0; an n-input
MUX takes bit ``i`` from input ``(select_word[i] * n) >> 16``.  The kernels are Cython (ext/bitstream.pyx).
"""

from __future__ import annotations

import numpy as np

from engine.stochastic.sc_sources import FULL_SCALE, WORD_BITS
from ext import bitstream

PACK_BITS = 64


def word_count(length: int) -> int:
    """The number of uint64 words that hold a stream of ``length`` bits."""
    if length < 1:
        raise ValueError(f"a bitstream needs at least 1 bit, not {length}")
    return -(-length // PACK_BITS)


def pack(bits) -> np.ndarray:
    """Pack a boolean array ``(..., L)`` into streams ``(..., ceil(L / 64))`` of uint64 words."""
    bits = np.asarray(bits, dtype=bool)
    length = bits.shape[-1]
    padded = np.zeros(bits.shape[:-1] + (word_count(length) * PACK_BITS,), dtype=bool)
    padded[..., :length] = bits
    octets = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(octets).view("<u8").astype(np.uint64)


def unpack(words, length: int) -> np.ndarray:
    """The first ``length`` bits of streams ``(..., W)`` as a boolean array ``(..., length)``."""
    octets = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    return np.unpackbits(octets, axis=-1, count=length, bitorder="little").astype(bool)


def _rows(*streams) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast packed streams together; their leading shape and each as contiguous rows ``(n, W)``."""
    arrays = np.broadcast_arrays(*(np.asarray(s, dtype=np.uint64) for s in streams))
    shape = arrays[0].shape
    return shape[:-1], [np.ascontiguousarray(a.reshape(-1, shape[-1])) for a in arrays]


def encode(source_words, levels) -> np.ndarray:
    """Streams of ``L = len(source_words)`` bits, one per level: bit ``i`` is ``source_words[i] < level``.

    ``levels`` (any shape, integers 0 .. 65536) gives streams of shape ``levels.shape + (W,)``.
    """
    source = np.ascontiguousarray(source_words, dtype=np.uint16)
    levels = np.asarray(levels, dtype=np.int64)
    if levels.size and (levels.min() < 0 or levels.max() > FULL_SCALE):
        raise ValueError(f"comparator levels must be 0..{FULL_SCALE}")
    out = np.empty((levels.size, word_count(len(source))), dtype=np.uint64)
    bitstream.encode(source, np.ascontiguousarray(levels.ravel()), out)
    return out.reshape(levels.shape + (out.shape[-1],))


def unipolar_level(p) -> np.ndarray:
    """The comparator level (int64) of a unipolar value ``p`` in [0, 1]: ``round(p * 65536)``, clipped."""
    return np.clip(np.rint(np.asarray(p, dtype=float) * FULL_SCALE), 0, FULL_SCALE).astype(np.int64)


def bipolar_level(x) -> np.ndarray:
    """The comparator level (int64) of a bipolar value ``x`` in [-1, 1] (the unipolar ``(x + 1) / 2``)."""
    return unipolar_level((np.asarray(x, dtype=float) + 1.0) / 2.0)


def and_streams(a, b) -> np.ndarray:
    """``a AND b``: the unipolar product of two streams (broadcast over leading axes)."""
    shape, (a, b) = _rows(a, b)
    out = np.empty_like(a)
    bitstream.and_words(a, b, out)
    return out.reshape(shape + (out.shape[-1],))


def xnor_streams(a, b, length: int) -> np.ndarray:
    """``a XNOR b`` over ``length`` bits: the bipolar product of two streams."""
    shape, (a, b) = _rows(a, b)
    out = np.empty_like(a)
    bitstream.xnor_words(a, b, length, out)
    return out.reshape(shape + (out.shape[-1],))


def mux_streams(a, b, select) -> np.ndarray:
    """The 2-input MUX: bit ``i`` of ``b`` where ``select`` bit ``i`` is 1, else of ``a`` (scaled addition)."""
    shape, (a, b, select) = _rows(a, b, select)
    out = np.empty_like(a)
    bitstream.mux_words(a, b, select, out)
    return out.reshape(shape + (out.shape[-1],))


def select_index(select_words, n_inputs: int) -> np.ndarray:
    """The input an n-input MUX picks at each bit: ``(select_words[i] * n_inputs) >> 16`` (int32)."""
    if n_inputs < 1:
        raise ValueError(f"a MUX needs at least 1 input, not {n_inputs}")
    words = np.asarray(select_words, dtype=np.int64)
    return ((words * n_inputs) >> WORD_BITS).astype(np.int32)


def mux_inputs(inputs, index) -> np.ndarray:
    """The n-input MUX: from ``inputs (..., n, W)``, bit ``i`` of input ``index[i]`` (``L = len(index)``)."""
    inputs = np.asarray(inputs, dtype=np.uint64)
    index = np.ascontiguousarray(index, dtype=np.int32)
    n, width = inputs.shape[-2:]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError(f"MUX select index out of range 0..{n - 1}")
    if word_count(len(index)) != width:
        raise ValueError(f"{len(index)} select bits do not match streams of {width} words")
    rows = np.ascontiguousarray(inputs.reshape(-1, n, width))
    out = np.empty((rows.shape[0], width), dtype=np.uint64)
    bitstream.mux_inputs(rows, index, out)
    return out.reshape(inputs.shape[:-2] + (width,))


def popcount(words) -> np.ndarray:
    """The number of ones in each stream ``(..., W)``, as int64 ``(...)``."""
    shape, (rows,) = _rows(words)
    out = np.empty(rows.shape[0], dtype=np.int64)
    bitstream.popcount(rows, out)
    return out.reshape(shape)


def decode(words, length: int) -> np.ndarray:
    """The unipolar value of each stream: ``popcount / length``."""
    return popcount(words) / length


def decode_bipolar(words, length: int) -> np.ndarray:
    """The bipolar value of each stream: ``2 * popcount / length - 1``."""
    return 2.0 * popcount(words) / length - 1.0


def scc(a, b, length: int) -> np.ndarray:
    """The stochastic cross-correlation of two streams (Alaghi & Hayes), in [-1, 1].

    With ``n_a``, ``n_b``, ``n_ab`` the ones in ``a``, ``b`` and ``a AND b`` and ``d = L * n_ab - n_a * n_b``:
    ``d / (L * min(n_a, n_b) - n_a * n_b)`` when ``d > 0``, else ``d / (n_a * n_b - L * max(n_a + n_b - L, 0))``;
    0 where that denominator is 0 (a constant stream).  Identical non-constant streams give 1.
    """
    n_a, n_b, n_ab = popcount(a), popcount(b), popcount(and_streams(a, b))
    d = length * n_ab - n_a * n_b
    positive = length * np.minimum(n_a, n_b) - n_a * n_b
    negative = n_a * n_b - length * np.maximum(n_a + n_b - length, 0)
    denominator = np.where(d > 0, positive, negative)
    return np.divide(d, denominator, out=np.zeros(np.shape(d)), where=denominator != 0)
