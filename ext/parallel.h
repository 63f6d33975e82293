/* A team of threads for the network's step loop (ext/network.pyx), with OpenMP where the compiler has it.
 *
 * ncs_team(T, fn, arg) runs fn(arg, tid) on T threads at once and returns how many it got; without OpenMP
 * (or for T == 1) the calling thread runs fn(arg, 0) alone.  ncs_barrier_wait(b, T) waits until all T
 * threads have reached barrier b: it spins briefly (on an idle machine the others arrive within
 * microseconds), then sleeps on a futex, so a thread that the scheduler has parked (a busy machine, the
 * GUI thread) does not have the others burn its core while they wait.  The loads and stores below are
 * relaxed atomics: flags that one thread sets and the others read after a barrier, which orders them. */
#include <limits.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <sched.h>
#endif

#define NCS_SPINS 4000

typedef struct {
    int arrived;               /* threads at the barrier in this phase */
    int phase;                 /* bumped by the last one to arrive */
    int sleepers;              /* threads asleep on phase */
    char pad[52];
} ncs_barrier;

typedef void (*ncs_task)(void *arg, int tid);

static int ncs_have_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

static int ncs_team(int T, ncs_task fn, void *arg)
{
    if (T <= 1) {
        fn(arg, 0);
        return 1;
    }
#ifdef _OPENMP
    int got = 0;
    /* Every thread sees the team's size: all of them run, or none (a runtime limit gave fewer). */
#pragma omp parallel num_threads(T)
    {
#pragma omp single
        got = omp_get_num_threads();
        if (got == T)
            fn(arg, omp_get_thread_num());
    }
    return got;
#else
    return 1;
#endif
}

static inline void ncs_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void ncs_barrier_wait(ncs_barrier *b, int T)
{
    const int phase = __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == T) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->phase, phase + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) > 0) {
#ifdef __linux__
            syscall(SYS_futex, &b->phase, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
        }
        return;
    }
    for (int i = 0; i < NCS_SPINS; i++) {
        if (__atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) != phase)
            return;
        ncs_pause();
    }
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->phase, __ATOMIC_SEQ_CST) == phase) {
#ifdef __linux__
        syscall(SYS_futex, &b->phase, FUTEX_WAIT_PRIVATE, phase, NULL, NULL, 0);
#else
        sched_yield();
#endif
    }
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
}

static inline int64_t ncs_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void ncs_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
