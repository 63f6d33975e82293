# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Hand-fused step for linear models (exact integration, constant threshold and reset).

One pass per neuron over up to four states, four inputs before the update
(injected currents) and four after it (receptor weights): the compiler keeps
everything in registers and vectorises across neurons.  engine/fused.py
decides when a model qualifies; the result agrees with the VM to rounding.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset

import numpy as np

DEF MAXS = 4
DEF MAXI = 4
DEF MAXU = 2


cdef extern from "linear_kernel.h" nogil:
    void ncs_linear_step(int ns, int ni, int nw, double* X0, double* X1, double* X2, double* X3,
                         const double* U0, const double* U1, const double* W0, const double* W1,
                         const double* W2, const double* W3, const double* P, const double* c,
                         const double* Q, const double* R, const int32_t* hold, int thr, double theta,
                         int strict, const int32_t* reset_mask, const double* reset_val, int32_t* refc,
                         const int32_t* ref_steps, uint8_t* spike, Py_ssize_t n)


cdef class LinearKernel:
    """Fused step of a linear model; built by engine.fused.linear_kernel."""

    cdef public object P, c, Q, R, hold, reset_mask, reset_val, state_rows, input_rows, weight_rows
    cdef public Py_ssize_t thr, lastspike_row
    cdef public double theta
    cdef public bint strict

    def __init__(self, P, c, Q, R, hold, Py_ssize_t thr, double theta, bint strict, reset_mask, reset_val,
                 state_rows, input_rows, weight_rows, Py_ssize_t lastspike_row):
        self.P = np.ascontiguousarray(P, dtype=np.float64).reshape(16)
        self.c = np.ascontiguousarray(c, dtype=np.float64)
        self.Q = np.ascontiguousarray(Q, dtype=np.float64).reshape(16)
        self.R = np.ascontiguousarray(R, dtype=np.float64).reshape(16)
        self.hold = np.ascontiguousarray(hold, dtype=np.int32)
        self.reset_mask = np.ascontiguousarray(reset_mask, dtype=np.int32)
        self.reset_val = np.ascontiguousarray(reset_val, dtype=np.float64)
        self.state_rows = np.ascontiguousarray(state_rows, dtype=np.int64)
        self.input_rows = np.ascontiguousarray(input_rows, dtype=np.int64)
        self.weight_rows = np.ascontiguousarray(weight_rows, dtype=np.int64)
        self.thr = thr
        self.theta = theta
        self.strict = strict
        self.lastspike_row = lastspike_row

    def run(self, double[:, ::1] slots, int32_t[::1] refc, const int32_t[::1] ref_steps,
            int64_t first_step, Py_ssize_t nsteps, double dt,
            const int32_t[::1] input_slots, const double[:, ::1] inputs,
            const int32_t[::1] record_slots, double[:, :, ::1] record, int32_t[::1] spike_steps,
            int32_t[::1] spike_neurons):
        """Same contract as ext.vm.FloatVM.run."""
        cdef Py_ssize_t N = slots.shape[1], k, s, q, i, total = 0, cap = spike_steps.shape[0]
        cdef Py_ssize_t nin = input_slots.shape[0], nrec = record_slots.shape[0]
        cdef double* scratch = <double*>malloc(MAXS * (N + 1) * sizeof(double))
        cdef double* zeros = <double*>malloc((N + 1) * sizeof(double))
        cdef uint8_t* spike = <uint8_t*>malloc((N + 1) * sizeof(uint8_t))
        cdef double* x[MAXS]
        cdef const double* u[MAXI]
        cdef const double* w[MAXI]
        cdef const double[::1] P = self.P, c = self.c, Q = self.Q, R = self.R, rv = self.reset_val
        cdef const int32_t[::1] hold = self.hold, rm = self.reset_mask
        cdef const int64_t[::1] srows = self.state_rows, irows = self.input_rows, wrows = self.weight_rows
        cdef Py_ssize_t thr = self.thr, ls = self.lastspike_row
        cdef double theta = self.theta
        cdef bint strict = self.strict
        cdef int ns = 0, ni = 0, nw = 0
        for i in range(MAXS):
            ns += srows[i] >= 0
            ni += irows[i] >= 0
            nw += wrows[i] >= 0
        if scratch == NULL or zeros == NULL or spike == NULL:
            free(scratch)
            free(zeros)
            free(spike)
            raise MemoryError()
        memset(zeros, 0, (N + 1) * sizeof(double))
        for i in range(MAXS):
            x[i] = &slots[srows[i], 0] if srows[i] >= 0 else scratch + i * (N + 1)
            u[i] = &slots[irows[i], 0] if irows[i] >= 0 else zeros
            w[i] = &slots[wrows[i], 0] if wrows[i] >= 0 else zeros
        try:
            with nogil:
                for s in range(nsteps):
                    for q in range(nin):
                        for k in range(N):
                            slots[input_slots[q], k] = inputs[s, q]
                    ncs_linear_step(ns, ni, nw, x[0], x[1], x[2], x[3], u[0], u[1], w[0], w[1], w[2], w[3],
                                    &P[0], &c[0], &Q[0], &R[0], &hold[0], <int>thr, theta, strict,
                                    &rm[0], &rv[0], &refc[0], &ref_steps[0], spike, N)
                    for k in range(N):
                        if spike[k]:
                            slots[ls, k] = (first_step + s + 1) * dt
                            if total < cap:
                                spike_steps[total] = <int32_t>s
                                spike_neurons[total] = <int32_t>k
                            total += 1
                    for q in range(nrec):
                        for k in range(N):
                            record[s, q, k] = slots[record_slots[q], k]
        finally:
            free(scratch)
            free(zeros)
            free(spike)
        return total
