/*
 * testkernels.c - kernels of the integration tests' workflows, built as the
 * module test_kernels (loaded by name like any kernel library).
 *
 *   nap(INOUT x f64 [n], int ms): sleeps ms milliseconds, then x += 1
 *   crash(INOUT x, int mode, int at): crashes in a chosen way at one call
 *   flaky(INOUT x, string marker): fails once, then succeeds
 *   fill(OUT x f64, float v): every element v
 *   ft_*: the fault-injection workflow (tests/wfrun/faults.xml): region
 *   writes large enough to be fragments, small inline values, files
 *   fill_at(OUT x f64 [r x c], int ms): sleeps ms milliseconds, then
 *       x[i][j] = (start_0 + i) * 1e6 + start_1 + j (its place in the
 *       whole array: a block written elsewhere never passes a check)
 *   sum_to(IN x f64 [any], OUT s f64 [1]): s = the sum of x
 *
 * Loading the module appends "test_kernels loaded" to the file named by
 * $TESS_TEST_LOADED, if set: tests/t1110-kernel-search.t checks that
 * validation loads kernel libraries (their constructors run).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"

int nap(const tess_args_t *a);
int fill_at(const tess_args_t *a);
int sum_to(const tess_args_t *a);

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

int fill_at(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t ms = tess_args_int(a, 1);
    if (tess_args_rank(a, 0) != 2 || ms < 0)
        return tess_args_fail(a, "fill_at(OUT f64 [r x c], int ms)");
    const int64_t *s = tess_args_start(a, 0), *n = tess_args_shape(a, 0);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    for (int64_t i = 0; i < n[0]; i++)
        for (int64_t j = 0; j < n[1]; j++)
            x[i * n[1] + j] = (double)(s[0] + i) * 1e6 + (double)(s[1] + j);
    return 0;
}

int sum_to(const tess_args_t *a)
{
    const double *x = tess_args_data(a, 0);
    double *s = tess_args_data(a, 1), t = 0;
    if (tess_args_numel(a, 1) != 1)
        return tess_args_fail(a, "sum_to(IN f64, OUT f64 [1])");
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        t += x[i];
    *s = t;
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
/* ---- the fault-injection workflow (tests/wfrun/faults.xml) ------------------
 * Deterministic values, so a resumed run must equal an uninterrupted one bit
 * for bit; each kernel naps ms milliseconds so that kills land mid-run. */

static void ft_nap(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    if (ms > 0)
        nanosleep(&ts, NULL);
}

int ft_fill(const tess_args_t *a);
int ft_step(const tess_args_t *a);
int ft_acc(const tess_args_t *a);
int ft_emit(const tess_args_t *a);
int ft_fold(const tess_args_t *a);
int ft_open(const tess_args_t *a);

/* ft_fill(OUT row f64, int seed, int ms): a pseudo-random row. */
int ft_fill(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    uint64_t h = (uint64_t)tess_args_int(a, 1) * 0x9e3779b97f4a7c15ull + 1;
    if (!x)
        return tess_args_fail(a, "ft_fill(OUT array, int seed, int ms)");
    ft_nap(tess_args_int(a, 2));
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 29;
        x[i] = (double)(h >> 11) / 9007199254740992.0 - 0.5;
    }
    return 0;
}

/* ft_step(IN row, IN next row, INOUT s f64 [4], int ms): s from the rows. */
int ft_step(const tess_args_t *a)
{
    const double *r = tess_args_data(a, 0), *q = tess_args_data(a, 1);
    double *s = tess_args_data(a, 2);
    int64_t n = tess_args_numel(a, 0);
    if (!r || !q || !s || tess_args_numel(a, 2) != 4 ||
        tess_args_numel(a, 1) != n)
        return tess_args_fail(a, "ft_step(IN row, IN row, INOUT [4], int)");
    ft_nap(tess_args_int(a, 3));
    double sum = 0, dot = 0, mx = r[0], mn = r[0];
    for (int64_t i = 0; i < n; i++) {
        sum += r[i];
        dot += r[i] * q[i];
        mx = r[i] > mx ? r[i] : mx;
        mn = r[i] < mn ? r[i] : mn;
    }
    s[0] = s[0] * 0.5 + sum;
    s[1] += dot;
    s[2] = mx;
    s[3] = mn;
    return 0;
}

/* ft_acc(IN s [4], INOUT acc [4]): a chain of small values. */
int ft_acc(const tess_args_t *a)
{
    const double *s = tess_args_data(a, 0);
    double *acc = tess_args_data(a, 1);
    if (!s || !acc || tess_args_numel(a, 0) != 4 || tess_args_numel(a, 1) != 4)
        return tess_args_fail(a, "ft_acc(IN [4], INOUT [4])");
    for (int i = 0; i < 4; i++)
        acc[i] = acc[i] * 0.75 + s[i] * (i + 1);
    return 0;
}

/* ft_emit(IN s [4], FILE OUT part, int i): s as text. */
int ft_emit(const tess_args_t *a)
{
    const double *s = tess_args_data(a, 0);
    const char *path = tess_args_path(a, 1);
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!s || !f)
        return tess_args_fail(a, "ft_emit: %s: %s", path ? path : "(none)",
                              strerror(errno));
    fprintf(f, "part %lld: %.17g %.17g %.17g %.17g\n",
            (long long)tess_args_int(a, 2), s[0], s[1], s[2], s[3]);
    return fclose(f) == 0 ? 0 : tess_args_fail(a, "%s: write failed", path);
}

/* ft_open(FILE OUT log): the log's first line. */
int ft_open(const tess_args_t *a)
{
    FILE *f = fopen(tess_args_path(a, 0), "w");
    if (!f)
        return tess_args_fail(a, "%s: %s", tess_args_path(a, 0),
                              strerror(errno));
    fputs("# faults log\n", f);
    return fclose(f) == 0 ? 0 : tess_args_fail(a, "write failed");
}

/* ft_fold(FILE IN part, FILE INOUT log): append part to the log. */
int ft_fold(const tess_args_t *a)
{
    FILE *in = fopen(tess_args_path(a, 0), "r");
    FILE *out = in ? fopen(tess_args_path(a, 1), "a") : NULL;
    char buf[4096];
    size_t n;
    int rc = 0;
    if (!in || !out)
        rc = tess_args_fail(a, "ft_fold: %s", strerror(errno));
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = tess_args_fail(a, "ft_fold: write failed");
    if (in)
        fclose(in);
    if (out && fclose(out) != 0 && rc == 0)
        rc = tess_args_fail(a, "ft_fold: write failed");
    return rc;
}
