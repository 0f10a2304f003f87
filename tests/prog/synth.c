/*
 * synth - a synthetic Tessera program for the MPI integration tests.
 *
 *   synth rows ROWS COLS BLOCKS   many small tasks writing disjoint row
 *                                 blocks, updating them in place, then a
 *                                 reduction over the whole array; checks
 *                                 the result against the formula (exit 0)
 *   synth noop N                  N independent empty tasks: prints tasks/s
 *                                 (SYNTH_SLOTS: slots per worker, default 2;
 *                                 TESS_ISOLATION=none: kernels on the slot
 *                                 threads, not in executor processes)
 *   synth fail K                  task K's kernel fails: the run stops with
 *                                 an error naming it (exit 1)
 *   synth unknown                 a task names a kernel nobody has (exit 2,
 *                                 before any task runs)
 *   synth sleep MS                one task sleeping MS milliseconds: the
 *                                 other ranks have nothing to do (idle CPU)
 *   synth archs N                 N tasks with a "mic" implementation and N
 *                                 that only mic workers may run (workers get
 *                                 their architecture from TESS_ARCH); prints
 *                                 which implementation ran how often
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera.h"

/* fill(OUT rows, int block): element (r, c) = block * 1000 + c */
static int k_fill(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    const int64_t *sh = tess_args_shape(a, 0);
    int64_t b = tess_args_int(a, 1);
    for (int64_t r = 0; r < sh[0]; r++)
        for (int64_t c = 0; c < sh[1]; c++)
            x[r * sh[1] + c] = (double)(b * 1000 + c);
    return 0;
}

/* scale(INOUT rows, double f) */
static int k_scale(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    double f = tess_args_double(a, 1);
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] *= f;
    return 0;
}

/* rowsum(IN A [R x C], OUT S [R]) */
static int k_rowsum(const tess_args_t *a)
{
    const double *x = tess_args_data(a, 0);
    double *s = tess_args_data(a, 1);
    const int64_t *sh = tess_args_shape(a, 0);
    for (int64_t r = 0; r < sh[0]; r++) {
        s[r] = 0;
        for (int64_t c = 0; c < sh[1]; c++)
            s[r] += x[r * sh[1] + c];
    }
    return 0;
}

static int k_noop(const tess_args_t *a)
{
    (void)a;
    return 0;
}

static int k_sleep(const tess_args_t *a)
{
    int64_t ms = tess_args_int(a, 0);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

/* which(OUT x): 1 (default), which_mic(OUT x): 2 (the mic build) */
static int k_which(const tess_args_t *a)
{
    ((double *)tess_args_data(a, 0))[0] = 1;
    return 0;
}

static int k_which_mic(const tess_args_t *a)
{
    ((double *)tess_args_data(a, 0))[0] = 2;
    return 0;
}

static int archs_mode(tess_run_t *run, int64_t n)
{
    tess_error_t err;
    int64_t shape[1] = {2 * n}, one[1] = {1};
    tess_data_t R = tess_array(run, "R", TESS_F64, 1, shape, NULL, &err);
    tess_impl_t mic = {"mic", "which_mic"};
    for (int64_t i = 0; i < 2 * n; i++) {
        tess_task_opts_t o = {.nimpls = 1, .impls = &mic,
                              .arch = i >= n ? "mic" : NULL};
        int64_t st[1] = {i};
        tess_param_t p = tess_region(TESS_OUT, R, 1, st, one);
        if (!tess_submit2(run, "which", &o, 1, &p, &err)) {
            fprintf(stderr, "synth: %s\n", err.text);
            return 2;
        }
    }
    double *r = malloc((size_t)(2 * n) * sizeof(double));
    if (tess_wait_on(run, R, r, &err) < 0) {
        fprintf(stderr, "synth: %s\n", err.text);
        free(r);
        return 1;
    }
    int64_t any_mic = 0, only_mic_ok = 0;
    for (int64_t i = 0; i < n; i++)
        any_mic += r[i] == 2;
    for (int64_t i = n; i < 2 * n; i++)
        only_mic_ok += r[i] == 2;
    printf("synth archs: workers %s; free tasks on mic: %" PRId64 "/%" PRId64
           "; mic-only tasks on mic: %" PRId64 "/%" PRId64 "\n",
           tess_run_archs(run), any_mic, n, only_mic_ok, n);
    free(r);
    tess_task_opts_t gpu = {.arch = "gpu"};
    tess_param_t p = tess_out(R);
    if (!tess_submit2(run, "which", &gpu, 1, &p, &err)) {
        fprintf(stderr, "synth: %s\n", err.text);
        return only_mic_ok == n ? 3 : 1; /* 3: refused as it should be */
    }
    return 1;
}

static int k_explode(const tess_args_t *a)
{
    return tess_args_fail(a, "exploded on purpose");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int rows_mode(tess_run_t *run, int64_t rows, int64_t cols, int64_t nb)
{
    tess_error_t err;
    int64_t shape[2] = {rows, cols};
    tess_data_t A = tess_array(run, "A", TESS_F64, 2, shape, NULL, &err);
    tess_data_t S = tess_array(run, "S", TESS_F64, 1, shape, NULL, &err);
    int64_t bs = (rows + nb - 1) / nb;
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * bs, hi = lo + bs < rows ? lo + bs : rows;
        if (lo >= hi)
            break;
        TESS_SUBMIT(run, "fill", 0, tess_rows(TESS_OUT, A, lo, hi), tess_int(b));
    }
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * bs, hi = lo + bs < rows ? lo + bs : rows;
        if (lo >= hi)
            break;
        TESS_SUBMIT(run, "scale", 0, tess_rows(TESS_INOUT, A, lo, hi),
                    tess_double(b % 2 ? 2.0 : 3.0));
    }
    TESS_SUBMIT(run, "rowsum", TESS_PRIORITY, tess_in(A), tess_out(S));
    double *s = malloc((size_t)rows * sizeof(double));
    if (tess_wait_on(run, S, s, &err) < 0) {
        fprintf(stderr, "synth: %s\n", err.text);
        free(s);
        return 1;
    }
    int bad = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t b = r / bs;
        double f = b % 2 ? 2.0 : 3.0;
        double expect = f * (double)(cols * b * 1000 + cols * (cols - 1) / 2);
        if (s[r] != expect) {
            if (!bad)
                fprintf(stderr, "synth: row %" PRId64 ": %g, expected %g\n", r,
                        s[r], expect);
            bad = 1;
        }
    }
    free(s);
    tess_stats_t st;
    tess_run_stats(run, &st);
    printf("synth rows: %llu tasks, %s\n", (unsigned long long)st.completed,
           bad ? "WRONG" : "correct");
    return bad;
}

static int noop_mode(tess_run_t *run, int64_t n)
{
    tess_error_t err;
    int64_t one[1] = {1};
    tess_data_t x = tess_array(run, "x", TESS_F64, 1, one, NULL, &err);
    double t0 = now();
    for (int64_t i = 0; i < n; i++)
        TESS_SUBMIT(run, "noop", 0, tess_in(x));
    if (tess_barrier(run, &err) < 0)
        return 1;
    double dt = now() - t0;
    printf("synth noop: %" PRId64 " tasks in %.3f s: %.0f tasks/s\n", n, dt,
           (double)n / dt);
    return 0;
}

static int app(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)arg;
    tess_error_t err;
    const char *mode = argc > 1 ? argv[1] : "rows";
    if (strcmp(mode, "rows") == 0)
        return rows_mode(run, argc > 2 ? atoll(argv[2]) : 1000,
                         argc > 3 ? atoll(argv[3]) : 16,
                         argc > 4 ? atoll(argv[4]) : 200);
    if (strcmp(mode, "noop") == 0)
        return noop_mode(run, argc > 2 ? atoll(argv[2]) : 10000);
    if (strcmp(mode, "fail") == 0) {
        int64_t k = argc > 2 ? atoll(argv[2]) : 5, shape[2] = {100, 4};
        tess_data_t A = tess_array(run, "A", TESS_F64, 2, shape, NULL, &err);
        for (int64_t i = 1; i <= 10; i++)
            TESS_SUBMIT(run, i == k ? "explode" : "fill", 0,
                        tess_rows(TESS_OUT, A, i * 10 - 10, i * 10),
                        tess_int(i));
        if (tess_barrier(run, &err) < 0) {
            fprintf(stderr, "synth: %s\n", err.text);
            return 1;
        }
        return 0;
    }
    if (strcmp(mode, "archs") == 0)
        return archs_mode(run, argc > 2 ? atoll(argv[2]) : 10);
    if (strcmp(mode, "sleep") == 0) {
        TESS_SUBMIT(run, "sleep", 0, tess_int(argc > 2 ? atoll(argv[2]) : 1000));
        return tess_barrier(run, &err) < 0 ? 1 : 0;
    }
    if (strcmp(mode, "unknown") == 0) {
        int64_t shape[1] = {4};
        tess_data_t A = tess_array(run, "A", TESS_F64, 1, shape, NULL, &err);
        tess_param_t p = tess_out(A);
        if (!tess_submit(run, "no_such_kernel", 0, 1, &p, &err)) {
            fprintf(stderr, "synth: %s\n", err.text);
            return 2;
        }
        return 0;
    }
    fprintf(stderr, "synth: unknown mode '%s'\n", mode);
    return 2;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t kernels[] = {
        {"fill", k_fill},     {"scale", k_scale}, {"rowsum", k_rowsum},
        {"noop", k_noop},     {"explode", k_explode}, {"sleep", k_sleep},
        {"which", k_which},   {"which_mic", k_which_mic}, {NULL, NULL}};
    tess_config_t cfg;
    tess_config_init(&cfg);
    /* slots per worker (and threads with one rank): SYNTH_SLOTS or 2 */
    const char *slots = getenv("SYNTH_SLOTS");
    cfg.nthreads = slots && atoi(slots) > 0 ? atoi(slots) : 2;
    return tess_mpi_main(&argc, &argv, kernels, &cfg, app, NULL);
}
