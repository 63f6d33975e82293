# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The network step loop: delay rings, populations, spike propagation, recording.

One step ``t`` (docs/network.md):

1. every delay ring hands its row ``t`` (weights that arrive now) plus the
   external input of this step (Poisson drive) to its receptor slot;
2. every population's injected-current slot gets this step's device current;
3. every population advances one step (the VM or the fused linear kernel);
4. each spike of step ``t`` is pushed through the projections of its
   population: the weight lands in the target ring at row ``t + delay``.

The whole chunk runs without the GIL.  Numbers are float64 in the models' unit
systems, or, for fixed-point populations, raw integers of the population's Q
format: their rings add integer weights exactly in int64 and the sum is
saturated to the storage width once, where the neuron reads it, so the order
of delivery never changes a bit (docs/fixed-point.md, "Networks").
Connectivity is CSR sorted by source.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, realloc, free, calloc
from libc.string cimport memset, memcpy, memcmp
from libc.math cimport isfinite, pow

from ext.linear cimport LinearSpec, LinearKernel, linear_population_step
from ext.vm cimport FixedProgram, FixedVM, fixed_population_step, float64_population_step

import numpy as np

DEF FINITE_CHECK_EVERY = 16

# A float population's program compiled to native code (engine/program_c.py renders it).
ctypedef Py_ssize_t (*native_step_fn)(double** rows, Py_ssize_t N, const double* consts, int ref_mode,
                                      Py_ssize_t lastspike_slot, int32_t* refc, const int32_t* ref_steps,
                                      int64_t step, double dt, uint64_t seed, int32_t* spikes) noexcept nogil


cdef struct CPop:
    int kind                     # 0: float VM, 1: fused linear kernel, 2: fixed-point VM
    Py_ssize_t n
    int32_t ref_uniform          # every neuron's refractory steps when they agree, else -1
    double* slots
    double** rows                # rows[i]: slot i of all neurons (input rows point into rings)
    int32_t* refc
    const int32_t* ref_steps
    const int32_t* code
    Py_ssize_t ninstr
    native_step_fn native        # the program as native code (kind 0), or NULL: the VM runs it
    const double* consts
    double* R
    int ref_mode
    Py_ssize_t lastspike_row
    uint64_t seed
    LinearSpec lin
    double* zeros
    double* scratch
    uint8_t* flags
    int32_t* spikes
    Py_ssize_t nspikes
    Py_ssize_t current_row
    const double* current        # (chunk, n) for this chunk, or NULL
    const int32_t* state_rows
    Py_ssize_t nstates
    int32_t* rec_steps           # recorded spikes of the chunk
    int32_t* rec_neurons
    Py_ssize_t rec_count, rec_cap
    # fixed point (kind 2): integer slots, their row pointers, registers and program
    int64_t* islots
    int64_t** irows
    int64_t* iR
    FixedProgram fx
    const int64_t* icurrent      # (chunk, n) raw injected current, or NULL
    # slots set for every neuron before each step (a one-population run's inputs)
    const int32_t* in_rows
    Py_ssize_t n_in
    const double* in_values      # (chunk, n_in), or in_ivalues for fixed point
    const int64_t* in_ivalues


cdef struct CRing:
    Py_ssize_t pop, row, n, depth
    double* buf
    const double* external       # (chunk, n) or NULL
    int64_t* ibuf                # fixed point: exact integer sums (buf is NULL)
    const int64_t* iexternal
    int64_t lo, hi               # the storage range the neuron reads


cdef struct CProj:
    Py_ssize_t src, ring, tgt
    const int64_t* indptr
    const int32_t* targets32     # one of targets32 / targets16 is set
    const uint16_t* targets16
    float* weights               # NULL: one weight for all (w_hom)
    double w_hom, scale
    const uint16_t* delays       # NULL: one delay for all (d_hom)
    int32_t d_hom
    const int64_t* iweights      # fixed point: raw weights per connection, or NULL (iw_hom)
    int64_t iw_hom
    # pair-based STDP (plastic != 0): traces per source and per target neuron
    int plastic
    double* x_pre
    double* x_post
    double decay_pre, decay_post, a_plus, a_minus, mu_plus, mu_minus, w_max
    const int64_t* post_indptr   # incoming synapses of each target (CSC over the CSR arrays)
    const int32_t* post_syn
    const int32_t* post_src


cdef struct CSampler:
    Py_ssize_t pop, nrows, nidx, interval, phase
    const int32_t* rows
    const int32_t* idx
    double* out                  # (samples, nrows, nidx) for this chunk
    Py_ssize_t count, cap


cdef inline Py_ssize_t _target(const CProj* pr, int64_t k) noexcept nogil:
    return pr.targets16[k] if pr.targets16 != NULL else pr.targets32[k]


cdef inline double _clip01(double x) noexcept nogil:
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


cdef void _stdp_post(CProj* pr, CPop* pre, CPop* post) noexcept nogil:
    cdef Py_ssize_t k, e, m, j
    cdef double wn
    for k in range(pre.n):
        pr.x_pre[k] *= pr.decay_pre
    for k in range(post.n):
        pr.x_post[k] *= pr.decay_post
    for e in range(post.nspikes):
        j = post.spikes[e]
        for m in range(pr.post_indptr[j], pr.post_indptr[j + 1]):
            k = pr.post_syn[m]
            wn = pr.weights[k] / pr.w_max
            wn = wn + pr.a_plus * pow(1.0 - wn, pr.mu_plus) * pr.x_pre[pr.post_src[m]]
            pr.weights[k] = <float>(_clip01(wn) * pr.w_max)
        pr.x_post[j] += 1.0


cdef void _stdp_pre_and_deliver(CProj* pr, CRing* r, int64_t t, int32_t src, int64_t a0, int64_t a1) noexcept nogil:
    cdef int64_t k
    cdef Py_ssize_t j, d
    cdef double wn
    for k in range(a0, a1):
        j = _target(pr, k)
        wn = pr.weights[k] / pr.w_max
        wn = wn - pr.a_minus * pow(wn, pr.mu_minus) * pr.x_post[j]
        pr.weights[k] = <float>(_clip01(wn) * pr.w_max)
        d = pr.delays[k] if pr.delays != NULL else pr.d_hom
        r.buf[((t + d) % r.depth) * r.n + j] += pr.weights[k] * pr.scale
    pr.x_pre[src] += 1.0


cdef const void* _held(arr, dtype, list hold) except? NULL:
    """The data of ``arr`` as a C-contiguous ``dtype`` array kept alive in ``hold`` (NULL when empty)."""
    a = np.ascontiguousarray(arr, dtype=dtype)
    hold.append(a)
    return NULL if a.size == 0 else <const void*><size_t>a.ctypes.data


cdef int64_t* _fixed_ring_input(CRing* r, int64_t t, Py_ssize_t s) noexcept nogil:
    """Row ``t`` of an integer ring plus this step's external input, saturated once to the storage range."""
    cdef int64_t* row = r.ibuf + (t % r.depth) * r.n
    cdef Py_ssize_t k
    if r.iexternal != NULL:
        for k in range(r.n):
            row[k] += r.iexternal[s * r.n + k]
    for k in range(r.n):
        row[k] = r.lo if row[k] < r.lo else (r.hi if row[k] > r.hi else row[k])
    return row


cdef void _set_inputs(CPop* p, Py_ssize_t s) noexcept nogil:
    """Set the population's input slots, every neuron, to step ``s``'s values."""
    cdef Py_ssize_t q, k
    cdef int64_t* irow
    cdef double* row
    for q in range(p.n_in):
        if p.kind == 2:
            irow = p.islots + p.in_rows[q] * p.n
            for k in range(p.n):
                irow[k] = p.in_ivalues[s * p.n_in + q]
        else:
            row = p.slots + p.in_rows[q] * p.n
            for k in range(p.n):
                row[k] = p.in_values[s * p.n_in + q]


cdef void _deliver_fixed(const CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Raw weights into an integer ring: exact sums, in any order."""
    cdef int64_t k
    cdef Py_ssize_t d
    for k in range(a0, a1):
        d = pr.delays[k] if pr.delays != NULL else pr.d_hom
        r.ibuf[((t + d) % r.depth) * r.n + _target(pr, k)] += pr.iweights[k] if pr.iweights != NULL else pr.iw_hom


cdef double _zero_if_finite(const double* row, Py_ssize_t n) noexcept nogil:
    """0.0 when every value is finite, else NaN; eight independent sums, so the loop vectorises
    (one running sum waits for each addition to finish)."""
    cdef double acc[8]
    cdef Py_ssize_t k, q
    for q in range(8):
        acc[q] = 0.0
    for k in range(0, n - n % 8, 8):
        for q in range(8):
            acc[q] += row[k + q] * 0.0
    for k in range(n - n % 8, n):
        acc[0] += row[k] * 0.0
    return acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7]


cdef int32_t _uniform_steps(const CPop* p) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(1, p.n):
        if p.ref_steps[k] != p.ref_steps[0]:
            return -1
    return p.ref_steps[0] if p.n else -1


cdef int _grow_spikes(CPop* p, Py_ssize_t need) noexcept nogil:
    cdef Py_ssize_t cap = p.rec_cap if p.rec_cap > 0 else 1024
    cdef int32_t* a
    cdef int32_t* b
    while cap < need:
        cap *= 2
    a = <int32_t*>realloc(p.rec_steps, cap * sizeof(int32_t))
    if a == NULL:
        return -1
    p.rec_steps = a
    b = <int32_t*>realloc(p.rec_neurons, cap * sizeof(int32_t))
    if b == NULL:
        return -1
    p.rec_neurons = b
    p.rec_cap = cap
    return 0


cdef class NetworkKernel:
    """C-level state of a built network; engine.network.Network drives it chunk by chunk."""

    cdef CPop* pops
    cdef CRing* rings
    cdef CProj* projs
    cdef CSampler* samplers
    cdef Py_ssize_t npops, nrings, nprojs, nsamplers
    cdef object keep            # Python objects whose buffers the structs point into
    cdef public double dt
    cdef public Py_ssize_t failed_pop
    cdef public int64_t failed_step
    cdef public bint check_finite  # stop at a NaN or infinite state (a network run); off for single populations

    def __cinit__(self):
        self.pops = NULL
        self.rings = NULL
        self.projs = NULL
        self.samplers = NULL
        self.keep = []

    def __init__(self, double dt):
        self.dt = dt
        self.failed_pop = -1
        self.failed_step = -1
        self.check_finite = True

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.npops):
            free(self.pops[i].R)
            free(self.pops[i].rows)
            free(self.pops[i].zeros)
            free(self.pops[i].scratch)
            free(self.pops[i].flags)
            free(self.pops[i].spikes)
            free(self.pops[i].rec_steps)
            free(self.pops[i].rec_neurons)
            free(self.pops[i].irows)
            free(self.pops[i].iR)
        for i in range(self.nrings):
            free(self.rings[i].buf)
            free(self.rings[i].ibuf)
        for i in range(self.nprojs):
            free(self.projs[i].x_pre)
            free(self.projs[i].x_post)
        free(self.pops)
        free(self.rings)
        free(self.projs)
        free(self.samplers)

    cdef CPop* _new_population(self, Py_ssize_t n, int32_t[::1] refc, const int32_t[::1] ref_steps,
                               uint64_t seed, Py_ssize_t current_row) except NULL:
        cdef Py_ssize_t i = self.npops
        cdef CPop* grown = <CPop*>realloc(self.pops, (i + 1) * sizeof(CPop))
        if grown == NULL:
            raise MemoryError()
        self.pops = grown
        memset(&self.pops[i], 0, sizeof(CPop))
        self.npops += 1
        cdef CPop* p = &self.pops[i]
        self.keep.extend([refc, ref_steps])
        p.n = n
        p.refc = &refc[0]
        p.ref_steps = &ref_steps[0]
        p.seed = seed
        p.current_row = current_row
        p.flags = <uint8_t*>calloc(n + 1, sizeof(uint8_t))
        p.spikes = <int32_t*>malloc((n + 1) * sizeof(int32_t))
        if p.flags == NULL or p.spikes == NULL:
            raise MemoryError()
        return p

    def add_fixed_population(self, int64_t[:, ::1] slots, int32_t[::1] refc, const int32_t[::1] ref_steps,
                             FixedVM vm, uint64_t seed, Py_ssize_t current_row):
        """Register a fixed-point population run by ``vm`` (raw integer slots, shared); returns its index."""
        cdef Py_ssize_t n = slots.shape[1], i = self.npops, k
        cdef CPop* p = self._new_population(n, refc, ref_steps, seed, current_row)
        self.keep.extend([slots, vm])
        p.kind = 2
        p.fx = vm.program()
        p.islots = &slots[0, 0]
        p.irows = <int64_t**>malloc(slots.shape[0] * sizeof(int64_t*) + 1)
        p.iR = <int64_t*>malloc(max(vm.nregs, 2) * 128 * sizeof(int64_t))
        if p.irows == NULL or p.iR == NULL:
            raise MemoryError()
        for k in range(slots.shape[0]):
            p.irows[k] = &slots[k, 0]
        return i

    def add_population(self, double[:, ::1] slots, int32_t[::1] refc, const int32_t[::1] ref_steps,
                       program, vm_nregs, int ref_mode, Py_ssize_t lastspike_row, uint64_t seed,
                       LinearKernel kernel, Py_ssize_t current_row, state_rows):
        """Register a float population (its arrays are shared, not copied); returns its index."""
        cdef Py_ssize_t n = slots.shape[1], i = self.npops, k
        cdef CPop* p = self._new_population(n, refc, ref_steps, seed, current_row)
        code = np.ascontiguousarray(program.code, dtype=np.int32)
        consts = np.ascontiguousarray(program.consts, dtype=np.float64)
        rows = np.ascontiguousarray(state_rows, dtype=np.int32)
        self.keep.extend([code, consts, rows, slots, kernel])
        cdef const int32_t[:, ::1] code_mv = code
        cdef const double[::1] consts_mv = consts
        cdef const int32_t[::1] rows_mv = rows
        p.slots = &slots[0, 0]
        p.rows = <double**>malloc(slots.shape[0] * sizeof(double*) + 1)
        if p.rows == NULL:
            raise MemoryError()
        for k in range(slots.shape[0]):
            p.rows[k] = &slots[k, 0]
        p.code = &code_mv[0, 0]
        p.ninstr = code_mv.shape[0]
        p.consts = &consts_mv[0]
        p.ref_mode = ref_mode
        p.lastspike_row = lastspike_row
        p.state_rows = &rows_mv[0] if rows_mv.shape[0] else NULL
        p.nstates = rows_mv.shape[0]
        p.R = <double*>malloc(max(vm_nregs, 2) * 128 * sizeof(double))
        p.zeros = <double*>calloc(n + 1, sizeof(double))
        p.scratch = <double*>calloc(4 * (n + 1), sizeof(double))
        if p.R == NULL or p.zeros == NULL or p.scratch == NULL:
            raise MemoryError()
        if kernel is not None:
            p.kind = 1
            p.lin = kernel.spec
        return i

    def update_fixed_population(self, Py_ssize_t pop, FixedVM vm):
        """Swap in a recompiled fixed-point program (same slots) for population ``pop``, keeping its state."""
        cdef CPop* p = &self.pops[pop]
        cdef int64_t* R = <int64_t*>realloc(p.iR, max(vm.nregs, 2) * 128 * sizeof(int64_t))
        if R == NULL:
            raise MemoryError()
        self.keep.append(vm)
        p.iR = R
        p.fx = vm.program()

    def update_population(self, Py_ssize_t pop, program, vm_nregs, int ref_mode, LinearKernel kernel):
        """Swap in a recompiled program (same slots) for population ``pop``, keeping its state."""
        cdef CPop* p = &self.pops[pop]
        code = np.ascontiguousarray(program.code, dtype=np.int32)
        consts = np.ascontiguousarray(program.consts, dtype=np.float64)
        self.keep.extend([code, consts, kernel])
        cdef const int32_t[:, ::1] code_mv = code
        cdef const double[::1] consts_mv = consts
        cdef double* R = <double*>realloc(p.R, max(vm_nregs, 2) * 128 * sizeof(double))
        if R == NULL:
            raise MemoryError()
        p.R = R
        # A new parameter value changes only the constants, which native code reads like the VM.
        if p.ninstr != code_mv.shape[0] or memcmp(p.code, &code_mv[0, 0], p.ninstr * 5 * sizeof(int32_t)) != 0:
            p.native = NULL
        p.code = &code_mv[0, 0]
        p.ninstr = code_mv.shape[0]
        p.consts = &consts_mv[0]
        p.ref_mode = ref_mode
        p.kind = 0
        if kernel is not None:
            p.kind = 1
            p.lin = kernel.spec

    def set_native(self, Py_ssize_t pop, size_t address, code):
        """Run population ``pop`` with native code at ``address`` from the next step, if ``code`` is still
        its program (returns whether it switched); the caller keeps the code's library loaded."""
        cdef CPop* p = &self.pops[pop]
        code = np.ascontiguousarray(code, dtype=np.int32)
        cdef const int32_t[:, ::1] code_mv = code
        if (p.kind != 0 or address == 0 or p.ninstr != code_mv.shape[0]
                or memcmp(p.code, &code_mv[0, 0], p.ninstr * 5 * sizeof(int32_t)) != 0):
            return False
        p.native = <native_step_fn>address
        return True

    def runs_native(self, Py_ssize_t pop):
        """Whether population ``pop`` runs native code (else the VM or the fused kernel)."""
        return self.pops[pop].kind == 0 and self.pops[pop].native != NULL

    def add_ring(self, Py_ssize_t pop, Py_ssize_t row, Py_ssize_t depth, int64_t lo=0, int64_t hi=0):
        """A delay ring feeding slot ``row`` of population ``pop``; ``depth`` = max delay + 1 steps.

        For a fixed-point population the ring holds exact int64 sums, read
        saturated to ``[lo, hi]`` (the slot's storage range).
        """
        cdef Py_ssize_t i = self.nrings
        cdef CRing* grown = <CRing*>realloc(self.rings, (i + 1) * sizeof(CRing))
        if grown == NULL:
            raise MemoryError()
        self.rings = grown
        self.nrings += 1
        self.rings[i].pop = pop
        self.rings[i].row = row
        self.rings[i].n = self.pops[pop].n
        self.rings[i].depth = depth
        self.rings[i].external = NULL
        self.rings[i].iexternal = NULL
        self.rings[i].buf = NULL
        self.rings[i].ibuf = NULL
        self.rings[i].lo = lo
        self.rings[i].hi = hi
        if self.pops[pop].kind == 2:
            self.rings[i].ibuf = <int64_t*>calloc(depth * self.pops[pop].n + 1, sizeof(int64_t))
            if self.rings[i].ibuf == NULL:
                raise MemoryError()
        else:
            self.rings[i].buf = <double*>calloc(depth * self.pops[pop].n + 1, sizeof(double))
            if self.rings[i].buf == NULL:
                raise MemoryError()
        return i

    def ring_contents(self, Py_ssize_t ring):
        """A copy of a ring's buffer (depth, n): weights in flight."""
        cdef CRing* r = &self.rings[ring]
        cdef double[:, ::1] o
        cdef int64_t[:, ::1] io
        if r.ibuf != NULL:
            out = np.empty((r.depth, r.n), dtype=np.int64)
            io = out
            memcpy(&io[0, 0], r.ibuf, r.depth * r.n * sizeof(int64_t))
            return out
        out = np.empty((r.depth, r.n), dtype=np.float64)
        o = out
        memcpy(&o[0, 0], r.buf, r.depth * r.n * sizeof(double))
        return out

    def add_projection(self, Py_ssize_t src, Py_ssize_t ring, const int64_t[::1] indptr,
                       targets, weights, double w_hom, delays, int32_t d_hom):
        """Static connectivity from population ``src`` into ``ring`` (CSR by source).

        ``targets`` is uint16 (targets below 65536) or int32; ``weights`` float32
        per connection or empty (one weight ``w_hom``); ``delays`` uint16 steps
        per connection or empty (one delay ``d_hom``).  Into a fixed-point ring,
        ``weights`` are int64 raw values and ``w_hom`` a raw value.
        """
        cdef Py_ssize_t i = self.nprojs
        cdef CProj* grown = <CProj*>realloc(self.projs, (i + 1) * sizeof(CProj))
        cdef float[::1] w_mv
        cdef const int64_t[::1] iw_mv
        cdef const uint16_t[::1] d_mv
        cdef const uint16_t[::1] t16
        cdef const int32_t[::1] t32
        if grown == NULL:
            raise MemoryError()
        self.projs = grown
        self.nprojs += 1
        cdef CProj* p = &self.projs[i]
        memset(p, 0, sizeof(CProj))
        self.keep.extend([indptr, targets, weights, delays])
        p.src = src
        p.ring = ring
        p.tgt = self.rings[ring].pop
        p.indptr = &indptr[0]
        p.targets16 = NULL
        p.targets32 = NULL
        if targets.dtype == np.uint16:
            t16 = targets
            p.targets16 = &t16[0] if t16.shape[0] else NULL
        else:
            t32 = targets
            p.targets32 = &t32[0] if t32.shape[0] else NULL
        p.w_hom = w_hom
        p.scale = 1.0
        p.d_hom = d_hom
        p.weights = NULL
        p.iweights = NULL
        p.delays = NULL
        if self.rings[ring].ibuf != NULL:
            p.iw_hom = <int64_t>w_hom
            if weights is not None and len(weights):
                iw_mv = weights
                p.iweights = &iw_mv[0]
        elif weights is not None and len(weights):
            w_mv = weights
            p.weights = &w_mv[0]
        if delays is not None and len(delays):
            d_mv = delays
            p.delays = &d_mv[0]
        return i

    def make_plastic(self, Py_ssize_t proj, const int64_t[::1] post_indptr, const int32_t[::1] post_syn,
                     const int32_t[::1] post_src, double decay_pre, double decay_post, double a_plus,
                     double a_minus, double mu_plus, double mu_minus, double w_max):
        """Turn a projection with per-connection weights into a pair-based STDP projection.

        On a post spike every incoming synapse is potentiated by
        ``a_plus (1 - w/w_max)**mu_plus x_pre``; on a pre spike each outgoing
        synapse is depressed by ``a_minus (w/w_max)**mu_minus x_post`` (both
        in units of ``w_max``, clipped to [0, w_max]) and then transmits.
        Traces decay by ``decay_pre``/``decay_post`` per step and grow by one
        per spike.
        """
        cdef CProj* p = &self.projs[proj]
        if p.weights == NULL:
            raise ValueError("STDP needs per-connection weights")
        self.keep.extend([post_indptr, post_syn, post_src])
        p.plastic = 1
        p.x_pre = <double*>calloc(self.pops[p.src].n + 1, sizeof(double))
        p.x_post = <double*>calloc(self.pops[p.tgt].n + 1, sizeof(double))
        if p.x_pre == NULL or p.x_post == NULL:
            raise MemoryError()
        p.post_indptr = &post_indptr[0]
        p.post_syn = &post_syn[0] if post_syn.shape[0] else NULL
        p.post_src = &post_src[0] if post_src.shape[0] else NULL
        p.decay_pre, p.decay_post = decay_pre, decay_post
        p.a_plus, p.a_minus, p.mu_plus, p.mu_minus, p.w_max = a_plus, a_minus, mu_plus, mu_minus, w_max

    def set_weight_scale(self, Py_ssize_t proj, double scale):
        self.projs[proj].scale = scale

    def add_sampler(self, Py_ssize_t pop, rows, idx, Py_ssize_t interval):
        """Record slots ``rows`` of neurons ``idx`` every ``interval`` steps; returns its index."""
        cdef Py_ssize_t i = self.nsamplers
        cdef CSampler* grown = <CSampler*>realloc(self.samplers, (i + 1) * sizeof(CSampler))
        if grown == NULL:
            raise MemoryError()
        self.samplers = grown
        self.nsamplers += 1
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        idx = np.ascontiguousarray(idx, dtype=np.int32)
        self.keep.extend([rows, idx])
        cdef const int32_t[::1] rows_mv = rows
        cdef const int32_t[::1] idx_mv = idx
        self.samplers[i].pop = pop
        self.samplers[i].rows = &rows_mv[0]
        self.samplers[i].nrows = rows_mv.shape[0]
        self.samplers[i].idx = &idx_mv[0]
        self.samplers[i].nidx = idx_mv.shape[0]
        self.samplers[i].interval = interval
        self.samplers[i].phase = 0
        self.samplers[i].out = NULL
        return i

    def run(self, int64_t first_step, Py_ssize_t nsteps, currents, externals, sample_out, inputs=None):
        """Run ``nsteps`` steps from ``first_step``.

        ``currents``: {population: (nsteps, n) array of injected current};
        ``externals``: {ring: (nsteps, n) array of weight arriving from
        devices} (both int64 raw values for fixed-point populations); ``sample_out``: {sampler: (nsteps // interval + 1, rows, idx)
        array}; ``inputs``: {population: (rows, (nsteps, len(rows)) array)},
        slots set for every neuron before each step.  Returns (spikes
        {population: (steps, neurons)}, samples written {sampler: count}).  Stops early, with ``failed_pop`` and
        ``failed_step`` set, when a state becomes NaN or infinite.
        """
        cdef Py_ssize_t i, k, s, q, e, nspk, tgt
        cdef int64_t t
        cdef CPop* p
        cdef CRing* r
        cdef CProj* pr
        cdef CSampler* sm
        cdef double* row
        cdef double w, acc
        cdef int32_t src
        cdef int64_t a0, a1
        cdef int grow_failed = 0
        cdef double[:, :, ::1] out_mv
        hold = []
        for i in range(self.npops):
            self.pops[i].current = NULL
            self.pops[i].icurrent = NULL
            self.pops[i].n_in = 0
            self.pops[i].rec_count = 0
            self.pops[i].ref_uniform = _uniform_steps(&self.pops[i])
        for i in range(self.nrings):
            self.rings[i].external = NULL
            self.rings[i].iexternal = NULL
        for key, arr in currents.items():
            if self.pops[key].kind == 2:
                self.pops[key].icurrent = <const int64_t*>_held(arr, np.int64, hold)
            else:
                self.pops[key].current = <const double*>_held(arr, np.float64, hold)
        for key, (rows, arr) in (inputs or {}).items():
            self.pops[key].in_rows = <const int32_t*>_held(rows, np.int32, hold)
            self.pops[key].n_in = len(rows)
            if self.pops[key].kind == 2:
                self.pops[key].in_ivalues = <const int64_t*>_held(arr, np.int64, hold)
            else:
                self.pops[key].in_values = <const double*>_held(arr, np.float64, hold)
        for key, arr in externals.items():
            if self.rings[key].ibuf != NULL:
                self.rings[key].iexternal = <const int64_t*>_held(arr, np.int64, hold)
            else:
                self.rings[key].external = <const double*>_held(arr, np.float64, hold)
        for i in range(self.nsamplers):
            self.samplers[i].out = NULL
            self.samplers[i].count = 0
            self.samplers[i].cap = 0
        for key, arr in sample_out.items():
            out_mv = arr
            hold.append(out_mv)
            self.samplers[key].out = &out_mv[0, 0, 0]
            self.samplers[key].cap = out_mv.shape[0]
        self.failed_pop = -1
        with nogil:
            for s in range(nsteps):
                t = first_step + s
                # 1. rings hand over what arrives now: the receptor's input row is the ring row
                for i in range(self.nrings):
                    r = &self.rings[i]
                    if r.ibuf != NULL:
                        self.pops[r.pop].irows[r.row] = _fixed_ring_input(r, t, s)
                        continue
                    row = r.buf + (t % r.depth) * r.n
                    if r.external != NULL:
                        for k in range(r.n):
                            row[k] += r.external[s * r.n + k]
                    self.pops[r.pop].rows[r.row] = row
                # 2. device currents, 3. neuron updates
                for i in range(self.npops):
                    p = &self.pops[i]
                    if p.current != NULL and p.current_row >= 0:
                        memcpy(p.slots + p.current_row * p.n, p.current + s * p.n, p.n * sizeof(double))
                    if p.icurrent != NULL and p.current_row >= 0:
                        memcpy(p.islots + p.current_row * p.n, p.icurrent + s * p.n, p.n * sizeof(int64_t))
                    if p.n_in:
                        _set_inputs(p, s)
                    if p.kind == 2:
                        p.nspikes = fixed_population_step(&p.fx, p.irows, p.n, p.iR, p.refc, p.ref_steps, t,
                                                          p.seed, p.spikes)
                    elif p.kind == 1:
                        p.nspikes = linear_population_step(&p.lin, p.rows, p.n, p.zeros, p.scratch, p.refc,
                                                           p.ref_steps, p.ref_uniform, t, self.dt, p.flags,
                                                           p.spikes)
                    elif p.native != NULL:
                        p.nspikes = p.native(p.rows, p.n, p.consts, p.ref_mode, p.lastspike_row, p.refc,
                                             p.ref_steps, t, self.dt, p.seed, p.spikes)
                    else:
                        p.nspikes = float64_population_step(p.code, p.ninstr, p.consts, p.rows, p.n, p.R,
                                                            p.ref_mode, p.lastspike_row, p.refc, p.ref_steps,
                                                            t, self.dt, p.seed, p.spikes)
                    if p.rec_count + p.nspikes > p.rec_cap:
                        if _grow_spikes(p, p.rec_count + p.nspikes) != 0:
                            grow_failed = 1
                            break
                    for k in range(p.nspikes):
                        p.rec_steps[p.rec_count + k] = <int32_t>s
                        p.rec_neurons[p.rec_count + k] = p.spikes[k]
                    p.rec_count += p.nspikes
                if grow_failed:
                    break
                # the rows just read are free for later arrivals (the fused kernel clears what it reads)
                for i in range(self.nrings):
                    r = &self.rings[i]
                    if r.ibuf != NULL:
                        memset(r.ibuf + (t % r.depth) * r.n, 0, r.n * sizeof(int64_t))
                    elif self.pops[r.pop].kind != 1:
                        memset(r.buf + (t % r.depth) * r.n, 0, r.n * sizeof(double))
                # 4. plasticity: traces decay, post spikes potentiate incoming synapses
                for q in range(self.nprojs):
                    if self.projs[q].plastic:
                        _stdp_post(&self.projs[q], &self.pops[self.projs[q].src], &self.pops[self.projs[q].tgt])
                # 5. propagate this step's spikes
                for q in range(self.nprojs):
                    pr = &self.projs[q]
                    p = &self.pops[pr.src]
                    r = &self.rings[pr.ring]
                    for e in range(p.nspikes):
                        src = p.spikes[e]
                        a0 = pr.indptr[src]
                        a1 = pr.indptr[src + 1]
                        if pr.plastic:
                            _stdp_pre_and_deliver(pr, r, t, src, a0, a1)
                        elif r.ibuf != NULL:
                            _deliver_fixed(pr, r, t, a0, a1)
                        elif pr.delays == NULL and pr.weights == NULL:
                            row = r.buf + ((t + pr.d_hom) % r.depth) * r.n
                            w = pr.w_hom * pr.scale
                            if pr.targets16 != NULL:
                                for k in range(a0, a1):
                                    row[pr.targets16[k]] += w
                            else:
                                for k in range(a0, a1):
                                    row[pr.targets32[k]] += w
                        elif pr.delays == NULL:
                            row = r.buf + ((t + pr.d_hom) % r.depth) * r.n
                            for k in range(a0, a1):
                                row[_target(pr, k)] += pr.weights[k] * pr.scale
                        else:
                            for k in range(a0, a1):
                                w = (pr.weights[k] if pr.weights != NULL else pr.w_hom) * pr.scale
                                r.buf[((t + pr.delays[k]) % r.depth) * r.n + _target(pr, k)] += w
                # recorders
                for q in range(self.nsamplers):
                    sm = &self.samplers[q]
                    if sm.out == NULL:
                        continue
                    if (t + 1) % sm.interval == 0 and sm.count < sm.cap:
                        p = &self.pops[sm.pop]
                        for e in range(sm.nrows):
                            for k in range(sm.nidx):
                                sm.out[(sm.count * sm.nrows + e) * sm.nidx + k] = \
                                    (<double>p.islots[sm.rows[e] * p.n + sm.idx[k]] if p.kind == 2
                                     else p.slots[sm.rows[e] * p.n + sm.idx[k]])
                        sm.count += 1
                # numerical blow-up
                if self.check_finite and ((t + 1) % FINITE_CHECK_EVERY == 0 or s == nsteps - 1):
                    for i in range(self.npops):
                        p = &self.pops[i]
                        if p.kind == 2:
                            continue
                        acc = 0.0
                        for e in range(p.nstates):
                            acc += _zero_if_finite(p.slots + p.state_rows[e] * p.n, p.n)
                        if not isfinite(acc):
                            self.failed_pop = i
                            self.failed_step = t
                            break
                    if self.failed_pop >= 0:
                        break
        if grow_failed:
            raise MemoryError("cannot grow the spike record")
        cdef int64_t[::1] st_mv
        cdef int32_t[::1] nr_mv
        spikes = {}
        for i in range(self.npops):
            p = &self.pops[i]
            st = np.empty(p.rec_count, dtype=np.int64)
            nr = np.empty(p.rec_count, dtype=np.int32)
            st_mv = st
            nr_mv = nr
            for k in range(p.rec_count):
                st_mv[k] = p.rec_steps[k] + first_step
                nr_mv[k] = p.rec_neurons[k]
            spikes[i] = (st, nr)
        return spikes, {q: self.samplers[q].count for q in range(self.nsamplers)}


cdef inline uint32_t _xorshift32(uint32_t x) noexcept nogil:
    x ^= x << 13
    x ^= x >> 17
    x ^= x << 5
    return x


def poisson_counts(uint32_t state, const uint32_t[::1] cdf, uint8_t[:, ::1] counts):
    """Fill ``counts`` (steps, targets) with Poisson counts by inversion; returns the new state.

    For every step, for every target in order: ``x = xorshift32(x)``,
    ``u = x >> 16`` and the count is the number of table entries ``cdf[k] <= u``
    (docs/fixed-point.md, "Poisson generators"); the network core draws the same.
    """
    cdef Py_ssize_t s, k, e, K = cdf.shape[0]
    cdef uint32_t u
    cdef uint8_t c
    with nogil:
        for s in range(counts.shape[0]):
            for k in range(counts.shape[1]):
                state = _xorshift32(state)
                u = state >> 16
                c = 0
                for e in range(K):
                    c += u >= cdf[e]
                counts[s, k] = c
    return state
