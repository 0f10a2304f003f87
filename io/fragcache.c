/* fragcache.c - bounded LRU cache of fragment buffers (see fragcache.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "io/fragcache.h"

struct entry {
    uint64_t data_id;
    uint32_t version;
    unsigned pins;
    bool doomed;          /* dropped while pinned: freed at the last unpin */
    struct entry *hnext;  /* hash chain */
    struct entry *prev;   /* LRU list (unpinned, live entries only) */
    struct entry *next;
    void *buf;
    size_t bytes;
    fragcache_meta_t meta;
};

struct fragcache {
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t nbuckets; /* power of two */
    struct entry *mru, *lru; /* list head (most recent) and tail */
    fragcache_stats_t st;
};

#define INITIAL_BUCKETS 64

static size_t hash_key(uint64_t id, uint32_t v)
{
    uint64_t x = id ^ ((uint64_t)v * 0x9E3779B97F4A7C15ull);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (size_t)x;
}

static struct entry **slot(fragcache_t *c, uint64_t id, uint32_t v)
{
    struct entry **p = &c->buckets[hash_key(id, v) & (c->nbuckets - 1)];
    while (*p && ((*p)->data_id != id || (*p)->version != v))
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(fragcache_t *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->mru = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->lru = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(fragcache_t *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->mru;
    if (c->mru)
        c->mru->prev = e;
    else
        c->lru = e;
    c->mru = e;
}

/* Unlink @p e (found at @p p in its chain) from everything and free it. */
static void remove_entry(fragcache_t *c, struct entry **p, struct entry *e)
{
    *p = e->hnext;
    if (!e->pins && !e->doomed)
        lru_unlink(c, e);
    c->st.bytes -= e->bytes;
    c->st.entries--;
    free(e->buf);
    free(e);
}

/* Evict LRU entries until @p need more bytes fit (or nothing is left to
 * evict: pinned entries may keep the cache above capacity). */
static void evict(fragcache_t *c, size_t need)
{
    while (c->lru && c->st.bytes + need > c->st.capacity) {
        struct entry *e = c->lru;
        remove_entry(c, slot(c, e->data_id, e->version), e);
        c->st.evictions++;
    }
}

static void grow(fragcache_t *c)
{
    size_t n = c->nbuckets * 2;
    struct entry **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            size_t h = hash_key(e->data_id, e->version) & (n - 1);
            e->hnext = b[h];
            b[h] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

fragcache_t *fragcache_create(size_t capacity_bytes)
{
    fragcache_t *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->st.capacity = capacity_bytes;
    if (!(c->buckets = calloc(INITIAL_BUCKETS, sizeof(*c->buckets))))
        goto error;
    c->nbuckets = INITIAL_BUCKETS;
    return c;
error:
    fragcache_destroy(c);
    errno = ENOMEM;
    return NULL;
}

void fragcache_destroy(fragcache_t *c)
{
    int saved = errno;

    if (!c)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            free(e->buf);
            free(e);
        }
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
    errno = saved;
}

int fragcache_put(fragcache_t *c, uint64_t data_id, uint32_t version,
                  void *buf, size_t bytes, const fragcache_meta_t *meta)
{
    struct entry **p, *e;

    if (!c || !meta || (!buf && bytes) || meta->rank < 1
        || meta->rank > TESS_MAX_RANK) {
        free(buf);
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&c->lock);
    p = slot(c, data_id, version);
    if ((e = *p)) {
        if (e->pins || e->doomed) {
            pthread_mutex_unlock(&c->lock);
            free(buf);
            errno = EBUSY;
            return -1;
        }
        remove_entry(c, p, e); /* replaced */
    }
    if (bytes > c->st.capacity) {
        c->st.rejected++;
        pthread_mutex_unlock(&c->lock);
        free(buf);
        return 1;
    }
    if (!(e = malloc(sizeof(*e)))) {
        pthread_mutex_unlock(&c->lock);
        free(buf);
        errno = ENOMEM;
        return -1;
    }
    evict(c, bytes);
    e->data_id = data_id;
    e->version = version;
    e->pins = 0;
    e->doomed = false;
    e->buf = buf;
    e->bytes = bytes;
    e->meta = *meta;
    if (c->st.entries >= c->nbuckets)
        grow(c);
    p = &c->buckets[hash_key(data_id, version) & (c->nbuckets - 1)];
    e->hnext = *p;
    *p = e;
    lru_push(c, e);
    c->st.entries++;
    c->st.bytes += bytes;
    c->st.puts++;
    if (c->st.bytes > c->st.peak_bytes)
        c->st.peak_bytes = c->st.bytes;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

const void *fragcache_get(fragcache_t *c, uint64_t data_id, uint32_t version,
                          fragcache_meta_t *meta_out)
{
    struct entry *e;
    const void *buf = NULL;

    if (!c) {
        errno = EINVAL;
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    e = *slot(c, data_id, version);
    if (e && !e->doomed) {
        if (e->pins++ == 0) {
            lru_unlink(c, e);
            c->st.pinned++;
        }
        c->st.hits++;
        if (meta_out)
            *meta_out = e->meta;
        buf = e->buf;
    } else {
        c->st.misses++;
    }
    pthread_mutex_unlock(&c->lock);
    if (!buf)
        errno = ENOENT;
    return buf;
}

int fragcache_unpin(fragcache_t *c, uint64_t data_id, uint32_t version)
{
    struct entry **p, *e;
    int rc = 0, e_no = 0;

    if (!c) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&c->lock);
    p = slot(c, data_id, version);
    if (!(e = *p)) {
        rc = -1;
        e_no = ENOENT;
    } else if (e->pins == 0) {
        rc = -1;
        e_no = EINVAL;
    } else if (--e->pins == 0) {
        c->st.pinned--;
        if (e->doomed) {
            remove_entry(c, p, e);
        } else {
            lru_push(c, e);
            evict(c, 0); /* pins may have held the cache above capacity */
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc < 0)
        errno = e_no;
    return rc;
}

int fragcache_drop(fragcache_t *c, uint64_t data_id, uint32_t version)
{
    struct entry **p, *e;
    int rc = 0;

    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    p = slot(c, data_id, version);
    if ((e = *p) && !e->doomed) {
        rc = 1;
        if (e->pins)
            e->doomed = true; /* not in the LRU list while pinned */
        else
            remove_entry(c, p, e);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void fragcache_stats(fragcache_t *c, fragcache_stats_t *stats)
{
    if (!c) {
        memset(stats, 0, sizeof(*stats));
        return;
    }
    pthread_mutex_lock(&c->lock);
    *stats = c->st;
    pthread_mutex_unlock(&c->lock);
}
