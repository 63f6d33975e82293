# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Connections grouped by an index in two linear passes (engine/network/connect.py builds the CSR index with
it): a count per index, then every value placed after the ones before it with the same index, so the
order within an index is kept.  NumPy's stable argsort did the same in O(n log n) or, for 16-bit keys, in
two radix passes over 8-byte indices; this was most of a large network's build.  The values are moved
themselves, in their own type, rather than through a permutation of 8-byte indices (Brunel's 10^7 targets:
2 bytes each instead of 8 for the permutation and 8 for the gather)."""

from libc.stdint cimport int64_t, int32_t, uint16_t
from libc.string cimport memcpy

import numpy as np

ctypedef fused key_t:
    uint16_t
    int32_t
    int64_t

ctypedef fused value_t:
    uint16_t
    int32_t
    int64_t


def grouped(const key_t[::1] keys, Py_ssize_t bound, const value_t[::1] values):
    """(grouped, starts): ``values`` in the order that sorts ``keys`` (each from 0 to ``bound`` - 1) stably, and
    where each key's run begins in it (``bound`` + 1 entries, the last ``len(keys)``).  With
    ``values = arange(len(keys))`` that order is the permutation itself."""
    cdef Py_ssize_t n = keys.shape[0], i, bad = -1
    cdef int64_t k
    if values.shape[0] != n:
        raise ValueError(f"{n} keys but {values.shape[0]} values")
    starts = np.zeros(bound + 1, dtype=np.int64)
    out = np.empty_like(np.asarray(values))
    at = np.empty(max(bound, 1), dtype=np.int64)
    cdef int64_t[::1] s = starts, nxt = at
    cdef value_t[::1] o = out
    with nogil:
        for i in range(n):
            k = <int64_t>keys[i]
            if k < 0 or k >= bound:
                bad = i
                break
            s[k + 1] += 1
        if bad < 0:
            for i in range(bound):
                s[i + 1] += s[i]
            if bound:
                memcpy(&nxt[0], &s[0], bound * sizeof(int64_t))
            for i in range(n):
                k = <int64_t>keys[i]
                o[nxt[k]] = values[i]
                nxt[k] += 1
    if bad >= 0:
        raise ValueError(f"key {keys[bad]} at {bad} is outside 0 to {bound - 1}")
    return out, starts
