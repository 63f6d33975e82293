# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The network step loop: delay rings, populations, spike propagation, recording.

One step ``t`` (docs/network.md):

1. every delay ring hands its row ``t`` (weights that arrive now) plus the
   external input of this step (devices' spikes) to its receptor slot, with
   the Poisson counts of the step's background drawn in place (ext/poisson.h);
2. every population's injected-current slot gets this step's device current;
3. every population advances one step (the VM or the fused linear kernel);
4. each spike of step ``t`` is pushed through the projections of its
   population: the weight lands in the target ring at row ``t + delay``.

The whole chunk runs without the GIL.  Numbers are float64 in the models' unit
systems, or, for fixed-point populations, raw integers of the population's Q
format: their rings add integer weights exactly in int64 and the sum is
saturated to the storage width once, where the neuron reads it, so the order
of delivery never changes a bit (docs/fixed-point.md, "Networks").
Connectivity is CSR sorted by source, targets ascending within a row.

On T threads (POSIX threads, ext/parallel.h) each thread owns a contiguous share of
every population: it steps those neurons (1-3) and, in 4, makes every addition
into their ring cells, walking all spikes in neuron order but only its part of
each row (rows split by target once, at the first run).  So each ring cell
receives its additions in the single-threaded order and every T gives the same
bits; random draws are counter-based per neuron and step (ext/vm.pyx; a
float poisson_generator's counts ext/poisson.h, drawn a step ahead by a thread
that waits at a barrier), and other devices draw theirs before the chunk.
Plasticity's post-spike pass runs on one thread between two barriers.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, realloc, free, calloc
from libc.string cimport memset, memcpy, memcmp
from libc.math cimport isfinite, pow, exp, expm1, fabs, copysign

from ext.linear cimport LinearSpec, LinearKernel, linear_population_step
from ext.vm cimport FixedProgram, FixedVM, fixed_population_step, float64_population_step

import numpy as np

DEF FINITE_CHECK_EVERY = 16
DEF MAX_THREADS = 64
DEF MAX_INTERVAL = 64
# How far above an even share of the neurons a thread may be: populations are split among threads only as far
# as it takes to come within it
DEF WHOLE_SLACK_PERCENT = 5
# How many spikes ahead propagation asks for a row's bounds, and for the row's first connections
DEF PREFETCH_BOUNDS = 8
DEF PREFETCH_ROW = 2
DEF PREFETCH_CONNECTIONS = 1024
# A projection's synapse rule (CProj.rule)
DEF RULE_STATIC = 0
DEF RULE_STDP = 1
DEF RULE_TSODYKS2 = 2
DEF RULE_TSODYKS = 3
DEF RULE_TRIPLET = 4
# Rows of the per-connection state (CProj.syn) of each rule
DEF T2_X = 0
DEF T2_U = 1
DEF T2_LAST = 2
DEF TS_X = 0
DEF TS_Y = 1
DEF TS_U = 2
DEF TS_LAST = 3
DEF TR_W = 0
DEF TR_KPLUS = 1
DEF TR_KPLUS3 = 2
DEF TR_LAST = 3
# Per-target traces of a triplet projection (CProj.post), as its synapses see the post spikes (``delay`` later)
DEF PO_KMINUS = 0
DEF PO_KMINUS3 = 1
DEF PO_LAST = 2
DEF PO_KMINUS_BEFORE = 3
DEF PO_LAST_BEFORE = 4
DEF PO_ROWS = 5

THREAD_LIMIT = MAX_THREADS
"""The most threads a chunk runs on."""

# A float population's program compiled to native code (engine/program_c.py renders it).
ctypedef Py_ssize_t (*native_step_fn)(double** rows, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t N,
                                      const double* consts, int ref_mode, Py_ssize_t lastspike_slot, int32_t* refc,
                                      const int32_t* ref_steps, int64_t step, double dt, uint64_t seed,
                                      int32_t* spikes) noexcept nogil


cdef extern from "<stdlib.h>" nogil:
    int posix_memalign(void** memptr, size_t alignment, size_t size)


cdef extern from * nogil:
    void __builtin_prefetch(const void* addr)


cdef extern from "parallel.h" nogil:
    ctypedef void (*ncs_task)(void* arg, int tid) noexcept nogil
    ctypedef struct ncs_barrier:
        pass
    ctypedef struct ncs_team:
        int size
    int ncs_team_start(ncs_team* team, int T)
    void ncs_team_run(ncs_team* team, ncs_task fn, void* arg)
    void ncs_team_stop(ncs_team* team)
    int ncs_team_forked(const ncs_team* team)
    void ncs_barrier_wait(ncs_barrier* b, int T)
    int ncs_barrier_arrive(ncs_barrier* b, int T, int* phase)
    int ncs_barrier_passed(const ncs_barrier* b, int phase)
    void ncs_barrier_await(ncs_barrier* b, int phase)
    int64_t ncs_load(const int64_t* p)
    void ncs_store(int64_t* p, int64_t v)


cdef extern from "poisson.h" nogil:
    ctypedef struct ncs_poisson:
        uint32_t key[2]
        const double* cdf
        const int32_t* guide
        int guide_bits
        int64_t first_count
        const int32_t* neurons
        Py_ssize_t nneurons
        double weight
        int64_t delay
        int64_t first, last
        Py_ssize_t ring
        int64_t* ahead
        void* drawn
    void ncs_philox4x32(const uint32_t* ctr, uint32_t k0, uint32_t k1, uint32_t* out)
    uint64_t ncs_poisson_bits(const ncs_poisson* g, uint32_t i, int64_t e)
    int64_t ncs_poisson_invert(const ncs_poisson* g, uint64_t bits)
    void ncs_poisson_add(const ncs_poisson* g, int64_t t, Py_ssize_t lo, Py_ssize_t hi, double* row, int tid)
    int ncs_poisson_draw_ahead(ncs_poisson* g, int64_t t, Py_ssize_t lo, Py_ssize_t hi, int tid)
    void ncs_poisson_forget_ahead(ncs_poisson* g, int T)


cdef struct CPop:
    int kind                     # 0: float VM, 1: fused linear kernel, 2: fixed-point VM
    Py_ssize_t n
    Py_ssize_t nslots
    int32_t ref_uniform          # every neuron's refractory steps when they agree, else -1
    double* slots
    int32_t* refc
    const int32_t* ref_steps
    const int32_t* code
    Py_ssize_t ninstr
    Py_ssize_t nregs
    native_step_fn native        # the program as native code (kind 0), or NULL: the VM runs it
    const double* consts
    int ref_mode
    Py_ssize_t lastspike_row
    uint64_t seed
    LinearSpec lin
    double* zeros
    double* scratch
    int32_t* flags               # the fused kernel's spike flags, one per neuron
    Py_ssize_t current_row
    const double* current        # (chunk, n) for this chunk, or NULL
    const int32_t* state_rows
    Py_ssize_t nstates
    # fixed point (kind 2): integer slots and program
    int64_t* islots
    FixedProgram fx
    const int64_t* icurrent      # (chunk, n) raw injected current, or NULL
    # slots set for every neuron before each step (a one-population run's inputs)
    const int32_t* in_rows
    Py_ssize_t n_in
    const double* in_values      # (chunk, n_in), or in_ivalues for fixed point
    const int64_t* in_ivalues


# One thread's share of a population: neurons lo to hi, and what the thread keeps of its own for them.
cdef struct CSlice:
    Py_ssize_t lo, hi
    double** rows                # the population's row pointers; input rows point at this step's ring rows
    int64_t** irows
    double* R                    # VM registers
    int64_t* iR
    FixedProgram fx              # the fixed-point program, counting saturations in this thread's overflows
    int64_t* overflows           # this thread's saturation counts (threads after the first), or NULL
    int32_t* spikes[2]           # an interval's spikes, by step and neuron, for even and odd intervals (a
    Py_ssize_t spikes_cap[2]     # thread ahead writes the next one's while the others read this one's)
    Py_ssize_t* step_at          # (2, interval + 1): where each step of an interval starts in ``spikes``
    char apart_rec[64]           # the fields the other threads read above, those written at spikes below
    int32_t* rec_steps           # the chunk's spikes, read only after it (so they grow at will)
    int32_t* rec_neurons
    Py_ssize_t rec_count, rec_cap
    char apart[64]               # the next slice's fields start on another cache line than rec_count


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
    int64_t* split               # (sources, threads + 1): each thread's part of a source's row, or NULL (one thread)
    const int32_t* targets32     # one of targets32 / targets16 is set
    const uint16_t* targets16
    float* weights               # NULL: one weight for all (w_hom)
    double w_hom, scale
    const uint16_t* delays       # NULL: one delay for all (d_hom)
    int32_t d_hom
    const int64_t* iweights      # fixed point: raw weights per connection, or NULL (iw_hom)
    int64_t iw_hom
    int rule                     # RULE_STATIC, RULE_STDP, ... (engine/network/synapses.py names them)
    int plastic                  # STDP or triplet STDP: post spikes change weights (one-step intervals)
    # short-term plasticity and triplet STDP: per-connection state rows (rows, connections), the rule's constants
    double* syn
    int64_t nconn
    double c[12]
    double dt_ms
    # triplet STDP: the traces of each target as its synapses see them, and which targets spiked when
    double* post
    uint8_t* post_ring           # (d_hom + 1, targets): post spikes of the last d_hom + 1 steps
    # pair-based STDP: traces per source and per target neuron
    double* x_pre
    double* x_post
    double decay_pre, decay_post, a_plus, a_minus, mu_plus, mu_minus, w_max
    const int64_t* post_indptr   # incoming synapses of each target (CSC over the CSR arrays)
    const int32_t* post_syn
    const int32_t* post_src


cdef struct CSampler:
    Py_ssize_t pop, nrows, nidx, interval
    const int32_t* rows
    const int32_t* idx
    double* out                  # (samples, nrows, nidx) for this chunk
    Py_ssize_t cap


# Why and when a thread stopped the run (the others read it after the step's barrier).
cdef struct CStop:
    int64_t step                 # the step (of the chunk) it stopped at, or -1
    Py_ssize_t failed_pop        # the first population with a non-finite state, or -1
    int grow_failed
    char pad[40]                 # one cache line per thread (the array is aligned: _own_lines)


cdef struct CNet:
    CPop* pops
    CRing* rings
    CProj* projs
    CSampler* samplers
    ncs_poisson* poisson         # Poisson sources drawn in the threads (float rings)
    Py_ssize_t npops, nrings, nprojs, nsamplers, npoisson
    double dt
    bint check_finite
    bint plastic                 # some projection is plastic
    int nthreads
    Py_ssize_t interval          # steps between exchanges of spikes: the shortest delay (1 with plasticity)
    CSlice* slices               # (populations, threads)
    CStop* stops                 # (threads)
    ncs_barrier* barrier         # on a line of its own: every thread writes it at every barrier
    int64_t first_step
    Py_ssize_t nsteps


cdef inline Py_ssize_t _target(const CProj* pr, int64_t k) noexcept nogil:
    return pr.targets16[k] if pr.targets16 != NULL else pr.targets32[k]


cdef inline double _clip01(double x) noexcept nogil:
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


cdef inline CSlice* _slice(CNet* net, Py_ssize_t pop, int tid) noexcept nogil:
    return &net.slices[pop * net.nthreads + tid]


cdef inline bint _owns_none(CNet* net, Py_ssize_t pop, int tid) noexcept nogil:
    """Whether this thread has no neuron of the population (it lies whole on another): its rings, updates
    and incoming spikes are not this thread's work."""
    cdef CSlice* sl = _slice(net, pop, tid)
    return sl.lo == sl.hi


cdef inline Py_ssize_t* _steps_at(CNet* net, CSlice* sl, int par) noexcept nogil:
    """Where each step of an even (``par`` 0) or odd interval starts in the slice's ``spikes[par]``."""
    return sl.step_at + par * (net.interval + 1)


cdef void _place_whole(CNet* net, int T, const bint* split, Py_ssize_t* load) noexcept nogil:
    """Every population not split whole on the thread with the fewest neurons so far, the largest first."""
    cdef Py_ssize_t i, q, n
    cdef int th, least
    cdef CSlice* sl
    for q in range(net.npops):
        _slice(net, q, 0).lo = -1
    while True:
        i = -1
        for q in range(net.npops):
            if not split[q] and _slice(net, q, 0).lo < 0 and (i < 0 or net.pops[q].n > net.pops[i].n):
                i = q
        if i < 0:
            return
        least = 0
        for th in range(1, T):
            if load[th] < load[least]:
                least = th
        n = net.pops[i].n
        for th in range(T):
            sl = _slice(net, i, th)
            sl.lo = 0 if th <= least else n
            sl.hi = 0 if th < least else n
        load[least] += n


cdef void _cut(CNet* net, Py_ssize_t i, int T, int* th, Py_ssize_t goal, Py_ssize_t* load) noexcept nogil:
    """Population ``i`` in consecutive shares from thread ``th[0]`` on, each thread filled up to ``goal``
    neurons (the last one takes what is left), cut at multiples of 64 neurons: no two threads write the same
    cache line, and the fused kernel's vector loop sees the same neurons in its tail whatever the cut."""
    cdef Py_ssize_t n = net.pops[i].n, start = 0, end
    cdef int t
    cdef CSlice* sl
    for t in range(th[0]):
        _slice(net, i, t).lo = 0
        _slice(net, i, t).hi = 0
    while True:
        end = n if th[0] == T - 1 else min(max((start + goal - load[th[0]] + 32) // 64 * 64, start), n)
        sl = _slice(net, i, th[0])
        sl.lo = start
        sl.hi = end
        load[th[0]] += end - start
        start = end
        if start == n:
            break
        th[0] += 1
    for t in range(th[0] + 1, T):
        _slice(net, i, t).lo = n
        _slice(net, i, t).hi = n


cdef Py_ssize_t _lay_out_splitting(CNet* net, int T, Py_ssize_t k, const Py_ssize_t* by_size,
                                   bint* split) noexcept nogil:
    """Every slice's neurons with the ``k`` largest populations (``by_size``) split and the others whole
    (``_place_whole``); the split ones, in population order, are cut (``_cut``) so that every thread comes
    as near an even share of all neurons as the whole ones allow.  Returns the most neurons a thread has."""
    cdef Py_ssize_t load[MAX_THREADS]
    cdef Py_ssize_t i, total = 0, most = 0
    cdef int th = 0
    for i in range(T):
        load[i] = 0
    for i in range(net.npops):
        split[by_size[i]] = i < k
        total += net.pops[i].n
    _place_whole(net, T, split, load)
    for i in range(net.npops):
        if split[i]:
            _cut(net, i, T, &th, (total + T - 1) // T, load)
    for i in range(T):
        most = max(most, load[i])
    return most


cdef int _share_out(CNet* net, int T) except -1:
    """Every slice's neurons, with as few populations split among the threads as balance allows: where two
    threads' shares of a population meet, both still lose time at every step, even with no cache line
    between them (docs/performance.md, seventh session).  The fewest of the largest populations are split
    for which no thread has more than WHOLE_SLACK_PERCENT above an even share of the neurons (none for the
    microcircuit on two threads; CUBA's, COBA's and Brunel's E), or else the number that comes nearest.
    Each thread's neurons stay in thread order (a thread without any of a population's has an empty range
    where its share would be), so spikes walked and merged in thread order are in neuron order, as on one
    thread."""
    cdef Py_ssize_t* by_size = <Py_ssize_t*>malloc(max(net.npops, 1) * sizeof(Py_ssize_t))
    cdef bint* split = <bint*>malloc(max(net.npops, 1) * sizeof(bint))
    cdef Py_ssize_t i, j, k = 0, total = 0, most, best_k = 0, best = -1
    if by_size == NULL or split == NULL:
        free(by_size)
        free(split)
        raise MemoryError()
    for i in range(net.npops):
        total += net.pops[i].n
        j = i
        while j > 0 and net.pops[by_size[j - 1]].n < net.pops[i].n:
            by_size[j] = by_size[j - 1]
            j -= 1
        by_size[j] = i
    for k in range(net.npops + 1):
        most = _lay_out_splitting(net, T, k, by_size, split)
        if best < 0 or most < best:
            best, best_k = most, k
        if most * T * 100 <= total * (100 + WHOLE_SLACK_PERCENT):
            break
    if k != best_k:
        _lay_out_splitting(net, T, best_k, by_size, split)
    free(by_size)
    free(split)
    return 0


cdef Py_ssize_t _interval(CNet* net) noexcept nogil:
    """Steps between exchanges of spikes: the shortest delay of any connection, at most MAX_INTERVAL; one
    step when a projection is plastic (its traces interleave pre and post spikes step by step).  Sets
    ``net.plastic``."""
    cdef Py_ssize_t q, shortest = MAX_INTERVAL
    cdef int64_t k
    cdef CProj* pr
    net.plastic = False
    for q in range(net.nprojs):
        pr = &net.projs[q]
        net.plastic = net.plastic or pr.plastic
        if pr.delays == NULL:
            shortest = min(shortest, pr.d_hom)
        else:
            for k in range(pr.indptr[net.pops[pr.src].n]):
                shortest = min(shortest, pr.delays[k])
    return 1 if net.plastic else max(shortest, 1)


cdef void _split_row(CProj* pr, Py_ssize_t src, CNet* net, int T) noexcept nogil:
    """Where each thread's targets begin in source ``src``'s row (targets ascend within a row)."""
    cdef int64_t a = pr.indptr[src], b = pr.indptr[src + 1], lo, hi, mid
    cdef Py_ssize_t bound
    cdef int64_t* out = pr.split + src * (T + 1)
    cdef int th
    out[0] = a
    for th in range(1, T):
        bound = _slice(net, pr.tgt, th).lo
        lo = a
        hi = b
        while lo < hi:
            mid = (lo + hi) // 2
            if _target(pr, mid) < bound:
                lo = mid + 1
            else:
                hi = mid
        out[th] = lo
        a = lo
    out[T] = b


cdef void _stdp_post(CProj* pr, CNet* net, int par, Py_ssize_t u) noexcept nogil:
    """Traces decay; each post spike of step ``u`` of the interval potentiates the synapses into its neuron
    (one thread runs this)."""
    cdef Py_ssize_t k, e, m, j
    cdef double wn
    cdef CSlice* sl
    cdef Py_ssize_t* at
    cdef int th
    for k in range(net.pops[pr.src].n):
        pr.x_pre[k] *= pr.decay_pre
    for k in range(net.pops[pr.tgt].n):
        pr.x_post[k] *= pr.decay_post
    for th in range(net.nthreads):
        sl = _slice(net, pr.tgt, th)
        at = _steps_at(net, sl, par)
        for e in range(at[u], at[u + 1]):
            j = sl.spikes[par][e]
            for m in range(pr.post_indptr[j], pr.post_indptr[j + 1]):
                k = pr.post_syn[m]
                wn = pr.weights[k] / pr.w_max
                wn = wn + pr.a_plus * pow(1.0 - wn, pr.mu_plus) * pr.x_pre[pr.post_src[m]]
                pr.weights[k] = <float>(_clip01(wn) * pr.w_max)
            pr.x_post[j] += 1.0


cdef void _stdp_pre_and_deliver(CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Depress each synapse of a pre spike by the post trace, then transmit it (the source's trace grows
    after every delivery of the step: nothing here reads it)."""
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


cdef inline double* _row(CProj* pr, int r) noexcept nogil:
    return pr.syn + r * pr.nconn


cdef void _short_term_deliver(CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Each connection of a pre spike at step ``t`` updates its release state and transmits its weight
    times the fraction released, as NEST's tsodyks2_synapse or tsodyks_synapse (``send``) does; times are
    NEST's spike stamps, ``t + 1`` steps."""
    cdef int64_t k
    cdef Py_ssize_t d
    cdef double h, x_decay, u_decay, Puu, Pyy, Pzz, Pxy, z, released, stamp = <double>(t + 1)
    cdef double* x
    cdef double* u
    cdef double* y
    cdef double* last
    # constants: U, tau_rec, tau_fac, tau_psc (ms)
    cdef double U = pr.c[0], tau_rec = pr.c[1], tau_fac = pr.c[2], tau_psc = pr.c[3]
    if pr.rule == RULE_TSODYKS2:
        x, u, last = _row(pr, T2_X), _row(pr, T2_U), _row(pr, T2_LAST)
    else:
        x, y, u, last = _row(pr, TS_X), _row(pr, TS_Y), _row(pr, TS_U), _row(pr, TS_LAST)
    for k in range(a0, a1):
        h = (stamp - last[k]) * pr.dt_ms
        if pr.rule == RULE_TSODYKS2:
            if last[k] >= 0.0:  # the first spike finds x and u as they were set
                x_decay = exp(-h / tau_rec)
                u_decay = 0.0 if tau_fac == 0.0 else exp(-h / tau_fac)
                x[k] = 1.0 + (x[k] - x[k] * u[k] - 1.0) * x_decay
                u[k] = U + u[k] * (1.0 - U) * u_decay
            released = x[k] * u[k]
        else:
            Puu = 0.0 if tau_fac == 0.0 else exp(-h / tau_fac)
            Pyy = exp(-h / tau_psc)
            Pzz = expm1(-h / tau_rec)
            Pxy = (Pzz * tau_rec - (Pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
            z = 1.0 - x[k] - y[k]
            u[k] *= Puu
            x[k] += Pxy * y[k] - Pzz * z
            y[k] *= Pyy
            u[k] += U * (1.0 - u[k])
            released = u[k] * x[k]
            x[k] -= released
            y[k] += released
        last[k] = stamp
        d = pr.delays[k] if pr.delays != NULL else pr.d_hom
        r.buf[((t + d) % r.depth) * r.n + _target(pr, k)] += released * pr.weights[k] * pr.scale


cdef void _triplet_post(CProj* pr, CNet* net, int par, Py_ssize_t u, int64_t t) noexcept nogil:
    """Post spikes that reach the synapses at step ``t`` (fired ``d_hom`` steps before) update their
    neuron's traces and potentiate its incoming synapses, as NEST's stdp_triplet_synapse does for them at
    the next pre spike; then the post spikes of step ``t`` are queued (one thread runs this)."""
    cdef Py_ssize_t n = net.pops[pr.tgt].n, j, m, k, e
    cdef int64_t depth = pr.d_hom + 1
    cdef uint8_t* arriving = pr.post_ring + ((t - pr.d_hom) % depth) * n
    cdef double stamp = <double>(t + 1), ky, kplus, w
    # constants: tau_plus, tau_plus_triplet, tau_minus, tau_minus_triplet, A2+, A2-, A3+, A3-, Wmax (ms, weights)
    cdef double* po = pr.post
    cdef double* wt = _row(pr, TR_W)
    cdef double* kp = _row(pr, TR_KPLUS)
    cdef double* last = _row(pr, TR_LAST)
    cdef CSlice* sl
    cdef Py_ssize_t* at
    cdef int th
    if t >= pr.d_hom:
        for j in range(n):
            if not arriving[j]:
                continue
            arriving[j] = 0
            po[PO_KMINUS_BEFORE * n + j] = po[PO_KMINUS * n + j]
            po[PO_LAST_BEFORE * n + j] = po[PO_LAST * n + j]
            po[PO_KMINUS * n + j] = po[PO_KMINUS * n + j] * exp((po[PO_LAST * n + j] - stamp) * pr.dt_ms
                                                                / pr.c[2]) + 1.0
            po[PO_KMINUS3 * n + j] = po[PO_KMINUS3 * n + j] * exp((po[PO_LAST * n + j] - stamp) * pr.dt_ms
                                                                  / pr.c[3]) + 1.0
            po[PO_LAST * n + j] = stamp
            ky = po[PO_KMINUS3 * n + j] - 1.0
            for m in range(pr.post_indptr[j], pr.post_indptr[j + 1]):
                k = pr.post_syn[m]
                kplus = kp[k] * exp((last[k] - stamp) * pr.dt_ms / pr.c[0])
                w = fabs(wt[k]) + kplus * (pr.c[4] + pr.c[6] * ky)
                wt[k] = copysign(w if w < fabs(pr.c[8]) else pr.c[8], pr.c[8])
    for th in range(net.nthreads):
        sl = _slice(net, pr.tgt, th)
        at = _steps_at(net, sl, par)
        for e in range(at[u], at[u + 1]):
            pr.post_ring[(t % depth) * n + sl.spikes[par][e]] = 1


cdef void _triplet_pre_and_deliver(CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Depress each synapse of a pre spike by its target's trace of post spikes that reached it strictly
    before, then transmit (NEST's stdp_triplet_synapse ``send``)."""
    cdef int64_t k
    cdef Py_ssize_t j, n = r.n
    cdef double stamp = <double>(t + 1), kminus, w, seen, km
    cdef double* po = pr.post
    cdef double* wt = _row(pr, TR_W)
    cdef double* kp = _row(pr, TR_KPLUS)
    cdef double* kp3 = _row(pr, TR_KPLUS3)
    cdef double* last = _row(pr, TR_LAST)
    for k in range(a0, a1):
        j = _target(pr, k)
        kp3[k] *= exp((last[k] - stamp) * pr.dt_ms / pr.c[1])
        if po[PO_LAST * n + j] < stamp:
            seen, km = po[PO_LAST * n + j], po[PO_KMINUS * n + j]
        else:
            seen, km = po[PO_LAST_BEFORE * n + j], po[PO_KMINUS_BEFORE * n + j]
        kminus = 0.0 if seen < 0.0 else km * exp((seen - stamp) * pr.dt_ms / pr.c[2])
        w = fabs(wt[k]) - kminus * (pr.c[5] + pr.c[7] * kp3[k])
        wt[k] = copysign(w if w > 0.0 else 0.0, pr.c[8])
        kp3[k] += 1.0
        kp[k] = kp[k] * exp((last[k] - stamp) * pr.dt_ms / pr.c[0]) + 1.0
        last[k] = stamp
        r.buf[((t + pr.d_hom) % r.depth) * n + j] += wt[k] * pr.scale


cdef const void* _held(arr, dtype, list hold) except? NULL:
    """The data of ``arr`` as a C-contiguous ``dtype`` array kept alive in ``hold`` (NULL when empty)."""
    a = np.ascontiguousarray(arr, dtype=dtype)
    hold.append(a)
    if a.size == 0:
        return NULL
    return <const void*><size_t>a.ctypes.data


cdef int64_t* _fixed_ring_input(CRing* r, int64_t t, Py_ssize_t s, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Row ``t`` of an integer ring plus this step's external input, saturated once to the storage range
    (neurons ``lo`` to ``hi``)."""
    cdef int64_t* row = r.ibuf + (t % r.depth) * r.n
    cdef Py_ssize_t k
    if r.iexternal != NULL:
        for k in range(lo, hi):
            row[k] += r.iexternal[s * r.n + k]
    for k in range(lo, hi):
        row[k] = r.lo if row[k] < r.lo else (r.hi if row[k] > r.hi else row[k])
    return row


cdef void _set_inputs(CPop* p, Py_ssize_t s, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Set the population's input slots, neurons ``lo`` to ``hi``, to step ``s``'s values."""
    cdef Py_ssize_t q, k
    cdef int64_t* irow
    cdef double* row
    for q in range(p.n_in):
        if p.kind == 2:
            irow = p.islots + p.in_rows[q] * p.n
            for k in range(lo, hi):
                irow[k] = p.in_ivalues[s * p.n_in + q]
        else:
            row = p.slots + p.in_rows[q] * p.n
            for k in range(lo, hi):
                row[k] = p.in_values[s * p.n_in + q]


cdef void _deliver_fixed(const CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Raw weights into an integer ring: exact sums, in any order."""
    cdef int64_t k
    cdef Py_ssize_t d
    for k in range(a0, a1):
        d = pr.delays[k] if pr.delays != NULL else pr.d_hom
        r.ibuf[((t + d) % r.depth) * r.n + _target(pr, k)] += pr.iweights[k] if pr.iweights != NULL else pr.iw_hom


cdef void _deliver(const CProj* pr, CRing* r, int64_t t, int64_t a0, int64_t a1) noexcept nogil:
    """Weights of connections ``a0`` to ``a1`` into a float ring."""
    cdef int64_t k
    cdef double* row
    cdef double w
    if pr.delays == NULL and pr.weights == NULL:
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


# Successive buffers of _own_lines start this many cache lines further into a 4 KB page than the last, modulo
# its 64 lines.  Large ones are mapped anew and would all start at the same place in a page, so the rings and
# flags a kernel streams side by side would fall on the same cache sets (docs/performance.md, eighth session)
DEF STAGGER_LINES = 5
cdef unsigned int _staggered = 0


cdef void* _own_lines(size_t size) noexcept nogil:
    """Zeroed memory on cache lines of its own (aligned to 64 bytes, whole lines), or NULL; free it with
    :func:`_free_lines`.  For buffers one thread writes every step, which would slow every thread that shares
    a line with them, and per-neuron rows cut among the threads at multiples of 64 neurons (so the cuts fall
    between lines).  Each starts at another place in its page than the one before (STAGGER_LINES), so even a
    small one takes a few kilobytes; the line before a buffer holds where its allocation begins."""
    global _staggered
    cdef void* p = NULL
    cdef size_t lines = (size + 63) // 64 * 64
    cdef size_t skip = 64 * (1 + _staggered * STAGGER_LINES % 64)
    if posix_memalign(&p, 4096, lines + skip) != 0:
        return NULL
    _staggered += 1
    memset(p, 0, lines + skip)
    (<void**>(<char*>p + skip - sizeof(void*)))[0] = p
    return <char*>p + skip


cdef void _free_lines(void* p) noexcept nogil:
    """Free memory from :func:`_own_lines` (NULL is ignored)."""
    if p != NULL:
        free((<void**>(<char*>p - sizeof(void*)))[0])


cdef int _grow(int32_t** a, int32_t** b, Py_ssize_t* cap, Py_ssize_t need) noexcept nogil:
    """Grow the arrays ``a`` (and ``b`` unless NULL) of capacity ``cap`` to hold ``need``; -1 when memory
    runs out."""
    cdef Py_ssize_t grown = cap[0] if cap[0] > 0 else 1024
    cdef int32_t* x
    if need <= cap[0]:
        return 0
    while grown < need:
        grown *= 2
    x = <int32_t*>realloc(a[0], grown * sizeof(int32_t))
    if x == NULL:
        return -1
    a[0] = x
    if b != NULL:
        x = <int32_t*>realloc(b[0], grown * sizeof(int32_t))
        if x == NULL:
            return -1
        b[0] = x
    cap[0] = grown
    return 0


cdef inline void _put(Py_ssize_t* at, Py_ssize_t value) noexcept nogil:
    """``at[0] = value``, but only where it changes: the other threads read these words, or others on their
    cache line (step counts, a slice's spike-list pointers, stop records), every step, and a store of the same
    value would still take the line from them, a hand-over between cores each time (50-350 ns on a virtual
    machine, docs/performance.md, seventh session)."""
    if at[0] != value:
        at[0] = value


cdef Py_ssize_t _step_population(CNet* net, CPop* p, CSlice* sl, int64_t t, Py_ssize_t s,
                                 int32_t* spikes) noexcept nogil:
    """Device current, inputs and one step of this thread's neurons of ``p``; their spikes go to ``spikes``
    (room for every neuron of the slice); returns their count."""
    cdef Py_ssize_t lo = sl.lo, hi = sl.hi
    if p.current != NULL and p.current_row >= 0:
        memcpy(p.slots + p.current_row * p.n + lo, p.current + s * p.n + lo, (hi - lo) * sizeof(double))
    if p.icurrent != NULL and p.current_row >= 0:
        memcpy(p.islots + p.current_row * p.n + lo, p.icurrent + s * p.n + lo, (hi - lo) * sizeof(int64_t))
    if p.n_in:
        _set_inputs(p, s, lo, hi)
    if p.kind == 2:
        return fixed_population_step(&sl.fx, sl.irows, lo, hi, p.n, sl.iR, p.refc, p.ref_steps, t, p.seed, spikes)
    if p.kind == 1:
        return linear_population_step(&p.lin, sl.rows, lo, hi, p.n, p.zeros, p.scratch, p.refc, p.ref_steps,
                                      p.ref_uniform, t, net.dt, p.flags, spikes)
    if p.native != NULL:
        return p.native(sl.rows, lo, hi, p.n, p.consts, p.ref_mode, p.lastspike_row, p.refc, p.ref_steps, t,
                        net.dt, p.seed, spikes)
    return float64_population_step(p.code, p.ninstr, p.consts, sl.rows, lo, hi, p.n, sl.R, p.ref_mode,
                                   p.lastspike_row, p.refc, p.ref_steps, t, net.dt, p.seed, spikes)


cdef void _sample(CNet* net, int tid, int64_t t) noexcept nogil:
    """Recorders whose interval ends with step ``t`` take this thread's neurons."""
    cdef Py_ssize_t q, e, k, j, at
    cdef CSampler* sm
    cdef CPop* p
    cdef CSlice* sl
    for q in range(net.nsamplers):
        sm = &net.samplers[q]
        if sm.out == NULL or (t + 1) % sm.interval != 0 or _owns_none(net, sm.pop, tid):
            continue
        # the how-manieth sample of the chunk this is, whichever thread takes it
        at = (t + 1) // sm.interval - net.first_step // sm.interval - 1
        if at >= sm.cap:
            continue
        p = &net.pops[sm.pop]
        sl = _slice(net, sm.pop, tid)
        for e in range(sm.nrows):
            for k in range(sm.nidx):
                j = sm.idx[k]
                if sl.lo <= j < sl.hi:
                    sm.out[(at * sm.nrows + e) * sm.nidx + k] = \
                        (<double>p.islots[sm.rows[e] * p.n + j] if p.kind == 2 else p.slots[sm.rows[e] * p.n + j])


cdef Py_ssize_t _first_non_finite(CNet* net, int tid) noexcept nogil:
    """The first population with a NaN or infinite state among this thread's neurons, or -1."""
    cdef Py_ssize_t i, e
    cdef double acc
    cdef CPop* p
    cdef CSlice* sl
    for i in range(net.npops):
        p = &net.pops[i]
        if p.kind == 2:
            continue
        sl = _slice(net, i, tid)
        acc = 0.0
        for e in range(p.nstates):
            acc += _zero_if_finite(p.slots + p.state_rows[e] * p.n + sl.lo, sl.hi - sl.lo)
        if not isfinite(acc):
            return i
    return -1


cdef bint _stopped(CNet* net, Py_ssize_t s, Py_ssize_t m) noexcept nogil:
    """Whether some thread stopped the run in steps ``s`` to ``s + m`` (every thread reads the same after the
    interval's barrier: a thread ahead can only have stopped later)."""
    cdef int th
    cdef int64_t at
    for th in range(net.nthreads):
        at = ncs_load(&net.stops[th].step)
        if s <= at < s + m:
            return True
    return False


cdef inline const int64_t* _row_bounds(const CProj* pr, int32_t src, int tid, int T) noexcept nogil:
    """Where this thread's part of source ``src``'s row begins (and, one entry on, ends)."""
    return pr.indptr + src if T == 1 else pr.split + src * (T + 1) + tid


cdef inline void _prefetch_row(const CProj* pr, const int64_t* bounds) noexcept nogil:
    """Ask for the cache lines of a row part's first PREFETCH_CONNECTIONS connections: a spike's row
    begins at a place no hardware prefetcher can guess, and waiting for it is most of a short row's time."""
    cdef int64_t k, a = bounds[0], b = min(bounds[1], bounds[0] + PREFETCH_CONNECTIONS)
    if pr.targets16 != NULL:
        for k in range(a, b, 32):
            __builtin_prefetch(pr.targets16 + k)
    else:
        for k in range(a, b, 16):
            __builtin_prefetch(pr.targets32 + k)
    if pr.weights != NULL:
        for k in range(a, b, 16):
            __builtin_prefetch(pr.weights + k)
    if pr.delays != NULL:
        for k in range(a, b, 32):
            __builtin_prefetch(pr.delays + k)


cdef void _propagate(CNet* net, int tid, int64_t t, int par, Py_ssize_t u) noexcept nogil:
    """Every spike of step ``t`` (step ``u`` of the interval) into the rings, this thread's targets only:
    each ring cell gets its additions in the order one thread gives them (projection, source spike,
    connection)."""
    cdef Py_ssize_t q, e, e1
    cdef int th, T = net.nthreads
    cdef CProj* pr
    cdef CRing* r
    cdef CSlice* sl
    cdef Py_ssize_t* at
    cdef const int64_t* bounds
    cdef int64_t a0, a1
    for q in range(net.nprojs):
        pr = &net.projs[q]
        if _owns_none(net, pr.tgt, tid):
            continue
        r = &net.rings[pr.ring]
        for th in range(T):
            sl = _slice(net, pr.src, th)
            at = _steps_at(net, sl, par)
            e1 = at[u + 1]
            for e in range(at[u], e1):
                if e + PREFETCH_BOUNDS < e1:
                    __builtin_prefetch(_row_bounds(pr, sl.spikes[par][e + PREFETCH_BOUNDS], tid, T))
                if e + PREFETCH_ROW < e1:
                    _prefetch_row(pr, _row_bounds(pr, sl.spikes[par][e + PREFETCH_ROW], tid, T))
                bounds = _row_bounds(pr, sl.spikes[par][e], tid, T)
                a0 = bounds[0]
                a1 = bounds[1]
                if pr.rule == RULE_STDP:
                    _stdp_pre_and_deliver(pr, r, t, a0, a1)
                elif pr.rule == RULE_TRIPLET:
                    _triplet_pre_and_deliver(pr, r, t, a0, a1)
                elif pr.rule != RULE_STATIC:
                    _short_term_deliver(pr, r, t, a0, a1)
                elif r.ibuf != NULL:
                    _deliver_fixed(pr, r, t, a0, a1)
                else:
                    _deliver(pr, r, t, a0, a1)
    if net.plastic:
        for q in range(net.nprojs):
            pr = &net.projs[q]
            if pr.rule == RULE_STDP:
                sl = _slice(net, pr.src, tid)
                at = _steps_at(net, sl, par)
                for e in range(at[u], at[u + 1]):
                    pr.x_pre[sl.spikes[par][e]] += 1.0


cdef bint _update(CNet* net, int tid, Py_ssize_t s, int par, Py_ssize_t u) noexcept nogil:
    """Step ``s`` of the chunk (step ``u`` of the interval) for this thread's neurons; False when the run
    must stop (a non-finite state)."""
    cdef Py_ssize_t i, k, nspk, q
    cdef int64_t t = net.first_step + s
    cdef CPop* p
    cdef CRing* r
    cdef CSlice* sl
    cdef CStop* stop = &net.stops[tid]
    cdef double* row
    cdef Py_ssize_t* at
    # 1. rings hand over what arrives now: the receptor's input row is the ring row
    for i in range(net.nrings):
        r = &net.rings[i]
        if _owns_none(net, r.pop, tid):
            continue
        sl = _slice(net, r.pop, tid)
        if r.ibuf != NULL:
            sl.irows[r.row] = _fixed_ring_input(r, t, s, sl.lo, sl.hi)
            continue
        row = r.buf + (t % r.depth) * r.n
        if r.external != NULL:
            for k in range(sl.lo, sl.hi):
                row[k] += r.external[s * r.n + k]
        for q in range(net.npoisson):
            if net.poisson[q].ring == i:
                ncs_poisson_add(&net.poisson[q], t, sl.lo, sl.hi, row, tid)
        sl.rows[r.row] = row
    # 2. device currents, 3. neuron updates, spikes recorded
    for i in range(net.npops):
        p = &net.pops[i]
        sl = _slice(net, i, tid)
        at = _steps_at(net, sl, par)
        if u == 0:
            _put(&at[0], 0)
        if sl.lo == sl.hi:
            _put(&at[u + 1], at[u])
            continue
        if (_grow(&sl.spikes[par], NULL, &sl.spikes_cap[par], at[u] + sl.hi - sl.lo + 1) != 0
                or _grow(&sl.rec_steps, &sl.rec_neurons, &sl.rec_cap, sl.rec_count + sl.hi - sl.lo + 1) != 0):
            stop.grow_failed = 1
            return False
        nspk = _step_population(net, p, sl, t, s, sl.spikes[par] + at[u])
        _put(&at[u + 1], at[u] + nspk)
        for k in range(nspk):
            sl.rec_steps[sl.rec_count + k] = <int32_t>s
            sl.rec_neurons[sl.rec_count + k] = sl.spikes[par][at[u] + k]
        _put(&sl.rec_count, sl.rec_count + nspk)
    # the rows just read are free for later arrivals (the fused kernel clears what it reads)
    for i in range(net.nrings):
        r = &net.rings[i]
        if _owns_none(net, r.pop, tid):
            continue
        sl = _slice(net, r.pop, tid)
        if r.ibuf != NULL:
            memset(r.ibuf + (t % r.depth) * r.n + sl.lo, 0, (sl.hi - sl.lo) * sizeof(int64_t))
        elif net.pops[r.pop].kind != 1:
            memset(r.buf + (t % r.depth) * r.n + sl.lo, 0, (sl.hi - sl.lo) * sizeof(double))
    _sample(net, tid, t)
    # numerical blow-up
    if net.check_finite and ((t + 1) % FINITE_CHECK_EVERY == 0 or s == net.nsteps - 1):
        _put(&stop.failed_pop, _first_non_finite(net, tid))
    return stop.failed_pop < 0


cdef bint _draw_ahead(CNet* net, int tid, int64_t t) noexcept nogil:
    """One block of step ``t``'s Poisson counts for this thread's neurons, drawn before the step (while the
    thread waits at a barrier; the step adds them as it would have drawn them); False when all are drawn."""
    cdef Py_ssize_t q
    cdef ncs_poisson* g
    cdef CSlice* sl
    for q in range(net.npoisson):
        g = &net.poisson[q]
        if _owns_none(net, net.rings[g.ring].pop, tid):
            continue
        sl = _slice(net, net.rings[g.ring].pop, tid)
        if ncs_poisson_draw_ahead(g, t, sl.lo, sl.hi, tid):
            return True
    return False


cdef void _run_thread(void* arg, int tid) noexcept nogil:
    """One thread's part of a chunk (docs/network.md), an interval of steps at a time: its neurons of every
    population for as many steps as the shortest delay (no spike of the interval arrives within it), one
    barrier, then every spike of the interval into its targets.  A thread's next interval reads only ring
    cells it wrote itself, so the barrier after the neuron updates is the only one (two with plasticity,
    whose interval is one step).  A thread that waits there draws the Poisson counts of its neurons' next
    step meanwhile, so the threads even out the steps' random differences in work."""
    cdef CNet* net = <CNet*>arg
    cdef Py_ssize_t i, s = 0, u, m, ran
    cdef int par = 0, phase
    cdef CStop* stop = &net.stops[tid]
    while s < net.nsteps:
        m = min(net.interval, net.nsteps - s)
        ran = 0
        while ran < m:
            ran += 1
            if not _update(net, tid, s + ran - 1, par, ran - 1):
                ncs_store(&stop.step, s + ran - 1)
                break
        if net.nthreads > 1 and ncs_barrier_arrive(net.barrier, net.nthreads, &phase):
            if ran == m and s + m < net.nsteps:
                while not ncs_barrier_passed(net.barrier, phase) and _draw_ahead(net, tid, net.first_step + s + m):
                    pass
            ncs_barrier_await(net.barrier, phase)
        if _stopped(net, s, m):
            return
        for u in range(m):
            # 4. plasticity (one-step intervals): traces decay, post spikes potentiate incoming synapses
            if net.plastic:
                if tid == 0:
                    for i in range(net.nprojs):
                        if net.projs[i].rule == RULE_STDP:
                            _stdp_post(&net.projs[i], net, par, u)
                        elif net.projs[i].rule == RULE_TRIPLET:
                            _triplet_post(&net.projs[i], net, par, u, net.first_step + s + u)
                if net.nthreads > 1:
                    ncs_barrier_wait(net.barrier, net.nthreads)
            # 5. propagate the interval's spikes, step by step
            _propagate(net, tid, net.first_step + s + u, par, u)
        s += m
        par ^= 1


cdef class NetworkKernel:
    """C-level state of a built network; engine.network.Network drives it chunk by chunk, on one thread or
    several (:meth:`set_threads`), with the same bits."""

    cdef CNet net
    cdef int asked_threads       # the slices are laid out for net.nthreads
    cdef bint laid_out           # the slices and splits match the populations, programs and threads
    cdef object keep            # Python objects whose buffers the structs point into
    cdef ncs_team* team          # the threads after the first, kept from chunk to chunk, or NULL
    cdef public Py_ssize_t failed_pop
    cdef public int64_t failed_step
    cdef public bint check_finite  # stop at a NaN or infinite state (a network run); off for single populations

    def __cinit__(self):
        memset(&self.net, 0, sizeof(CNet))
        self.keep = []

    def __init__(self, double dt):
        self.net.dt = dt
        self.asked_threads = 1
        self.failed_pop = -1
        self.failed_step = -1
        self.check_finite = True

    @property
    def dt(self):
        return self.net.dt

    def __dealloc__(self):
        cdef Py_ssize_t i
        self._stop_team()
        self._free_layout()
        for i in range(self.net.npops):
            _free_lines(self.net.pops[i].zeros)
            _free_lines(self.net.pops[i].scratch)
            _free_lines(self.net.pops[i].flags)
        for i in range(self.net.nrings):
            _free_lines(self.net.rings[i].buf)
            _free_lines(self.net.rings[i].ibuf)
        for i in range(self.net.nprojs):
            free(self.net.projs[i].x_pre)
            free(self.net.projs[i].x_post)
            free(self.net.projs[i].post)
            free(self.net.projs[i].post_ring)
        free(self.net.pops)
        free(self.net.rings)
        free(self.net.projs)
        free(self.net.samplers)
        for i in range(self.net.npoisson):
            _free_lines(self.net.poisson[i].ahead)
            _free_lines(self.net.poisson[i].drawn)
        free(self.net.poisson)

    # -- threads ------------------------------------------------------------------------------
    @property
    def threads(self):
        """The number of threads a chunk runs on."""
        return self.asked_threads

    def set_threads(self, int threads):
        """Run chunks on ``threads`` threads (1 to THREAD_LIMIT).  Every number of threads gives the same
        bits."""
        if not 1 <= threads <= MAX_THREADS:
            raise ValueError(f"the number of threads must be from 1 to {MAX_THREADS}, not {threads}")
        self.asked_threads = threads
        self.laid_out = False
        self._stop_team()

    def shares(self, Py_ssize_t pop):
        """Each thread's neurons of population ``pop``, ``[(lo, hi), ...]`` in thread order (laid out now if
        the threads or populations changed)."""
        if not 0 <= pop < self.net.npops:
            raise IndexError(f"population {pop} of {self.net.npops}")
        if not self.laid_out:
            self._lay_out()
        return [(_slice(&self.net, pop, th).lo, _slice(&self.net, pop, th).hi) for th in range(self.net.nthreads)]

    cdef void _stop_team(self) noexcept:
        if self.team != NULL:
            ncs_team_stop(self.team)
            free(self.team)
            self.team = NULL

    cdef int _start_team(self) except -1:
        """The team of :attr:`threads` threads, started once and kept (a forked child starts its own)."""
        if self.team != NULL and self.team.size == self.net.nthreads and not ncs_team_forked(self.team):
            return 0
        self._stop_team()
        self.team = <ncs_team*>malloc(sizeof(ncs_team))
        if self.team == NULL:
            raise MemoryError()
        cdef int got = ncs_team_start(self.team, self.net.nthreads)
        if got != self.net.nthreads:
            self._stop_team()
            raise RuntimeError(f"the engine asked the system for {self.net.nthreads} threads and got {got}")
        return 0

    cdef void _free_layout(self) noexcept:
        cdef Py_ssize_t i
        cdef CSlice* sl
        for i in range(self.net.npops * self.net.nthreads):
            sl = &self.net.slices[i]
            _free_lines(sl.rows)
            _free_lines(sl.irows)
            _free_lines(sl.R)
            _free_lines(sl.iR)
            _free_lines(sl.overflows)
            _free_lines(sl.step_at)
            free(sl.spikes[0])
            free(sl.spikes[1])
            free(sl.rec_steps)
            free(sl.rec_neurons)
        for i in range(self.net.nprojs):
            free(self.net.projs[i].split)
            self.net.projs[i].split = NULL
        _free_lines(self.net.slices)
        _free_lines(self.net.stops)
        _free_lines(self.net.barrier)
        self.net.slices = NULL
        self.net.stops = NULL
        self.net.barrier = NULL
        self.net.nthreads = 0

    cdef int _lay_out(self) except -1:
        """Each thread's share of every population (its own registers, row pointers and spike buffers) and of
        every projection's connections (split by target)."""
        cdef int T = self.asked_threads, th
        cdef Py_ssize_t i, k, src, q
        cdef CPop* p
        cdef CSlice* sl
        cdef CProj* pr
        self._free_layout()
        self.net.slices = <CSlice*>_own_lines((self.net.npops * T + 1) * sizeof(CSlice))
        self.net.stops = <CStop*>_own_lines(T * sizeof(CStop))
        self.net.barrier = <ncs_barrier*>_own_lines(sizeof(ncs_barrier))
        if self.net.slices == NULL or self.net.stops == NULL or self.net.barrier == NULL:
            raise MemoryError()
        self.net.nthreads = T
        self.net.interval = _interval(&self.net)
        _share_out(&self.net, T)
        for i in range(self.net.npops):
            p = &self.net.pops[i]
            for th in range(T):
                sl = _slice(&self.net, i, th)
                sl.step_at = <Py_ssize_t*>_own_lines(2 * (self.net.interval + 1) * sizeof(Py_ssize_t))
                if sl.step_at == NULL:
                    raise MemoryError()
                if p.kind == 2:
                    sl.irows = <int64_t**>_own_lines(p.nslots * sizeof(int64_t*) + 1)
                    sl.iR = <int64_t*>_own_lines(p.nregs * 128 * sizeof(int64_t))
                    if sl.irows == NULL or sl.iR == NULL:
                        raise MemoryError()
                    for k in range(p.nslots):
                        sl.irows[k] = p.islots + k * p.n
                    sl.fx = p.fx
                    if th > 0:
                        sl.overflows = <int64_t*>_own_lines((p.nslots + 1) * sizeof(int64_t))
                        if sl.overflows == NULL:
                            raise MemoryError()
                        sl.fx.overflows = sl.overflows
                else:
                    sl.rows = <double**>_own_lines(p.nslots * sizeof(double*) + 1)
                    sl.R = <double*>_own_lines(p.nregs * 128 * sizeof(double))
                    if sl.rows == NULL or sl.R == NULL:
                        raise MemoryError()
                    for k in range(p.nslots):
                        sl.rows[k] = p.slots + k * p.n
        for q in range(self.net.nprojs):
            pr = &self.net.projs[q]
            if T == 1:
                continue
            pr.split = <int64_t*>malloc((self.net.pops[pr.src].n * (T + 1) + 1) * sizeof(int64_t))
            if pr.split == NULL:
                raise MemoryError()
            for src in range(self.net.pops[pr.src].n):
                _split_row(pr, src, &self.net, T)
        self.laid_out = True
        return 0

    cdef Py_ssize_t _new_population(self, Py_ssize_t n, Py_ssize_t nslots, int32_t[::1] refc,
                                    const int32_t[::1] ref_steps, uint64_t seed, Py_ssize_t current_row,
                                    Py_ssize_t nregs) except -1:
        cdef Py_ssize_t i = self.net.npops
        cdef CPop* grown = <CPop*>realloc(self.net.pops, (i + 1) * sizeof(CPop))
        if grown == NULL:
            raise MemoryError()
        self.net.pops = grown
        memset(&self.net.pops[i], 0, sizeof(CPop))
        self.net.npops += 1
        cdef CPop* p = &self.net.pops[i]
        self.keep.extend([refc, ref_steps])
        p.n = n
        p.nslots = nslots
        p.nregs = max(nregs, 2)
        p.refc = &refc[0]
        p.ref_steps = &ref_steps[0]
        p.seed = seed
        p.current_row = current_row
        p.flags = <int32_t*>_own_lines((n + 1) * sizeof(int32_t))
        if p.flags == NULL:
            raise MemoryError()
        self.laid_out = False
        return i

    def add_fixed_population(self, int64_t[:, ::1] slots, int32_t[::1] refc, const int32_t[::1] ref_steps,
                             FixedVM vm, uint64_t seed, Py_ssize_t current_row):
        """Register a fixed-point population run by ``vm`` (raw integer slots, shared); returns its index."""
        cdef Py_ssize_t i = self._new_population(slots.shape[1], slots.shape[0], refc, ref_steps, seed, current_row,
                                                 vm.nregs)
        cdef CPop* p = &self.net.pops[i]
        self.keep.extend([slots, vm])
        p.kind = 2
        p.fx = vm.program()
        p.islots = &slots[0, 0]
        return i

    def add_population(self, double[:, ::1] slots, int32_t[::1] refc, const int32_t[::1] ref_steps,
                       program, vm_nregs, int ref_mode, Py_ssize_t lastspike_row, uint64_t seed,
                       LinearKernel kernel, Py_ssize_t current_row, state_rows):
        """Register a float population (its arrays are shared, not copied); returns its index."""
        cdef Py_ssize_t n = slots.shape[1]
        cdef Py_ssize_t i = self._new_population(n, slots.shape[0], refc, ref_steps, seed, current_row, vm_nregs)
        cdef CPop* p = &self.net.pops[i]
        code = np.ascontiguousarray(program.code, dtype=np.int32)
        consts = np.ascontiguousarray(program.consts, dtype=np.float64)
        rows = np.ascontiguousarray(state_rows, dtype=np.int32)
        self.keep.extend([code, consts, rows, slots, kernel])
        cdef const int32_t[:, ::1] code_mv = code
        cdef const double[::1] consts_mv = consts
        cdef const int32_t[::1] rows_mv = rows
        p.slots = &slots[0, 0]
        p.code = &code_mv[0, 0]
        p.ninstr = code_mv.shape[0]
        p.consts = &consts_mv[0]
        p.ref_mode = ref_mode
        p.lastspike_row = lastspike_row
        p.state_rows = &rows_mv[0] if rows_mv.shape[0] else NULL
        p.nstates = rows_mv.shape[0]
        p.zeros = <double*>_own_lines((n + 1) * sizeof(double))
        p.scratch = <double*>_own_lines(4 * (n + 1) * sizeof(double))
        if p.zeros == NULL or p.scratch == NULL:
            raise MemoryError()
        if kernel is not None:
            p.kind = 1
            p.lin = kernel.spec
        return i

    def update_fixed_population(self, Py_ssize_t pop, FixedVM vm):
        """Swap in a recompiled fixed-point program (same slots) for population ``pop``, keeping its state."""
        cdef CPop* p = &self.net.pops[pop]
        self.keep.append(vm)
        p.nregs = max(vm.nregs, 2)
        p.fx = vm.program()
        self.laid_out = False

    def update_population(self, Py_ssize_t pop, program, vm_nregs, int ref_mode, LinearKernel kernel):
        """Swap in a recompiled program (same slots) for population ``pop``, keeping its state."""
        cdef CPop* p = &self.net.pops[pop]
        code = np.ascontiguousarray(program.code, dtype=np.int32)
        consts = np.ascontiguousarray(program.consts, dtype=np.float64)
        self.keep.extend([code, consts, kernel])
        cdef const int32_t[:, ::1] code_mv = code
        cdef const double[::1] consts_mv = consts
        # A new parameter value changes only the constants, which native code reads like the VM.
        if p.ninstr != code_mv.shape[0] or memcmp(p.code, &code_mv[0, 0], p.ninstr * 5 * sizeof(int32_t)) != 0:
            p.native = NULL
        p.code = &code_mv[0, 0]
        p.ninstr = code_mv.shape[0]
        p.consts = &consts_mv[0]
        p.ref_mode = ref_mode
        p.nregs = max(vm_nregs, 2)
        p.kind = 0
        if kernel is not None:
            p.kind = 1
            p.lin = kernel.spec
        self.laid_out = False

    def set_native(self, Py_ssize_t pop, size_t address, code):
        """Run population ``pop`` with native code at ``address`` from the next step, if ``code`` is still
        its program (returns whether it switched); the caller keeps the code's library loaded."""
        cdef CPop* p = &self.net.pops[pop]
        code = np.ascontiguousarray(code, dtype=np.int32)
        cdef const int32_t[:, ::1] code_mv = code
        if (p.kind != 0 or address == 0 or p.ninstr != code_mv.shape[0]
                or memcmp(p.code, &code_mv[0, 0], p.ninstr * 5 * sizeof(int32_t)) != 0):
            return False
        p.native = <native_step_fn>address
        return True

    def runs_native(self, Py_ssize_t pop):
        """Whether population ``pop`` runs native code (else the VM or the fused kernel)."""
        return self.net.pops[pop].kind == 0 and self.net.pops[pop].native != NULL

    def add_ring(self, Py_ssize_t pop, Py_ssize_t row, Py_ssize_t depth, int64_t lo=0, int64_t hi=0):
        """A delay ring feeding slot ``row`` of population ``pop``; ``depth`` = max delay + 1 steps.

        For a fixed-point population the ring holds exact int64 sums, read
        saturated to ``[lo, hi]`` (the slot's storage range).
        """
        cdef Py_ssize_t i = self.net.nrings
        cdef CRing* grown = <CRing*>realloc(self.net.rings, (i + 1) * sizeof(CRing))
        if grown == NULL:
            raise MemoryError()
        self.net.rings = grown
        self.net.nrings += 1
        self.net.rings[i].pop = pop
        self.net.rings[i].row = row
        self.net.rings[i].n = self.net.pops[pop].n
        self.net.rings[i].depth = depth
        self.net.rings[i].external = NULL
        self.net.rings[i].iexternal = NULL
        self.net.rings[i].buf = NULL
        self.net.rings[i].ibuf = NULL
        self.net.rings[i].lo = lo
        self.net.rings[i].hi = hi
        if self.net.pops[pop].kind == 2:
            self.net.rings[i].ibuf = <int64_t*>_own_lines((depth * self.net.pops[pop].n + 1) * sizeof(int64_t))
            if self.net.rings[i].ibuf == NULL:
                raise MemoryError()
        else:
            self.net.rings[i].buf = <double*>_own_lines((depth * self.net.pops[pop].n + 1) * sizeof(double))
            if self.net.rings[i].buf == NULL:
                raise MemoryError()
        self.laid_out = False
        return i

    def ring_contents(self, Py_ssize_t ring):
        """A copy of a ring's buffer (depth, n): weights in flight."""
        cdef CRing* r = &self.net.rings[ring]
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
        cdef Py_ssize_t i = self.net.nprojs
        cdef CProj* grown = <CProj*>realloc(self.net.projs, (i + 1) * sizeof(CProj))
        cdef float[::1] w_mv
        cdef const int64_t[::1] iw_mv
        cdef const uint16_t[::1] d_mv
        cdef const uint16_t[::1] t16
        cdef const int32_t[::1] t32
        if grown == NULL:
            raise MemoryError()
        self.net.projs = grown
        self.net.nprojs += 1
        cdef CProj* p = &self.net.projs[i]
        memset(p, 0, sizeof(CProj))
        self.keep.extend([indptr, targets, weights, delays])
        p.src = src
        p.ring = ring
        p.tgt = self.net.rings[ring].pop
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
        if self.net.rings[ring].ibuf != NULL:
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
        if not _rows_ascend(p, indptr.shape[0] - 1):
            self.net.nprojs -= 1
            raise ValueError("a projection's targets must ascend within each source's row (as "
                             "engine.network.connect.to_csr sorts them)")
        self.laid_out = False
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
        cdef CProj* p = &self.net.projs[proj]
        if p.weights == NULL:
            raise ValueError("STDP needs per-connection weights")
        self.keep.extend([post_indptr, post_syn, post_src])
        p.plastic = 1
        p.rule = RULE_STDP
        p.x_pre = <double*>calloc(self.net.pops[p.src].n + 1, sizeof(double))
        p.x_post = <double*>calloc(self.net.pops[p.tgt].n + 1, sizeof(double))
        if p.x_pre == NULL or p.x_post == NULL:
            raise MemoryError()
        p.post_indptr = &post_indptr[0]
        p.post_syn = &post_syn[0] if post_syn.shape[0] else NULL
        p.post_src = &post_src[0] if post_src.shape[0] else NULL
        self.laid_out = False
        p.decay_pre, p.decay_post = decay_pre, decay_post
        p.a_plus, p.a_minus, p.mu_plus, p.mu_minus, p.w_max = a_plus, a_minus, mu_plus, mu_minus, w_max

    def make_synapse_rule(self, Py_ssize_t proj, int rule, double[:, ::1] state, const double[::1] constants,
                          post_indptr=None, post_syn=None):
        """Give a float projection one of NEST's synapse rules with per-connection ``state`` (rows, connections),
        shared, not copied: ``rule`` 2 tsodyks2_synapse (rows x, u, last spike), 3 tsodyks_synapse (x, y, u, last
        spike; constants U, tau_rec, tau_fac, tau_psc in ms), 4 stdp_triplet_synapse (weight, Kplus,
        Kplus_triplet, last spike; constants tau_plus, tau_plus_triplet, tau_minus, tau_minus_triplet, Aplus,
        Aminus, Aplus_triplet, Aminus_triplet, Wmax), which needs one delay and the incoming synapses of each
        target (``post_indptr``, ``post_syn``).  Last spikes are NEST's stamps in steps.
        """
        cdef CProj* p = &self.net.projs[proj]
        cdef Py_ssize_t n = self.net.pops[p.tgt].n, k
        cdef const int64_t[::1] pi
        cdef const int32_t[::1] ps
        if self.net.rings[p.ring].ibuf != NULL or not RULE_TSODYKS2 <= rule <= RULE_TRIPLET:
            raise ValueError("synapse rules run in floating point, with rule 2, 3 or 4")
        if state.shape[1] != p.indptr[self.net.pops[p.src].n] or constants.shape[0] > 12:
            raise ValueError("the synapse state needs one column per connection and at most 12 constants")
        if rule != RULE_TRIPLET and p.weights == NULL:
            raise ValueError("short-term plasticity needs per-connection weights")
        self.keep.append(state)
        p.rule = rule
        p.syn = &state[0, 0] if state.shape[1] else NULL
        p.nconn = state.shape[1]
        p.dt_ms = self.net.dt * 1e3
        for k in range(constants.shape[0]):
            p.c[k] = constants[k]
        if rule == RULE_TRIPLET:
            if p.delays != NULL:
                raise ValueError("stdp_triplet_synapse needs one delay for the whole projection")
            pi = post_indptr
            ps = post_syn
            self.keep.extend([post_indptr, post_syn])
            p.post_indptr = &pi[0]
            p.post_syn = &ps[0] if ps.shape[0] else NULL
            p.post = <double*>calloc(PO_ROWS * n + 1, sizeof(double))
            p.post_ring = <uint8_t*>calloc((p.d_hom + 1) * n + 1, sizeof(uint8_t))
            if p.post == NULL or p.post_ring == NULL:
                raise MemoryError()
            for k in range(n):
                p.post[PO_LAST * n + k] = -1.0
                p.post[PO_LAST_BEFORE * n + k] = -1.0
            p.plastic = 1
        self.laid_out = False

    def set_weight_scale(self, Py_ssize_t proj, double scale):
        self.net.projs[proj].scale = scale

    def add_poisson(self, Py_ssize_t ring, neurons, uint64_t seed, cdf, guide, int64_t first_count, double weight,
                    int64_t delay, int64_t first, int64_t last):
        """Poisson spikes of ``weight`` into a float ``ring``, drawn in the threads (ext/poisson.h): for each
        of ``neurons`` (ascending int32, or None: every neuron), emitted in steps ``first`` to ``last`` and
        arriving ``delay`` steps later, with counts by inversion of ``cdf`` (float64, from ``first_count``)
        started at ``guide`` (int32, a power of two entries), keyed by ``seed``; returns its index."""
        cdef Py_ssize_t i = self.net.npoisson
        cdef ncs_poisson* grown = <ncs_poisson*>realloc(self.net.poisson, (i + 1) * sizeof(ncs_poisson))
        cdef ncs_poisson* g
        cdef Py_ssize_t targets
        if grown == NULL:
            raise MemoryError()
        self.net.poisson = grown
        if self.net.rings[ring].buf == NULL:
            raise ValueError("the kernel draws Poisson counts into float rings only")
        g = &grown[i]
        _poisson_source(g, seed, cdf, guide, first_count, self.keep)
        if neurons is not None:
            g.neurons = <const int32_t*>_held(neurons, np.int32, self.keep)
            g.nneurons = len(neurons)
        targets = g.nneurons if neurons is not None else self.net.rings[ring].n
        g.ahead = <int64_t*>_own_lines(targets * sizeof(int64_t))
        g.drawn = _own_lines(MAX_THREADS * 64)
        if g.ahead == NULL or g.drawn == NULL:
            _free_lines(g.ahead)
            _free_lines(g.drawn)
            raise MemoryError()
        g.weight = weight
        g.delay = delay
        g.first = first
        g.last = last
        g.ring = ring
        self.net.npoisson += 1
        return i

    def add_sampler(self, Py_ssize_t pop, rows, idx, Py_ssize_t interval):
        """Record slots ``rows`` of neurons ``idx`` every ``interval`` steps; returns its index."""
        cdef Py_ssize_t i = self.net.nsamplers
        cdef CSampler* grown = <CSampler*>realloc(self.net.samplers, (i + 1) * sizeof(CSampler))
        if grown == NULL:
            raise MemoryError()
        self.net.samplers = grown
        self.net.nsamplers += 1
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        idx = np.ascontiguousarray(idx, dtype=np.int32)
        self.keep.extend([rows, idx])
        cdef const int32_t[::1] rows_mv = rows
        cdef const int32_t[::1] idx_mv = idx
        self.net.samplers[i].pop = pop
        self.net.samplers[i].rows = &rows_mv[0]
        self.net.samplers[i].nrows = rows_mv.shape[0]
        self.net.samplers[i].idx = &idx_mv[0]
        self.net.samplers[i].nidx = idx_mv.shape[0]
        self.net.samplers[i].interval = interval
        self.net.samplers[i].out = NULL
        return i

    def run(self, int64_t first_step, Py_ssize_t nsteps, currents, externals, sample_out, inputs=None):
        """Run ``nsteps`` steps from ``first_step`` on :attr:`threads` threads, without the GIL.

        ``currents``: {population: (nsteps, n) array of injected current};
        ``externals``: {ring: (nsteps, n) array of weight arriving from
        devices} (both int64 raw values for fixed-point populations); ``sample_out``: {sampler: (nsteps // interval + 1, rows, idx)
        array}; ``inputs``: {population: (rows, (nsteps, len(rows)) array)},
        slots set for every neuron before each step.  Returns (spikes
        {population: (steps, neurons)}, samples written {sampler: count}).  Stops early, with ``failed_pop`` and
        ``failed_step`` set, when a state becomes NaN or infinite.
        """
        cdef Py_ssize_t i, q, ran
        cdef int th
        cdef CNet* net = &self.net
        cdef CSampler* sm
        cdef double[:, :, ::1] out_mv
        hold = []
        if not self.laid_out:
            self._lay_out()
        for i in range(net.npops):
            net.pops[i].current = NULL
            net.pops[i].icurrent = NULL
            net.pops[i].n_in = 0
            net.pops[i].ref_uniform = _uniform_steps(&net.pops[i])
            for th in range(net.nthreads):
                _slice(net, i, th).rec_count = 0
        for i in range(net.nrings):
            net.rings[i].external = NULL
            net.rings[i].iexternal = NULL
        for key, arr in currents.items():
            if net.pops[key].kind == 2:
                net.pops[key].icurrent = <const int64_t*>_held(arr, np.int64, hold)
            else:
                net.pops[key].current = <const double*>_held(arr, np.float64, hold)
        for key, (rows, arr) in (inputs or {}).items():
            net.pops[key].in_rows = <const int32_t*>_held(rows, np.int32, hold)
            net.pops[key].n_in = len(rows)
            if net.pops[key].kind == 2:
                net.pops[key].in_ivalues = <const int64_t*>_held(arr, np.int64, hold)
            else:
                net.pops[key].in_values = <const double*>_held(arr, np.float64, hold)
        for key, arr in externals.items():
            if net.rings[key].ibuf != NULL:
                net.rings[key].iexternal = <const int64_t*>_held(arr, np.int64, hold)
            else:
                net.rings[key].external = <const double*>_held(arr, np.float64, hold)
        for i in range(net.nsamplers):
            net.samplers[i].out = NULL
            net.samplers[i].cap = 0
        for key, arr in sample_out.items():
            out_mv = arr
            hold.append(out_mv)
            net.samplers[key].out = &out_mv[0, 0, 0]
            net.samplers[key].cap = out_mv.shape[0]
        for q in range(net.npoisson):
            ncs_poisson_forget_ahead(&net.poisson[q], net.nthreads)
        for th in range(net.nthreads):
            net.stops[th].step = -1
            net.stops[th].failed_pop = -1
            net.stops[th].grow_failed = 0
        net.first_step = first_step
        net.nsteps = nsteps
        net.check_finite = self.check_finite
        if net.nthreads > 1:
            self._start_team()
            with nogil:
                ncs_team_run(self.team, _run_thread, net)
        else:
            with nogil:
                _run_thread(net, 0)
        self._count_overflows()
        self.failed_pop = -1
        self.failed_step = -1
        ran = nsteps
        for th in range(net.nthreads):
            if net.stops[th].grow_failed:
                raise MemoryError("cannot grow the spike record")
            if net.stops[th].step >= 0:
                ran = net.stops[th].step + 1
                if net.stops[th].failed_pop >= 0 and (self.failed_pop < 0 or net.stops[th].failed_pop < self.failed_pop):
                    self.failed_pop = net.stops[th].failed_pop
        if self.failed_pop >= 0:
            self.failed_step = first_step + ran - 1
        counts = {}
        for q in range(net.nsamplers):
            sm = &net.samplers[q]
            counts[q] = min(sm.cap, (first_step + ran) // sm.interval - first_step // sm.interval) if sm.out else 0
        return {i: self._spikes(i, first_step, ran) for i in range(net.npops)}, counts

    cdef void _count_overflows(self) noexcept:
        """Add the saturations the other threads counted to the program's own counts."""
        cdef Py_ssize_t i, k
        cdef int th
        cdef CSlice* sl
        for i in range(self.net.npops):
            for th in range(1, self.net.nthreads):
                sl = _slice(&self.net, i, th)
                if sl.overflows != NULL:
                    for k in range(self.net.pops[i].nslots):
                        self.net.pops[i].fx.overflows[k] += sl.overflows[k]
                        sl.overflows[k] = 0

    cdef _spikes(self, Py_ssize_t pop, int64_t first_step, Py_ssize_t ran):
        """Population ``pop``'s spikes of the chunk, (steps, neurons), by step and then neuron: each thread's
        record merged in thread order."""
        cdef int T = self.net.nthreads, th
        cdef Py_ssize_t total = 0, s, n = 0
        cdef Py_ssize_t at[MAX_THREADS]
        cdef CSlice* sl
        for th in range(T):
            total += _slice(&self.net, pop, th).rec_count
            at[th] = 0
        st = np.empty(total, dtype=np.int64)
        nr = np.empty(total, dtype=np.int32)
        cdef int64_t[::1] st_mv = st
        cdef int32_t[::1] nr_mv = nr
        for s in range(ran):
            for th in range(T):
                sl = _slice(&self.net, pop, th)
                while at[th] < sl.rec_count and sl.rec_steps[at[th]] == s:
                    st_mv[n] = s + first_step
                    nr_mv[n] = sl.rec_neurons[at[th]]
                    at[th] += 1
                    n += 1
        return st, nr


cdef bint _rows_ascend(const CProj* pr, Py_ssize_t nsrc) noexcept nogil:
    """Whether the targets ascend (or repeat) within each source's row."""
    cdef Py_ssize_t src
    cdef int64_t k
    for src in range(nsrc):
        for k in range(pr.indptr[src] + 1, pr.indptr[src + 1]):
            if _target(pr, k) < _target(pr, k - 1):
                return False
    return True


cdef inline uint32_t _xorshift32(uint32_t x) noexcept nogil:
    x ^= x << 13
    x ^= x >> 17
    x ^= x << 5
    return x


def philox4x32(counter, uint64_t key):
    """Philox4x32-10 of the four 32-bit words ``counter`` under the 64-bit ``key`` (low word first): the
    generator of the kernel's Poisson counts (ext/poisson.h)."""
    cdef uint32_t ctr[4]
    cdef uint32_t out[4]
    for k in range(4):
        ctr[k] = counter[k]
    ncs_philox4x32(ctr, <uint32_t>key, <uint32_t>(key >> 32), out)
    return [out[0], out[1], out[2], out[3]]


cdef int _poisson_source(ncs_poisson* g, uint64_t seed, cdf, guide, int64_t first_count, list hold) except -1:
    """Fill ``g``'s key and table (kept alive in ``hold``); its targets, window and ring are left empty."""
    memset(g, 0, sizeof(ncs_poisson))
    g.cdf = <const double*>_held(cdf, np.float64, hold)
    g.guide = <const int32_t*>_held(guide, np.int32, hold)
    g.guide_bits = len(guide).bit_length() - 1
    if g.cdf == NULL or len(guide) != 1 << g.guide_bits or not 1 <= g.guide_bits <= 53:
        raise ValueError("a Poisson table needs entries and a guide of 2 to 2**53 (a power of two) entries")
    g.key[0] = <uint32_t>seed
    g.key[1] = <uint32_t>(seed >> 32)
    g.first_count = first_count
    return 0


def philox_poisson_counts(uint64_t seed, cdf, guide, int64_t first_count, int64_t first_step,
                          const int32_t[::1] neurons, int64_t[:, ::1] counts):
    """Fill ``counts`` (steps, targets) with the counts the kernel draws (:meth:`NetworkKernel.add_poisson`)
    for ``neurons`` in emission steps from ``first_step``."""
    cdef ncs_poisson g
    cdef Py_ssize_t s, k
    hold = []
    _poisson_source(&g, seed, cdf, guide, first_count, hold)
    with nogil:
        for s in range(counts.shape[0]):
            for k in range(counts.shape[1]):
                counts[s, k] = ncs_poisson_invert(&g, ncs_poisson_bits(&g, <uint32_t>neurons[k], first_step + s))


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
