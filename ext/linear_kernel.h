/* One fused step of a linear model over n neurons (see ext/linear.pyx).
 *
 * The receptor weights W are consumed: each is read and set to zero, so the
 * delay ring row they come from is ready for later arrivals.  ref_uniform >= 0
 * is the refractory step count of every neuron (ref_steps is then not read);
 * each wrapper has a loop for either case (UNIFORM), so that none reads
 * ref_steps under a condition: GCC makes that a masked load, which stalled
 * the CUBA loop on AMD Zen 1.
 * spike[j] is set to 1 or 0 (int32: a byte array would make GCC vectorise 64
 * neurons at a time and spill the doubles' registers).
 *
 * Written in C so that every constant lives in a register, no pointer aliases
 * and every branch is a select: GCC vectorises the loop across neurons.  The
 * body is one inline function whose shape (states NS, current inputs NI,
 * receptor inputs NW) is a compile-time constant in each wrapper, so terms of
 * absent states and inputs fold away. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define NCS_TERM(cond, expr) ((cond) ? (expr) : 0.0)

/* a if c else b, exactly, as bit operations (GCC does not if-convert some selects). */
static inline double ncs_select(int c, double a, double b)
{
    uint64_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    const uint64_t mask = (uint64_t)0 - (uint64_t)(c != 0);
    const uint64_t r = (ua & mask) | (ub & ~mask);
    double out;
    memcpy(&out, &r, sizeof out);
    return out;
}

/* The new value of state I: affine in states and current inputs, held while
 * refractory if asked, plus the receptor weights that arrive this step. */
#define NCS_NEW(I, OLD)                                                                              \
    double n##I = 0.0;                                                                               \
    if (NS > I) {                                                                                    \
        double v = c[I] + P[4 * I] * x0 + NCS_TERM(NS > 1, P[4 * I + 1] * x1)                        \
                   + NCS_TERM(NS > 2, P[4 * I + 2] * x2) + NCS_TERM(NS > 3, P[4 * I + 3] * x3)       \
                   + NCS_TERM(NI > 0, Q[4 * I] * u0) + NCS_TERM(NI > 1, Q[4 * I + 1] * u1);          \
        v = ncs_select(h[I] & held, OLD, v);                                                         \
        if (NW > 0)                                                                                  \
            v = v + (R[4 * I] * w0 + NCS_TERM(NW > 1, R[4 * I + 1] * w1)                             \
                     + NCS_TERM(NW > 2, R[4 * I + 2] * w2) + NCS_TERM(NW > 3, R[4 * I + 3] * w3));   \
        n##I = v;                                                                                    \
    }

static inline __attribute__((always_inline)) void ncs_linear_impl(
    const int NS, const int NI, const int NW, const int UNIFORM,
    double *restrict X0, double *restrict X1, double *restrict X2, double *restrict X3,
    const double *restrict U0, const double *restrict U1,
    double *restrict W0, double *restrict W1, double *restrict W2, double *restrict W3,
    const double *Pm, const double *cv, const double *Qm, const double *Rm, const int32_t *hold, int thr,
    double theta, int strict, const int32_t *reset_mask, const double *reset_val,
    int32_t *restrict refc, const int32_t *restrict ref_steps, int32_t ref_uniform, int32_t *restrict spike,
    intptr_t n)
{
    double P[16], Q[16], R[16], c[4], rv[4], t[4];
    int h[4], m[4];
    for (int a = 0; a < 16; a++) { P[a] = Pm[a]; Q[a] = Qm[a]; R[a] = Rm[a]; }
    for (int a = 0; a < 4; a++) {
        c[a] = cv[a]; rv[a] = reset_val[a]; h[a] = hold[a]; m[a] = reset_mask[a]; t[a] = thr == a;
    }
    const int lax = !strict;
    for (intptr_t j = 0; j < n; j++) {
        const double x0 = X0[j];
        const double x1 = NS > 1 ? X1[j] : 0.0;
        const double x2 = NS > 2 ? X2[j] : 0.0;
        const double x3 = NS > 3 ? X3[j] : 0.0;
        const double u0 = NI > 0 ? U0[j] : 0.0;
        const double u1 = NI > 1 ? U1[j] : 0.0;
        const double w0 = NW > 0 ? W0[j] : 0.0;
        const double w1 = NW > 1 ? W1[j] : 0.0;
        const double w2 = NW > 2 ? W2[j] : 0.0;
        const double w3 = NW > 3 ? W3[j] : 0.0;
        if (NW > 0) W0[j] = 0.0;
        if (NW > 1) W1[j] = 0.0;
        if (NW > 2) W2[j] = 0.0;
        if (NW > 3) W3[j] = 0.0;
        const int32_t rc = refc[j];
        const int held = rc != 0;
        NCS_NEW(0, x0)
        NCS_NEW(1, x1)
        NCS_NEW(2, x2)
        NCS_NEW(3, x3)
        const double vt = t[0] * n0 + NCS_TERM(NS > 1, t[1] * n1) + NCS_TERM(NS > 2, t[2] * n2)
                          + NCS_TERM(NS > 3, t[3] * n3);
        const int s = ((vt > theta) | ((vt == theta) & lax)) & !held;
        X0[j] = ncs_select(s & m[0], rv[0], n0);
        if (NS > 1) X1[j] = ncs_select(s & m[1], rv[1], n1);
        if (NS > 2) X2[j] = ncs_select(s & m[2], rv[2], n2);
        if (NS > 3) X3[j] = ncs_select(s & m[3], rv[3], n3);
        const int32_t steps = UNIFORM ? ref_uniform : ref_steps[j];
        refc[j] = s ? steps : (held ? rc - 1 : 0);
        spike[j] = s;
    }
}

typedef void (*ncs_linear_fn)(double *, double *, double *, double *, const double *, const double *,
                              double *, double *, double *, double *,
                              const double *, const double *, const double *, const double *,
                              const int32_t *, int, double, int, const int32_t *, const double *,
                              int32_t *, const int32_t *, int32_t, int32_t *, intptr_t);

/* One wrapper per shape, and a table of them indexed by ((NS - 1) * 3 + NI) * 5 + NW. */
/* GCC would split the zeroing of W into memset calls after the loop: a second pass over rows
 * the loop has just read; zeroed in the loop they are still in cache. */
#define NCS_VARIANT(ns, ni, nw)                                                                      \
    __attribute__((optimize("no-tree-loop-distribute-patterns")))                                    \
    static void ncs_linear_##ns##_##ni##_##nw(                                                       \
        double *X0, double *X1, double *X2, double *X3, const double *U0, const double *U1,          \
        double *W0, double *W1, double *W2, double *W3, const double *P,                             \
        const double *c, const double *Q, const double *R, const int32_t *hold, int thr,             \
        double theta, int strict, const int32_t *rm, const double *rv, int32_t *refc,                \
        const int32_t *rs, int32_t ru, int32_t *spike, intptr_t n)                                   \
    {                                                                                                \
        if (ru >= 0)                                                                                 \
            ncs_linear_impl(ns, ni, nw, 1, X0, X1, X2, X3, U0, U1, W0, W1, W2, W3, P, c, Q, R, hold, \
                            thr, theta, strict, rm, rv, refc, rs, ru, spike, n);                     \
        else                                                                                         \
            ncs_linear_impl(ns, ni, nw, 0, X0, X1, X2, X3, U0, U1, W0, W1, W2, W3, P, c, Q, R, hold, \
                            thr, theta, strict, rm, rv, refc, rs, ru, spike, n);                     \
    }
#define NCS_NAME(ns, ni, nw) ncs_linear_##ns##_##ni##_##nw,
#define NCS_BY_NW(F, ns, ni) F(ns, ni, 0) F(ns, ni, 1) F(ns, ni, 2) F(ns, ni, 3) F(ns, ni, 4)
#define NCS_BY_NI(F, ns) NCS_BY_NW(F, ns, 0) NCS_BY_NW(F, ns, 1) NCS_BY_NW(F, ns, 2)
#define NCS_ALL(F) NCS_BY_NI(F, 1) NCS_BY_NI(F, 2) NCS_BY_NI(F, 3) NCS_BY_NI(F, 4)

NCS_ALL(NCS_VARIANT)
static const ncs_linear_fn ncs_linear_variants[60] = {NCS_ALL(NCS_NAME)};

/* The exponential-synapse shape, a variant of its own (about three times faster): state 0 is the
 * thresholded membrane with its full row of P and Q, reset to reset_val[0] on a spike (the only
 * reset), held while refractory if hold[0]; every other state i only decays, x_i <- P_ii x_i, and
 * takes receptor i - 1's weight times R_i,i-1 (receptors beyond the states are consumed unused).
 * engine/fused.py picks it only where it gives the generic kernel's bits (for finite states): state 0
 * is computed as there, the same fused multiply-adds and the same + 0.0 for absent terms in the same
 * places; the terms the other states leave out are 0.0 * x, which change nothing but the sign of a
 * zero, and in the shapes it picks (at most 3 receptors; a receptor or at most one input) the generic
 * sum then meets a + 0.0, which makes any zero +0, as the + 0.0 here do.  The products other than
 * state 0's only meet + 0.0, which rounds the same fused or not. */
#define NCS_DECAY(I, W)                                                                              \
    double n##I = 0.0;                                                                               \
    if (NS > I)                                                                                      \
        n##I = (P[5 * I] * x##I + 0.0) + (NW > I - 1 ? R[5 * I - 1] * W + 0.0 : 0.0);

static inline __attribute__((always_inline)) void ncs_synaptic_impl(
    const int NS, const int NI, const int NW, const int UNIFORM,
    double *restrict X0, double *restrict X1, double *restrict X2, double *restrict X3,
    const double *restrict U0, const double *restrict U1,
    double *restrict W0, double *restrict W1, double *restrict W2, double *restrict W3,
    const double *P, const double *cv, const double *Q, const double *R, const int32_t *hold,
    double theta, int strict, const double *reset_val, int32_t *restrict refc,
    const int32_t *restrict ref_steps, int32_t ref_uniform, int32_t *restrict spike, intptr_t n)
{
    const double c0 = cv[0], p0 = P[0], p1 = P[1], p2 = P[2], p3 = P[3], q0 = Q[0], q1 = Q[1], rv = reset_val[0];
    const int h = hold[0] != 0, lax = !strict;
    for (intptr_t j = 0; j < n; j++) {
        const double x0 = X0[j];
        const double x1 = NS > 1 ? X1[j] : 0.0;
        const double x2 = NS > 2 ? X2[j] : 0.0;
        const double x3 = NS > 3 ? X3[j] : 0.0;
        const double w0 = NW > 0 ? W0[j] : 0.0;
        const double w1 = NW > 1 ? W1[j] : 0.0;
        const double w2 = NW > 2 ? W2[j] : 0.0;
        if (NW > 0) W0[j] = 0.0;
        if (NW > 1) W1[j] = 0.0;
        if (NW > 2) W2[j] = 0.0;
        if (NW > 3) W3[j] = 0.0;
        const int32_t rc = refc[j];
        const int held = rc != 0;
        double v = fma(p0, x0, c0);
        if (NS > 1) v = fma(p1, x1, v);
        if (NS > 2) v = fma(p2, x2, v);
        if (NS > 3) v = fma(p3, x3, v);
        if (NS < 4) v = v + 0.0;
        if (NI > 0) v = fma(q0, U0[j], v);
        if (NI > 1) v = fma(q1, U1[j], v);
        if (NI < 2) v = v + 0.0;
        v = (h & held) ? x0 : v;
        if (NW > 0)
            v = v + 0.0;
        NCS_DECAY(1, w0)
        NCS_DECAY(2, w1)
        NCS_DECAY(3, w2)
        const int s = ((v > theta) | ((v == theta) & lax)) & !held;
        X0[j] = s ? rv : v;
        if (NS > 1) X1[j] = n1;
        if (NS > 2) X2[j] = n2;
        if (NS > 3) X3[j] = n3;
        const int32_t steps = UNIFORM ? ref_uniform : ref_steps[j];
        refc[j] = s ? steps : (held ? rc - 1 : 0);
        spike[j] = s;
    }
}

/* One wrapper per shape (2 to 4 states, up to 3 receptors), indexed by ((NS - 2) * 3 + NI) * 4 + NW. */
#define NCS_SYNAPTIC_VARIANT(ns, ni, nw)                                                             \
    __attribute__((optimize("no-tree-loop-distribute-patterns", "fp-contract=off")))                 \
    static void ncs_synaptic_##ns##_##ni##_##nw(                                                     \
        double *X0, double *X1, double *X2, double *X3, const double *U0, const double *U1,          \
        double *W0, double *W1, double *W2, double *W3, const double *P,                             \
        const double *c, const double *Q, const double *R, const int32_t *hold, int thr,             \
        double theta, int strict, const int32_t *rm, const double *rv, int32_t *refc,                \
        const int32_t *rs, int32_t ru, int32_t *spike, intptr_t n)                                   \
    {                                                                                                \
        if (ru >= 0)                                                                                 \
            ncs_synaptic_impl(ns, ni, nw, 1, X0, X1, X2, X3, U0, U1, W0, W1, W2, W3, P, c, Q, R,     \
                              hold, theta, strict, rv, refc, rs, ru, spike, n);                      \
        else                                                                                         \
            ncs_synaptic_impl(ns, ni, nw, 0, X0, X1, X2, X3, U0, U1, W0, W1, W2, W3, P, c, Q, R,     \
                              hold, theta, strict, rv, refc, rs, ru, spike, n);                      \
    }
#define NCS_SYNAPTIC_NAME(ns, ni, nw) ncs_synaptic_##ns##_##ni##_##nw,
#define NCS_SYN_BY_NW(F, ns, ni) F(ns, ni, 0) F(ns, ni, 1) F(ns, ni, 2) F(ns, ni, 3)
#define NCS_SYN_BY_NI(F, ns) NCS_SYN_BY_NW(F, ns, 0) NCS_SYN_BY_NW(F, ns, 1) NCS_SYN_BY_NW(F, ns, 2)
#define NCS_SYN_ALL(F) NCS_SYN_BY_NI(F, 2) NCS_SYN_BY_NI(F, 3) NCS_SYN_BY_NI(F, 4)

NCS_SYN_ALL(NCS_SYNAPTIC_VARIANT)
static const ncs_linear_fn ncs_synaptic_variants[36] = {NCS_SYN_ALL(NCS_SYNAPTIC_NAME)};

/* The step of a shape: the synaptic variant if ``synaptic`` (2-4 states, at most 3 receptors), else the
 * generic one. */
static void ncs_linear_step(int synaptic, int ns, int ni, int nw, double *X0, double *X1, double *X2,
                            double *X3, const double *U0, const double *U1, double *W0, double *W1,
                            double *W2, double *W3, const double *P, const double *c,
                            const double *Q, const double *R, const int32_t *hold, int thr, double theta,
                            int strict, const int32_t *rm, const double *rv, int32_t *refc,
                            const int32_t *rs, int32_t ru, int32_t *spike, intptr_t n)
{
    const ncs_linear_fn step = synaptic ? ncs_synaptic_variants[((ns - 2) * 3 + ni) * 4 + nw]
                                        : ncs_linear_variants[((ns - 1) * 3 + ni) * 5 + nw];
    step(X0, X1, X2, X3, U0, U1, W0, W1, W2, W3, P, c, Q, R, hold, thr, theta, strict, rm, rv, refc, rs, ru,
         spike, n);
}

/* The neurons whose flag is set, in order: their indices (plus lo) into spikes, t_end into their
 * lastspike; returns how many.  Spikes are rare: 64 flags at a time are OR-ed (in vector registers)
 * and skipped while all zero. */
static intptr_t ncs_collect_spikes(const int32_t *restrict flag, double *restrict lastspike, double t_end,
                                   intptr_t lo, intptr_t n, int32_t *restrict spikes)
{
    intptr_t count = 0;
    for (intptr_t b = 0; b < n; b += 64) {
        const intptr_t e = n - b < 64 ? n - b : 64;
        int32_t any = 0;
        for (intptr_t k = 0; k < e; k++)
            any |= flag[b + k];
        if (!any)
            continue;
        for (intptr_t k = 0; k < e; k++) {
            if (flag[b + k]) {
                lastspike[b + k] = t_end;
                spikes[count++] = (int32_t)(lo + b + k);
            }
        }
    }
    return count;
}
