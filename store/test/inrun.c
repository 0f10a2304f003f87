/* test_inrun - the store as runs use it (store/inrun.h): a run's fragment
 * file committed as a block by a hard link, the checks that keep a block
 * written once, producers taken over at a resume, waits in steps. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "io/h5frag.h"
#include "store/inrun.h"
#include "tessera.h"

static tess_store_t *fresh_store(const char *name)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir_suite, name);
    tess_store_t *st = tess_store_open(dir, TESS_STORE_CREATE, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    return st;
}

static const int64_t SHAPE[2] = {40, 10};

static tess_store_spec_t spec(const char *run)
{
    tess_store_spec_t s = {TESS_F64, 2, SHAPE, 0, "wf", run, "", 0};
    return s;
}

/* A run's fragment of rows [10b, 10b+10), as a worker writes it. */
static void frag(char *path, size_t len, const char *tag, int64_t b,
                 tess_type_t type)
{
    double buf[100];
    int64_t start[2] = {10 * b, 0}, count[2] = {10, 10};
    for (int k = 0; k < 100; k++)
        buf[k] = (double)(b * 1000 + k);
    snprintf(path, len, "%s/run-%s/frags/d1/v%lld.h5", tmpdir_suite, tag,
             (long long)b + 1);
    tess_error_t err;
    int rc = h5frag_write(path, type, 2, start, count,
                          type == TESS_F64 ? (void *)buf : (void *)buf, &err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_commit_file(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("commit");
    tess_store_spec_t s = spec("/runs/r1");
    tess_store_obj_t *o = tess_store_create(st, "Blocks", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    char path[PATH_MAX], other[PATH_MAX];
    frag(path, sizeof(path), "a", 2, TESS_F64);
    CU_ASSERT_EQUAL(inrun_commit_file(o, 7, path, &err), 0);
    /* no copy: the block is the run's file under a second name */
    char block[PATH_MAX + 100];
    tess_store_info_t info;
    CU_ASSERT_EQUAL_FATAL(tess_store_info(o, &info, &err), 0);
    snprintf(block, sizeof(block), "%s/.objects/%s/blocks/b7.h5",
             tess_store_dir(st), info.id);
    struct stat a, b;
    CU_ASSERT_EQUAL(stat(path, &a), 0);
    CU_ASSERT_EQUAL(stat(block, &b), 0);
    CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
    CU_ASSERT_EQUAL(b.st_nlink, 2);
    double buf[100];
    CU_ASSERT_EQUAL(tess_store_read(o, 7, buf, &err), 0);
    CU_ASSERT_EQUAL(buf[0], 2000.0);
    CU_ASSERT_EQUAL(buf[99], 2099.0);
    tess_store_block_t blk;
    CU_ASSERT_EQUAL(tess_store_block_info(o, 7, &blk, &err), 0);
    CU_ASSERT_EQUAL(blk.start[0], 20);
    CU_ASSERT_EQUAL(blk.count[0], 10);

    /* written once: a second commit of the id, from another file */
    frag(other, sizeof(other), "a", 3, TESS_F64);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_commit_file(o, 7, other, &err), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "block 7 exists already"));
    /* ... and the same file again (a retransmission) is no error */
    CU_ASSERT_EQUAL(inrun_commit_file(o, 7, path, &err), 0);
    /* a commit repeated after a crash recognises the block by its box */
    int64_t s20[2] = {20, 0}, s30[2] = {30, 0}, c10[2] = {10, 10};
    CU_ASSERT_EQUAL(inrun_block_matches(o, 7, s20, c10, &err), 1);
    CU_ASSERT_EQUAL(inrun_block_matches(o, 8, s20, c10, &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_block_matches(o, 7, s30, c10, &err), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "exists already as [20:30, "
                                            "0:10]"));

    /* a file that does not fit the object is refused, nothing changes */
    char bad[PATH_MAX];
    frag(bad, sizeof(bad), "b", 1, TESS_I64);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_commit_file(o, 9, bad, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "i64 elements"));
    int64_t start[2] = {35, 0}, count[2] = {10, 10};
    double big[100] = {0};
    snprintf(bad, sizeof(bad), "%s/run-b/frags/d1/v99.h5", tmpdir_suite);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(bad, TESS_F64, 2, start, count, big,
                                       &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_commit_file(o, 9, bad, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "outside the object's shape"));
    snprintf(bad, sizeof(bad), "%s/run-b/frags/d1/none.h5", tmpdir_suite);
    CU_ASSERT_EQUAL(inrun_commit_file(o, 9, bad, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);

    /* the run removes its name: the block stays */
    CU_ASSERT_EQUAL(unlink(path), 0);
    CU_ASSERT_EQUAL(tess_store_read(o, 7, buf, &err), 0);
    CU_ASSERT_EQUAL(buf[5], 2005.0);
    CU_ASSERT_EQUAL(tess_store_complete(o, &err), 0);
    CU_ASSERT_EQUAL(inrun_commit_file(o, 8, other, &err), -1);
    CU_ASSERT_EQUAL(errno, EROFS);
    tess_store_obj_close(o);
    tess_store_close(st);
}

static void test_adopt(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("adopt");
    tess_store_spec_t s = spec("/runs/r1");
    tess_store_obj_t *o = tess_store_create(st, "Res", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE(inrun_is_producer(o));
    /* the producer is alive: nobody takes it over */
    errno = 0;
    CU_ASSERT_PTR_NULL(inrun_adopt(st, "Res", "/runs/r1", &err));
    CU_ASSERT_EQUAL(errno, EBUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "still alive"));
    char path[PATH_MAX];
    frag(path, sizeof(path), "c", 0, TESS_F64);
    CU_ASSERT_EQUAL(inrun_commit_file(o, 0, path, &err), 0);
    tess_store_obj_close(o); /* the run dies */

    /* another run may not take it */
    errno = 0;
    CU_ASSERT_PTR_NULL(inrun_adopt(st, "Res", "/runs/r2", &err));
    CU_ASSERT_EQUAL(errno, EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "for the run /runs/r1"));
    errno = 0;
    CU_ASSERT_PTR_NULL(inrun_adopt(st, "Nothing", "/runs/r1", &err));
    CU_ASSERT_EQUAL(errno, ENOENT);

    /* its own run, resumed, does: building again, it commits and
     * completes */
    tess_store_obj_t *c = tess_store_obj_open(st, "Res", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    tess_store_info_t info;
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_INCOMPLETE);
    tess_store_obj_t *a = inrun_adopt(st, "Res", "/runs/r1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_TRUE(inrun_is_producer(a));
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_BUILDING);
    CU_ASSERT_EQUAL(info.pid, (long)getpid());
    frag(path, sizeof(path), "c", 1, TESS_F64);
    CU_ASSERT_EQUAL(inrun_commit_file(a, 1, path, &err), 0);
    CU_ASSERT_EQUAL(tess_store_complete(a, &err), 0);
    tess_store_obj_close(a);
    CU_ASSERT_EQUAL(tess_store_info(c, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_COMPLETE);
    CU_ASSERT_EQUAL(info.nblocks, 2);
    /* complete: opened as it is, not as a producer */
    a = inrun_adopt(st, "Res", "/runs/r1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FALSE(inrun_is_producer(a));
    tess_store_obj_close(a);
    tess_store_obj_close(c);
    tess_store_close(st);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_steps(void)
{
    tess_error_t err = {""};
    tess_store_t *st = fresh_store("steps");
    tess_store_spec_t s = spec("/runs/r3");
    tess_store_obj_t *p = tess_store_create(st, "Grow", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    tess_store_obj_t *c = tess_store_obj_open(st, "Grow", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    tess_store_iter_t *it = tess_store_blocks(c, TESS_STORE_WAIT, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(it);
    tess_store_block_t b;
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), 2);
    CU_ASSERT_EQUAL(inrun_poll_block(c, 1, &b, &err), 0);
    char path[PATH_MAX];
    frag(path, sizeof(path), "d", 1, TESS_F64);
    CU_ASSERT_EQUAL(inrun_commit_file(p, 1, path, &err), 0);
    CU_ASSERT_EQUAL(inrun_poll_block(c, 1, &b, &err), 1);
    CU_ASSERT_EQUAL(b.start[0], 10);
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), 1);
    CU_ASSERT_EQUAL(b.id, 1);
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), 2);
    CU_ASSERT_EQUAL(tess_store_complete(p, &err), 0);
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_poll_block(c, 5, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    tess_store_iter_destroy(it);
    tess_store_obj_close(c);
    tess_store_obj_close(p);

    /* a time-out, then a producer that ends without completing */
    p = tess_store_create(st, "Stall", &s, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    c = tess_store_obj_open(st, "Stall", 0, &err);
    it = tess_store_blocks(c, TESS_STORE_WAIT, 0.05, &err);
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), 2);
    sleep_ms(80);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no new block for 0.1 s"));
    tess_store_iter_destroy(it);
    it = tess_store_blocks(c, TESS_STORE_WAIT, 0, &err);
    tess_store_obj_close(p);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_next(it, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    errno = 0;
    CU_ASSERT_EQUAL(inrun_poll_block(c, 0, &b, &err), -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    /* the watched directories are the object's */
    const char *dirs[2];
    char buf[2 * PATH_MAX];
    CU_ASSERT_EQUAL(inrun_watch_dirs(c, dirs, buf), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(dirs[1], "/blocks"));
    tess_store_iter_destroy(it);
    tess_store_obj_close(c);
    tess_store_close(st);
}

static const cunit_test_t tests[] = {
    {"a run's fragment committed by a hard link, once", test_commit_file},
    {"producer taken over by its own run only", test_adopt},
    {"waits in steps: blocks, end, time-out, dead producer", test_steps},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("inrun", tmpdir_suite_init, tmpdir_suite_clean,
                           tests);
}

