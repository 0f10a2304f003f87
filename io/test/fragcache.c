/* test_fragcache - LRU order, capacity, pins, replace, drop, growth and
 * a concurrency smoke test (run it under valgrind / ASan for leaks). */
#define _POSIX_C_SOURCE 200809L /* rand_r */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "io/fragcache.h"

static fragcache_meta_t meta1(int64_t n)
{
    fragcache_meta_t m;
    memset(&m, 0, sizeof(m));
    m.type = TESS_U8;
    m.rank = 1;
    m.count[0] = n;
    return m;
}

/* A buffer of @p n bytes stamped with @p tag. */
static void *stamped(size_t n, int tag)
{
    unsigned char *b = malloc(n ? n : 1);
    memset(b, tag & 0xff, n);
    return b;
}

static int put(fragcache_t *c, uint64_t id, uint32_t v, size_t n, int tag)
{
    fragcache_meta_t m = meta1((int64_t)n);
    m.start[0] = tag;
    return fragcache_put(c, id, v, stamped(n, tag), n, &m);
}

/* Is the key cached? (A get: it also makes the entry the most recent.) */
static int present(fragcache_t *c, uint64_t id, uint32_t v)
{
    if (!fragcache_get(c, id, v, NULL))
        return 0;
    fragcache_unpin(c, id, v);
    return 1;
}

static void test_basic(void)
{
    fragcache_t *c = fragcache_create(1000);
    fragcache_meta_t m;
    fragcache_stats_t st;

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(put(c, 1, 1, 100, 0x11), 0);
    errno = 0;
    CU_ASSERT_PTR_NULL(fragcache_get(c, 1, 2, &m));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NULL(fragcache_get(c, 2, 1, &m));
    const unsigned char *b = fragcache_get(c, 1, 1, &m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b[0], 0x11);
    CU_ASSERT_EQUAL(b[99], 0x11);
    CU_ASSERT_EQUAL(m.type, TESS_U8);
    CU_ASSERT_EQUAL(m.rank, 1);
    CU_ASSERT_EQUAL(m.count[0], 100);
    CU_ASSERT_EQUAL(m.start[0], 0x11);
    CU_ASSERT_EQUAL(fragcache_unpin(c, 1, 1), 0);
    errno = 0;
    CU_ASSERT_EQUAL(fragcache_unpin(c, 1, 1), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    errno = 0;
    CU_ASSERT_EQUAL(fragcache_unpin(c, 9, 9), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.hits, 1);
    CU_ASSERT_EQUAL(st.misses, 2);
    CU_ASSERT_EQUAL(st.bytes, 100);
    CU_ASSERT_EQUAL(st.entries, 1);
    CU_ASSERT_EQUAL(st.pinned, 0);
    CU_ASSERT_EQUAL(st.capacity, 1000);
    /* bad arguments: the buffer is still taken (and freed) */
    errno = 0;
    CU_ASSERT_EQUAL(fragcache_put(c, 3, 3, stamped(8, 1), 8, NULL), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_DESTROY_KEEPS_ERRNO(fragcache_destroy, c);
    fragcache_destroy(NULL);
}

static void test_lru_order(void)
{
    fragcache_t *c = fragcache_create(300);
    fragcache_stats_t st;

    put(c, 1, 0, 100, 1); /* A */
    put(c, 2, 0, 100, 2); /* B */
    put(c, 3, 0, 100, 3); /* C */
    CU_ASSERT_PTR_NOT_NULL(fragcache_get(c, 1, 0, NULL)); /* touch A */
    fragcache_unpin(c, 1, 0);
    put(c, 4, 0, 100, 4); /* D evicts B, the least recently used */
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.evictions, 1);
    CU_ASSERT_EQUAL(st.bytes, 300);
    /* order now (old -> new): C, A, D */
    put(c, 5, 0, 150, 5); /* evicts C and A */
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.evictions, 3);
    CU_ASSERT_EQUAL(st.bytes, 250);
    CU_ASSERT_FALSE(present(c, 2, 0));
    CU_ASSERT_FALSE(present(c, 3, 0));
    CU_ASSERT_FALSE(present(c, 1, 0));
    CU_ASSERT_TRUE(present(c, 4, 0));
    CU_ASSERT_TRUE(present(c, 5, 0));
    fragcache_destroy(c);
}

static void test_capacity(void)
{
    fragcache_t *c = fragcache_create(10000);
    fragcache_stats_t st;
    unsigned seed = 7;

    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(rand_r(&seed) % 3000);
        CU_ASSERT_EQUAL(put(c, (uint64_t)(rand_r(&seed) % 50), 0, n, i), 0);
        fragcache_stats(c, &st);
        if (st.bytes > 10000) {
            CU_FAIL("over capacity without pins");
            break;
        }
    }
    fragcache_stats(c, &st);
    CU_ASSERT_TRUE(st.peak_bytes <= 10000);
    /* larger than the capacity: not cached, not an error */
    CU_ASSERT_EQUAL(put(c, 99, 0, 10001, 1), 1);
    CU_ASSERT_FALSE(present(c, 99, 0));
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.rejected, 1);
    fragcache_destroy(c);

    c = fragcache_create(0); /* caches only empty buffers */
    CU_ASSERT_EQUAL(put(c, 1, 0, 1, 1), 1);
    CU_ASSERT_EQUAL(put(c, 1, 0, 0, 1), 0);
    fragcache_destroy(c);
}

static void test_pinning(void)
{
    fragcache_t *c = fragcache_create(300);
    fragcache_stats_t st;

    put(c, 1, 0, 200, 1);
    const unsigned char *a = fragcache_get(c, 1, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_EQUAL(fragcache_get(c, 1, 0, NULL), a); /* pins nest */
    put(c, 2, 0, 200, 2); /* does not fit beside A, A is pinned: exceeds */
    put(c, 3, 0, 200, 3); /* evicts 2, still above capacity */
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.bytes, 400);
    CU_ASSERT_EQUAL(st.pinned, 1);
    CU_ASSERT_EQUAL(st.evictions, 1);
    CU_ASSERT_EQUAL(a[0], 1);
    CU_ASSERT_EQUAL(a[199], 1); /* untouched while pinned */
    /* a pinned key cannot be replaced */
    errno = 0;
    CU_ASSERT_EQUAL(put(c, 1, 0, 10, 9), -1);
    CU_ASSERT_EQUAL(errno, EBUSY);
    CU_ASSERT_EQUAL(a[0], 1);
    CU_ASSERT_EQUAL(fragcache_unpin(c, 1, 0), 0);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.bytes, 400); /* still pinned once */
    CU_ASSERT_EQUAL(fragcache_unpin(c, 1, 0), 0);
    fragcache_stats(c, &st); /* back within capacity: 3 (older) evicted */
    CU_ASSERT_EQUAL(st.bytes, 200);
    CU_ASSERT_EQUAL(st.pinned, 0);
    CU_ASSERT_TRUE(present(c, 1, 0));
    CU_ASSERT_FALSE(present(c, 3, 0));
    fragcache_destroy(c);
}

static void test_replace_and_drop(void)
{
    fragcache_t *c = fragcache_create(1000);
    fragcache_stats_t st;
    fragcache_meta_t m;

    put(c, 1, 0, 100, 1);
    put(c, 1, 0, 300, 2); /* replace */
    const unsigned char *b = fragcache_get(c, 1, 0, &m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b[0], 2);
    CU_ASSERT_EQUAL(m.count[0], 300);
    fragcache_unpin(c, 1, 0);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.bytes, 300);
    CU_ASSERT_EQUAL(st.entries, 1);
    CU_ASSERT_EQUAL(st.puts, 2);

    CU_ASSERT_EQUAL(fragcache_drop(c, 1, 0), 1);
    CU_ASSERT_EQUAL(fragcache_drop(c, 1, 0), 0);
    CU_ASSERT_FALSE(present(c, 1, 0));
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.bytes, 0);
    CU_ASSERT_EQUAL(st.entries, 0);

    /* dropped while pinned: hidden now, freed at the last unpin */
    put(c, 2, 0, 100, 3);
    b = fragcache_get(c, 2, 0, NULL);
    CU_ASSERT_EQUAL(fragcache_drop(c, 2, 0), 1);
    errno = 0;
    CU_ASSERT_PTR_NULL(fragcache_get(c, 2, 0, NULL));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(b[50], 3); /* the reader's buffer is intact */
    errno = 0;
    CU_ASSERT_EQUAL(put(c, 2, 0, 10, 4), -1); /* until released */
    CU_ASSERT_EQUAL(errno, EBUSY);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.entries, 1);
    CU_ASSERT_EQUAL(fragcache_unpin(c, 2, 0), 0);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.entries, 0);
    CU_ASSERT_EQUAL(st.bytes, 0);
    CU_ASSERT_EQUAL(put(c, 2, 0, 10, 4), 0);
    CU_ASSERT_TRUE(present(c, 2, 0));
    fragcache_destroy(c);
}

static void test_growth(void)
{
    fragcache_t *c = fragcache_create((size_t)1 << 30);
    fragcache_stats_t st;
    int missing = 0;

    for (uint64_t i = 0; i < 20000; i++)
        put(c, i / 4, (uint32_t)(i % 4), 8, (int)i);
    for (uint64_t i = 0; i < 20000; i++) {
        fragcache_meta_t m;
        const unsigned char *b = fragcache_get(c, i / 4, (uint32_t)(i % 4),
                                               &m);
        if (!b || m.start[0] != (int64_t)i || b[7] != (unsigned char)i)
            missing++;
        if (b)
            fragcache_unpin(c, i / 4, (uint32_t)(i % 4));
    }
    CU_ASSERT_EQUAL(missing, 0);
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.entries, 20000);
    CU_ASSERT_EQUAL(st.evictions, 0);
    fragcache_destroy(c);
}

/* Threads put, get (checking the stamp while pinned), unpin and drop
 * random keys; the counters must add up at the end. */
#define NTHREADS 4
#define NOPS 100000
#define NKEYS 300

struct worker {
    fragcache_t *c;
    unsigned seed;
    int corrupt;
    int ops;
};

static int key_tag(uint64_t id, uint32_t v)
{
    return (int)((id * 31 + v * 7) & 0xff);
}

static void *churn(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < NOPS; i++) {
        uint64_t id = (uint64_t)(rand_r(&w->seed) % NKEYS);
        uint32_t v = (uint32_t)(rand_r(&w->seed) % 2);
        int op = rand_r(&w->seed) % 10;
        if (op < 3) {
            size_t n = 1 + (size_t)(rand_r(&w->seed) % 4000);
            int rc = put(w->c, id, v, n, key_tag(id, v));
            if (rc < 0 && errno != EBUSY)
                w->corrupt++;
        } else if (op < 9) {
            fragcache_meta_t m;
            const unsigned char *b = fragcache_get(w->c, id, v, &m);
            if (b) {
                int64_t n = m.count[0];
                if (b[0] != key_tag(id, v) || b[n - 1] != key_tag(id, v)
                    || m.start[0] != key_tag(id, v))
                    w->corrupt++;
                if (fragcache_unpin(w->c, id, v) < 0)
                    w->corrupt++;
            }
        } else {
            fragcache_drop(w->c, id, v);
        }
        w->ops++;
    }
    return NULL;
}

static void test_threads(void)
{
    fragcache_t *c = fragcache_create(200000);
    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    fragcache_stats_t st;

    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){c, (unsigned)i * 7919u + 1u, 0, 0};
        pthread_create(&th[i], NULL, churn, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].corrupt, 0);
        CU_ASSERT_EQUAL(w[i].ops, NOPS);
    }
    fragcache_stats(c, &st);
    CU_ASSERT_EQUAL(st.pinned, 0);
    CU_ASSERT_TRUE(st.bytes <= 200000);
    CU_ASSERT_TRUE(st.entries <= 2 * NKEYS);
    CU_ASSERT_TRUE(st.hits + st.misses > 0);
    /* walk every key: entries and bytes add up */
    size_t n = 0, bytes = 0;
    for (uint64_t id = 0; id < NKEYS; id++)
        for (uint32_t v = 0; v < 2; v++) {
            fragcache_meta_t m;
            if (fragcache_get(c, id, v, &m)) {
                n++;
                bytes += (size_t)m.count[0];
                fragcache_unpin(c, id, v);
            }
        }
    CU_ASSERT_EQUAL(n, st.entries);
    CU_ASSERT_EQUAL(bytes, st.bytes);
    fragcache_destroy(c);
}

static const cunit_test_t tests[] = {
    {"put, get, unpin, meta, stats", test_basic},
    {"least recently used goes first", test_lru_order},
    {"capacity bound", test_capacity},
    {"pins prevent eviction and replacement", test_pinning},
    {"replace and drop", test_replace_and_drop},
    {"table growth", test_growth},
    {"threads", test_threads},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("fragcache", NULL, NULL, tests);
}
