/* A team of threads for the network's step loop (ext/network.pyx), with OpenMP where the compiler has it.
 *
 * ncs_team(T, fn, arg) runs fn(arg, tid) on T threads at once and returns how many it got; without OpenMP
 * (or for T == 1) the calling thread runs fn(arg, 0) alone.  ncs_barrier() waits for the whole team (an
 * orphaned OpenMP barrier: it binds to the team running the caller).  The loads and stores below are
 * relaxed atomics: flags that one thread sets and the others read after a barrier, which orders them. */
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

static inline void ncs_barrier(void)
{
#ifdef _OPENMP
#pragma omp barrier
#endif
}

static inline int64_t ncs_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void ncs_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
