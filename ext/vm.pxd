from libc.stdint cimport int32_t, int64_t, uint64_t

cdef Py_ssize_t float64_population_step(const int32_t* code, Py_ssize_t ninstr, const double* consts,
                                        double** rows, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t N, double* R,
                                        int ref_mode, Py_ssize_t lastspike_slot, int32_t* refc,
                                        const int32_t* ref_steps, int64_t step, double dt, uint64_t seed,
                                        int32_t* spikes) noexcept nogil

cdef struct FixedProgram:
    const int32_t* code
    Py_ssize_t ninstr
    const int64_t* consts
    const int64_t* knots
    const int64_t* tables          # (n, 4): lo, shift, first knot, segments
    int64_t* overflows             # per slot
    int ref_mode
    Py_ssize_t lastspike_slot
    int frac, acc, total, wrap, nearest
    int64_t dt_q

cdef Py_ssize_t fixed_population_step(const FixedProgram* fp, int64_t** rows, Py_ssize_t lo, Py_ssize_t hi,
                                      Py_ssize_t N, int64_t* R, int32_t* refc, const int32_t* ref_steps,
                                      int64_t step, uint64_t seed, int32_t* spikes) noexcept nogil

cdef class FixedVM:
    cdef public object code, consts, knots, tables, overflows
    cdef public Py_ssize_t nregs
    cdef public int ref_mode
    cdef public Py_ssize_t lastspike_slot
    cdef public int frac, acc, total, wrap, nearest
    cdef public int64_t dt_q
    cdef FixedProgram program(self)
