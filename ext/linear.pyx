# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Hand-fused step for linear models (exact integration, constant threshold and reset).

One pass per neuron over up to four states, two injected-current inputs and
four receptor weights: the compiler keeps everything in registers and
vectorises across neurons (ext/linear_kernel.h).  engine/fused.py decides when
a model qualifies; the result agrees with the VM to rounding.
"""

from libc.stdint cimport int32_t, int64_t

import numpy as np

DEF MAXS = 4
DEF MAXU = 2
DEF MAXW = 4


cdef extern from "linear_kernel.h" nogil:
    void ncs_linear_step(int synaptic, int ns, int ni, int nw, double* X0, double* X1, double* X2, double* X3,
                         const double* U0, const double* U1, double* W0, double* W1,
                         double* W2, double* W3, const double* P, const double* c,
                         const double* Q, const double* R, const int32_t* hold, int thr, double theta,
                         int strict, const int32_t* reset_mask, const double* reset_val, int32_t* refc,
                         const int32_t* ref_steps, int32_t ref_uniform, int32_t* spike, Py_ssize_t n)
    Py_ssize_t ncs_collect_spikes(const int32_t* flag, double* lastspike, double t_end, Py_ssize_t lo, Py_ssize_t n,
                                  int32_t* spikes)


cdef Py_ssize_t linear_population_step(const LinearSpec* spec, double** rows, Py_ssize_t lo, Py_ssize_t hi,
                                       Py_ssize_t N, double* zeros, double* scratch, int32_t* refc,
                                       const int32_t* ref_steps, int32_t ref_uniform, int64_t step, double dt,
                                       int32_t* flags, int32_t* spikes) noexcept nogil:
    """One step of neurons ``lo`` to ``hi`` (of ``N``; ``lo`` a multiple of 8); ``rows[i]`` holds slot ``i``
    of all neurons; ``zeros`` (N) and ``scratch`` (4*N) stand in for absent rows.  The receptor rows are
    consumed (left at zero); ``ref_uniform >= 0`` is every neuron's refractory step count.  Spiking indices
    go to ``spikes`` in order; returns their count."""
    cdef double* x[MAXS]
    cdef const double* u[MAXU]
    cdef double* w[MAXW]
    cdef Py_ssize_t i, n = hi - lo
    for i in range(MAXS):
        x[i] = (rows[spec.state_rows[i]] if spec.state_rows[i] >= 0 else scratch + i * N) + lo
    for i in range(MAXU):
        u[i] = (rows[spec.input_rows[i]] if spec.input_rows[i] >= 0 else zeros) + lo
    for i in range(MAXW):
        w[i] = (rows[spec.weight_rows[i]] if spec.weight_rows[i] >= 0 else zeros) + lo
    ncs_linear_step(spec.synaptic, spec.ns, spec.ni, spec.nw, x[0], x[1], x[2], x[3], u[0], u[1], w[0], w[1], w[2], w[3],
                    spec.P, spec.c, spec.Q, spec.R, spec.hold, spec.thr, spec.theta, spec.strict,
                    spec.reset_mask, spec.reset_val, refc + lo, ref_steps + lo, ref_uniform, flags + lo, n)
    return ncs_collect_spikes(flags + lo, rows[spec.lastspike_row] + lo, (step + 1) * dt, lo, n, spikes)


cdef class LinearKernel:
    """Fused step of a linear model; built by engine.fused.linear_kernel."""

    def __init__(self, P, c, Q, R, hold, int thr, double theta, bint strict, reset_mask, reset_val,
                 state_rows, input_rows, weight_rows, Py_ssize_t lastspike_row, bint synaptic=False):
        """``synaptic``: run the exponential-synapse variant (ext/linear_kernel.h; engine.fused checks
        that the model has its shape)."""
        cdef Py_ssize_t i
        P, Q, R = (np.asarray(a, dtype=np.float64).reshape(16) for a in (P, Q, R))
        for i in range(16):
            self.spec.P[i], self.spec.Q[i], self.spec.R[i] = P[i], Q[i], R[i]
        for i in range(MAXS):
            self.spec.c[i] = c[i]
            self.spec.hold[i] = hold[i]
            self.spec.reset_mask[i] = reset_mask[i]
            self.spec.reset_val[i] = reset_val[i]
            self.spec.state_rows[i] = state_rows[i]
            self.spec.weight_rows[i] = weight_rows[i]
        for i in range(MAXU):
            self.spec.input_rows[i] = input_rows[i]
        self.spec.ns = sum(1 for r in state_rows if r >= 0)
        self.spec.ni = sum(1 for r in input_rows if r >= 0)
        self.spec.nw = sum(1 for r in weight_rows if r >= 0)
        self.spec.thr, self.spec.theta, self.spec.strict = thr, theta, strict
        self.spec.lastspike_row = lastspike_row
        self.spec.synaptic = synaptic

    @property
    def synaptic(self):
        """Whether the model runs the kernel's exponential-synapse variant (else the generic one)."""
        return bool(self.spec.synaptic)
