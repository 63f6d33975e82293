# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels over packed bitstreams (engine/stochastic/sc_streams.py defines the layout and is the public API).

A stream of ``L`` bits is ``ceil(L / 64)`` uint64 words; stream bit ``i`` is bit ``i % 64`` (least significant
first) of word ``i // 64``, and the bits past ``L`` in the last word are 0.  Every kernel writes into ``out``
and runs without the GIL.
"""

from libc.stdint cimport int32_t, int64_t, uint16_t, uint64_t


cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil


cdef inline uint64_t tail_mask(Py_ssize_t length) noexcept nogil:
    """The valid bits of the last word of a stream of ``length`` bits."""
    cdef Py_ssize_t rest = length % 64
    return <uint64_t>0xFFFFFFFFFFFFFFFF if rest == 0 else ((<uint64_t>1) << rest) - 1


def popcount(const uint64_t[:, ::1] words, int64_t[::1] out):
    """``out[r]`` = the number of ones in row ``r`` of ``words``."""
    cdef Py_ssize_t r, w
    cdef int64_t count
    with nogil:
        for r in range(words.shape[0]):
            count = 0
            for w in range(words.shape[1]):
                count += __builtin_popcountll(words[r, w])
            out[r] = count


def encode(const uint16_t[::1] source, const int64_t[::1] levels, uint64_t[:, ::1] out):
    """Row ``r`` of ``out`` = the stream with bit ``i`` set when ``source[i] < levels[r]`` (``L = len(source)``)."""
    cdef Py_ssize_t r, i, length = source.shape[0]
    cdef int64_t level
    cdef uint64_t word
    with nogil:
        for r in range(levels.shape[0]):
            level = levels[r]
            word = 0
            for i in range(length):
                word |= (<uint64_t>(source[i] < level)) << (i % 64)
                if i % 64 == 63:
                    out[r, i // 64] = word
                    word = 0
            if length % 64:
                out[r, length // 64] = word


def and_words(const uint64_t[:, ::1] a, const uint64_t[:, ::1] b, uint64_t[:, ::1] out):
    """``out = a & b`` (unipolar multiply)."""
    cdef Py_ssize_t r, w
    with nogil:
        for r in range(a.shape[0]):
            for w in range(a.shape[1]):
                out[r, w] = a[r, w] & b[r, w]


def xnor_words(const uint64_t[:, ::1] a, const uint64_t[:, ::1] b, Py_ssize_t length, uint64_t[:, ::1] out):
    """``out = ~(a ^ b)`` over ``length`` bits, the bits past ``length`` kept 0 (bipolar multiply)."""
    cdef Py_ssize_t r, w, last = a.shape[1] - 1
    cdef uint64_t mask = tail_mask(length)
    with nogil:
        for r in range(a.shape[0]):
            for w in range(a.shape[1]):
                out[r, w] = ~(a[r, w] ^ b[r, w])
            if last >= 0:
                out[r, last] &= mask


def mux_words(const uint64_t[:, ::1] a, const uint64_t[:, ::1] b, const uint64_t[:, ::1] select,
              uint64_t[:, ::1] out):
    """``out = (a & ~select) | (b & select)``: bit ``i`` from ``b`` where the select bit is 1 (scaled add)."""
    cdef Py_ssize_t r, w
    with nogil:
        for r in range(a.shape[0]):
            for w in range(a.shape[1]):
                out[r, w] = (a[r, w] & ~select[r, w]) | (b[r, w] & select[r, w])


def mux_inputs(const uint64_t[:, :, ::1] inputs, const int32_t[::1] index, uint64_t[:, ::1] out):
    """Row ``r`` of ``out``: bit ``i`` is bit ``i`` of ``inputs[r, index[i]]`` (an n-input MUX, ``L = len(index)``)."""
    cdef Py_ssize_t r, i, w, length = index.shape[0]
    cdef uint64_t word
    with nogil:
        for r in range(inputs.shape[0]):
            for w in range(out.shape[1]):
                out[r, w] = 0
            for i in range(length):
                w = i // 64
                out[r, w] |= inputs[r, index[i], w] & ((<uint64_t>1) << (i % 64))
