/*
 * backoff.h - how an MPI rank waits without spinning on a core.
 *
 * OpenMPI's blocking receives poll the network at full speed; a rank with
 * nothing to do must not. Waiters therefore poll (MPI_Iprobe) in a loop
 * whose pauses grow: a short phase of yields keeps latency low while tasks
 * stream, then sleeps double from 16 us up to 1 ms, so an idle rank wakes
 * about a thousand times a second for a few microseconds (~0% CPU).
 */
#ifndef TESS_ENGINE_BACKOFF_H
#define TESS_ENGINE_BACKOFF_H

typedef struct backoff {
    unsigned spins;
    long sleep_ns;
} backoff_t;

#define BACKOFF_SPINS 64
#define BACKOFF_MIN_NS 16000L
#define BACKOFF_MAX_NS 1000000L

static inline void backoff_reset(backoff_t *b)
{
    b->spins = 0;
    b->sleep_ns = 0;
}

/* Nanoseconds to pause before the next poll; 0 means yield only. */
static inline long backoff_next(backoff_t *b)
{
    if (b->spins < BACKOFF_SPINS) {
        b->spins++;
        return 0;
    }
    b->sleep_ns = b->sleep_ns ? b->sleep_ns * 2 : BACKOFF_MIN_NS;
    if (b->sleep_ns > BACKOFF_MAX_NS)
        b->sleep_ns = BACKOFF_MAX_NS;
    return b->sleep_ns;
}

#endif
