/*
 * testkernels.c - kernels of the integration tests' workflows, built as the
 * module test_kernels (loaded by name like any kernel library).
 *
 *   nap(INOUT x f64 [n], int ms): sleeps ms milliseconds, then x += 1
 *   crash(INOUT x, int mode, int at): crashes in a chosen way at one call
 *   flaky(INOUT x, string marker): fails once, then succeeds
 *   fill(OUT x f64, float v): every element v
 *
 * Loading the module appends "test_kernels loaded" to the file named by
 * $TESS_TEST_LOADED, if set: tests/t1110-kernel-search.t checks that
 * validation loads kernel libraries (their constructors run).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* crash(INOUT x f64 [n], int mode, int at): x += 1, except when x[0] == at
 * (the at-th call on a chain): mode 1 segfault, 2 abort, 3 exit(3),
 * 4 exit(0), 5 loop forever, 6 allocate without bound, 7 fail with a
 * message, 8 write "noise" lines on stderr then segfault, 9 fail with a
 * message holding newlines, commas, quotes and record-like lines (the
 * record must stay parseable). Before it crashes it says so on stderr
 * ("crash: mode M at X"), which the failure message must quote. */
int crash(const tess_args_t *a);

int crash(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t mode = tess_args_int(a, 1), at = tess_args_int(a, 2);
    if (!x)
        return tess_args_fail(a, "crash(INOUT array, int mode, int at)");
    if ((int64_t)x[0] == at) {
        if (mode != 8) {
            fprintf(stderr, "crash: mode %d at %g\n", (int)mode, x[0]);
            fflush(stderr);
        }
        switch (mode) {
        case 1: {
            /* a wild pointer: a real fault (not a sanitizer's null check) */
            volatile uintptr_t wild = 16; /* opaque to the compiler */
            volatile int *p = (volatile int *)wild;
            return *p;
        }
        case 2:
            abort();
        case 3:
            exit(3);
        case 4:
            _exit(0);
        case 5:
            for (;;)
                pause();
        case 6:
            for (;;) {
                char *p = malloc((size_t)64 << 20);
                if (!p)
                    return tess_args_fail(a, "allocation refused");
                memset(p, 1, (size_t)64 << 20);
            }
        case 7:
            return tess_args_fail(a, "refusing value %g on purpose", x[0]);
        case 8:
            fprintf(stderr, "crash: first noise line\ncrash: last words "
                    "before the fault\n");
            fflush(stderr);
            /* a wild pointer: a real fault (not a sanitizer's null check) */
            volatile uintptr_t wild = 16; /* opaque to the compiler */
            volatile int *p = (volatile int *)wild;
            return *p;
        case 9:
            return tess_args_fail(a, "bad value, \"%g\"\nstate: completed\n"
                                  "exit_status: 0\r\n\tend", x[0]);
        }
    }
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] += 1;
    return 0;
}

/* flaky(INOUT x f64 [n], string marker): fails the first time (creating
 * the file marker), succeeds when it exists: a task that a retry cures. */
int flaky(const tess_args_t *a);

int flaky(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    const char *marker = tess_args_string(a, 1);
    if (!x || !marker)
        return tess_args_fail(a, "flaky(INOUT array, string marker)");
    if (access(marker, F_OK) != 0) {
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
        return tess_args_fail(a, "first try fails (%s created)", marker);
    }
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] += 1;
    return 0;
}


/* fill(OUT x f64 [...], float v): x = v everywhere. */
int fill(const tess_args_t *a);

int fill(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    if (!x)
        return tess_args_fail(a, "fill(OUT array, float v)");
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] = tess_args_double(a, 1);
    return 0;
}
