/* test_store - the store through its public API (tessera.h): names,
 * objects, blocks, completion, deletion under readers, waits for blocks
 * and for producers that die, group sharing, leftovers of crashes. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "tessera.h"

static char scratch[512]; /* the suite's directory */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh store directory under the scratch directory. */
static tess_store_t *fresh_store(const char *name)
{
    char dir[PATH_MAX];
    tess_error_t err = {""};

    snprintf(dir, sizeof(dir), "%s/%s", scratch, name);
    rm_rf(dir);
    tess_store_t *st = tess_store_open(dir, TESS_STORE_CREATE, &err);
    if (!st)
        fprintf(stderr, "\n  %s\n", err.text);
    return st;
}

/* Every path under @p dir with its mode, one per line (what a hostile
 * name must leave untouched). Caller frees. */
static char *listing;
static size_t listing_len;
static FILE *listing_f;
static int list_one(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    fprintf(listing_f, "%s %o %ld\n", path, (unsigned)st->st_mode,
            (long)st->st_size);
    return 0;
}
static char *tree_listing(const char *dir)
{
    listing = NULL;
    listing_f = open_memstream(&listing, &listing_len);
    nftw(dir, list_one, 16, FTW_PHYS);
    fclose(listing_f);
    return listing;
}

/* Element k of block b: exact in double, distinct across blocks. */
static double value(int64_t b, int64_t k, int seed)
{
    return (double)(b * 1000003 + k) + seed * 0.5;
}

static void fill_block(double *buf, int64_t b, int64_t n, int seed)
{
    for (int64_t k = 0; k < n; k++)
        buf[k] = value(b, k, seed);
}

static const int64_t SHAPE[2] = {40, 10};

static tess_store_spec_t spec2d(int64_t nblocks)
{
    tess_store_spec_t s = {TESS_F64, 2, SHAPE, nblocks, "wf", "/runs/r1",
                           "seed=1", 0};
    return s;
}

/* Put block b (rows 10b .. 10b+9). */
static int put_rows(tess_store_obj_t *o, int64_t b, int seed,
                    tess_error_t *err)
{
    double buf[100];
    int64_t start[2] = {10 * b, 0}, count[2] = {10, 10};
    fill_block(buf, b, 100, seed);
    return tess_store_put(o, b, start, count, buf, err);
}

static int suite_init(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(scratch, sizeof(scratch), "%s/tessera-store-XXXXXX",
             base && base[0] ? base : "/tmp");
    if (!mkdtemp(scratch))
        return -1;
    /* the group test makes a store that other users traverse */
    chmod(scratch, 0755);
    return 0;
}

static int suite_clean(void)
{
    rm_rf(scratch);
    return 0;
}

/* ------------------------------------------------------------------ */

static void test_names(void)
{
    static const char *good[] = {"NeuronData", "a", "x.y-z_1", "Correlation",
                                 "2024.run-3", "A..b"};
    static const char *bad[] = {"../escape", "/etc/passwd", ".hidden",
                                "a/../../b", "", "..", ".", "-x", "_x",
                                "a b", "a\nb", "a\tb", "\x01", "caf\xc3\xa9",
                                "\xff\xfe", "a*", "a\\b", "x/"};
    char longest[TESS_STORE_NAME_MAX + 1], over[TESS_STORE_NAME_MAX + 2];
    char huge[300];
    tess_error_t err = {""};

    memset(longest, 'n', TESS_STORE_NAME_MAX);
    longest[TESS_STORE_NAME_MAX] = '\0';
    memset(over, 'o', TESS_STORE_NAME_MAX + 1);
    over[TESS_STORE_NAME_MAX + 1] = '\0';
    memset(huge, 'h', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        CU_ASSERT_EQUAL(tess_store_check_name(good[i], &err), 0);
    CU_ASSERT_EQUAL(tess_store_check_name(longest, &err), 0);

    tess_store_t *st = fresh_store("names");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    char *before = tree_listing(scratch);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad) + 3; i++) {
        const char *n = i < sizeof(bad) / sizeof(*bad) ? bad[i]
                        : i == sizeof(bad) / sizeof(*bad)     ? over
                        : i == sizeof(bad) / sizeof(*bad) + 1 ? huge
                                                              : NULL;
        tess_store_spec_t s = spec2d(0);
        errno = 0;
        CU_ASSERT_EQUAL(tess_store_check_name(n, &err), -1);
        CU_ASSERT_EQUAL(errno, EINVAL);
        ASSERT_HAS(err.text, "refused");
        errno = 0;
        CU_ASSERT_PTR_NULL(tess_store_create(st, n, &s, &err));
        CU_ASSERT_EQUAL(errno, EINVAL);
        ASSERT_HAS(err.text, tess_store_dir(st));
        CU_ASSERT_PTR_NULL(tess_store_obj_open(st, n, 0, &err));
        CU_ASSERT_EQUAL(errno, EINVAL);
        CU_ASSERT_EQUAL(tess_store_delete(st, n, &err), -1);
        CU_ASSERT_EQUAL(errno, EINVAL);
        /* the message is safe to print: no raw control or high bytes */
        for (const unsigned char *p = (const unsigned char *)err.text; *p;
             p++)
            CU_ASSERT_TRUE(*p >= 0x20 && *p < 0x7f);
    }
    tess_store_check_name("a\nb", &err);
    ASSERT_HAS(err.text, "'a\\x0ab'");
    ASSERT_HAS(err.text, "control character");
    tess_store_check_name("\xff\xfe", &err);
    ASSERT_HAS(err.text, "not ASCII");
    tess_store_check_name("../escape", &err);
    ASSERT_HAS(err.text, "starts with '.'");
    tess_store_check_name("a/../../b", &err);
    ASSERT_HAS(err.text, "'/'");
    tess_store_check_name(over, &err);
    ASSERT_HAS(err.text, "longer than 128");
    char *after = tree_listing(scratch);
    CU_ASSERT_STRING_EQUAL(before, after); /* nothing touched anywhere */
    free(before);
    free(after);
    tess_store_close(st);
}

static void test_round_trip(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("roundtrip");
    tess_store_spec_t s = spec2d(4);
    tess_store_info_t info;
    tess_store_block_t b;
    double got[100], want[100];

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    tess_store_obj_t *o = tess_store_create(st, "NeuronData", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    for (int64_t k = 3; k >= 0; k--) /* any order */
        CU_ASSERT_EQUAL(put_rows(o, k, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_BUILDING);
    CU_ASSERT_EQUAL(info.producer_alive, 1);
    CU_ASSERT_EQUAL(info.nblocks, 4);
    CU_ASSERT_EQUAL(info.bytes, -1);
    CU_ASSERT_STRING_EQUAL(info.workflow, "wf");

    /* a second handle of the same process: a consumer */
    tess_store_obj_t *c = tess_store_obj_open(st, "NeuronData", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_BUILDING);
    CU_ASSERT_EQUAL(info.producer_alive, 1); /* sees the OFD lock */
    CU_ASSERT_EQUAL(tess_store_block_info(c, 2, &b, &err), 0);
    CU_ASSERT_EQUAL(b.start[0], 20);
    CU_ASSERT_EQUAL(b.count[0], 10);
    CU_ASSERT_EQUAL(b.bytes, 800);

    /* refused: written twice, wrong box, negative id */
    errno = 0;
    CU_ASSERT_EQUAL(put_rows(o, 1, 9, &err), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    ASSERT_HAS(err.text, "block 1 exists already");
    int64_t st2[2] = {35, 0}, ct2[2] = {10, 10};
    CU_ASSERT_EQUAL(tess_store_put(o, 7, st2, ct2, want, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "outside the object's shape 40x10");
    CU_ASSERT_EQUAL(tess_store_put(o, -1, NULL, ct2, want, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);

    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0); /* idempotent */
    errno = 0;
    CU_ASSERT_EQUAL(put_rows(o, 3, 0, &err), -1);
    CU_ASSERT_EQUAL(errno, EROFS);
    ASSERT_HAS(err.text, "is complete");
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_COMPLETE);
    CU_ASSERT_EQUAL(info.nblocks, 4);
    CU_ASSERT_EQUAL(info.bytes, 4 * 800);
    CU_ASSERT_STRING_EQUAL(info.params, "seed=1");
    CU_ASSERT_TRUE(info.completed[0] != '\0');

    /* iteration in id order, every block read back */
    tess_store_iter_t *it = tess_store_blocks(c, 0, 0, &err);
    int64_t next = 0;
    while (tess_store_next(it, &b, &err) == 1) {
        CU_ASSERT_EQUAL(b.id, next);
        CU_ASSERT_EQUAL(tess_store_read(c, b.id, got, &err), 0);
        fill_block(want, b.id, 100, 0);
        CU_ASSERT_EQUAL(memcmp(got, want, sizeof(got)), 0);
        next++;
    }
    CU_ASSERT_EQUAL(next, 4);
    tess_store_iter_destroy(it);

    /* a box: rows 22..24, columns 3..8 of block 2 */
    int64_t bs[2] = {22, 3}, bc[2] = {3, 6};
    CU_ASSERT_EQUAL(tess_store_read_box(c, 2, bs, bc, got, &err), 0);
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 6; k++)
            CU_ASSERT_EQUAL(got[r * 6 + k], value(2, (r + 2) * 10 + 3 + k, 0));
    int64_t outside[2] = {28, 0}, oc[2] = {5, 10};
    CU_ASSERT_EQUAL(tess_store_read_box(c, 2, outside, oc, got, &err), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    CU_ASSERT_EQUAL(tess_store_read(c, 9, got, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "no block 9");

    tess_store_obj_close(c);
    tess_store_obj_close(o);
    tess_store_close(st);
}

static void test_announced_count(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("announced");
    tess_store_spec_t s = spec2d(3);

    tess_store_obj_t *o = tess_store_create(st, "Three", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(put_rows(o, 0, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "1 blocks committed, 3 announced");
    CU_ASSERT_EQUAL(put_rows(o, 1, 0, &err), 0); /* still building */
    CU_ASSERT_EQUAL(put_rows(o, 2, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    tess_store_obj_close(o);
    tess_store_close(st);
}

/* Several threads create one name at once: exactly one wins; the others
 * get EEXIST naming the creator. (Processes: tests/t4030.) */
static tess_store_t *race_store;
static atomic_int race_wins, race_other;
static void *race_create(void *arg)
{
    tess_error_t err = {""};
    tess_store_spec_t s = spec2d(0);
    (void)arg;
    tess_store_obj_t *o = tess_store_create(race_store, "Contended", &s, &err);
    if (o)
        atomic_fetch_add(&race_wins, 1);
    else if (errno != EEXIST || !strstr(err.text, "exists already"))
        atomic_fetch_add(&race_other, 1);
    tess_store_obj_close(o);
    return NULL;
}

static void test_create_race(void)
{
    tess_error_t err = {""};
    pthread_t th[6];

    race_store = fresh_store("race");
    CU_ASSERT_PTR_NOT_NULL_FATAL(race_store);
    for (int round = 0; round < 20; round++) {
        atomic_store(&race_wins, 0);
        atomic_store(&race_other, 0);
        for (int i = 0; i < 6; i++)
            pthread_create(&th[i], NULL, race_create, NULL);
        for (int i = 0; i < 6; i++)
            pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(atomic_load(&race_wins), 1);
        CU_ASSERT_EQUAL(atomic_load(&race_other), 0);
        CU_ASSERT_EQUAL(tess_store_delete(race_store, "Contended", &err), 0);
    }
    tess_store_spec_t s = spec2d(0);
    tess_store_obj_t *a = tess_store_create(race_store, "Once", &s, &err);
    CU_ASSERT_PTR_NULL(tess_store_create(race_store, "Once", &s, &err));
    CU_ASSERT_EQUAL(errno, EEXIST);
    ASSERT_HAS(err.text, "object Once exists already (created by ");
    ASSERT_HAS(err.text, "building");
    tess_store_obj_close(a);
    /* nothing left of the losers */
    char objects[PATH_MAX];
    snprintf(objects, sizeof(objects), "%s/.objects",
             tess_store_dir(race_store));
    char *l = tree_listing(objects);
    int dirs = 0;
    for (char *p = l; (p = strstr(p, "/blocks ")); p++)
        dirs++;
    CU_ASSERT_EQUAL(dirs, 1);
    free(l);
    tess_store_close(race_store);
}

static void test_delete_under_reader(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("delete");
    tess_store_spec_t s = spec2d(0);
    tess_store_info_t info;
    double got[100], want[100];

    tess_store_obj_t *o = tess_store_create(st, "Doomed", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    for (int64_t k = 0; k < 4; k++)
        put_rows(o, k, 0, &err);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    tess_store_obj_close(o);

    tess_store_obj_t *r = tess_store_obj_open(st, "Doomed", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(tess_store_read(r, 0, got, &err), 0);
    CU_ASSERT_EQUAL(tess_store_delete(st, "Doomed", &err), 0);
    /* the name is gone at once, and may be taken again */
    CU_ASSERT_PTR_NULL(tess_store_obj_open(st, "Doomed", 0, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "no object Doomed");
    tess_store_obj_t *o2 = tess_store_create(st, "Doomed", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o2);
    for (int64_t k = 0; k < 4; k++)
        put_rows(o2, k, 7, &err); /* other values */
    CU_ASSERT_EQUAL(tess_store_complete(o2, &err), 0);
    /* the old reader never sees the new incarnation's data */
    for (int64_t k = 1; k < 4; k++) {
        memset(got, 0, sizeof(got));
        errno = 0;
        int rc = tess_store_read(r, k, got, &err);
        if (rc == 0) {
            fill_block(want, k, 100, 0);
            CU_ASSERT_EQUAL(memcmp(got, want, sizeof(got)), 0);
        } else {
            CU_ASSERT_EQUAL(errno, ESTALE);
            ASSERT_HAS(err.text, "was deleted while in use");
        }
    }
    CU_ASSERT_EQUAL(tess_store_info(r, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_DELETED);
    tess_store_obj_close(r);
    tess_store_obj_close(o2);

    /* a producer whose object is deleted learns it at its next commit */
    CU_ASSERT_EQUAL(tess_store_delete(st, "Doomed", &err), 0);
    tess_store_obj_t *p = tess_store_create(st, "Doomed", &s, &err);
    CU_ASSERT_EQUAL(put_rows(p, 0, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_delete(st, "Doomed", &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(put_rows(p, 1, 0, &err), -1);
    CU_ASSERT_EQUAL(errno, ESTALE);
    ASSERT_HAS(err.text, "deleted");
    CU_ASSERT_EQUAL(tess_store_complete(p, &err), -1);
    CU_ASSERT_EQUAL(errno, ESTALE);
    tess_store_obj_close(p);

    CU_ASSERT_EQUAL(tess_store_delete(st, "Doomed", &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    /* nothing left: no name, no files */
    char objects[PATH_MAX];
    snprintf(objects, sizeof(objects), "%s/.objects", tess_store_dir(st));
    char *l = tree_listing(objects);
    CU_ASSERT_EQUAL(strchr(l, '\n') - l, (long)strlen(l) - 1); /* one line */
    free(l);
    tess_store_close(st);
}

/* A producer thread that commits blocks with pauses, then completes. */
struct producer {
    tess_store_t *st;
    int nblocks;
    int delay_ms;
    int create_delay_ms;
    int rc;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    tess_error_t err = {""};
    tess_store_spec_t s = spec2d(0);
    struct timespec d = {0, p->delay_ms * 1000000L};
    struct timespec cd = {0, p->create_delay_ms * 1000000L};

    nanosleep(&cd, NULL);
    tess_store_obj_t *o = tess_store_create(p->st, "Stream", &s, &err);
    if (!o) {
        p->rc = -1;
        return NULL;
    }
    for (int k = 0; k < p->nblocks; k++) {
        nanosleep(&d, NULL);
        if (put_rows(o, k, 0, &err) < 0)
            p->rc = -1;
    }
    nanosleep(&d, NULL);
    if (tess_store_complete(o, &err) < 0)
        p->rc = -1;
    tess_store_obj_close(o);
    return NULL;
}

static void test_consumer_first(void)
{
    tess_error_t err = {""};
    struct producer p = {fresh_store("stream"), 4, 30, 80, 0};
    pthread_t th;
    tess_store_block_t b;
    double got[100], want[100];

    CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
    pthread_create(&th, NULL, produce, &p);
    /* the consumer starts first: waits for the name, then the blocks */
    tess_store_obj_t *c = tess_store_obj_open(p.st, "Stream", 10, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(tess_store_wait(c, 1, 10, &err), 0);
    tess_store_iter_t *it = tess_store_blocks(c, TESS_STORE_WAIT, 10, &err);
    int n = 0, rc;
    while ((rc = tess_store_next(it, &b, &err)) == 1) {
        CU_ASSERT_EQUAL(tess_store_read(c, b.id, got, &err), 0);
        fill_block(want, b.id, 100, 0);
        CU_ASSERT_EQUAL(memcmp(got, want, sizeof(got)), 0);
        n++;
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(n, 4);
    tess_store_iter_destroy(it);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(p.rc, 0);
    /* complete without the block: ENOENT, at once */
    CU_ASSERT_EQUAL(tess_store_wait(c, 9, 10, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "complete without block 9");
    tess_store_obj_close(c);

    /* time-outs say so and take about as long as asked */
    tess_store_spec_t s = spec2d(0);
    tess_store_obj_t *o = tess_store_create(p.st, "Slow", &s, &err);
    c = tess_store_obj_open(p.st, "Slow", 0, &err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(tess_store_wait(c, 0, 0.3, &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    ASSERT_HAS(err.text, "block 0 not committed after 0.3 s");
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CU_ASSERT_TRUE(dt >= 0.29 && dt < 2.0);
    it = tess_store_blocks(c, TESS_STORE_WAIT, 0.2, &err);
    CU_ASSERT_EQUAL(tess_store_next(it, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    ASSERT_HAS(err.text, "no new block for 0.2 s");
    tess_store_iter_destroy(it);
    CU_ASSERT_PTR_NULL(tess_store_obj_open(p.st, "Never", 0.1, &err));
    CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    ASSERT_HAS(err.text, "no object Never after waiting 0.1 s");
    tess_store_obj_close(c);
    tess_store_obj_close(o);
    tess_store_close(p.st);
}

/* A producer process that ends without completing: the object is
 * incomplete, waiters learn it at once instead of timing out. */
static void test_producer_death(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("death");
    tess_store_info_t info;
    tess_store_block_t b;

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int go[2];
    CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
    pid_t pid = fork();
    if (pid == 0) {
        tess_store_spec_t s = spec2d(0);
        char c;
        close(go[1]);
        tess_store_obj_t *o = tess_store_create(st, "Orphan", &s, NULL);
        if (!o || put_rows(o, 0, 0, NULL) < 0)
            _exit(1);
        if (read(go[0], &c, 1) < 0) /* die when the parent says */
            _exit(1);
        _exit(0);
    }
    close(go[0]);
    tess_store_obj_t *c = tess_store_obj_open(st, "Orphan", 10, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(tess_store_wait(c, 0, 10, &err), 0);
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_BUILDING);
    CU_ASSERT_EQUAL(info.producer_alive, 1);
    CU_ASSERT_EQUAL(info.pid, (long)pid);
    close(go[1]); /* the child ends */
    int status;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(tess_store_wait(c, 1, 30, &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    ASSERT_HAS(err.text, "ended without committing block 1");
    CU_ASSERT_TRUE(t1.tv_sec - t0.tv_sec < 5);
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_INCOMPLETE);
    CU_ASSERT_EQUAL(info.producer_alive, 0);
    CU_ASSERT_EQUAL(info.nblocks, 1);
    tess_store_iter_t *it = tess_store_blocks(c, TESS_STORE_WAIT, 30, &err);
    CU_ASSERT_EQUAL(tess_store_next(it, &b, &err), 1);
    CU_ASSERT_EQUAL(b.id, 0);
    CU_ASSERT_EQUAL(tess_store_next(it, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    ASSERT_HAS(err.text, "is incomplete");
    tess_store_iter_destroy(it);
    tess_store_obj_close(c);
    tess_store_close(st);
}

/* A project group shares a store: its directory has the group and the
 * setgid bit; everything made inside belongs to the group, with the
 * modes the umask allows. */
static void test_group_sharing(void)
{
    char dir[1024], path[PATH_MAX];
    tess_error_t err = {""};
    struct stat sb;
    gid_t g = 0;

    /* a group this process may give files to: any as root, else a
     * supplementary group, else its own */
    if (geteuid() == 0) {
        g = 4242;
    } else {
        gid_t groups[64];
        int n = getgroups(64, groups);
        g = getegid();
        for (int i = 0; i < n; i++)
            if (groups[i] != getegid())
                g = groups[i];
    }
    snprintf(dir, sizeof(dir), "%s/group-store", scratch);
    rm_rf(dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(chown(dir, (uid_t)-1, g), 0);
    CU_ASSERT_EQUAL_FATAL(chmod(dir, 02770), 0);
    mode_t old = umask(027);
    tess_store_t *st = tess_store_open(dir, 0, &err);
    tess_store_spec_t s = spec2d(0);
    tess_store_obj_t *o = tess_store_create(st, "Shared", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(put_rows(o, 0, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    tess_store_info_t info;
    tess_store_info(o, &info, &err);
    umask(old);

    const char *dirs[] = {".objects", ".objects/%s", ".objects/%s/blocks"};
    for (int i = 0; i < 3; i++) {
        char rel[200];
        snprintf(rel, sizeof(rel), dirs[i], info.id);
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
        CU_ASSERT_EQUAL(sb.st_gid, g);
        CU_ASSERT_TRUE(sb.st_mode & S_ISGID);
        CU_ASSERT_EQUAL(sb.st_mode & 0777, 0750);
    }
    const char *files[] = {".objects/%s/meta", ".objects/%s/index",
                           ".objects/%s/lock", ".objects/%s/blocks/b0.h5"};
    for (int i = 0; i < 4; i++) {
        char rel[200];
        snprintf(rel, sizeof(rel), files[i], info.id);
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
        CU_ASSERT_EQUAL(sb.st_gid, g);
        CU_ASSERT_EQUAL(sb.st_mode & 0777, 0640);
    }
    tess_store_obj_close(o);
    tess_store_close(st);
}

/* Metadata values survive any characters; provenance is kept. */
static void test_metadata(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("meta");
    const char *params = "a=1\nb=two words\tc=\\x\rd: e";
    int64_t shape1[1] = {8};
    tess_store_spec_t s = {TESS_I32, 1, shape1, 0, "cc_surrogates", "run: x",
                           params, TESS_STORE_NOSYNC};
    tess_store_info_t info;

    tess_store_obj_t *o = tess_store_create(st, "Meta", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    int32_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t c1[1] = {8};
    CU_ASSERT_EQUAL(tess_store_put(o, 0, NULL, c1, v, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    tess_store_obj_close(o);
    o = tess_store_obj_open(st, "Meta", 0, &err);
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    CU_ASSERT_STRING_EQUAL(info.params, params);
    CU_ASSERT_STRING_EQUAL(info.run, "run: x");
    CU_ASSERT_STRING_EQUAL(info.workflow, "cc_surrogates");
    CU_ASSERT_EQUAL(info.type, TESS_I32);
    CU_ASSERT_EQUAL(info.has_shape, 1);
    CU_ASSERT_EQUAL(info.shape[0], 8);
    CU_ASSERT_EQUAL(info.format, 1);
    CU_ASSERT_EQUAL(info.pid, (long)getpid());
    CU_ASSERT_EQUAL(strlen(info.id), 32);
    CU_ASSERT_EQUAL(strlen(info.created), 20);
    tess_store_obj_close(o);
    tess_store_close(st);
}

/* A block file damaged after completion (by hand, by a disk) is an
 * error when read, never other data; both read paths agree. */
static void test_damaged_block(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("damaged");
    tess_store_spec_t s = spec2d(0);
    tess_store_info_t info;
    double got[100];
    struct stat sb;

    tess_store_obj_t *o = tess_store_create(st, "Damaged", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(put_rows(o, 0, 0, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    snprintf(path, sizeof(path), "%s/.objects/%s/blocks/b0.h5",
             tess_store_dir(st), info.id);
    CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
    CU_ASSERT_EQUAL_FATAL(truncate(path, sb.st_size - 100), 0);
    errno = 0;
    CU_ASSERT_EQUAL(tess_store_read(o, 0, got, &err), -1);
    CU_ASSERT_EQUAL(errno, EIO);
    ASSERT_HAS(err.text, "object Damaged");
    ASSERT_HAS(err.text, "b0.h5");
    int64_t bs[2] = {0, 0}, bc[2] = {10, 10};
    CU_ASSERT_EQUAL(tess_store_read_box(o, 0, bs, bc, got, &err), -1);
    CU_ASSERT_EQUAL(errno, EIO);
    tess_store_obj_close(o);
    tess_store_close(st);
}

static int collect(const char *name, void *arg)
{
    char *buf = arg;
    strcat(buf, name);
    strcat(buf, " ");
    return 0;
}

/* Entries that are not objects are skipped by listings and refused by
 * name; what crashes leave behind is collected by tess_store_gc(). */
static void test_foreign_entries_and_gc(void)
{
    char path[PATH_MAX], names[256] = "";
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("gc");
    tess_store_spec_t s = spec2d(0);
    const char *d = tess_store_dir(st);

    tess_store_obj_t *o = tess_store_create(st, "Kept", &s, &err);
    put_rows(o, 0, 0, &err);
    tess_store_obj_t *o2 = tess_store_create(st, "Alpha", &s, &err);
    tess_store_complete(o2, &err);
    snprintf(path, sizeof(path), "%s/README", d);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof(path), "%s/data", d);
    mkdir(path, 0777);
    snprintf(path, sizeof(path), "%s/evil", d);
    CU_ASSERT_EQUAL(symlink("/etc", path), 0);
    CU_ASSERT_EQUAL(tess_store_foreach(st, collect, names, &err), 0);
    CU_ASSERT_STRING_EQUAL(names, "Alpha Kept ");
    CU_ASSERT_PTR_NULL(tess_store_obj_open(st, "evil", 0, &err));
    CU_ASSERT_EQUAL(errno, EPROTO);
    ASSERT_HAS(err.text, "evil is not a Tessera object");
    CU_ASSERT_EQUAL(tess_store_delete(st, "evil", &err), -1);
    CU_ASSERT_EQUAL(errno, EPROTO);
    CU_ASSERT_EQUAL(access(path, F_OK), 0); /* left alone */
    CU_ASSERT_PTR_NULL(tess_store_obj_open(st, "README", 0, &err));
    CU_ASSERT_EQUAL(errno, EPROTO);

    /* leftovers: an unnamed incarnation whose creator died, a name being
     * deleted, a dead writer's temporary in a complete object */
    char orphan[1024], young[1024];
    snprintf(orphan, sizeof(orphan),
             "%s/.objects/0123456789abcdef0123456789abcdef", d);
    mkdir(orphan, 0777);
    snprintf(path, sizeof(path), "%s/lock", orphan);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof(path), "%s/meta", orphan);
    fclose(fopen(path, "w"));
    /* a creator between its mkdir and its lock: kept */
    snprintf(young, sizeof(young),
             "%s/.objects/fedcba9876543210fedcba9876543210", d);
    mkdir(young, 0777);
    snprintf(path, sizeof(path), "%s/.del.0123", d);
    CU_ASSERT_EQUAL(symlink(".objects/0123", path), 0);
    tess_store_info_t info;
    tess_store_info(o2, &info, &err);
    snprintf(path, sizeof(path), "%s/.objects/%s/blocks/b3.h5.tmp.1.2", d,
             info.id);
    fclose(fopen(path, "w"));
    CU_ASSERT_EQUAL(tess_store_gc(st, &err), 3);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(access(orphan, F_OK), -1);
    CU_ASSERT_EQUAL(access(young, F_OK), 0);
    CU_ASSERT_EQUAL(tess_store_gc(st, &err), 0);
    /* ... until it is old */
    struct timespec old_times[2] = {{time(NULL) - 3600, 0},
                                    {time(NULL) - 3600, 0}};
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, young, old_times, 0), 0);
    CU_ASSERT_EQUAL(tess_store_gc(st, &err), 1);
    CU_ASSERT_EQUAL(access(young, F_OK), -1);
    /* the named objects are intact, the producer's still building */
    tess_store_obj_t *k = tess_store_obj_open(st, "Kept", 0, &err);
    CU_ASSERT_PTR_NOT_NULL(k);
    CU_ASSERT_EQUAL(tess_store_info(k, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_BUILDING);
    CU_ASSERT_EQUAL(info.nblocks, 1);
    tess_store_obj_close(k);
    tess_store_obj_close(o);
    tess_store_obj_close(o2);
    tess_store_close(st);
}

static void test_store_dirs(void)
{
    char dir[1024], home[1024];
    tess_error_t err = {""};
    char *saved_store = getenv("TESSERA_STORE");
    char *saved_home = getenv("HOME");

    saved_store = saved_store ? strdup(saved_store) : NULL;
    saved_home = saved_home ? strdup(saved_home) : NULL;
    snprintf(dir, sizeof(dir), "%s/env-store", scratch);
    mkdir(dir, 0777);
    setenv("TESSERA_STORE", dir, 1);
    tess_store_t *st = tess_store_open(NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL(st);
    if (st)
        CU_ASSERT_STRING_EQUAL(tess_store_dir(st), dir);
    tess_store_close(st);

    unsetenv("TESSERA_STORE");
    snprintf(home, sizeof(home), "%s/home", scratch);
    setenv("HOME", home, 1);
    CU_ASSERT_PTR_NULL(tess_store_open(NULL, 0, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "/home/.tessera/store");
    ASSERT_HAS(err.text, "no such store directory");
    st = tess_store_open(NULL, TESS_STORE_CREATE, &err);
    CU_ASSERT_PTR_NOT_NULL(st);
    if (st)
        ASSERT_HAS(tess_store_dir(st), "/home/.tessera/store");
    /* an empty store is a store with no objects */
    char names[64] = "";
    CU_ASSERT_EQUAL(tess_store_foreach(st, collect, names, &err), 0);
    CU_ASSERT_STRING_EQUAL(names, "");
    CU_ASSERT_EQUAL(tess_store_gc(st, &err), 0);
    tess_store_close(st);
    snprintf(dir, sizeof(dir), "%s/home/.tessera/store/x", scratch);
    fclose(fopen(dir, "w"));
    CU_ASSERT_PTR_NULL(tess_store_open(dir, 0, &err));
    CU_ASSERT_EQUAL(errno, ENOTDIR);

    if (saved_store)
        setenv("TESSERA_STORE", saved_store, 1);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    free(saved_store);
    free(saved_home);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("store", suite_init, suite_clean);
    if (!s)
        return -1;
    CU_add_test(s, "names: hostile ones refused, nothing touched",
                test_names);
    CU_add_test(s, "create, put, complete, iterate, read", test_round_trip);
    CU_add_test(s, "announced block count checked", test_announced_count);
    CU_add_test(s, "creation races: one winner", test_create_race);
    CU_add_test(s, "deletion under a reader and a producer",
                test_delete_under_reader);
    CU_add_test(s, "consumer first, waits and time-outs",
                test_consumer_first);
    CU_add_test(s, "a producer that dies", test_producer_death);
    CU_add_test(s, "group sharing and umask", test_group_sharing);
    CU_add_test(s, "metadata and provenance", test_metadata);
    CU_add_test(s, "a damaged block is an error", test_damaged_block);
    CU_add_test(s, "foreign entries and garbage", test_foreign_entries_and_gc);
    CU_add_test(s, "store directories", test_store_dirs);
    return 0;
}

