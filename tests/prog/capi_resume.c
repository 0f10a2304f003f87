/*
 * capi_resume - a C API program (threads) that can be stopped and resumed:
 *
 *   capi_resume RUN_DIR INIT N [FAIL_AT]
 *
 * Array a (1000 f64) starts as INIT everywhere; a chain of N tasks adds
 * the task's number to every element (step i: a += i); the program prints
 * "sum S" of the final a. With FAIL_AT, the step numbered FAIL_AT fails,
 * which stops the run with the earlier steps journaled. TESS_RESUME=1
 * continues the run recorded in RUN_DIR (tests/t1220-resume-capi.t).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tessera.h"

static int64_t fail_at;

static int step(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t i = tess_args_int(a, 1);
    if (i == fail_at)
        return tess_args_fail(a, "step %lld fails on purpose", (long long)i);
    for (int64_t k = 0; k < tess_args_numel(a, 0); k++)
        x[k] += (double)i;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: capi_resume RUN_DIR INIT N [FAIL_AT]\n");
        return 2;
    }
    double init0 = atof(argv[2]);
    int n = atoi(argv[3]);
    fail_at = argc > 4 ? atoll(argv[4]) : -1;
    tess_error_t err;
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    cfg.run_dir = argv[1];
    tess_run_t *run = tess_run_create(&cfg, &err);
    if (!run) {
        fprintf(stderr, "capi_resume: %s\n", err.text);
        return 2;
    }
    tess_register_kernel(run, "step", step);
    enum { LEN = 1000 };
    static double init[LEN], out[LEN];
    for (int k = 0; k < LEN; k++)
        init[k] = init0;
    int64_t shape[1] = {LEN};
    tess_data_t a = tess_array(run, "a", TESS_F64, 1, shape, init, &err);
    for (int i = 1; a && i <= n; i++)
        TESS_SUBMIT(run, "step", 0, tess_inout(a), tess_int(i));
    int rc = a && tess_wait_on(run, a, out, &err) == 0 ? 0 : 1;
    if (rc == 0) {
        double s = 0;
        for (int k = 0; k < LEN; k++)
            s += out[k];
        printf("sum %.1f\n", s);
    } else {
        fprintf(stderr, "capi_resume: %s\n", a ? err.text : "no array");
    }
    if (tess_run_destroy(run, &err) < 0 && rc == 0) {
        fprintf(stderr, "capi_resume: %s\n", err.text);
        rc = 1;
    }
    return rc;
}
