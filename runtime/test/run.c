/* test_run - the run API on the thread executor: waits, barrier, failures,
 * files, graph export, throttling, kernels. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/test/cunit_main.h"
#include "tessera.h"

/* fill(OUT a, int v): every element = v + its index */
static int k_fill(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t n = tess_args_numel(a, 0), v = tess_args_int(a, 1);
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)(v + i);
    return 0;
}

/* add(IN a, INOUT b): b += a */
static int k_add(const tess_args_t *a)
{
    const double *x = tess_args_data(a, 0);
    double *y = tess_args_data(a, 1);
    if (tess_args_numel(a, 0) != tess_args_numel(a, 1))
        return tess_args_fail(a, "shape mismatch");
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        y[i] += x[i];
    return 0;
}

static int k_boom(const tess_args_t *a)
{
    return tess_args_fail(a, "boom says no (task %llu)",
                          (unsigned long long)tess_args_task_id(a));
}

/* append(INOUT file, string s): appends s and a newline */
static int k_append(const tess_args_t *a)
{
    FILE *f = fopen(tess_args_path(a, 0), "a");
    if (!f)
        return tess_args_fail(a, "cannot open %s", tess_args_path(a, 0));
    fprintf(f, "%s\n", tess_args_string(a, 1));
    return fclose(f) == 0 ? 0 : -1;
}

/* copyfile(IN src, OUT dst) */
static int k_copyfile(const tess_args_t *a)
{
    char buf[4096];
    FILE *in = fopen(tess_args_path(a, 0), "r");
    FILE *out = fopen(tess_args_path(a, 1), "w");
    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return tess_args_fail(a, "cannot open files");
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

static int k_noop(const tess_args_t *a)
{
    (void)a;
    return 0;
}

/* nap(INOUT x): 50 ms of "work" */
static int k_nap(const tess_args_t *a)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    double *x = tess_args_data(a, 0);
    nanosleep(&ts, NULL);
    x[0] += 1;
    return 0;
}

static tess_run_t *new_run(int threads)
{
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = threads;
    tess_run_t *run = tess_run_create(&cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    tess_register_kernel(run, "fill", k_fill);
    tess_register_kernel(run, "add", k_add);
    tess_register_kernel(run, "boom", k_boom);
    tess_register_kernel(run, "append", k_append);
    tess_register_kernel(run, "copyfile", k_copyfile);
    tess_register_kernel(run, "noop", k_noop);
    return run;
}

static void test_wait_on_regions(void)
{
    tess_run_t *run = new_run(3);
    tess_error_t err;
    int64_t shape[2] = {6, 4};
    tess_data_t a = tess_array(run, "A", TESS_F64, 2, shape, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 2, shape, NULL, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(a, 0);
    /* A rows 0..3 = 0.., rows 3..6 = 100..; B = A + A */
    CU_ASSERT(TESS_SUBMIT(run, "fill", 0, tess_rows(TESS_OUT, a, 0, 3), tess_int(0)) > 0);
    CU_ASSERT(TESS_SUBMIT(run, "fill", 0, tess_rows(TESS_OUT, a, 3, 6), tess_int(100)) > 0);
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(b));
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(b));
    double got[24];
    CU_ASSERT_EQUAL(tess_wait_on(run, b, got, &err), 0);
    for (int i = 0; i < 24; i++) {
        double expect = i < 12 ? i : 100 + (i - 12);
        CU_ASSERT_EQUAL(got[i], 2 * expect);
    }
    /* a region update after the wait is seen by the next wait */
    TESS_SUBMIT(run, "fill", 0, tess_rows(TESS_OUT, b, 5, 6), tess_int(-4));
    CU_ASSERT_EQUAL(tess_wait_on(run, b, got, &err), 0);
    CU_ASSERT_EQUAL(got[20], -4);
    CU_ASSERT_EQUAL(got[23], -1);
    CU_ASSERT_EQUAL(got[19], 2 * 107);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
}

static void test_initial_values_and_zeros(void)
{
    tess_run_t *run = new_run(2);
    tess_error_t err;
    int64_t n[1] = {5};
    double init[5] = {1, 2, 3, 4, 5}, got[5];
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, init, &err);
    tess_data_t z = tess_array(run, "Z", TESS_F64, 1, n, NULL, &err);
    init[0] = 99; /* the run keeps its own copy */
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(z));
    CU_ASSERT_EQUAL(tess_wait_on(run, z, got, &err), 0);
    CU_ASSERT_EQUAL(got[0], 1);
    CU_ASSERT_EQUAL(got[4], 5);
    CU_ASSERT_EQUAL(tess_wait_on(run, a, got, &err), 0);
    CU_ASSERT_EQUAL(got[0], 1);
    tess_run_destroy(run, NULL);
}

static void test_failure(void)
{
    tess_run_t *run = new_run(2);
    tess_error_t err;
    int64_t n[1] = {3};
    double got[3];
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    TESS_SUBMIT(run, "fill", 0, tess_out(b), tess_int(7));
    TESS_SUBMIT(run, "boom", 0, tess_out(a));
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(b));
    CU_ASSERT_EQUAL(tess_wait_on(run, a, got, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "A could not be computed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "task 2 (boom) failed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, ": boom says no (task 2)"));
    CU_ASSERT_EQUAL(tess_barrier(run, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(tess_run_error(run), "task 2 (boom)"));
    /* B depended on A through add: its value is lost too */
    CU_ASSERT_EQUAL(tess_wait_on(run, b, got, &err), -1);
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), -1);
}

static void test_unknown_kernel(void)
{
    tess_run_t *run = new_run(1);
    tess_error_t err;
    int64_t n[1] = {3};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_param_t p = tess_out(a);
    CU_ASSERT_EQUAL(tess_submit(run, "no_such_kernel_xyz", 0, 1, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "unknown kernel 'no_such_kernel_xyz'"));
    CU_ASSERT_EQUAL(tess_submit(run, "nolib_xyz:sym", 0, 1, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "kernel library 'nolib_xyz' not found"));
    tess_run_destroy(run, NULL);
}

static void test_files(void)
{
    char dir[] = "/tmp/tess-test-XXXXXX", src[300], dst[300], line[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(src, sizeof(src), "%s/log.txt", dir);
    snprintf(dst, sizeof(dst), "%s/snapshot.txt", dir);
    FILE *f = fopen(src, "w");
    fputs("start\n", f);
    fclose(f);

    tess_run_t *run = new_run(2);
    tess_error_t err;
    tess_data_t fs = tess_file(run, src, &err);
    tess_data_t fd = tess_file(run, dst, &err);
    TESS_SUBMIT(run, "append", 0, tess_inout(fs), tess_string("one"));
    TESS_SUBMIT(run, "copyfile", 0, tess_in(fs), tess_out(fd));
    /* renaming: this append does not disturb the copy above */
    TESS_SUBMIT(run, "append", 0, tess_inout(fs), tess_string("two"));
    CU_ASSERT_EQUAL(tess_wait_on_file(run, fd, &err), 0);
    f = fopen(dst, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int lines = 0;
    while (fgets(line, sizeof(line), f))
        lines++;
    fclose(f);
    CU_ASSERT_EQUAL(lines, 2); /* start, one */
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    /* at the end the user's file holds the last version */
    f = fopen(src, "r");
    lines = 0;
    while (fgets(line, sizeof(line), f))
        lines++;
    fclose(f);
    CU_ASSERT_EQUAL(lines, 3);
    unlink(src);
    unlink(dst);
    rmdir(dir);
}

static void test_dot_export(void)
{
    char path[] = "/tmp/tess-dot-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = 1;
    cfg.dot_path = path;
    tess_run_t *run = tess_run_create(&cfg, &err);
    tess_register_kernel(run, "fill", k_fill);
    tess_register_kernel(run, "add", k_add);
    int64_t n[1] = {4};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    TESS_SUBMIT(run, "fill", 0, tess_out(a), tess_int(1));
    TESS_SUBMIT(run, "add", TESS_PRIORITY, tess_in(a), tess_inout(b));
    CU_ASSERT_EQUAL(tess_run_destroy(run, &err), 0);
    char text[2048] = "";
    FILE *f = fopen(path, "r");
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "digraph tessera {"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "t1 [label=\"1: fill\"]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "t2 [label=\"2: add\", penwidth=2]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "t1 -> t2 [label=\"A v1\"]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "}\n"));
    unlink(path);
}

/* With max_in_flight, submission blocks: the engine never holds more task
 * records than the window, whatever the number submitted. */
static void test_throttle_bounds_memory(void)
{
    tess_config_t cfg;
    tess_error_t err;
    tess_stats_t st;
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    cfg.max_in_flight = 64;
    tess_run_t *run = tess_run_create(&cfg, &err);
    tess_register_kernel(run, "noop", k_noop);
    int64_t n[1] = {1};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    for (int i = 0; i < 20000; i++)
        TESS_SUBMIT(run, "noop", 0, tess_inout(a));
    CU_ASSERT_EQUAL(tess_barrier(run, &err), 0);
    tess_run_stats(run, &st);
    CU_ASSERT_EQUAL(st.submitted, 20000);
    CU_ASSERT_EQUAL(st.completed, 20000);
    CU_ASSERT(st.peak_live_tasks <= 64);
    CU_ASSERT_EQUAL(st.live_tasks, 0);
    CU_ASSERT(st.live_versions <= 2);
    tess_run_destroy(run, NULL);
}

static void test_delete(void)
{
    tess_run_t *run = new_run(2);
    tess_error_t err;
    int64_t n[1] = {3};
    double got[3];
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    TESS_SUBMIT(run, "fill", 0, tess_out(a), tess_int(5));
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(b));
    CU_ASSERT_EQUAL(tess_delete(run, a), 0);
    CU_ASSERT_EQUAL(tess_delete(run, a), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(tess_wait_on(run, b, got, &err), 0);
    CU_ASSERT_EQUAL(got[2], 7);
    CU_ASSERT_EQUAL(tess_wait_on(run, a, got, &err), -1);
    tess_run_destroy(run, NULL);
}

/* which(OUT x): 1, which_alt(OUT x): 2 - which implementation ran */
static int k_which(const tess_args_t *a)
{
    ((double *)tess_args_data(a, 0))[0] = 1;
    return 0;
}

static int k_which_alt(const tess_args_t *a)
{
    ((double *)tess_args_data(a, 0))[0] = 2;
    return 0;
}

/* Constraints and implementations on the thread executor, whose one
 * "worker" has architecture "default" and nthreads slots. */
static void test_constraints(void)
{
    tess_run_t *run = new_run(2);
    tess_error_t err;
    tess_register_kernel(run, "which", k_which);
    tess_register_kernel(run, "which_alt", k_which_alt);
    CU_ASSERT_STRING_EQUAL(tess_run_archs(run), "default");
    int64_t n[1] = {3};
    double got[3];
    tess_data_t x = tess_array(run, "X", TESS_F64, 1, n, NULL, &err);
    int64_t s0[1] = {0}, s1[1] = {1}, s2[1] = {2}, one[1] = {1};
    /* an implementation for this architecture replaces the default */
    tess_impl_t impl = {"default", "which_alt"};
    tess_task_opts_t o = {.nimpls = 1, .impls = &impl};
    tess_param_t p = tess_region(TESS_OUT, x, 1, s0, one);
    CU_ASSERT(tess_submit2(run, "which", &o, 1, &p, &err) > 0);
    /* one for another architecture does not */
    tess_impl_t mic = {"mic", "which_alt"};
    tess_task_opts_t o2 = {.nimpls = 1, .impls = &mic, .cpus = 2};
    p = tess_region(TESS_OUT, x, 1, s1, one);
    CU_ASSERT(tess_submit2(run, "which", &o2, 1, &p, &err) > 0);
    p = tess_region(TESS_OUT, x, 1, s2, one);
    CU_ASSERT(tess_submit(run, "which", 0, 1, &p, &err) > 0);
    CU_ASSERT_EQUAL(tess_wait_on(run, x, got, &err), 0);
    CU_ASSERT_EQUAL(got[0], 2);
    CU_ASSERT_EQUAL(got[1], 1);
    CU_ASSERT_EQUAL(got[2], 1);
    /* constraints no worker can meet are refused, naming them */
    tess_task_opts_t only_mic = {.arch = "mic"};
    CU_ASSERT_EQUAL(tess_submit2(run, "which", &only_mic, 1, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "task which needs architecture 'mic' but the workers have: default"));
    tess_task_opts_t big = {.cpus = 3};
    CU_ASSERT_EQUAL(tess_submit2(run, "which", &big, 1, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "needs 3 cpus but workers have at most 2"));
    tess_task_opts_t huge = {.memory_mb = (int64_t)1 << 40}; /* 1 EiB */
    CU_ASSERT_EQUAL(tess_submit2(run, "which", &huge, 1, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "MiB of memory but workers have at most"));
    tess_task_opts_t small = {.memory_mb = 1};
    CU_ASSERT(tess_submit2(run, "which", &small, 1, &p, &err) > 0);
    tess_run_destroy(run, NULL);
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Near the wall-time limit no task starts: running ones finish, the rest
 * are reported as not run, and the run ends promptly with a message. */
static void test_deadline(void)
{
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    cfg.deadline = wall() + 1.0;
    cfg.deadline_margin = 0.6; /* stop starting tasks after ~0.4 s */
    tess_run_t *run = tess_run_create(&cfg, &err);
    tess_register_kernel(run, "nap", k_nap);
    int64_t n[1] = {1};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    double t0 = wall();
    for (int i = 0; i < 40; i++) /* two chains of 20 x 50 ms: 1 s of work */
        TESS_SUBMIT(run, "nap", 0, tess_inout(i % 2 ? a : b));
    CU_ASSERT_EQUAL(tess_barrier(run, &err), -1);
    double took = wall() - t0;
    CU_ASSERT(took < 0.8);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "before the wall-time limit"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "not run"));
    unsigned done = 0, notrun = 0;
    const char *p = strstr(err.text, "limit: ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(sscanf(p, "limit: %u tasks done, %u not run", &done,
                           &notrun), 2);
    CU_ASSERT(done >= 4 && done < 40);
    CU_ASSERT_EQUAL(done + notrun, 40);
    tess_stats_t st;
    tess_run_stats(run, &st);
    CU_ASSERT_EQUAL(st.live_tasks, 0);
    CU_ASSERT_EQUAL(tess_run_destroy(run, NULL), -1);
}

/* stop(INOUT x): cancels the run it runs in (as a SIGTERM handler would),
 * then ends well */
static tess_run_t *stop_target;
static int k_stop(const tess_args_t *a)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the tasks after it are submitted meanwhile */
    tess_run_cancel(stop_target, SIGTERM);
    double *x = tess_args_data(a, 0);
    x[0] += 1;
    return 0;
}

/* status.txt's count KEY ("tasks_not_run"), -1 if absent */
static long status_count(const char *dir, const char *key)
{
    char path[512], line[512];
    long v = -1;
    snprintf(path, sizeof(path), "%s/status.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtol(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

/* A stop cancels nothing: a task that became ready after the stop is not
 * run, and so is the reader of what it would have written (once counted
 * "cancelled: an input could not be computed", CI saw it in t1320). */
static void test_cancel_not_run(void)
{
    char dir[] = "/tmp/test_run.XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char rd[600];
    snprintf(rd, sizeof(rd), "%s/r", dir);
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = 1;
    cfg.run_dir = rd;
    tess_run_t *run = tess_run_create(&cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    stop_target = run;
    tess_register_kernel(run, "stop", k_stop);
    tess_register_kernel(run, "add", k_add);
    int64_t n[1] = {1};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    tess_data_t c = tess_array(run, "C", TESS_F64, 1, n, NULL, &err);
    TESS_SUBMIT(run, "stop", 0, tess_inout(a));
    /* ready once stop ended, the run stopped: not run */
    TESS_SUBMIT(run, "add", 0, tess_in(a), tess_inout(b));
    /* reads what the task before would have written: not run either */
    TESS_SUBMIT(run, "add", 0, tess_in(b), tess_inout(c));
    CU_ASSERT_EQUAL(tess_barrier(run, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "cancelled (Terminated)"));
    CU_ASSERT_EQUAL(tess_run_destroy(run, NULL), -1);
    CU_ASSERT_EQUAL(status_count(rd, "tasks_done"), 1);
    CU_ASSERT_EQUAL(status_count(rd, "tasks_not_run"), 2);
    CU_ASSERT_EQUAL(status_count(rd, "tasks_cancelled"), 0);
    CU_ASSERT_EQUAL(status_count(rd, "tasks_failed"), 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("run", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "wait_on sees region writes", test_wait_on_regions);
    CU_add_test(s, "initial values and zeros", test_initial_values_and_zeros);
    CU_add_test(s, "a failed task fails its readers", test_failure);
    CU_add_test(s, "unknown kernel refused at submit", test_unknown_kernel);
    CU_add_test(s, "files renamed and published", test_files);
    CU_add_test(s, "dot export", test_dot_export);
    CU_add_test(s, "max_in_flight bounds memory", test_throttle_bounds_memory);
    CU_add_test(s, "delete", test_delete);
    CU_add_test(s, "wall-time deadline stops cleanly", test_deadline);
    CU_add_test(s, "a stop cancels nothing", test_cancel_not_run);
    CU_add_test(s, "constraints and implementations", test_constraints);
    return 0;
}
