/*
 * tracedemo - a small program whose record (trace.csv, edges.csv,
 * status.txt) is known, for tests/t1410-report-run.t:
 *
 *   tracedemo RUN_DIR     (under mpirun, 1 engine + workers)
 *
 *   1 produce(OUT A)
 *   2 flaky(INOUT A, marker)   fails on its first attempt, retried
 *   3 consume(IN A, OUT B)
 *   4 bad(OUT C)               always fails; cancels its successors
 *   5 consume(IN C, OUT D)     cancelled (its input failed)
 *   6 consume(IN B, OUT E)
 *
 * The run fails at its end (a task failed), exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tessera.h"

static int k_produce(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] = (double)i;
    return 0;
}

/* The first attempt leaves a marker file and fails, the next succeeds. */
static int k_flaky(const tess_args_t *a)
{
    const char *marker = tess_args_string(a, 1);
    if (access(marker, F_OK) != 0) {
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
        return tess_args_fail(a, "first attempt fails, \"on purpose\", as "
                              "planned");
    }
    return 0;
}

static int k_consume(const tess_args_t *a)
{
    const double *x = tess_args_data(a, 0);
    double *y = tess_args_data(a, 1);
    for (int64_t i = 0; i < tess_args_numel(a, 1); i++)
        y[i] = 2 * x[i];
    return 0;
}

static int k_bad(const tess_args_t *a)
{
    return tess_args_fail(a, "bad input, always");
}

static int app(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)argc;
    (void)arg;
    tess_error_t err;
    int64_t n[1] = {1000};
    char marker[4200];
    snprintf(marker, sizeof(marker), "%s/flaky.marker", argv[1]);
    tess_data_t A = tess_array(run, "A", TESS_F64, 1, n, NULL, &err);
    tess_data_t B = tess_array(run, "B", TESS_F64, 1, n, NULL, &err);
    tess_data_t C = tess_array(run, "C", TESS_F64, 1, n, NULL, &err);
    tess_data_t D = tess_array(run, "D", TESS_F64, 1, n, NULL, &err);
    tess_data_t E = tess_array(run, "E", TESS_F64, 1, n, NULL, &err);
    tess_task_opts_t o;
    memset(&o, 0, sizeof(o));
    o.name = "produce";
    tess_param_t p1[] = {tess_out(A)};
    tess_submit2(run, "produce", &o, 1, p1, &err);
    o.name = "flaky";
    o.on_failure = TESS_ON_FAILURE_RETRY;
    o.retries = 2;
    tess_param_t p2[] = {tess_inout(A), tess_string(marker)};
    tess_submit2(run, "flaky", &o, 2, p2, &err);
    memset(&o, 0, sizeof(o));
    o.name = "consume";
    tess_param_t p3[] = {tess_in(A), tess_out(B)};
    tess_submit2(run, "consume", &o, 2, p3, &err);
    o.name = "bad";
    o.on_failure = TESS_ON_FAILURE_CANCEL_SUCCESSORS;
    tess_param_t p4[] = {tess_out(C)};
    tess_submit2(run, "bad", &o, 1, p4, &err);
    memset(&o, 0, sizeof(o));
    o.name = "consume";
    tess_param_t p5[] = {tess_in(C), tess_out(D)};
    tess_submit2(run, "consume", &o, 2, p5, &err);
    tess_param_t p6[] = {tess_in(B), tess_out(E)};
    tess_submit2(run, "consume", &o, 2, p6, &err);
    if (tess_barrier(run, &err) < 0) {
        fprintf(stderr, "tracedemo: %s\n", err.text);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t kernels[] = {
        {"produce", k_produce}, {"flaky", k_flaky}, {"consume", k_consume},
        {"bad", k_bad}, {NULL, NULL}};
    tess_config_t cfg;
    if (argc < 2) {
        fprintf(stderr, "usage: tracedemo RUN_DIR\n");
        return 2;
    }
    tess_config_init(&cfg);
    cfg.run_dir = argv[1];
    cfg.nthreads = 1;
    return tess_mpi_main(&argc, &argv, kernels, &cfg, app, NULL);
}
