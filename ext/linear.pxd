from libc.stdint cimport int32_t, int64_t

cdef struct LinearSpec:
    int ns, ni, nw, thr, strict
    int synaptic                 # the exponential-synapse variant of ext/linear_kernel.h
    double theta
    double P[16]
    double c[4]
    double Q[16]
    double R[16]
    double reset_val[4]
    int32_t hold[4]
    int32_t reset_mask[4]
    Py_ssize_t state_rows[4]
    Py_ssize_t input_rows[2]
    Py_ssize_t weight_rows[4]
    Py_ssize_t lastspike_row

cdef Py_ssize_t linear_population_step(const LinearSpec* spec, double** rows, Py_ssize_t lo, Py_ssize_t hi,
                                       Py_ssize_t N, double* zeros, double* scratch, int32_t* refc,
                                       const int32_t* ref_steps, int32_t ref_uniform, int64_t step, double dt,
                                       int32_t* flags, int32_t* spikes) noexcept nogil

cdef class LinearKernel:
    cdef LinearSpec spec
