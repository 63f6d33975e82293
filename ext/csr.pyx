# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Connections grouped by an index in two linear passes (engine/network/connect.py builds the CSR index with
it): a count per index, then every connection placed after the ones before it with the same index, so the
order within an index is kept.  NumPy's stable argsort did the same in O(n log n) or, for 16-bit keys, in
two radix passes over 8-byte indices; this was most of a large network's build."""

from libc.stdint cimport int64_t
from libc.string cimport memcpy

import numpy as np


def stable_order(const int64_t[::1] keys, Py_ssize_t bound):
    """(order, starts): the permutation that sorts ``keys`` (each from 0 to ``bound`` - 1) stably, and where
    each key's run begins in it (``bound`` + 1 entries, the last ``len(keys)``)."""
    cdef Py_ssize_t n = keys.shape[0], i, bad = -1
    cdef int64_t k
    starts = np.zeros(bound + 1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    at = np.empty(max(bound, 1), dtype=np.int64)
    cdef int64_t[::1] s = starts, o = order, nxt = at
    with nogil:
        for i in range(n):
            k = keys[i]
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
                k = keys[i]
                o[nxt[k]] = i
                nxt[k] += 1
    if bad >= 0:
        raise ValueError(f"key {keys[bad]} at {bad} is outside 0 to {bound - 1}")
    return order, starts
