from libc.stdint cimport int32_t, int64_t, uint64_t

cdef Py_ssize_t float64_population_step(const int32_t* code, Py_ssize_t ninstr, const double* consts,
                                        double** rows, Py_ssize_t N, double* R, int ref_mode,
                                        Py_ssize_t lastspike_slot, int32_t* refc, const int32_t* ref_steps,
                                        int64_t step, double dt, uint64_t seed, int32_t* spikes) noexcept nogil
