/*
 * clock.h - the two clocks Tessera reads, in the two units it needs.
 *
 * Monotonic time measures intervals (time-outs, back-off, rates): it never
 * jumps when an administrator or NTP sets the date. Wall time is what
 * records carry (trace.csv, status.txt, the journal): it is comparable
 * between the nodes of a run, which monotonic time is not.
 */
#ifndef TESS_BASE_CLOCK_H
#define TESS_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in seconds. */
static inline double clock_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Monotonic time in nanoseconds. */
static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wall-clock time (seconds since the epoch). */
static inline double clock_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall-clock time in nanoseconds since the epoch. */
static inline uint64_t clock_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
