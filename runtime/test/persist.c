/* test_persist - persistent objects in runs (tess_persist_*, tess_block*),
 * on the thread executor: blocks written by tasks and committed, read by
 * another run (one task per block and per pair of blocks), the checks at
 * submission, commits without copies, and an object read while another
 * process produces it, the run's tasks running meanwhile. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "tessera.h"


/* The element (r, c) of the objects of these tests. */
static double value(int64_t r, int64_t c)
{
    return (double)(r * 1000 + c);
}

/* fill(OUT block): value(r, c) at its place in the whole array */
static int k_fill(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    const int64_t *s = tess_args_start(a, 0), *n = tess_args_shape(a, 0);
    for (int64_t i = 0; i < n[0]; i++)
        for (int64_t j = 0; j < n[1]; j++)
            x[i * n[1] + j] = value(s[0] + i, s[1] + j);
    return 0;
}

static double sum(const tess_args_t *a, int i)
{
    const double *x = tess_args_data(a, i);
    double t = 0;
    for (int64_t k = 0; k < tess_args_numel(a, i); k++)
        t += x[k];
    return t;
}

/* sum(IN block, OUT r[1]) */
static int k_sum(const tess_args_t *a)
{
    *(double *)tess_args_data(a, 1) = sum(a, 0);
    return 0;
}

/* stop(IN x): fails, which stops its run (a run to resume) */
static int k_stop(const tess_args_t *a)
{
    return tess_args_fail(a, "stops the run on purpose");
}

/* pair(IN a, IN b, OUT r[1]): sum(a) + 2 sum(b) */
static int k_pair(const tess_args_t *a)
{
    *(double *)tess_args_data(a, 2) = sum(a, 0) + 2 * sum(a, 1);
    return 0;
}

/* stamp(IN block, OUT t[1]): when it ran */
static int k_stamp(const tess_args_t *a)
{
    *(double *)tess_args_data(a, 1) = clock_wall_s();
    return 0;
}

static tess_store_t *store_at(const char *name)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir_suite, name);
    tess_store_t *st = tess_store_open(dir, TESS_STORE_CREATE, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    return st;
}

static tess_run_t *new_run(const char *run_dir)
{
    tess_config_t cfg;
    tess_error_t err = {""};
    char dir[PATH_MAX];
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    if (run_dir) {
        snprintf(dir, sizeof(dir), "%s/%s", tmpdir_suite, run_dir);
        cfg.run_dir = dir;
    }
    tess_run_t *run = tess_run_create(&cfg, &err);
    if (!run)
        fprintf(stderr, "\n  %s\n", err.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    tess_register_kernel(run, "fill", k_fill);
    tess_register_kernel(run, "sum", k_sum);
    tess_register_kernel(run, "pair", k_pair);
    tess_register_kernel(run, "stamp", k_stamp);
    return run;
}

static const int64_t SHAPE[2] = {8, 4};

/* Run @p run_dir makes object @p name: 4 blocks of 2 rows, ids 10..13. */
static void produce(tess_store_t *st, const char *name, const char *run_dir)
{
    tess_error_t err = {""};
    tess_run_t *run = new_run(run_dir);
    tess_store_spec_t spec = {TESS_F64, 2, SHAPE, 4, "test", NULL, "", 0};
    tess_data_t obj = tess_persist_create(run, st, name, &spec, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    for (int64_t b = 0; b < 4; b++) {
        int64_t start[2] = {2 * b, 0}, count[2] = {2, 4};
        tess_block_t blk;
        CU_ASSERT_EQUAL_FATAL(tess_block_new(run, obj, 10 + b, start, count,
                                             &blk, &err), 0);
        CU_ASSERT_NOT_EQUAL(TESS_SUBMIT(run, "fill", 0,
                                        tess_block(TESS_OUT, &blk)), 0);
    }
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0); /* completes it */
}

static void test_produce_consume(void)
{
    tess_error_t err = {""};
    tess_store_t *st = store_at("pc");
    produce(st, "Obj", "pc-run1");
    tess_store_obj_t *o = tess_store_obj_open(st, "Obj", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    tess_store_info_t info;
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_COMPLETE);
    CU_ASSERT_EQUAL(info.nblocks, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(info.run, "pc-run1"));
    double buf[8];
    CU_ASSERT_EQUAL(tess_store_read(o, 12, buf, &err), 0);
    CU_ASSERT_EQUAL(buf[0], value(4, 0));
    CU_ASSERT_EQUAL(buf[7], value(5, 3));
    tess_store_obj_close(o);

    /* another run: one task per block, one per pair of blocks */
    tess_run_t *run = new_run(NULL);
    tess_data_t obj = tess_persist_open(run, st, "Obj", 0, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    int64_t shape[TESS_MAX_RANK];
    tess_type_t type;
    CU_ASSERT_EQUAL(tess_array_shape(run, obj, shape, &type), 2);
    CU_ASSERT_EQUAL(shape[0], 8);
    CU_ASSERT_EQUAL(type, TESS_F64);
    int64_t n4 = 4, n16 = 16;
    tess_data_t sums = tess_array(run, "sums", TESS_F64, 1, &n4, NULL, &err);
    tess_data_t pairs = tess_array(run, "pairs", TESS_F64, 1, &n16, NULL,
                                   &err);
    tess_blocks_t *bi = tess_blocks(run, obj, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bi);
    tess_block_t a, b;
    int64_t i = 0, npairs = 0;
    while (tess_blocks_next(bi, &a, &err) == 1) {
        CU_ASSERT_EQUAL(a.id, 10 + i); /* complete: id order */
        CU_ASSERT_EQUAL(a.start[0], 2 * i);
        TESS_SUBMIT(run, "sum", 0, tess_block(TESS_IN, &a),
                    tess_rows(TESS_OUT, sums, i, i + 1));
        tess_blocks_t *bj = tess_blocks(run, obj, &err);
        int64_t j = 0;
        while (tess_blocks_next(bj, &b, &err) == 1) {
            TESS_SUBMIT(run, "pair", 0, tess_block(TESS_IN, &a),
                        tess_block(TESS_IN, &b),
                        tess_rows(TESS_OUT, pairs, 4 * i + j, 4 * i + j + 1));
            j++;
            npairs++;
        }
        tess_blocks_destroy(bj);
        i++;
    }
    tess_blocks_destroy(bi);
    CU_ASSERT_EQUAL(i, 4);
    CU_ASSERT_EQUAL(npairs, 16);
    double s[4], pr[16], want[4];
    CU_ASSERT_EQUAL(tess_wait_on(run, sums, s, &err), 0);
    CU_ASSERT_EQUAL(tess_wait_on(run, pairs, pr, &err), 0);
    for (int k = 0; k < 4; k++) {
        want[k] = 0;
        for (int r = 2 * k; r < 2 * k + 2; r++)
            for (int c = 0; c < 4; c++)
                want[k] += value(r, c);
        CU_ASSERT_EQUAL(s[k], want[k]);
    }
    for (int p = 0; p < 16; p++)
        CU_ASSERT_EQUAL(pr[p], want[p / 4] + 2 * want[p % 4]);
    /* a block by its id */
    CU_ASSERT_EQUAL(tess_block_get(run, obj, 13, &a, &err), 0);
    CU_ASSERT_EQUAL(a.start[0], 6);
    errno = 0;
    CU_ASSERT_EQUAL(tess_block_get(run, obj, 99, &a, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    /* deleted once the tasks before are done: gone from the store and
     * from the run */
    TESS_SUBMIT(run, "sum", 0, tess_block(TESS_IN, &a),
                tess_rows(TESS_OUT, sums, 0, 1));
    CU_ASSERT_EQUAL(tess_persist_delete(run, st, "Obj", &err), 0);
    CU_ASSERT_EQUAL(tess_wait_on(run, sums, s, &err), 0);
    CU_ASSERT_EQUAL(s[0], want[3]);
    errno = 0;
    CU_ASSERT_PTR_NULL(tess_store_obj_open(st, "Obj", 0, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NULL(tess_blocks(run, obj, &err));
    CU_ASSERT_EQUAL(tess_persist_delete(run, st, "Obj", &err), -1);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    tess_store_close(st);
}

static void test_checks(void)
{
    tess_error_t err = {""};
    tess_store_t *st = store_at("checks");
    produce(st, "Read", NULL);
    tess_run_t *run = new_run(NULL);
    tess_data_t rd = tess_persist_open(run, st, "Read", 0, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(rd, 0);
    tess_block_t b;
    CU_ASSERT_EQUAL(tess_block_get(run, rd, 11, &b, &err), 0);
    /* a block of an object read cannot be written */
    CU_ASSERT_EQUAL(tess_submit(run, "fill", 0, 1,
                                (tess_param_t[]){tess_block(TESS_OUT, &b)},
                                &err), 0);
    ASSERT_HAS(err.text, "read from the store: its blocks cannot be written");
    /* reading elements of no block met */
    CU_ASSERT_EQUAL(tess_submit(run, "sum", 0, 2,
                                (tess_param_t[]){tess_rows(TESS_IN, rd, 0, 4),
                                                 tess_out(rd)},
                                &err), 0);
    ASSERT_HAS(err.text, "holds elements of no block the run has met");
    /* the name is taken */
    tess_store_spec_t spec = {TESS_F64, 2, SHAPE, 0, "test", NULL, "", 0};
    errno = 0;
    CU_ASSERT_EQUAL(tess_persist_create(run, st, "Read", &spec, &err), 0);
    CU_ASSERT_EQUAL(errno, EEXIST);
    ASSERT_HAS(err.text, "object Read exists already");
    errno = 0;
    CU_ASSERT_EQUAL(tess_persist_open(run, st, "Ghost", 0, &err), 0);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(tess_persist_open(run, st, "Ghost", 0.05, &err), 0);
    CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    ASSERT_HAS(err.text, "no object Ghost after waiting 0.1 s");
    tess_data_t w = tess_persist_create(run, st, "Write", &spec, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(w, 0);
    int64_t s0[2] = {0, 0}, c2[2] = {2, 4}, s6[2] = {6, 0}, s7[2] = {7, 0};
    CU_ASSERT_EQUAL(tess_block_new(run, w, 0, s0, c2, &b, &err), 0);
    tess_block_t other;
    errno = 0;
    CU_ASSERT_EQUAL(tess_block_new(run, w, 1, s7, c2, &other, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "outside the object's shape 8x4");
    CU_ASSERT_EQUAL(tess_block_new(run, w, 0, s6, c2, &other, &err), -1);
    ASSERT_HAS(err.text, "block 0 is declared already as [0:2, 0:4]");
    CU_ASSERT_EQUAL(tess_block_new(run, w, 5, s0, c2, &other, &err), -1);
    ASSERT_HAS(err.text, "has the box of block 0");
    /* reading a block before a task writes it */
    CU_ASSERT_EQUAL(tess_submit(run, "sum", 0, 2,
                                (tess_param_t[]){tess_block(TESS_IN, &b),
                                                 tess_rows(TESS_OUT, rd, 0,
                                                           1)},
                                &err), 0);
    ASSERT_HAS(err.text, "holds elements of no block written before");
    /* a region that is not a declared block */
    CU_ASSERT_EQUAL(tess_submit(run, "fill", 0, 1,
                                (tess_param_t[]){tess_rows(TESS_OUT, w, 0, 1)},
                                &err), 0);
    ASSERT_HAS(err.text, "is not a declared block of object Write");
    /* written once */
    CU_ASSERT_NOT_EQUAL(tess_submit(run, "fill", 0, 1,
                                    (tess_param_t[]){tess_block(TESS_OUT, &b)},
                                    &err), 0);
    CU_ASSERT_EQUAL(tess_submit(run, "fill", 0, 1,
                                (tess_param_t[]){tess_block(TESS_INOUT, &b)},
                                &err), 0);
    ASSERT_HAS(err.text, "block 0 of object Write is written already");
    /* the run's refused submissions are its error; the object stays
     * incomplete */
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), -1);
    ASSERT_HAS(err.text, "object Write left incomplete: parameter 0");
    tess_store_obj_t *o = tess_store_obj_open(st, "Write", 0, &err);
    tess_store_info_t info;
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_INCOMPLETE);
    CU_ASSERT_EQUAL(info.nblocks, 1);
    tess_store_obj_close(o);
    tess_store_close(st);
}

/* Large blocks (fragments in the run directory) become store blocks by a
 * hard link; small ones (held in memory) are written by the store. */
static void test_commit_by_link(void)
{
    tess_error_t err = {""};
    tess_store_t *st = store_at("link");
    tess_run_t *run = new_run("link-run");
    int64_t shape[2] = {3, 16384}; /* 128 KiB rows */
    tess_store_spec_t spec = {TESS_F64, 2, shape, 0, "test", NULL, "", 0};
    tess_data_t obj = tess_persist_create(run, st, "Big", &spec, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    tess_block_t b0, b1;
    int64_t s0[2] = {0, 0}, s1[2] = {1, 0}, c1[2] = {1, 16384};
    int64_t c2[2] = {2, 2}, s2[2] = {1, 0};
    (void)s2;
    CU_ASSERT_EQUAL(tess_block_new(run, obj, 0, s0, c1, &b0, &err), 0);
    CU_ASSERT_EQUAL(tess_block_new(run, obj, 1, s1, c2, &b1, &err), 0);
    TESS_SUBMIT(run, "fill", 0, tess_block(TESS_OUT, &b0));
    TESS_SUBMIT(run, "fill", 0, tess_block(TESS_OUT, &b1));
    CU_ASSERT_EQUAL(tess_persist_complete(run, obj, &err), 0);
    tess_store_obj_t *o = tess_store_obj_open(st, "Big", 0, &err);
    tess_store_info_t info;
    CU_ASSERT_EQUAL(tess_store_info(o, &info, &err), 0);
    CU_ASSERT_EQUAL(info.state, TESS_STORE_COMPLETE);
    char block[PATH_MAX + 200], frag[PATH_MAX + 200];
    snprintf(block, sizeof(block), "%s/.objects/%s/blocks/b0.h5",
             tess_store_dir(st), info.id);
    snprintf(frag, sizeof(frag), "%s/link-run/frags/d%llu/v1.h5", tmpdir_suite,
             (unsigned long long)obj);
    struct stat a, c;
    CU_ASSERT_EQUAL(stat(block, &a), 0);
    CU_ASSERT_EQUAL(stat(frag, &c), 0);
    CU_ASSERT_EQUAL(a.st_ino, c.st_ino); /* one file, two names */
    snprintf(block, sizeof(block), "%s/.objects/%s/blocks/b1.h5",
             tess_store_dir(st), info.id);
    CU_ASSERT_EQUAL(stat(block, &a), 0);
    CU_ASSERT_EQUAL(a.st_nlink, 1); /* 32 bytes: written by the store */
    double row[4];
    CU_ASSERT_EQUAL(tess_store_read(o, 1, row, &err), 0);
    CU_ASSERT_EQUAL(row[3], value(2, 1));
    tess_store_obj_close(o);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    tess_store_close(st);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A producer process: after 100 ms creates @p name, then commits its 4
 * blocks 150 ms apart; completes it unless @p die. */
static pid_t producer(const char *dir, const char *name, int die)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    sleep_ms(100);
    tess_store_t *st = tess_store_open(dir, 0, NULL);
    tess_store_spec_t spec = {TESS_F64, 2, SHAPE, 4, "producer", NULL, "", 0};
    tess_store_obj_t *o = st ? tess_store_create(st, name, &spec, NULL) : NULL;
    if (!o)
        _exit(3);
    for (int64_t b = 0; b < 4; b++) {
        double buf[8];
        int64_t start[2] = {2 * b, 0}, count[2] = {2, 4};
        for (int k = 0; k < 8; k++)
            buf[k] = value(2 * b + k / 4, k % 4);
        sleep_ms(150);
        if (die && b == 2)
            _exit(0); /* its lock goes with it */
        if (tess_store_put(o, b, start, count, buf, NULL) < 0)
            _exit(4);
    }
    _exit(tess_store_complete(o, NULL) == 0 ? 0 : 5);
}

static void test_in_situ(void)
{
    tess_error_t err = {""};
    tess_store_t *st = store_at("situ");
    pid_t pid = producer(tess_store_dir(st), "Live", 0);
    tess_run_t *run = new_run(NULL);
    /* started first: waits for the object, then for each block */
    tess_data_t obj = tess_persist_open(run, st, "Live", 10, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    int64_t n4 = 4;
    tess_data_t stamps = tess_array(run, "stamps", TESS_F64, 1, &n4, NULL,
                                    &err);
    double seen[4];
    tess_blocks_t *it = tess_blocks(run, obj, &err);
    tess_block_t b;
    int n = 0;
    while (tess_blocks_next(it, &b, &err) == 1) {
        seen[n] = clock_wall_s();
        CU_ASSERT_EQUAL(b.id, n);
        TESS_SUBMIT(run, "stamp", 0, tess_block(TESS_IN, &b),
                    tess_rows(TESS_OUT, stamps, n, n + 1));
        n++;
    }
    CU_ASSERT_EQUAL(n, 4);
    tess_blocks_destroy(it);
    double t[4];
    CU_ASSERT_EQUAL(tess_wait_on(run, stamps, t, &err), 0);
    /* each task ran while the run waited for the next block */
    for (int k = 0; k < 3; k++)
        CU_ASSERT_TRUE(t[k] < seen[k + 1]);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* a producer that dies: the blocks it committed were used, then the
     * iteration says why it ends */
    pid = producer(tess_store_dir(st), "Dies", 1);
    run = new_run(NULL);
    obj = tess_persist_open(run, st, "Dies", 10, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    it = tess_blocks(run, obj, &err);
    n = 0;
    int rc;
    while ((rc = tess_blocks_next(it, &b, &err)) == 1)
        n++;
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    ASSERT_HAS(err.text, "ended without completing it, after 2 blocks");
    CU_ASSERT_EQUAL(n, 2);
    tess_blocks_destroy(it);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    tess_store_close(st);
}

/* A producer process committing the 4 blocks of @p name in reverse
 * order, 100 ms apart, then completing it. */
static pid_t reverse_producer(const char *dir, const char *name)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    tess_store_t *st = tess_store_open(dir, 0, NULL);
    tess_store_spec_t spec = {TESS_F64, 2, SHAPE, 4, "producer", NULL, "", 0};
    tess_store_obj_t *o = st ? tess_store_create(st, name, &spec, NULL) : NULL;
    if (!o)
        _exit(3);
    for (int64_t b = 3; b >= 0; b--) {
        double buf[8];
        int64_t start[2] = {2 * b, 0}, count[2] = {2, 4};
        for (int k = 0; k < 8; k++)
            buf[k] = value(2 * b + k / 4, k % 4);
        sleep_ms(100);
        if (tess_store_put(o, b, start, count, buf, NULL) < 0)
            _exit(4);
    }
    _exit(tess_store_complete(o, NULL) == 0 ? 0 : 5);
}

/* One consumer run: a task per block, in the order the run meets them.
 * The ids met, in order, into @p ids. With @p stop, a last task fails
 * after them: the run stops with their outputs journaled (a completed run
 * has nothing to resume). */
static void consume(tess_store_t *st, const char *run_dir, int resume,
                    int stop, int64_t *ids, double *sums)
{
    tess_error_t err = {""};
    tess_config_t cfg;
    char dir[PATH_MAX];
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir_suite, run_dir);
    cfg.run_dir = dir;
    cfg.resume = resume;
    tess_run_t *run = tess_run_create(&cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    tess_register_kernel(run, "sum", k_sum);
    tess_register_kernel(run, "stop", k_stop);
    tess_data_t obj = tess_persist_open(run, st, "Rev", 10, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(obj, 0);
    int64_t n4 = 4;
    tess_data_t out = tess_array(run, "sums", TESS_F64, 1, &n4, NULL, &err);
    tess_blocks_t *it = tess_blocks(run, obj, &err);
    tess_block_t b;
    int n = 0;
    while (tess_blocks_next(it, &b, &err) == 1 && n < 4) {
        ids[n] = b.id;
        TESS_SUBMIT(run, "sum", 0, tess_block(TESS_IN, &b),
                    tess_rows(TESS_OUT, out, n, n + 1));
        n++;
    }
    tess_blocks_destroy(it);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(tess_wait_on(run, out, sums, &err), 0);
    CU_ASSERT_STRING_EQUAL(tess_run_error(run), "");
    if (stop) {
        TESS_SUBMIT(run, "stop", 0, tess_in(out));
        CU_ASSERT_NOT_EQUAL(tess_run_destroy(run, &err), 0);
        return;
    }
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
}

/* A run that met the blocks of an object under construction in the order
 * they came and then stopped, resumed when the object is complete, meets
 * them in the same order again (RUN_DIR/store.log), so its journal's tasks
 * replay. */
static void test_resume_order(void)
{
    tess_store_t *st = store_at("order");
    pid_t pid = reverse_producer(tess_store_dir(st), "Rev");
    int64_t first[4], again[4];
    double s1[4], s2[4];
    consume(st, "order-run", 0, 1, first, s1);
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_EQUAL(first[0], 3); /* as they came */
    CU_ASSERT_EQUAL(first[3], 0);
    consume(st, "order-run", 1, 0, again, s2);
    CU_ASSERT_EQUAL(memcmp(first, again, sizeof(first)), 0);
    CU_ASSERT_EQUAL(memcmp(s1, s2, sizeof(s1)), 0);
    /* the resumed run replayed its four tasks */
    char path[PATH_MAX + 32], line[512];
    snprintf(path, sizeof(path), "%s/order-run/trace.csv", tmpdir_suite);
    FILE *f = fopen(path, "r");
    int replayed = 0;
    while (f && fgets(line, sizeof(line), f))
        replayed += strstr(line, ",replayed,") != NULL;
    if (f)
        fclose(f);
    CU_ASSERT_EQUAL(replayed, 4);
    /* a new run meets the complete object in id order */
    consume(st, "order-run2", 0, 0, again, s2);
    CU_ASSERT_EQUAL(again[0], 0);
    CU_ASSERT_EQUAL(again[3], 3);
    tess_store_close(st);
}

static const cunit_test_t tests[] = {
    {"blocks written by tasks, read by another run", test_produce_consume},
    {"checks at submission", test_checks},
    {"large blocks committed by a hard link", test_commit_by_link},
    {"an object read while it is produced", test_in_situ},
    {"a resumed run meets blocks in the same order", test_resume_order},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("persist", tmpdir_suite_init, tmpdir_suite_clean,
                           tests);
}
