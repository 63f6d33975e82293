/* A team of threads for the network's step loop (ext/network.pyx), on POSIX threads.
 *
 * ncs_team(T, fn, arg) runs fn(arg, tid) on T threads at once (the caller is thread 0) and returns how many
 * it got: T, or fewer when the system refused a thread (then fn runs on none).  The threads live for one
 * call, so between chunks nothing waits or spins and the caller's Python work (devices, recorders) has
 * the cores.  ncs_barrier_wait(b, T) waits until all T threads have reached barrier b: it spins briefly
 * (on an idle machine the others arrive within microseconds), then sleeps on a futex, so a thread that the
 * scheduler has parked (a busy machine, the GUI thread) does not have the others burn its core while they
 * wait.  ncs_load/ncs_store are relaxed atomics: flags that one thread sets and the others read after a
 * barrier, which orders them. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <sched.h>
#endif

#define NCS_SPINS 256
#define NCS_MAX_TEAM 64

typedef void (*ncs_task)(void *arg, int tid);

typedef struct {
    int arrived;               /* threads at the barrier in this phase */
    int phase;                 /* bumped by the last one to arrive */
    int sleepers;              /* threads asleep on phase */
    char pad[52];
} ncs_barrier;

static inline void ncs_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void ncs_sleep_while(int *word, int value)
{
#ifdef __linux__
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
    (void)word;
    (void)value;
    sched_yield();
#endif
}

static void ncs_wake_all(int *word)
{
#ifdef __linux__
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

static void ncs_barrier_wait(ncs_barrier *b, int T)
{
    const int phase = __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == T) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->phase, phase + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) > 0)
            ncs_wake_all(&b->phase);
        return;
    }
    for (int i = 0; i < NCS_SPINS; i++) {
        if (__atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) != phase)
            return;
        ncs_pause();
    }
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->phase, __ATOMIC_SEQ_CST) == phase)
        ncs_sleep_while(&b->phase, phase);
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
}

typedef struct {
    ncs_task fn;
    void *arg;
    int tid;
    int *go;                   /* 0: wait, 1: run, -1: the team is incomplete, return */
} ncs_member;

static void *ncs_member_main(void *p)
{
    ncs_member *m = (ncs_member *)p;
    while (__atomic_load_n(m->go, __ATOMIC_SEQ_CST) == 0)
        ncs_sleep_while(m->go, 0);
    if (__atomic_load_n(m->go, __ATOMIC_SEQ_CST) == 1)
        m->fn(m->arg, m->tid);
    return NULL;
}

static int ncs_team(int T, ncs_task fn, void *arg)
{
    pthread_t threads[NCS_MAX_TEAM];
    ncs_member members[NCS_MAX_TEAM];
    int go = 0, started = 1;
    if (T > NCS_MAX_TEAM)
        return 0;
    for (int tid = 1; tid < T; tid++) {
        members[tid] = (ncs_member){fn, arg, tid, &go};
        if (pthread_create(&threads[tid], NULL, ncs_member_main, &members[tid]) != 0)
            break;
        started++;
    }
    __atomic_store_n(&go, started == T ? 1 : -1, __ATOMIC_SEQ_CST);
    ncs_wake_all(&go);
    if (started == T)
        fn(arg, 0);
    for (int tid = 1; tid < started; tid++)
        pthread_join(threads[tid], NULL);
    return started;
}

static inline int64_t ncs_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void ncs_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
