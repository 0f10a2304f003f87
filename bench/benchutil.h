/*
 * benchutil.h - what the benchmarks of bench/ share: clocks, quantiles,
 * dropping files from the page cache (cold reads) and removing their
 * scratch directories. Header-only (static inline): each benchmark is one
 * program.
 */
#ifndef TESS_BENCH_BENCHUTIL_H
#define TESS_BENCH_BENCHUTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Monotonic seconds. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The @p q quantile (0..1) of @p v (sorted in place), nearest rank. */
static inline double bench_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    int k = (int)(q * n + 0.999999) - 1;
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* Drop the file @p path from the page cache (written back first). */
static inline void bench_drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

/* nftw() callbacks: drop every file of a tree from the page cache;
 * remove a tree (FTW_DEPTH | FTW_PHYS). */
static inline int bench_drop_one(const char *path, const struct stat *st,
                                 int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_F)
        bench_drop_cache(path);
    return 0;
}

static inline int bench_rm_one(const char *path, const struct stat *st,
                               int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

#endif
