/*
 * rng.h - the pseudo-random numbers of the unit tests: splitmix64, the same
 * sequence on every platform (unlike rand()), so a failing seed can be
 * replayed. One generator per test program (static state); include once.
 */
#ifndef TESS_BASE_TEST_RNG_H
#define TESS_BASE_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state;

/* Restart the sequence at @p seed. */
static inline void rnd_seed(uint64_t seed)
{
    rng_state = seed;
}

static inline uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static inline int64_t rnd_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

#endif
