/*
 * testkernels.c - kernels of the integration tests' workflows, built as the
 * module test_kernels (loaded by name like any kernel library).
 *
 *   nap(INOUT x f64 [n], int ms): sleeps ms milliseconds, then x += 1
 *
 * Loading the module appends "test_kernels loaded" to the file named by
 * $TESS_TEST_LOADED, if set: tests/t1110-kernel-search.t checks that
 * validation loads kernel libraries (their constructors run).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tessera.h"

int nap(const tess_args_t *a);

__attribute__((constructor)) static void loaded(void)
{
    const char *path = getenv("TESS_TEST_LOADED");
    FILE *f = path && *path ? fopen(path, "a") : NULL;
    if (f) {
        fputs("test_kernels loaded\n", f);
        fclose(f);
    }
}

int nap(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t ms = tess_args_int(a, 1);
    if (!x || ms < 0)
        return tess_args_fail(a, "nap(INOUT array, int ms)");
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] += 1;
    return 0;
}
