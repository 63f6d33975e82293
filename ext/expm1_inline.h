/* glibc's expm1 as inline C, so that a loop of it needs no call; exprel on it.
 *
 * glibc's expm1 (fdlibm's algorithm; sysdeps/ieee754/dbl-64/s_expm1.c) is an opaque call: a loop calling it
 * runs one value at a time.  For |x| <= 0.5 ln 2, and for negative x down to -56 ln 2, it reduces x to its
 * primary range, evaluates a short polynomial and scales by 2^k; ncs_expm1_inline is that, operation for
 * operation, with the fused multiply-adds of glibc's FMA build (__expm1_fma, which glibc picks on a
 * processor with FMA), so it gives glibc's bits.  Everywhere else, and on a processor without FMA,
 * ncs_expm1 calls the C library.  ext/vm.pyx and the native kernels (engine/program_c.py, which inlines this
 * file) both compute exprel with ncs_exprel, so the two agree on every machine.
 *
 * GCC 12 vectorises a loop of it only where vector registers convert doubles to 64-bit integers (AVX-512);
 * with AVX2 the loop runs one value at a time, still without a call.  ncs_expm1_primary is the primary range
 * alone, tested on |x| as a double: no integer conversion, so a loop of it vectorises with AVX2 as well, and
 * the native kernels take it first and patch the few other values (engine/program_c.py).
 */
#ifndef NCS_EXPM1_INLINE_H
#define NCS_EXPM1_INLINE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Every multiply and add below rounds as glibc's does: no fusing of the compiler's own, whatever the includer's
 * flags (ext/vm.pyx is built with contraction on). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

/* Whether ncs_expm1_inline covers x: glibc's primary range 2^-54 <= |x| <= 0.5 ln 2, or -56 ln 2 < x < -0.5 ln 2
 * (what glibc reduces into it with k = -1 to -56), by the high word of x's bits as glibc tests it (NaN and
 * infinities fall outside). */
static inline int ncs_expm1_is_inline(double x)
{
#if defined(__FMA__)
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t hx = (uint32_t)(bits >> 32) & 0x7fffffffu;
    return hx >= 0x3c900000u && (hx <= 0x3fd62e42u || (x < 0.0 && hx <= 0x40436879u));
#else
    (void)x;
    return 0;
#endif
}

#if defined(__FMA__)
/* glibc's e of a reduced argument xr (hfx = xr / 2, hxs = xr * hfx): its polynomial and correction term. */
static inline double ncs_expm1_e(double xr, double hfx, double hxs)
{
    const double Q1 = -3.33333333333331316428e-02, Q2 = 1.58730158725481460165e-03,
                 Q3 = -7.93650757867487942473e-05, Q4 = 4.00821782732936239552e-06,
                 Q5 = -2.01099218183624371326e-07;
    const double R1 = fma(hxs, Q1, 1.0), R2 = fma(hxs, Q3, Q2), R3 = fma(hxs, Q5, Q4);
    const double h2 = hxs * hxs;
    const double h4 = h2 * h2;
    const double r1 = fma(h4, R3, fma(h2, R2, R1));
    const double t = fma(-r1, hfx, 3.0);
    return ((r1 - t) / fma(-xr, t, 6.0)) * hxs;
}
#endif

/* Whether ncs_exprel(x) is ncs_expm1_primary(x) / x: 1e-5 <= |x| <= 0.5 ln 2 (glibc's high-word test of the
 * primary range, hx <= 0x3fd62e42, is |x| < 0x1.62e43p-2), compared as doubles. */
static inline int ncs_exprel_is_primary(double x)
{
#if defined(__FMA__)
    return fabs(x) >= 1e-5 && fabs(x) < 0x1.62e43p-2;
#else
    (void)x;
    return 0;
#endif
}

/* glibc's expm1 in its primary range (meaningless elsewhere). */
static inline double ncs_expm1_primary(double x)
{
#if !defined(__FMA__)
    (void)x;
    return 0.0; /* never taken (ncs_exprel_is_primary says 0) */
#else
    const double hfx = x * 0.5;
    const double hxs = x * hfx;
    return x - fma(ncs_expm1_e(x, hfx, hxs), x, -hxs);
#endif
}

/* glibc's expm1 where ncs_expm1_is_inline(x) (meaningless elsewhere): the argument reduction to the primary
 * range, its polynomial and the reconstruction for k = 0, k = -1 and k <= -2, as selects. */
static inline double ncs_expm1_inline(double x)
{
#if !defined(__FMA__)
    (void)x;
    return 0.0; /* never taken (ncs_expm1_is_inline says 0); fma would be a slow library call */
#else
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                 invln2 = 1.44269504088896338700e+00;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t hx = (uint32_t)(bits >> 32) & 0x7fffffffu;
    const int primary = hx <= 0x3fd62e42u, one_step = hx < 0x3ff0a2b2u;
    /* k: 0, -1, or glibc's (int)(invln2 * x - 0.5) */
    const double kf = primary ? 0.0 : (one_step ? -1.0 : trunc(x * invln2 + -0.5));
    const double hi = primary ? x : (one_step ? x + ln2_hi : fma(-kf, ln2_hi, x));
    const double lo = primary ? 0.0 : (one_step ? -ln2_lo : kf * ln2_lo);
    const double xr = primary ? x : hi - lo;
    const double c = primary ? 0.0 : (hi - xr) - lo;
    const double hfx = xr * 0.5;
    const double hxs = xr * hfx;
    const double e = ncs_expm1_e(xr, hfx, hxs);
    const double k0 = xr - fma(e, xr, -hxs);
    const double ek = fma(e - c, xr, -c) - hxs;
    const double k1 = fma(0.5, xr - ek, -0.5);
    double y = 1.0 - (ek - xr);
    uint64_t ybits;
    memcpy(&ybits, &y, sizeof ybits);
    /* 2^k times y: k added to the exponent field (k = 0 where this result is not taken) */
    ybits += (uint64_t)(int64_t)(primary || one_step || hx > 0x40436879u ? 0.0 : kf) << 52;
    memcpy(&y, &ybits, sizeof y);
    return primary ? k0 : (one_step ? k1 : y - 1.0);
#endif
}

/* expm1(x), with glibc's bits. */
static inline double ncs_expm1(double x)
{
    return ncs_expm1_is_inline(x) ? ncs_expm1_inline(x) : expm1(x);
}

/* exprel(x) = expm1(x) / x: 1 at 0, a Taylor polynomial where |x| < 1e-5. */
static inline double ncs_exprel(double x)
{
    if (x == 0.0)
        return 1.0;
    if (fabs(x) < 1e-5)
        return 1.0 + x / 2.0 + x * x / 6.0;
    return ncs_expm1(x) / x;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif
