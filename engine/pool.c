/* pool.c - slab pools with free lists, and size-classed blocks on top. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/pool.h"

#define SLAB_BYTES (64 * 1024)

struct free_obj {
    struct free_obj *next;
};

struct slab {
    struct slab *next;
    /* objects follow, 16-byte aligned */
};

struct pool {
    size_t obj_size;
    size_t per_slab;
    struct free_obj *free;
    struct slab *slabs;
    size_t bytes;
};

#define SLAB_HDR ((sizeof(struct slab) + 15) & ~(size_t)15)

pool_t *pool_create(size_t obj_size)
{
    pool_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (obj_size < sizeof(struct free_obj))
        obj_size = sizeof(struct free_obj);
    p->obj_size = (obj_size + 15) & ~(size_t)15;
    p->per_slab = (SLAB_BYTES - SLAB_HDR) / p->obj_size;
    if (p->per_slab < 8)
        p->per_slab = 8;
    return p;
}

void pool_destroy(pool_t *p)
{
    int saved = errno;
    if (!p)
        return;
    struct slab *s = p->slabs;
    while (s) {
        struct slab *next = s->next;
        free(s);
        s = next;
    }
    free(p);
    errno = saved;
}

static int pool_grow(pool_t *p)
{
    size_t bytes = SLAB_HDR + p->per_slab * p->obj_size;
    struct slab *s = aligned_alloc(16, (bytes + 15) & ~(size_t)15);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    s->next = p->slabs;
    p->slabs = s;
    p->bytes += bytes;
    char *base = (char *)s + SLAB_HDR;
    /* Thread the new objects onto the free list in address order. */
    for (size_t i = p->per_slab; i-- > 0;) {
        struct free_obj *o = (struct free_obj *)(base + i * p->obj_size);
        o->next = p->free;
        p->free = o;
    }
    return 0;
}

void *pool_alloc(pool_t *p)
{
    if (!p->free && pool_grow(p) < 0)
        return NULL;
    struct free_obj *o = p->free;
    p->free = o->next;
    return o;
}

void pool_free(pool_t *p, void *obj)
{
    if (!obj)
        return;
    struct free_obj *o = obj;
    o->next = p->free;
    p->free = o;
}

size_t pool_bytes(const pool_t *p)
{
    return p->bytes;
}

/* Size classes 32, 64, ..., 4096 bytes. */
#define BLOB_MIN_SHIFT 5
#define BLOB_MAX_SHIFT 12
#define BLOB_CLASSES (BLOB_MAX_SHIFT - BLOB_MIN_SHIFT + 1)

struct pool_blobs {
    pool_t *cls[BLOB_CLASSES];
    size_t big_bytes;
};

static int blob_class(size_t size)
{
    int c = 0;
    size_t cap = (size_t)1 << BLOB_MIN_SHIFT;
    while (cap < size) {
        cap <<= 1;
        c++;
    }
    return c < BLOB_CLASSES ? c : -1;
}

pool_blobs_t *pool_blobs_create(void)
{
    pool_blobs_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    for (int c = 0; c < BLOB_CLASSES; c++) {
        b->cls[c] = pool_create((size_t)1 << (BLOB_MIN_SHIFT + c));
        if (!b->cls[c]) {
            pool_blobs_destroy(b);
            errno = ENOMEM;
            return NULL;
        }
    }
    return b;
}

void pool_blobs_destroy(pool_blobs_t *b)
{
    int saved = errno;
    if (!b)
        return;
    for (int c = 0; c < BLOB_CLASSES; c++)
        pool_destroy(b->cls[c]);
    free(b);
    errno = saved;
}

void *pool_blobs_alloc(pool_blobs_t *b, size_t size)
{
    int c = blob_class(size);
    if (c < 0) {
        void *p = aligned_alloc(16, (size + 15) & ~(size_t)15);
        if (!p) {
            errno = ENOMEM;
            return NULL;
        }
        b->big_bytes += size;
        return p;
    }
    return pool_alloc(b->cls[c]);
}

void pool_blobs_free(pool_blobs_t *b, void *blk, size_t size)
{
    if (!blk)
        return;
    int c = blob_class(size);
    if (c < 0) {
        b->big_bytes -= size;
        free(blk);
        return;
    }
    pool_free(b->cls[c], blk);
}

size_t pool_blobs_bytes(const pool_blobs_t *b)
{
    size_t n = b->big_bytes;
    for (int c = 0; c < BLOB_CLASSES; c++)
        n += pool_bytes(b->cls[c]);
    return n;
}
