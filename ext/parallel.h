/* A team of threads for the network's step loop (ext/network.pyx), on POSIX threads.
 *
 * ncs_team_start(team, T) starts T - 1 members beside the caller, which is thread 0; ncs_team_run(team, fn,
 * arg) runs fn(arg, tid) on all of them at once and returns when every one is done; ncs_team_stop ends them.
 * A kernel keeps its team from chunk to chunk: between chunks the members sleep on a futex (after a brief
 * spin), so the caller's Python work (devices, recorders) has the cores; threads created anew for every
 * chunk made CUBA on two threads about 15 % slower.  ncs_barrier_wait(b, T) waits until all T threads have
 * reached barrier b: it spins up to NCS_SPIN_NS (on an idle machine the others arrive within microseconds), then
 * sleeps on a futex, so a thread that the scheduler has parked (a busy machine, the GUI thread) does not
 * have the others burn its core while they wait; ncs_barrier_arrive and ncs_barrier_await split it, so a thread
 * may do work that needs no other thread while it waits (ext/network.pyx draws the next step's Poisson counts).
 * ncs_load/ncs_store are relaxed atomics: flags that one thread sets and the others read after a barrier,
 * which orders them. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#else
#include <sched.h>
#endif

/* How long a waiting thread spins before it sleeps on a futex.  Under a hypervisor a futex sleep and the wake-up
 * that ends it cost tens of microseconds (an idle virtual processor halts and is woken through the host); with
 * a barrier every step (CUBA, COBA, the microcircuit: their shortest delay is one step) the 256 pauses spun
 * before (6 us on Zen 4, 0.4 us on Zen 1) ended in a sleep at most barriers, and two threads were slower than
 * one.  A bound in time, not in pauses, since a pause takes 1.5 ns on one processor and 25 ns on another;
 * short beside a scheduler's time slice, so a thread whose partner was parked still gives its core up soon. */
#ifndef NCS_SPIN_NS
#define NCS_SPIN_NS 50000
#endif
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

/* Spins while *word is value, at most NCS_SPIN_NS: whether it changed meanwhile. */
static int ncs_spin_while(const int *word, int value)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value)
                return 1;
            ncs_pause();
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) > NCS_SPIN_NS)
            return 0;
    }
}

/* Arrives at barrier b: 0 when this thread was the last of the T (the barrier is passed), else 1 and the
 * phase to await (ncs_barrier_passed, ncs_barrier_await); the thread may work in between. */
static int ncs_barrier_arrive(ncs_barrier *b, int T, int *phase)
{
    *phase = __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == T) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->phase, *phase + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) > 0)
            ncs_wake_all(&b->phase);
        return 0;
    }
    return 1;
}

/* Whether every thread has arrived in ``phase``. */
static inline int ncs_barrier_passed(const ncs_barrier *b, int phase)
{
    return __atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) != phase;
}

/* Waits until every thread has arrived in ``phase``. */
static void ncs_barrier_await(ncs_barrier *b, int phase)
{
    if (ncs_spin_while(&b->phase, phase))
        return;
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->phase, __ATOMIC_SEQ_CST) == phase)
        ncs_sleep_while(&b->phase, phase);
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
}

static void ncs_barrier_wait(ncs_barrier *b, int T)
{
    int phase;
    if (ncs_barrier_arrive(b, T, &phase))
        ncs_barrier_await(b, phase);
}

/* Sleeps until *word is no longer value (after a brief spin, as at a barrier). */
static void ncs_wait_while(int *word, int value)
{
    if (ncs_spin_while(word, value))
        return;
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == value)
        ncs_sleep_while(word, value);
}

struct ncs_team;

typedef struct {
    struct ncs_team *team;
    int tid;
} ncs_member;

typedef struct ncs_team {
    int size;                  /* threads, the caller included (1: none started) */
    int generation;            /* bumped for every task and to quit; the members sleep on it */
    int pending;               /* members still running the current task; the caller sleeps on it */
    int quit;
    ncs_task fn;
    void *arg;
    pid_t pid;                 /* the process whose members these are (a forked child has none of them) */
    pthread_t threads[NCS_MAX_TEAM];
    ncs_member members[NCS_MAX_TEAM];
} ncs_team;

static void *ncs_member_main(void *p)
{
    ncs_member *m = (ncs_member *)p;
    ncs_team *team = m->team;
    int seen = 0;
    for (;;) {
        ncs_wait_while(&team->generation, seen);
        seen = __atomic_load_n(&team->generation, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&team->quit, __ATOMIC_ACQUIRE))
            return NULL;
        team->fn(team->arg, m->tid);
        if (__atomic_sub_fetch(&team->pending, 1, __ATOMIC_ACQ_REL) == 0)
            ncs_wake_all(&team->pending);
    }
}

/* Starts T - 1 members beside the caller; returns how many threads the team has (T, or fewer when the system
 * refused a thread). */
static int ncs_team_start(ncs_team *team, int T)
{
    memset(team, 0, sizeof *team);
    team->size = 1;
    team->pid = getpid();
    for (int tid = 1; tid < T && tid < NCS_MAX_TEAM; tid++) {
        team->members[tid] = (ncs_member){team, tid};
        if (pthread_create(&team->threads[tid], NULL, ncs_member_main, &team->members[tid]) != 0)
            break;
        team->size++;
    }
    return team->size;
}

/* Runs fn(arg, tid) on every thread of the team at once, the caller as thread 0, and returns when all are done. */
static void ncs_team_run(ncs_team *team, ncs_task fn, void *arg)
{
    team->fn = fn;
    team->arg = arg;
    __atomic_store_n(&team->pending, team->size - 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&team->generation, 1, __ATOMIC_SEQ_CST);
    ncs_wake_all(&team->generation);
    fn(arg, 0);
    for (int left; (left = __atomic_load_n(&team->pending, __ATOMIC_ACQUIRE)) != 0;)
        ncs_wait_while(&team->pending, left);
}

/* Whether the team's members were started by another process (this one is a forked child, without them). */
static int ncs_team_forked(const ncs_team *team) { return team->pid != getpid(); }

/* Ends the members (in a forked child, where they do not exist, only forgets them). */
static void ncs_team_stop(ncs_team *team)
{
    if (team->size > 1 && !ncs_team_forked(team)) {
        __atomic_store_n(&team->quit, 1, __ATOMIC_RELEASE);
        __atomic_add_fetch(&team->generation, 1, __ATOMIC_SEQ_CST);
        ncs_wake_all(&team->generation);
        for (int tid = 1; tid < team->size; tid++)
            pthread_join(team->threads[tid], NULL);
    }
    team->size = 1;
}

static inline int64_t ncs_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void ncs_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
