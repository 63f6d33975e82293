/* Poisson counts drawn inside the network kernel (ext/network.pyx), per neuron and step, in any thread.
 *
 * The uniform of neuron i in emission step e comes from Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC11; Random123's known answers hold, tests/engine/network/test_devices.py)
 * of the counter (i / 2, e low word, e high word, 0) under the device's 64-bit seed as key: words 0 and 1
 * for an even i, 2 and 3 for an odd one (one block serves two neighbours), 53 bits of them.  The count is the inverse of the Poisson distribution function at that uniform, the least
 * k with u < P(X <= k), read from a table of the distribution function (computed once per device by
 * engine/network/devices.py) and started at a guide entry, so a search takes one or two comparisons for
 * any mean.  A draw depends only on (seed, neuron, step): every thread count and every chunking gives the
 * same counts, and a thread waiting at a barrier may draw its neurons' counts of the next step ahead
 * (ncs_poisson_draw_ahead) for ncs_poisson_add to take. */
#include <stddef.h>
#include <stdint.h>

#define NCS_PHILOX_M0 0xD2511F53ull
#define NCS_PHILOX_M1 0xCD9E8D57ull
#define NCS_PHILOX_W0 0x9E3779B9u
#define NCS_PHILOX_W1 0xBB67AE85u
#define NCS_POISSON_BLOCK 64

typedef struct {
    uint32_t key[2];             /* the device's seed */
    const double *cdf;           /* P(X <= first_count + k), the last entry 1.0 */
    const int32_t *guide;        /* (1 << guide_bits): the least k with cdf[k] > j / 2**guide_bits */
    int guide_bits;              /* 1 to 53 */
    int64_t first_count;         /* the count of cdf[0] (below it the probability is under 1e-80) */
    const int32_t *neurons;      /* the targets, ascending, or NULL: every neuron */
    ptrdiff_t nneurons;
    double weight;
    int64_t delay;               /* steps from emission to arrival */
    int64_t first, last;         /* the emission steps it is active in, both included */
    ptrdiff_t ring;              /* the ring it feeds */
    int64_t *ahead;              /* counts drawn ahead of their step, by target position (each thread its own) */
    int64_t (*drawn)[8];         /* per thread, a cache line each: the step drawn ahead for, how many targets */
} ncs_poisson;

/* Philox4x32-10 of counter ctr under key (k0, k1), into out.  The 32-bit words live in 64-bit variables,
 * masked: a loop of blocks then multiplies in 64-bit vector lanes without widening the words first (10 %
 * off Brunel's run with AVX-512, the same bits). */
static inline void ncs_philox4x32(const uint32_t ctr[4], uint32_t k0, uint32_t k1, uint32_t out[4])
{
    uint64_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], q0 = k0, q1 = k1;
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = NCS_PHILOX_M0 * (c0 & 0xffffffffu), p1 = NCS_PHILOX_M1 * (c2 & 0xffffffffu);
        const uint64_t n0 = ((p1 >> 32) ^ c1 ^ q0) & 0xffffffffu, n2 = ((p0 >> 32) ^ c3 ^ q1) & 0xffffffffu;
        c1 = p1 & 0xffffffffu;
        c3 = p0 & 0xffffffffu;
        c0 = n0;
        c2 = n2;
        q0 = (q0 + NCS_PHILOX_W0) & 0xffffffffu;
        q1 = (q1 + NCS_PHILOX_W1) & 0xffffffffu;
    }
    out[0] = (uint32_t)c0;
    out[1] = (uint32_t)c1;
    out[2] = (uint32_t)c2;
    out[3] = (uint32_t)c3;
}

/* The 64 random bits of neurons 2p (first) and 2p + 1 in step e, into two[0] and two[1]. */
static inline void ncs_poisson_pair(const ncs_poisson *g, uint32_t p, int64_t e, uint64_t two[2])
{
    uint32_t ctr[4] = {p, (uint32_t)e, (uint32_t)((uint64_t)e >> 32), 0}, out[4];
    ncs_philox4x32(ctr, g->key[0], g->key[1], out);
    two[0] = ((uint64_t)out[0] << 32) | out[1];
    two[1] = ((uint64_t)out[2] << 32) | out[3];
}

/* The 64 random bits of neuron i in step e. */
static inline uint64_t ncs_poisson_bits(const ncs_poisson *g, uint32_t i, int64_t e)
{
    uint64_t two[2];
    ncs_poisson_pair(g, i >> 1, e, two);
    return (i & 1) ? two[1] : two[0];
}

/* The count whose distribution function first exceeds the uniform of ``bits``. */
static inline int64_t ncs_poisson_invert(const ncs_poisson *g, uint64_t bits)
{
    const double u = (double)(bits >> 11) * (1.0 / 9007199254740992.0);
    int32_t k = g->guide[bits >> (64 - g->guide_bits)];
    while (u >= g->cdf[k])
        k++;
    return g->first_count + k;
}

/* Where the first target at or above neuron ``n`` is in the ascending ``neurons``. */
static inline ptrdiff_t ncs_lower_bound(const int32_t *neurons, ptrdiff_t count, ptrdiff_t n)
{
    ptrdiff_t lo = 0, hi = count;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (neurons[mid] < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The emission step of the counts arriving in step t, or -1 when the device emits none then. */
static inline int64_t ncs_poisson_emission(const ncs_poisson *g, int64_t t)
{
    const int64_t e = t - g->delay;
    return e < g->first || e > g->last ? -1 : e;
}

/* The positions [*a, *b) of the device's targets among neurons lo to hi: the neurons themselves when it
 * feeds every neuron, else places in ``neurons``. */
static inline void ncs_poisson_span(const ncs_poisson *g, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t *a, ptrdiff_t *b)
{
    if (g->neurons == NULL) {
        *a = lo;
        *b = hi;
    } else {
        *a = ncs_lower_bound(g->neurons, g->nneurons, lo);
        *b = ncs_lower_bound(g->neurons, g->nneurons, hi);
    }
}

/* The counts of emission step e of the m (at most NCS_POISSON_BLOCK) targets from position s, into counts:
 * the random bits of the block first (loops the compiler vectorises; every neuron: a Philox block per pair
 * of them), then their inversions. */
static inline void ncs_poisson_block(const ncs_poisson *g, int64_t e, ptrdiff_t s, int m, int64_t *counts)
{
    uint64_t bits[NCS_POISSON_BLOCK + 2];
    if (g->neurons == NULL) {
        const int odd = (int)(s & 1);
        const uint32_t p0 = (uint32_t)(s >> 1);
        for (int q = 0; q < (odd + m + 1) / 2; q++)
            ncs_poisson_pair(g, p0 + (uint32_t)q, e, bits + 2 * q);
        for (int q = 0; q < m; q++)
            counts[q] = ncs_poisson_invert(g, bits[odd + q]);
        return;
    }
    for (int q = 0; q < m; q++)
        bits[q] = ncs_poisson_bits(g, (uint32_t)g->neurons[s + q], e);
    for (int q = 0; q < m; q++)
        counts[q] = ncs_poisson_invert(g, bits[q]);
}

/* Add count x weight to row[i] for the device's targets i among neurons lo to hi arriving in step t, a
 * block at a time: the counts thread ``tid`` drew ahead for step t where it did, else drawn now. */
static void ncs_poisson_add(const ncs_poisson *g, int64_t t, ptrdiff_t lo, ptrdiff_t hi, double *row, int tid)
{
    const int64_t e = ncs_poisson_emission(g, t);
    int64_t now[NCS_POISSON_BLOCK];
    ptrdiff_t a, b;
    if (e < 0)
        return;
    ncs_poisson_span(g, lo, hi, &a, &b);
    const ptrdiff_t ready = a + (g->drawn[tid][0] == t ? g->drawn[tid][1] : 0);
    for (ptrdiff_t s = a; s < b; s += NCS_POISSON_BLOCK) {
        const int m = (int)(b - s < NCS_POISSON_BLOCK ? b - s : NCS_POISSON_BLOCK);
        const int64_t *counts = g->ahead + s;
        if (s + m > ready) {
            ncs_poisson_block(g, e, s, m, now);
            counts = now;
        }
        if (g->neurons == NULL)
            for (int q = 0; q < m; q++)
                row[s + q] += (double)counts[q] * g->weight;
        else
            for (int q = 0; q < m; q++)
                row[g->neurons[s + q]] += (double)counts[q] * g->weight;
    }
}

/* Draw the next block of step t's counts of thread ``tid``'s targets among neurons lo to hi into ``ahead``
 * (for ncs_poisson_add in step t); 0 when they are all drawn. */
static int ncs_poisson_draw_ahead(ncs_poisson *g, int64_t t, ptrdiff_t lo, ptrdiff_t hi, int tid)
{
    int64_t *mine = g->drawn[tid];
    const int64_t e = ncs_poisson_emission(g, t);
    ptrdiff_t a, b;
    if (mine[0] != t) {
        mine[0] = t;
        mine[1] = 0;
    }
    if (e < 0)
        return 0;
    ncs_poisson_span(g, lo, hi, &a, &b);
    const ptrdiff_t s = a + mine[1];
    if (s >= b)
        return 0;
    const int m = (int)(b - s < NCS_POISSON_BLOCK ? b - s : NCS_POISSON_BLOCK);
    ncs_poisson_block(g, e, s, m, g->ahead + s);
    mine[1] += m;
    return 1;
}

/* Drop what the T threads drew ahead (a chunk starts). */
static void ncs_poisson_forget_ahead(ncs_poisson *g, int T)
{
    for (int tid = 0; tid < T; tid++)
        g->drawn[tid][0] = -1;
}
