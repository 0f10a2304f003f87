/*
 * hash.h - a fast 64-bit content hash, for identities that are checked,
 * not trusted: a resumed run compares the initial values of its arrays
 * with the ones the journal's tasks were computed from. Speed matters
 * (an initial value may be gigabytes, hashed when it is declared), so it
 * reads eight bytes per step (a multiply-xorshift mix, ~5 GB/s); it is
 * not collision-resistant against an adversary (base/sha256.h is).
 */
#ifndef TESS_BASE_HASH_H
#define TESS_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH64_SEED 0x9e3779b97f4a7c15ull

static inline uint64_t hash64_mix(uint64_t h, uint64_t w)
{
    h ^= w * 0xbf58476d1ce4e5b9ull;
    h = (h << 31 | h >> 33) * 0x94d049bb133111ebull;
    return h;
}

/* h continued over n bytes at p (start with HASH64_SEED). The result
 * depends on the bytes and their number, not on the buffer's alignment. */
static inline uint64_t hash64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, b + i, 8);
        h = hash64_mix(h, w);
    }
    w = 0;
    memcpy(&w, b + i, n - i);
    h = hash64_mix(h, w ^ ((uint64_t)n << 56));
    return h ^ h >> 29;
}

#endif
