# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The IR virtual machine: register bytecode over blocks of neurons, GIL released.

A program is an int32 array of instructions ``(op, dst, a, b, c)``.  Registers
hold one value per neuron of the current block (``BLOCK`` neurons).  Register 0
holds ``not_refractory`` and register 1 the spike flag; the VM sets register 0
before the program (unless the program computes it) and reads register 1 after.
The ``ode`` instruction integrates the block with NEST's adaptive RKF45
(``_rkf45_block``, docs/integration.md).
The float VM works on float64 slots; the fixed VM on int64 slots holding
fixed-point integers (docs/fixed-point.md).  Both step a whole population
(``float64_population_step``, ``fixed_population_step``); the one loop over
steps is the network kernel's (ext/network.pyx), which also runs single
populations.
"""

from libc.math cimport exp, log, sqrt, fabs, sin, cos, tan, tanh, floor, ceil, trunc, pow, M_PI
from libc.float cimport DBL_MIN
from libc.stdint cimport int64_t, uint64_t, int32_t

cdef extern from "expm1_inline.h" nogil:
    double ncs_exprel(double x)  # on glibc's expm1, inline where it can be (the native kernels use it too)

import numpy as np

DEF BLOCK = 128

cdef enum:
    OP_LOAD = 0
    OP_LOADK = 1
    OP_STORE = 2
    OP_STOREIF = 3
    OP_ADD = 4
    OP_SUB = 5
    OP_MUL = 6
    OP_DIV = 7
    OP_POW = 8
    OP_NEG = 9
    OP_LT = 10
    OP_LE = 11
    OP_GT = 12
    OP_GE = 13
    OP_EQ = 14
    OP_NE = 15
    OP_AND = 16
    OP_OR = 17
    OP_NOT = 18
    OP_SELECT = 19
    OP_CALL = 20
    OP_CLIP = 21
    OP_RAND = 22
    OP_RANDN = 23
    OP_SPECIAL = 24
    OP_SKIPNONE = 25
    OP_TABLE = 26
    OP_MULK = 27
    OP_ADDK = 28
    OP_ODE = 29

cdef enum:
    FN_EXP = 0
    FN_LOG = 1
    FN_SQRT = 2
    FN_ABS = 3
    FN_SIN = 4
    FN_COS = 5
    FN_TAN = 6
    FN_TANH = 7
    FN_EXPREL = 8
    FN_FLOOR = 9
    FN_CEIL = 10
    FN_INT = 11
    FN_SIGN = 12

# Fixed-point randn draws its twelve uniforms from sites above every rand/float site.
cdef uint64_t IRWIN_HALL_SITES = (<uint64_t>1) << 40

OPCODES = {
    "load": OP_LOAD, "loadk": OP_LOADK, "store": OP_STORE, "storeif": OP_STOREIF,
    "+": OP_ADD, "-": OP_SUB, "*": OP_MUL, "/": OP_DIV, "**": OP_POW, "neg": OP_NEG,
    "<": OP_LT, "<=": OP_LE, ">": OP_GT, ">=": OP_GE, "==": OP_EQ, "!=": OP_NE,
    "and": OP_AND, "or": OP_OR, "not": OP_NOT, "select": OP_SELECT, "call": OP_CALL,
    "clip": OP_CLIP, "rand": OP_RAND, "randn": OP_RANDN, "special": OP_SPECIAL,
    "skipnone": OP_SKIPNONE, "table": OP_TABLE, "mulk": OP_MULK, "addk": OP_ADDK,
    "ode": OP_ODE,
}
FUNCTION_CODES = {
    "exp": FN_EXP, "log": FN_LOG, "sqrt": FN_SQRT, "abs": FN_ABS, "sin": FN_SIN, "cos": FN_COS,
    "tan": FN_TAN, "tanh": FN_TANH, "exprel": FN_EXPREL, "floor": FN_FLOOR, "ceil": FN_CEIL,
    "int": FN_INT, "sign": FN_SIGN,
}
SPECIAL_CODES = {"t": 0, "dt": 1, "i": 2, "N": 3}
RANDN_SITE_OFFSET = IRWIN_HALL_SITES
BLOCK_SIZE = BLOCK


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    z = z + <uint64_t>0x9E3779B97F4A7C15ULL
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t random_bits(uint64_t seed, uint64_t neuron, uint64_t step, uint64_t site) noexcept nogil:
    return mix64(seed ^ (neuron * <uint64_t>0xD1B54A32D192ED03ULL)
                 ^ (step * <uint64_t>0x8CB92BA72F3D8DD7ULL) ^ (site * <uint64_t>0xA0761D6478BD642FULL))


cdef inline double uniform(uint64_t bits) noexcept nogil:
    return <double>(bits >> 11) * (1.0 / 9007199254740992.0)


cdef inline double call_f(int fn, double x) noexcept nogil:
    if fn == FN_EXP:
        return exp(x)
    elif fn == FN_LOG:
        return log(x)
    elif fn == FN_SQRT:
        return sqrt(x)
    elif fn == FN_ABS:
        return fabs(x)
    elif fn == FN_SIN:
        return sin(x)
    elif fn == FN_COS:
        return cos(x)
    elif fn == FN_TAN:
        return tan(x)
    elif fn == FN_TANH:
        return tanh(x)
    elif fn == FN_EXPREL:
        return ncs_exprel(x)
    elif fn == FN_FLOOR:
        return floor(x)
    elif fn == FN_CEIL:
        return ceil(x)
    elif fn == FN_INT:
        return trunc(x)
    elif fn == FN_SIGN:
        return <double>((x > 0) - (x < 0))
    return x


ctypedef fused value_t:
    double
    int64_t


cdef inline void _logic(int op, value_t* rd, const value_t* ra, const value_t* rb, const value_t* rc,
                        Py_ssize_t n) noexcept nogil:
    """Comparisons, logic and select: the same rule for float and fixed-point registers (booleans are 0/1)."""
    cdef Py_ssize_t k
    if op == OP_LT:
        for k in range(n):
            rd[k] = ra[k] < rb[k]
    elif op == OP_LE:
        for k in range(n):
            rd[k] = ra[k] <= rb[k]
    elif op == OP_GT:
        for k in range(n):
            rd[k] = ra[k] > rb[k]
    elif op == OP_GE:
        for k in range(n):
            rd[k] = ra[k] >= rb[k]
    elif op == OP_EQ:
        for k in range(n):
            rd[k] = ra[k] == rb[k]
    elif op == OP_NE:
        for k in range(n):
            rd[k] = ra[k] != rb[k]
    elif op == OP_AND:
        for k in range(n):
            rd[k] = (ra[k] != 0) and (rb[k] != 0)
    elif op == OP_OR:
        for k in range(n):
            rd[k] = (ra[k] != 0) or (rb[k] != 0)
    elif op == OP_NOT:
        for k in range(n):
            rd[k] = ra[k] == 0
    else:
        for k in range(n):
            rd[k] = rb[k] if ra[k] != 0 else rc[k]


cdef int _float_block(const int32_t* code, Py_ssize_t ninstr, const double* consts, double** rows,
                      double* R, Py_ssize_t j0, Py_ssize_t n, int64_t step, double dt,
                      uint64_t seed, Py_ssize_t ntotal) noexcept nogil:
    cdef Py_ssize_t pc = 0, k
    cdef int op, dst, a, b, c
    cdef double* rd
    cdef double* ra
    cdef double* rb
    cdef double* rc
    cdef double* s
    cdef double v, lo, hi
    cdef double u
    cdef bint any_set
    while pc < ninstr:
        op = code[pc * 5 + 0]
        dst = code[pc * 5 + 1]
        a = code[pc * 5 + 2]
        b = code[pc * 5 + 3]
        c = code[pc * 5 + 4]
        rd = R + dst * BLOCK
        ra = R + a * BLOCK
        rb = R + b * BLOCK
        rc = R + c * BLOCK
        if op == OP_LOAD:
            s = rows[a] + j0
            for k in range(n):
                rd[k] = s[k]
        elif op == OP_LOADK:
            v = <double>consts[a]
            for k in range(n):
                rd[k] = v
        elif op == OP_STORE:
            s = rows[dst] + j0
            for k in range(n):
                s[k] = ra[k]
        elif op == OP_STOREIF:
            s = rows[dst] + j0
            for k in range(n):
                if rb[k] != 0.0:
                    s[k] = ra[k]
        elif op == OP_ADD:
            for k in range(n):
                rd[k] = ra[k] + rb[k]
        elif op == OP_SUB:
            for k in range(n):
                rd[k] = ra[k] - rb[k]
        elif op == OP_MUL:
            for k in range(n):
                rd[k] = ra[k] * rb[k]
        elif op == OP_DIV:
            for k in range(n):
                rd[k] = ra[k] / rb[k]
        elif op == OP_MULK:
            v = <double>consts[b]
            for k in range(n):
                rd[k] = ra[k] * v
        elif op == OP_ADDK:
            v = <double>consts[b]
            for k in range(n):
                rd[k] = ra[k] + v
        elif op == OP_POW:
            for k in range(n):
                rd[k] = <double>pow(ra[k], rb[k])
        elif op == OP_NEG:
            for k in range(n):
                rd[k] = -ra[k]
        elif OP_LT <= op <= OP_SELECT:
            _logic(op, rd, ra, rb, rc, n)
        elif op == OP_CALL:
            for k in range(n):
                rd[k] = <double>call_f(b, ra[k])
        elif op == OP_CLIP:
            for k in range(n):
                v = ra[k]
                lo = rb[k]
                hi = rc[k]
                rd[k] = lo if v < lo else (hi if v > hi else v)
        elif op == OP_RAND:
            for k in range(n):
                rd[k] = <double>uniform(random_bits(seed, j0 + k, step, 2 * <uint64_t>a))
        elif op == OP_RANDN:
            for k in range(n):
                u = 1.0 - uniform(random_bits(seed, j0 + k, step, 2 * <uint64_t>a))
                rd[k] = <double>(sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * uniform(random_bits(seed, j0 + k, step, 2 * <uint64_t>a + 1))))
        elif op == OP_SPECIAL:
            for k in range(n):
                if a == 0:
                    rd[k] = <double>(step * dt)
                elif a == 1:
                    rd[k] = <double>dt
                elif a == 2:
                    rd[k] = <double>(j0 + k)
                else:
                    rd[k] = <double>ntotal
        elif op == OP_SKIPNONE:
            any_set = False
            for k in range(n):
                if ra[k] != 0.0:
                    any_set = True
                    break
            if not any_set:
                pc += b
        elif op == OP_ODE:
            _rkf45_block(code + (pc + 1) * 5, dst, a, consts, consts + b, rows, R, j0, n, step, dt, seed, ntotal)
            pc += dst + a
        pc += 1
    return 0


# GSL's Runge-Kutta-Fehlberg 4(5) (ode-initval/rkf45.c): nodes, stage weights, the fifth-order
# solution and the difference of the fourth- and fifth-order ones.
cdef double RKF_A[5]
cdef double RKF_B[5][5]
cdef double RKF_C[6]
cdef double RKF_E[6]
RKF_A[:] = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0]
RKF_B[0][:] = [1.0 / 4.0, 0.0, 0.0, 0.0, 0.0]
RKF_B[1][:] = [3.0 / 32.0, 9.0 / 32.0, 0.0, 0.0, 0.0]
RKF_B[2][:] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0, 0.0, 0.0]
RKF_B[3][:] = [8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0, 0.0]
RKF_B[4][:] = [-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0, -5643.0 / 20520.0]
RKF_C[:] = [902880.0 / 7618050.0, 0.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0, -1371249.0 / 7618050.0,
            277020.0 / 7618050.0]
RKF_E[:] = [1.0 / 360.0, 0.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0]

DEF RKF_ORDER = 5
DEF MAX_ODE_ROWS = 1024  # slots and the integrator's own rows (engine/program.py checks the limits)
DEF MAX_ODE_STATES = 64
# Attempts a neuron may make in one time step.  The models NEST integrates this way need a few dozen at
# most; a stiff or exploding system (hh driven far out of its range) would need millions and hold up the
# whole run, as it does in NEST: after these it takes the rest of the step at once.
DEF MAX_ATTEMPTS = 1000
MAX_ADAPTIVE_ROWS = MAX_ODE_ROWS
MAX_ADAPTIVE_STATES = MAX_ODE_STATES


cdef inline double _stage_sum(int stage, double** K, Py_ssize_t i, Py_ssize_t ns, Py_ssize_t q) noexcept nogil:
    """GSL's bracket for the state of stage ``stage + 1``: the sum of b[stage][j] k_j in GSL's order."""
    cdef double acc = RKF_B[stage][0] * K[i][q]
    cdef int j
    for j in range(1, stage + 1):
        acc = acc + RKF_B[stage][j] * K[j * ns + i][q]
    return acc


cdef void _rkf45_block(const int32_t* sub, int nrhs, int nevent, const double* consts, const double* layout,
                       double** rows, double* R, Py_ssize_t j0, Py_ssize_t n, int64_t step, double dt,
                       uint64_t seed, Py_ssize_t ntotal) noexcept nogil:
    """Advance neurons ``j0`` to ``j0 + n`` over one step as NEST's GSL models do (docs/integration.md).

    Each neuron takes steps of its own size (``gsl_odeiv_evolve_apply`` with GSL's ``rkf45`` stepper and
    standard step control); after each accepted one the second program tests the threshold and resets.
    The neurons still inside the step are packed into rows of their own and integrated together, one
    attempt each per round.  ``sub`` holds the derivative program (``nrhs`` instructions), then the
    threshold-and-reset program (``nevent``); ``layout`` is the compiler's description (engine/program.py).
    """
    cdef Py_ssize_t nslots = <Py_ssize_t>layout[0], ns = <Py_ssize_t>layout[1]
    cdef double* Rsub = R + <Py_ssize_t>layout[2] * BLOCK
    cdef double* S = R + <Py_ssize_t>layout[3] * BLOCK
    cdef double eps_abs = layout[4], eps_rel = layout[5], a_y = layout[6], a_dydt = layout[7]
    cdef double* hslot = rows[<Py_ssize_t>layout[8]] + j0
    cdef double* fslot = rows[<Py_ssize_t>layout[9]] + j0 if nevent else NULL
    # The time step in the model's units (a network's kernel passes ``dt`` in seconds).
    cdef double h_step = layout[10]
    cdef Py_ssize_t nwritten = <Py_ssize_t>layout[11]
    cdef const double* states = layout + 12
    cdef const double* written = layout + 12 + ns
    cdef Py_ssize_t nlocal = nslots + 4 + ns
    cdef double* local[MAX_ODE_ROWS]
    cdef double* K[6 * MAX_ODE_STATES]
    cdef double* Y0[MAX_ODE_STATES]
    cdef double* YN[MAX_ODE_STATES]
    cdef double* YE[MAX_ODE_STATES]
    cdef double* DOUT[MAX_ODE_STATES]
    cdef int32_t act[BLOCK]
    cdef Py_ssize_t i, k, q, m, s
    cdef int stage
    cdef double h, h_old, rem, r, rmax, d0, t_after, t_base = <double>step * h_step
    cdef bint finite
    cdef double* src
    cdef double* out
    cdef double* y
    for i in range(nlocal):
        local[i] = S + i * BLOCK
    cdef double* T = local[nslots]
    cdef double* NR = local[nslots + 1]
    cdef double* IX = local[nslots + 2]
    cdef double* FIRED = local[nslots + 3 + ns]
    cdef double* w = S + nlocal * BLOCK
    for i in range(ns):
        Y0[i] = w + i * BLOCK
        YN[i] = w + (ns + i) * BLOCK
        YE[i] = w + (2 * ns + i) * BLOCK
        DOUT[i] = w + (3 * ns + i) * BLOCK
    for i in range(6 * ns):
        K[i] = w + (4 * ns + i) * BLOCK
    w = w + 10 * ns * BLOCK
    cdef double* tl = w
    cdef double* hh = w + BLOCK
    cdef double* nr = w + 2 * BLOCK
    cdef double* fired = w + 3 * BLOCK
    cdef double* h0 = w + 4 * BLOCK
    cdef double* t0 = w + 5 * BLOCK
    cdef double* final = w + 6 * BLOCK
    cdef double* accepted = w + 7 * BLOCK
    cdef double* tries = w + 8 * BLOCK
    for k in range(n):
        tl[k] = 0.0
        tries[k] = 0.0
        hh[k] = hslot[k] if hslot[k] > 0.0 else h_step
        nr[k] = R[k]
        fired[k] = 0.0
    while True:
        m = 0
        for k in range(n):
            if tl[k] < h_step:
                act[m] = <int32_t>k
                m += 1
        if m == 0:
            break
        for s in range(nslots):
            src = rows[s] + j0
            out = local[s]
            for q in range(m):
                out[q] = src[act[q]]
        for q in range(m):
            k = act[q]
            t0[q] = tl[k]
            NR[q] = nr[k]
            IX[q] = <double>(j0 + k)
            # evolve_apply: a step past the end of the interval is cut to end there (final 1).  A neuron out of
            # attempts for this time step takes the rest of it at once, whatever its error (final 2).
            rem = h_step - tl[k]
            tries[k] += 1.0
            final[q] = 2.0 if tries[k] > MAX_ATTEMPTS else <double>(hh[k] > rem)
            h0[q] = rem if final[q] != 0.0 else hh[k]
        for i in range(ns):
            src = local[<Py_ssize_t>states[i]]
            for q in range(m):
                Y0[i][q] = src[q]
        # k1 at (t0, y0), then five more stages.
        for stage in range(6):
            for i in range(ns):
                local[nslots + 3 + i] = K[stage * ns + i]
            if stage > 0:
                for i in range(ns):
                    y = local[<Py_ssize_t>states[i]]
                    if stage == 1:
                        for q in range(m):
                            y[q] = Y0[i][q] + RKF_A[0] * h0[q] * K[i][q]
                    else:
                        for q in range(m):
                            y[q] = Y0[i][q] + h0[q] * _stage_sum(stage - 1, K, i, ns, q)
            for q in range(m):
                T[q] = t_base + (t0[q] + (RKF_A[stage - 1] * h0[q] if stage > 0 else 0.0))
            _float_block(sub, nrhs, consts, local, Rsub, 0, m, step, dt, seed, ntotal)
        for i in range(ns):
            y = local[<Py_ssize_t>states[i]]
            for q in range(m):
                YN[i][q] = Y0[i][q] + h0[q] * (RKF_C[0] * K[i][q] + RKF_C[2] * K[2 * ns + i][q]
                                               + RKF_C[3] * K[3 * ns + i][q] + RKF_C[4] * K[4 * ns + i][q]
                                               + RKF_C[5] * K[5 * ns + i][q])
                YE[i][q] = h0[q] * (RKF_E[0] * K[i][q] + RKF_E[2] * K[2 * ns + i][q] + RKF_E[3] * K[3 * ns + i][q]
                                    + RKF_E[4] * K[4 * ns + i][q] + RKF_E[5] * K[5 * ns + i][q])
                y[q] = YN[i][q]
        if a_dydt != 0.0:
            for i in range(ns):
                local[nslots + 3 + i] = DOUT[i]
            for q in range(m):
                T[q] = t_base + (t0[q] + h0[q])
            _float_block(sub, nrhs, consts, local, Rsub, 0, m, step, dt, seed, ntotal)
        # GSL's standard control (ode-initval/cstd.c) and evolve_apply's retry of a step it shrinks.
        for q in range(m):
            k = act[q]
            h_old = h0[q]
            rmax = DBL_MIN
            finite = True
            for i in range(ns):
                d0 = eps_rel * (a_y * fabs(YN[i][q]) + a_dydt * fabs(h_old * DOUT[i][q])) + eps_abs
                r = fabs(YE[i][q]) / fabs(d0)
                rmax = r if r > rmax else rmax
                finite = finite and YN[i][q] - YN[i][q] == 0.0
            h = h_old
            t_after = h_step if final[q] != 0.0 else t0[q] + h_old
            accepted[q] = 1.0
            if not finite:
                # A state that is no longer finite ends the neuron's step (NEST would stop with an error; a
                # network stops at it, a lone neuron runs on): shrinking steps would never get past it.
                t_after = h_step
                h = h_step
            elif final[q] == 2.0:
                h = hh[k]
            elif rmax > 1.1:
                r = 0.9 / pow(rmax, 1.0 / RKF_ORDER)
                h = (r if r > 0.2 else 0.2) * h_old
                if fabs(h) < fabs(h_old) and t_after + h != t_after:
                    accepted[q] = 0.0
                else:
                    h = h_old
            elif rmax < 0.5:
                r = 0.9 / pow(rmax, 1.0 / (RKF_ORDER + 1.0))
                r = 5.0 if r > 5.0 else r
                h = (1.0 if r < 1.0 else r) * h_old
            hh[k] = h
            if accepted[q] != 0.0:
                tl[k] = t_after
            else:
                NR[q] = 0.0
            T[q] = t_base + tl[k]
        if nevent:
            _float_block(sub + nrhs * 5, nevent, consts, local, Rsub, 0, m, step, dt, seed, ntotal)
        for q in range(m):
            if accepted[q] == 0.0:
                continue
            k = act[q]
            for i in range(nwritten):
                s = <Py_ssize_t>written[i]
                rows[s][j0 + k] = local[s][q]
            if nevent:
                nr[k] = NR[q]
                if FIRED[q] != 0.0:
                    fired[k] = 1.0
    for k in range(n):
        hslot[k] = hh[k]
        if nevent:
            fslot[k] = fired[k]


cdef inline int64_t fx_limit(int64_t x, int bits, int wrap, bint* bad) noexcept nogil:
    cdef int64_t lo = -((<int64_t>1) << (bits - 1))
    cdef int64_t hi = ((<int64_t>1) << (bits - 1)) - 1
    cdef uint64_t mask
    if x < lo or x > hi:
        bad[0] = True
        if wrap:
            mask = ((<uint64_t>1) << bits) - 1
            return <int64_t>((<uint64_t>(x - lo)) & mask) + lo
        return lo if x < lo else hi
    return x


cdef inline int64_t fx_shift(int64_t p, int s, int nearest) noexcept nogil:
    if s == 0:
        return p
    if nearest:
        p = p + ((<int64_t>1) << (s - 1))
    return p >> s


cdef inline int64_t fx_floor_div(int64_t a, int64_t b) noexcept nogil:
    # C division truncates toward zero, which is the rule (docs/fixed-point.md).
    return a / b


cdef int _fixed_block(const FixedProgram* fp, int64_t** rows, int64_t* R, Py_ssize_t j0, Py_ssize_t n,
                      int64_t step, uint64_t seed, Py_ssize_t ntotal) noexcept nogil:
    cdef const int32_t* code = fp.code
    cdef const int64_t* consts = fp.consts
    cdef const int64_t* knots = fp.knots
    cdef const int64_t* tables = fp.tables
    cdef int64_t* overflows = fp.overflows
    cdef Py_ssize_t pc = 0, ninstr = fp.ninstr, k
    cdef int frac = fp.frac, acc = fp.acc, total = fp.total, wrap = fp.wrap, nearest = fp.nearest
    cdef int64_t dt_q = fp.dt_q
    cdef int op, dst, a, b, c, j
    cdef int64_t* rd
    cdef int64_t* ra
    cdef int64_t* rb
    cdef int64_t* rc
    cdef int64_t* s
    cdef int64_t v, lo, hi, num, q, dd, kk, r, base
    cdef int64_t amax = ((<int64_t>1) << (acc - 1)) - 1
    cdef int64_t amin = -amax - 1
    cdef int64_t tlo, tshift, toff, tseg
    cdef bint bad = False, any_set
    cdef int64_t nbad = 0
    cdef int rshift = 64 - frac
    while pc < ninstr:
        op = code[pc * 5 + 0]
        dst = code[pc * 5 + 1]
        a = code[pc * 5 + 2]
        b = code[pc * 5 + 3]
        c = code[pc * 5 + 4]
        rd = R + dst * BLOCK
        ra = R + a * BLOCK
        rb = R + b * BLOCK
        rc = R + c * BLOCK
        if op == OP_LOAD:
            s = rows[a] + j0
            for k in range(n):
                rd[k] = s[k]
        elif op == OP_LOADK:
            v = consts[a]
            for k in range(n):
                rd[k] = v
        elif op == OP_STORE or op == OP_STOREIF:
            s = rows[dst] + j0
            for k in range(n):
                if op == OP_STOREIF and rb[k] == 0:
                    continue
                bad = False
                s[k] = fx_limit(ra[k], total, wrap, &bad)
                if bad:
                    overflows[dst] += 1
            # Accumulator overflows of the statement are charged to the slot it stores.
            overflows[dst] += nbad
            nbad = 0
        elif op == OP_ADD or op == OP_SUB or op == OP_ADDK:
            for k in range(n):
                bad = False
                if op == OP_ADD:
                    v = ra[k] + rb[k]
                elif op == OP_SUB:
                    v = ra[k] - rb[k]
                else:
                    v = ra[k] + consts[b]
                rd[k] = fx_limit(v, acc, wrap, &bad)
                nbad += bad
        elif op == OP_MUL:
            for k in range(n):
                bad = False
                rd[k] = fx_limit(fx_shift(ra[k] * rb[k], frac, nearest), acc, wrap, &bad)
                nbad += bad
        elif op == OP_MULK:
            # The factor has its own precision: consts[b] / 2**(frac + c), c >= 0 extra fraction bits
            # (docs/fixed-point.md section 3); |consts[b]| < 2**31, so the product fits int64.
            v = consts[b]
            for k in range(n):
                bad = False
                rd[k] = fx_limit(fx_shift(ra[k] * v, frac + c, nearest), acc, wrap, &bad)
                nbad += bad
        elif op == OP_DIV:
            for k in range(n):
                bad = False
                if rb[k] == 0:
                    rd[k] = amax if ra[k] >= 0 else amin
                    nbad += 1
                else:
                    num = ra[k] * ((<int64_t>1) << frac)
                    rd[k] = fx_limit(num / rb[k], acc, wrap, &bad)
                    nbad += bad
        elif op == OP_NEG:
            for k in range(n):
                bad = False
                rd[k] = fx_limit(-ra[k], acc, wrap, &bad)
                nbad += bad
        elif OP_LT <= op <= OP_SELECT:
            _logic(op, rd, ra, rb, rc, n)
        elif op == OP_CALL:
            for k in range(n):
                v = ra[k]
                if b == FN_ABS:
                    bad = False
                    rd[k] = fx_limit(-v if v < 0 else v, acc, wrap, &bad)
                    nbad += bad
                elif b == FN_FLOOR:
                    rd[k] = (v >> frac) << frac
                else:
                    # ceil can step past the largest value; every result is limited like any operation's.
                    if b == FN_CEIL:
                        v = -(((-v) >> frac) << frac)
                    elif b == FN_INT:
                        v = ((v >> frac) << frac) if v >= 0 else -(((-v) >> frac) << frac)
                    elif b == FN_SIGN:
                        v = ((v > 0) - (v < 0)) * ((<int64_t>1) << frac)
                    bad = False
                    rd[k] = fx_limit(v, acc, wrap, &bad)
                    nbad += bad
        elif op == OP_TABLE:
            tlo = tables[b * 4 + 0]
            tshift = tables[b * 4 + 1]
            toff = tables[b * 4 + 2]
            tseg = tables[b * 4 + 3]
            for k in range(n):
                dd = ra[k] - tlo
                if dd < 0:
                    rd[k] = knots[toff]
                elif dd >= (tseg << tshift):
                    rd[k] = knots[toff + tseg]
                else:
                    kk = dd >> tshift
                    r = dd - (kk << tshift)
                    base = knots[toff + kk]
                    rd[k] = base + fx_shift((knots[toff + kk + 1] - base) * r, <int>tshift, nearest)
        elif op == OP_CLIP:
            for k in range(n):
                v = ra[k]
                lo = rb[k]
                hi = rc[k]
                rd[k] = lo if v < lo else (hi if v > hi else v)
        elif op == OP_RAND:
            for k in range(n):
                rd[k] = 0 if frac == 0 else <int64_t>(random_bits(seed, j0 + k, step, 2 * <uint64_t>a) >> rshift)
        elif op == OP_RANDN:
            for k in range(n):
                v = 0
                if frac > 0:
                    for j in range(12):
                        v += <int64_t>(random_bits(seed, j0 + k, step, IRWIN_HALL_SITES + 16 * <uint64_t>a + j) >> rshift)
                bad = False
                rd[k] = fx_limit(v - 6 * ((<int64_t>1) << frac), acc, wrap, &bad)
                nbad += bad
        elif op == OP_SPECIAL:
            for k in range(n):
                bad = False
                if a == 0:
                    rd[k] = fx_limit(step * dt_q, acc, 0, &bad)
                elif a == 1:
                    rd[k] = dt_q
                elif a == 2:
                    rd[k] = fx_limit((j0 + k) * ((<int64_t>1) << frac), acc, 0, &bad)
                else:
                    rd[k] = fx_limit(ntotal * ((<int64_t>1) << frac), acc, 0, &bad)
        elif op == OP_SKIPNONE:
            any_set = False
            for k in range(n):
                if ra[k] != 0:
                    any_set = True
                    break
            if not any_set:
                pc += b
        pc += 1
    return 0


cdef Py_ssize_t float64_population_step(const int32_t* code, Py_ssize_t ninstr, const double* consts,
                                        double** rows, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t N, double* R,
                                        int ref_mode, Py_ssize_t lastspike_slot, int32_t* refc,
                                        const int32_t* ref_steps, int64_t step, double dt, uint64_t seed,
                                        int32_t* spikes) noexcept nogil:
    """One step of neurons ``lo`` to ``hi`` (of ``N``), block by block; their spiking indices go to ``spikes``
    in order; returns their count.

    ``rows[i]`` points at the values of slot ``i`` for all neurons (normally row
    ``i`` of the slots array; the network points input rows at its delay rings).
    Every neuron's result is its own: any split of ``[0, N)`` gives the same bits.
    """
    cdef Py_ssize_t j0 = lo, n, k, nspk = 0
    cdef double* spk = R + BLOCK
    cdef double t_end = <double>((step + 1) * dt)
    while j0 < hi:
        n = BLOCK if hi - j0 > BLOCK else hi - j0
        if ref_mode != 2:
            for k in range(n):
                R[k] = 1.0 if (ref_mode == 0 or refc[j0 + k] == 0) else 0.0
        _float_block(code, ninstr, consts, rows, R, j0, n, step, dt, seed, N)
        for k in range(n):
            if spk[k] != 0.0:
                refc[j0 + k] = ref_steps[j0 + k]
                rows[lastspike_slot][j0 + k] = t_end
                spikes[nspk] = <int32_t>(j0 + k)
                nspk += 1
            elif refc[j0 + k] > 0:
                refc[j0 + k] -= 1
        j0 += BLOCK
    return nspk


cdef Py_ssize_t fixed_population_step(const FixedProgram* fp, int64_t** rows, Py_ssize_t lo, Py_ssize_t hi,
                                      Py_ssize_t N, int64_t* R, int32_t* refc, const int32_t* ref_steps,
                                      int64_t step, uint64_t seed, int32_t* spikes) noexcept nogil:
    """One fixed-point step of neurons ``lo`` to ``hi`` (of ``N``; docs/fixed-point.md section 9); returns
    the spike count.  Saturations are counted in ``fp.overflows``."""
    cdef Py_ssize_t j0 = lo, n, k, nspk = 0
    cdef bint bad = False
    cdef int64_t t_end = fx_limit((step + 1) * fp.dt_q, fp.total, 0, &bad)
    while j0 < hi:
        n = BLOCK if hi - j0 > BLOCK else hi - j0
        if fp.ref_mode != 2:
            for k in range(n):
                R[k] = 1 if (fp.ref_mode == 0 or refc[j0 + k] == 0) else 0
        _fixed_block(fp, rows, R, j0, n, step, seed, N)
        for k in range(n):
            if R[BLOCK + k] != 0:
                refc[j0 + k] = ref_steps[j0 + k]
                rows[fp.lastspike_slot][j0 + k] = t_end
                spikes[nspk] = <int32_t>(j0 + k)
                nspk += 1
            elif refc[j0 + k] > 0:
                refc[j0 + k] -= 1
        j0 += BLOCK
    return nspk


cdef class FixedVM:
    """Runs a compiled fixed-point program (int64 slots holding Q-format integers)."""

    def __init__(self, code, consts, Py_ssize_t nregs, int ref_mode, Py_ssize_t lastspike_slot,
                 int frac, int acc, int total, bint wrap, bint nearest, int64_t dt_q, knots, tables,
                 Py_ssize_t nslots):
        self.code = np.ascontiguousarray(code, dtype=np.int32)
        self.consts = np.ascontiguousarray(consts, dtype=np.int64)
        self.nregs = max(nregs, 2)
        self.ref_mode = ref_mode
        self.lastspike_slot = lastspike_slot
        self.frac, self.acc, self.total = frac, acc, total
        self.wrap, self.nearest = wrap, nearest
        self.dt_q = dt_q
        self.knots = np.ascontiguousarray(knots, dtype=np.int64) if len(knots) else np.zeros(1, np.int64)
        self.tables = (np.ascontiguousarray(tables, dtype=np.int64).reshape(-1, 4)
                       if len(tables) else np.zeros((1, 4), np.int64))
        self.overflows = np.zeros(nslots, dtype=np.int64)

    cdef FixedProgram program(self):
        """The C view of this program; valid while this object lives."""
        cdef FixedProgram fp
        cdef const int32_t[:, ::1] code = self.code
        cdef const int64_t[::1] consts = self.consts
        cdef const int64_t[::1] knots = self.knots
        cdef const int64_t[:, ::1] tables = self.tables
        cdef int64_t[::1] overflows = self.overflows
        fp.code = &code[0, 0]
        fp.ninstr = code.shape[0]
        fp.consts = &consts[0]
        fp.knots = &knots[0]
        fp.tables = &tables[0, 0]
        fp.overflows = &overflows[0]
        fp.ref_mode = self.ref_mode
        fp.lastspike_slot = self.lastspike_slot
        fp.frac, fp.acc, fp.total, fp.wrap, fp.nearest = self.frac, self.acc, self.total, self.wrap, self.nearest
        fp.dt_q = self.dt_q
        return fp


def random_bits_array(uint64_t seed, uint64_t[::1] neurons, uint64_t step, uint64_t site):
    """The VM's counter-based random bits (exposed so tests can check the NumPy reference)."""
    out = np.empty(neurons.shape[0], dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef Py_ssize_t k
    for k in range(neurons.shape[0]):
        o[k] = random_bits(seed, neurons[k], step, site)
    return out
