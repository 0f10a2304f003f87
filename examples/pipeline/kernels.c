/*
 * kernels.c - kernels of the pipeline example (examples/pipeline/pipeline.xml),
 * built as the module pipeline_kernels.so.
 *
 * Blocks are raw files of doubles in host byte order.  Every kernel checks
 * its I/O and fails the task with a message (tess_args_fail) on error.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"

int pipeline_generate(const tess_args_t *a);
int pipeline_smooth(const tess_args_t *a);
int pipeline_stats(const tess_args_t *a);
int pipeline_log_open(const tess_args_t *a);
int pipeline_log(const tess_args_t *a);
int pipeline_total(const tess_args_t *a);

static double *read_block(const tess_args_t *a, const char *path, size_t *n)
{
    if (!path) {
        tess_args_fail(a, "expected a file parameter");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    double *v = NULL;
    long len;
    if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0 || len % (long)sizeof(double) != 0) {
        tess_args_fail(a, "%s: cannot read block: %s", path,
                       f ? "bad size" : strerror(errno));
        goto out;
    }
    *n = (size_t)len / sizeof(double);
    if (!(v = malloc(*n ? *n * sizeof(double) : 1)) ||
        fread(v, sizeof(double), *n, f) != *n) {
        tess_args_fail(a, "%s: short read", path);
        free(v);
        v = NULL;
    }
out:
    if (f)
        fclose(f);
    return v;
}

static int write_block(const tess_args_t *a, const char *path,
                       const double *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, sizeof(double), n, f) != n) {
        if (f)
            fclose(f);
        return tess_args_fail(a, "%s: cannot write block", path);
    }
    if (fclose(f) != 0)
        return tess_args_fail(a, "%s: cannot write block", path);
    return 0;
}

/* raw (FILE_OUT), block, block_size, seed: block_size values in [0, 1). */
int pipeline_generate(const tess_args_t *a)
{
    int64_t n = tess_args_int(a, 2);
    uint64_t x = (uint64_t)tess_args_int(a, 3) * 6364136223846793005ULL + 1;
    if (n < 1)
        return tess_args_fail(a, "block_size must be >= 1");
    double *v = malloc((size_t)n * sizeof(double));
    if (!v)
        return tess_args_fail(a, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = (double)(x >> 11) / 9007199254740992.0;
    }
    int rc = write_block(a, tess_args_path(a, 0), v, (size_t)n);
    free(v);
    return rc;
}

/* raw (IN), next (IN), smoothed (OUT): 3-point mean, the right neighbour
 * of the last value being the first value of the next block. */
int pipeline_smooth(const tess_args_t *a)
{
    size_t n, m;
    double *v = read_block(a, tess_args_path(a, 0), &n);
    double *w = v ? read_block(a, tess_args_path(a, 1), &m) : NULL;
    double *s = w ? malloc(n * sizeof(double) + 1) : NULL;
    int rc = -1;
    if (s && n && m) {
        for (size_t i = 0; i < n; i++) {
            double l = v[i ? i - 1 : 0];
            double r = i + 1 < n ? v[i + 1] : w[0];
            s[i] = (l + v[i] + r) / 3.0;
        }
        rc = write_block(a, tess_args_path(a, 2), s, n);
    } else if (w) {
        rc = tess_args_fail(a, "empty or unreadable block");
    }
    free(v);
    free(w);
    free(s);
    return rc;
}

/* smoothed (IN), sums rows [i, i+1) (OUT): sum and maximum of the block. */
int pipeline_stats(const tess_args_t *a)
{
    size_t n;
    double *v = read_block(a, tess_args_path(a, 0), &n);
    double *out = tess_args_data(a, 1);
    if (!v)
        return -1;
    if (!out || tess_args_numel(a, 1) != 2) {
        free(v);
        return tess_args_fail(a, "sums region must be one row of 2 values");
    }
    double sum = 0, max = n ? v[0] : 0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        if (v[i] > max)
            max = v[i];
    }
    out[0] = sum;
    out[1] = max;
    free(v);
    return 0;
}

/* log (OUT), tag: start the log with a header line. */
int pipeline_log_open(const tess_args_t *a)
{
    FILE *f = fopen(tess_args_path(a, 0), "w");
    if (!f)
        return tess_args_fail(a, "%s: %s", tess_args_path(a, 0),
                              strerror(errno));
    fprintf(f, "# %s\n", tess_args_string(a, 1));
    if (fclose(f) != 0)
        return tess_args_fail(a, "%s: write failed", tess_args_path(a, 0));
    return 0;
}

/* log (INOUT), tag, block: append one line. */
int pipeline_log(const tess_args_t *a)
{
    FILE *f = fopen(tess_args_path(a, 0), "a");
    if (!f)
        return tess_args_fail(a, "%s: %s", tess_args_path(a, 0),
                              strerror(errno));
    fprintf(f, "%s (block %lld)\n", tess_args_string(a, 1),
            (long long)tess_args_int(a, 2));
    if (fclose(f) != 0)
        return tess_args_fail(a, "%s: write failed", tess_args_path(a, 0));
    return 0;
}

/* sums (IN), summary (OUT), scale: total of the sums, scaled. */
int pipeline_total(const tess_args_t *a)
{
    const double *s = tess_args_data(a, 0);
    int64_t n = tess_args_numel(a, 0);
    double total = 0, max = 0;
    for (int64_t i = 0; i + 1 < n; i += 2) {
        total += s[i];
        if (s[i + 1] > max)
            max = s[i + 1];
    }
    FILE *f = fopen(tess_args_path(a, 1), "w");
    if (!f)
        return tess_args_fail(a, "%s: %s", tess_args_path(a, 1),
                              strerror(errno));
    fprintf(f, "blocks %lld\ntotal %.17g\nscaled %.17g\nmax %.17g\n",
            (long long)(n / 2), total, total * tess_args_double(a, 2), max);
    if (fclose(f) != 0)
        return tess_args_fail(a, "%s: write failed", tess_args_path(a, 1));
    return 0;
}
