/*
 * fragcache.h - a bounded in-memory cache of fragment buffers, keyed by
 * (data_id, version), so that a fragment consumed on the rank that produced
 * it is not read back from its file.
 *
 * Least-recently-used entries are evicted to stay within the capacity in
 * bytes (buffer sizes; the cache's own bookkeeping is not counted). Readers
 * pin what they get and unpin when done; pinned entries are never evicted,
 * replaced or freed, so while pins are held the cache may exceed its
 * capacity (it shrinks back as soon as they are released). Lookups and
 * updates are O(1): a chained hash table that grows, and an intrusive LRU
 * list of the unpinned entries.
 *
 * Versions are immutable: an entry is replaced only by a re-execution of its
 * producer, after its readers finished. Hence put() on a pinned key fails
 * (EBUSY) rather than hiding the buffer a reader holds, which also keeps
 * unpin-by-key unambiguous: there is at most one entry per key.
 *
 * Threads: all functions may be called concurrently (one mutex).
 */
#ifndef TESS_IO_FRAGCACHE_H
#define TESS_IO_FRAGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

typedef struct fragcache fragcache_t;

/* What a cached buffer holds: a dense row-major box of an array. */
typedef struct fragcache_meta {
    tess_type_t type;
    int rank;
    int64_t start[TESS_MAX_RANK]; /* position in the whole array */
    int64_t count[TESS_MAX_RANK]; /* extents: the buffer's shape */
} fragcache_meta_t;

typedef struct fragcache_stats {
    uint64_t hits;       /* get() that found an entry */
    uint64_t misses;     /* get() that did not */
    uint64_t evictions;  /* entries evicted to make room */
    uint64_t puts;       /* entries inserted (replacements included) */
    uint64_t rejected;   /* put() of buffers larger than the capacity */
    size_t bytes;        /* bytes of the buffers held now (pinned included) */
    size_t peak_bytes;   /* highest value of bytes */
    size_t capacity;
    size_t entries;      /* entries held now */
    size_t pinned;       /* entries with at least one pin */
} fragcache_stats_t;

/* A cache holding at most @p capacity_bytes of unpinned buffers (0: caches
 * nothing). Returns NULL with errno ENOMEM. Caller destroys. */
fragcache_t *fragcache_create(size_t capacity_bytes);

/* Free the cache and every buffer it holds. No pin may be outstanding.
 * Accepts NULL, preserves errno. */
void fragcache_destroy(fragcache_t *cache);

/* Insert the fragment (@p data_id, @p version): @p bytes bytes at @p buf,
 * described by @p meta (copied). ALWAYS takes ownership of @p buf (malloc'd;
 * released with free()), whatever the outcome. Replaces an unpinned entry of
 * the same key and evicts least-recently-used unpinned entries to make room.
 * Returns 0 if cached, 1 if not cached because @p bytes exceeds the
 * capacity (buf freed), -1 with errno (buf freed): EBUSY if the key is
 * pinned, EINVAL for bad arguments, ENOMEM. */
int fragcache_put(fragcache_t *cache, uint64_t data_id, uint32_t version,
                  void *buf, size_t bytes, const fragcache_meta_t *meta);

/* Look up (@p data_id, @p version). On a hit returns the buffer, pinned:
 * valid and unchanged until the matching fragcache_unpin(); @p meta_out (may
 * be NULL) receives its description. Pins nest (one unpin per get).
 * On a miss returns NULL with errno ENOENT. */
const void *fragcache_get(fragcache_t *cache, uint64_t data_id,
                          uint32_t version, fragcache_meta_t *meta_out);

/* Release one pin taken by fragcache_get(). The entry becomes the most
 * recently used. Returns 0, or -1 with errno ENOENT (no such entry) or
 * EINVAL (not pinned). */
int fragcache_unpin(fragcache_t *cache, uint64_t data_id, uint32_t version);

/* Forget (@p data_id, @p version) (the version died). A pinned entry is
 * hidden at once and freed at its last unpin. Returns 1 if there was an
 * entry, 0 if not. */
int fragcache_drop(fragcache_t *cache, uint64_t data_id, uint32_t version);

/* A consistent snapshot of the counters. */
void fragcache_stats(fragcache_t *cache, fragcache_stats_t *stats);

#endif /* TESS_IO_FRAGCACHE_H */
