/*
 * pool.h - allocators for the engine's hot path.
 *
 * pool_t hands out fixed-size objects from slabs with a free list, so that
 * submitting and retiring tasks does no malloc/free per object once the run
 * has warmed up. pool_pool_blobs_t does the same for variable-size blocks through
 * power-of-two size classes (task parameter blocks, successor arrays).
 * Memory returns to the free lists, not to the system, until destroy: the
 * pools are sized by the peak number of objects alive, which the engine
 * bounds (tasks in flight), not by the number ever allocated.
 * Not thread-safe: owned by the engine thread.
 */
#ifndef TESS_ENGINE_POOL_H
#define TESS_ENGINE_POOL_H

#include <stddef.h>

typedef struct pool pool_t;

/* Objects of obj_size bytes (rounded up to 16-byte alignment). */
pool_t *pool_create(size_t obj_size);
void pool_destroy(pool_t *p);
/* An uninitialised object, or NULL with errno=ENOMEM. */
void *pool_alloc(pool_t *p);
void pool_free(pool_t *p, void *obj);
/* Bytes obtained from the system so far. */
size_t pool_bytes(const pool_t *p);

typedef struct pool_blobs pool_blobs_t;

pool_blobs_t *pool_blobs_create(void);
void pool_blobs_destroy(pool_blobs_t *b);
/* A block of at least size bytes (16-byte aligned), or NULL/ENOMEM.
 * Blocks above the largest class come from malloc directly. */
void *pool_blobs_alloc(pool_blobs_t *b, size_t size);
/* size must be the size given to pool_blobs_alloc. */
void pool_blobs_free(pool_blobs_t *b, void *blk, size_t size);
size_t pool_blobs_bytes(const pool_blobs_t *b);

#endif
