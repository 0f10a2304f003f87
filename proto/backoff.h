/*
 * backoff.h - how an MPI rank waits without burning a core.
 *
 * OpenMPI's blocking calls poll the network at full speed; a rank with
 * nothing to do must not. Waiters therefore poll (MPI_Iprobe) in a loop:
 * first they spin (poll and yield) for a bounded time, spin_ns (default
 * 50 us, TESS_SPIN_US): a message that comes soon, as in a stream of short
 * tasks, is seen without a sleep, which costs tens of microseconds of
 * wake-up on a virtual machine; then they pause, each pause 1/16 of the
 * time waited so far (at least 16 us, at most 20 ms). A completion is thus
 * noticed at most ~6% after it happened, and a rank idle for seconds wakes
 * 50 times a second for a few microseconds (~0% CPU). Waiters that can
 * predict when a message will come (the engine knows how long tasks take,
 * and tells idle workers) sleep until shortly before it and poll around
 * it instead; when the prediction fails they pause at most 1 ms
 * (BACKOFF_ALERT_NS) while the message is still expected (see
 * runtime/exec_mpi.c, mpi_worker/worker.c).
 */
#ifndef TESS_PROTO_BACKOFF_H
#define TESS_PROTO_BACKOFF_H

#include <sched.h>
#include <stdlib.h>
#include <time.h>

typedef struct backoff {
    long spin_ns;
    long max_ns; /* the longest pause (BACKOFF_MAX_NS, or ALERT) */
    struct timespec start;
    int started;
} backoff_t;

#define BACKOFF_MIN_NS 16000L
#define BACKOFF_MAX_NS 20000000L
#define BACKOFF_SPIN_NS 50000L
/* The longest pause while a message is expected but its time is unknown
 * (a task out overran its predicted end): ~1000 wake-ups a second, a few
 * microseconds each, instead of up to 20 ms late. */
#define BACKOFF_ALERT_NS 1000000L

/* The spin of every waiter of this process (TESS_SPIN_US, microseconds). */
static inline long backoff_spin_ns(void)
{
    static long spin = -1;
    if (spin < 0) {
        const char *e = getenv("TESS_SPIN_US");
        long v = e && *e ? strtol(e, NULL, 10) : -1;
        spin = v >= 0 && v <= 10000000L ? v * 1000L : BACKOFF_SPIN_NS;
    }
    return spin;
}

static inline void backoff_reset(backoff_t *b)
{
    b->spin_ns = backoff_spin_ns();
    b->max_ns = BACKOFF_MAX_NS;
    b->started = 0;
}

static inline long backoff_elapsed(const backoff_t *b)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - b->start.tv_sec) * 1000000000L +
           (now.tv_nsec - b->start.tv_nsec);
}

/* Nanoseconds to pause before the next poll; 0 means yield only. */
static inline long backoff_next(backoff_t *b)
{
    if (!b->started) {
        clock_gettime(CLOCK_MONOTONIC, &b->start);
        b->started = 1;
        return 0;
    }
    long waited = backoff_elapsed(b);
    if (waited < b->spin_ns)
        return 0;
    long ns = waited / 16;
    if (ns < BACKOFF_MIN_NS)
        ns = BACKOFF_MIN_NS;
    if (ns > b->max_ns)
        ns = b->max_ns;
    return ns;
}

/* Pause for ns nanoseconds (0: yield). */
static inline void backoff_sleep(long ns)
{
    if (ns <= 0) {
        sched_yield();
        return;
    }
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
}

/* Pause as backoff_next() says: yield, or sleep. */
static inline void backoff_pause(backoff_t *b)
{
    backoff_sleep(backoff_next(b));
}

#endif
