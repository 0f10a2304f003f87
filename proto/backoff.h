/*
 * backoff.h - how an MPI rank waits without spinning on a core.
 *
 * OpenMPI's blocking calls poll the network at full speed; a rank with
 * nothing to do must not. Waiters therefore poll (MPI_Iprobe) in a loop
 * whose pauses grow with the time already waited: a short phase of yields
 * keeps latency low while tasks stream, then each pause is 1/16 of the wait
 * so far (at least 16 us, at most 20 ms). A completion is thus noticed at
 * most ~6% after it happened, and a rank idle for seconds wakes 50 times a
 * second for a few microseconds (~0% CPU).
 */
#ifndef TESS_PROTO_BACKOFF_H
#define TESS_PROTO_BACKOFF_H

#include <sched.h>
#include <time.h>

typedef struct backoff {
    unsigned spins;
    struct timespec start;
} backoff_t;

#define BACKOFF_SPINS 64
#define BACKOFF_MIN_NS 16000L
#define BACKOFF_MAX_NS 20000000L

static inline void backoff_reset(backoff_t *b)
{
    b->spins = 0;
}

/* Nanoseconds to pause before the next poll; 0 means yield only. */
static inline long backoff_next(backoff_t *b)
{
    struct timespec now;
    if (b->spins < BACKOFF_SPINS) {
        if (b->spins++ == 0)
            clock_gettime(CLOCK_MONOTONIC, &b->start);
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited = (long)(now.tv_sec - b->start.tv_sec) * 1000000000L +
                  (now.tv_nsec - b->start.tv_nsec);
    long ns = waited / 16;
    if (ns < BACKOFF_MIN_NS)
        ns = BACKOFF_MIN_NS;
    if (ns > BACKOFF_MAX_NS)
        ns = BACKOFF_MAX_NS;
    return ns;
}

/* Pause as backoff_next() says: yield, or sleep. */
static inline void backoff_pause(backoff_t *b)
{
    long ns = backoff_next(b);
    if (ns == 0) {
        sched_yield();
    } else {
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
    }
}

#endif
